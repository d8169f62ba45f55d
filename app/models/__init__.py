"""Every model module, imported so that Alembic and FAB see the whole schema."""

from app.models.automation import AutomationRule, AutomationRun, RuleObject, Trigger
from app.models.calendars import WEEKDAYS, BusinessCalendar
from app.models.conversations import Attachment, Message, MessageKind
from app.models.items import (
    NUMBER_PREFIX,
    Channel,
    CustomField,
    CustomFieldValue,
    Item,
    ItemEvent,
    item_customer_follower,
    item_follower,
)
from app.models.jobs import JobRun, JobStatus
from app.models.knowledge import (
    Article,
    ArticleCategory,
    ArticleStatus,
    ArticleTranslation,
    ArticleVisibility,
)
from app.models.mail import (
    EmailTemplate,
    InboundMail,
    InboundStatus,
    Mailbox,
    MailProtocol,
    MailSecurity,
    OutboundEmail,
    OutboundStatus,
)
from app.models.organizations import Customer, Organization, OrganizationDomain
from app.models.projects import Portfolio, Project
from app.models.satisfaction import SatisfactionRating
from app.models.settings import Setting
from app.models.sla import SlaPolicy
from app.models.teams import Team, team_member
from app.models.time_entries import TimeEntry, TimeSource
from app.models.users import AtriumUser
from app.models.workflows import (
    RESOLVED_CATEGORIES,
    ItemKind,
    ItemType,
    Status,
    StatusCategory,
)

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "NUMBER_PREFIX",
    "RESOLVED_CATEGORIES",
    "Article",
    "ArticleCategory",
    "ArticleStatus",
    "ArticleTranslation",
    "ArticleVisibility",
    "AtriumUser",
    "AutomationRule",
    "AutomationRun",
    "Attachment",
    "Channel",
    "CustomField",
    "CustomFieldValue",
    "Customer",
    "EmailTemplate",
    "InboundMail",
    "InboundStatus",
    "Item",
    "ItemEvent",
    "ItemKind",
    "ItemType",
    "JobRun",
    "JobStatus",
    "MailProtocol",
    "MailSecurity",
    "Mailbox",
    "Message",
    "MessageKind",
    "Organization",
    "OrganizationDomain",
    "OutboundEmail",
    "OutboundStatus",
    "Portfolio",
    "Project",
    "RuleObject",
    "SatisfactionRating",
    "Setting",
    "SlaPolicy",
    "Status",
    "StatusCategory",
    "Team",
    "TimeEntry",
    "TimeSource",
    "Trigger",
    "item_customer_follower",
    "item_follower",
    "team_member",
]
