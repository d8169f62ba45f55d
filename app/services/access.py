"""The access-control layer: role definitions and who may see which rows.

Every list, show page, REST resource, search, export, chart and download asks this
module; nothing else decides visibility.
"""

from __future__ import annotations

import re

from flask import g, has_app_context
from sqlalchemy import ColumnElement, and_, false, or_, true

from app.errors import NotFoundError
from app.extensions import db
from app.models import (
    Attachment,
    Customer,
    Item,
    JobRun,
    Message,
    MessageKind,
    Organization,
    TimeEntry,
)
from app.services.settings import PortalVisibility, portal_visibility

ROLE_ADMIN = "Admin"
ROLE_MANAGER = "Manager"
ROLE_AGENT = "Agent"
ROLE_CUSTOMER = "Customer"
STAFF_ROLES = (ROLE_ADMIN, ROLE_MANAGER, ROLE_AGENT)
#: Row ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1
ALL_ROLES = (ROLE_ADMIN, ROLE_MANAGER, ROLE_AGENT, ROLE_CUSTOMER)

#: What every signed-in person may do with their own account.
SELF_SERVICE = (
    ("can_userinfo|resetmypassword|userinfoedit", "AtriumUserDBModelView"),
    ("can_this_form_(get|post)", "ResetMyPasswordView|AtriumUserInfoEditView"),
)
#: Reading the background jobs screen (rows are scoped by services.access).
JOB_READER = (
    ("can_(list|show)", "JobRunModelView"),
    ("menu_access", "Background jobs|Tools"),
)

DESK_VIEWS = (
    "TicketModelView|TaskModelView|CustomerModelView|OrganizationModelView"
    "|ProjectModelView|ArchivedProjectModelView|PortfolioModelView"
)
DESK_MENUS = (
    "Desk|Tickets|Tasks|Customers|Organizations|Projects|Portfolios|By customer"
    "|By portfolio|Archived projects"
)
#: Working the desk: every item, customer, organization and project.
DESK_WORK = (
    ("can_(list|show|add|edit|download)|archive|custom_fields", DESK_VIEWS),
    ("can_edit", "ItemCustomFieldsView"),
    (
        "can_list",
        "ItemEventModelView|OrganizationItemsView|OrganizationProjectsView"
        "|ProjectItemsView",
    ),
    ("can_lookup", "LookupView"),
    ("can_tree", "ByCustomerView|ByPortfolioView"),
    ("can_level", "TreeFragmentView"),
    (
        "can_(get|post|put|delete|info)",
        "TicketRestApi|TaskRestApi|CustomerRestApi"
        "|OrganizationRestApi|ProjectRestApi"
        "|PortfolioRestApi",
    ),
    ("can_(reply|download)", "ConversationView"),
    ("can_log", "TimeEntryView"),
    ("can_(get|post|put|delete|info)", "TimeEntryRestApi"),
    ("can_(get|post|info)", "MessageRestApi|AttachmentRestApi"),
    ("can_download", "AttachmentRestApi"),
    ("can_(get|info)", "TeamRestApi|ItemTypeRestApi|StatusRestApi"),
    ("menu_access", DESK_MENUS),
)
#: Managers may also delete customers, organizations and projects.
DESK_CLEANUP = (
    (
        "can_delete",
        "CustomerModelView|OrganizationModelView|ProjectModelView|PortfolioModelView",
    ),
)
#: Customers reach their items through the API (and later the portal).
CUSTOMER_API = (
    ("can_(get|post|info)", "TicketRestApi|MessageRestApi"),
    ("can_(get|info|download)", "AttachmentRestApi"),
    ("can_(get|info)", "CustomerRestApi|OrganizationRestApi|ItemTypeRestApi"),
)

#: Managers read the automation log (the rules themselves are Admin-only).
AUTOMATION_LOG_READER = (
    ("can_(list|show)", "AutomationRunModelView"),
    ("menu_access", "Automation log"),
)

#: Role -> (permission regex, view regex) pairs; Admin always gets everything.
ROLE_PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    ROLE_MANAGER: SELF_SERVICE
    + JOB_READER
    + DESK_WORK
    + DESK_CLEANUP
    + AUTOMATION_LOG_READER,
    ROLE_AGENT: SELF_SERVICE + JOB_READER + DESK_WORK,
    ROLE_CUSTOMER: SELF_SERVICE + CUSTOMER_API,
}


def role_grants(role: str, permission: str, view: str) -> bool:
    """Whether ``role`` is granted ``permission`` on ``view`` by ROLE_PERMISSIONS."""
    if role == ROLE_ADMIN:
        return True
    for perm_pattern, view_pattern in ROLE_PERMISSIONS.get(role, ()):
        if re.fullmatch(perm_pattern, permission) and re.fullmatch(view_pattern, view):
            return True
    return False


def current_user_roles() -> set[str]:
    """Role names of the signed-in user (empty for anonymous visitors)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def job_run_scope(user: object | None = None) -> ColumnElement[bool]:
    """Job records ``user`` may see: all for Admin and Manager, else their own."""
    user = user if user is not None else getattr(g, "user", None)
    roles = {role.name for role in getattr(user, "roles", [])}
    if roles & {ROLE_ADMIN, ROLE_MANAGER}:
        return true()
    user_id = getattr(user, "id", None)
    return JobRun.requested_by_id == user_id if user_id else JobRun.id.is_(None)


def user_roles(user: object | None) -> set[str]:
    """Role names of ``user`` (empty for anonymous visitors and None)."""
    return {role.name for role in getattr(user, "roles", None) or []}


def is_staff(user: object | None) -> bool:
    """Admins, managers and agents work on every item; so does the system account."""
    if getattr(user, "is_system", False):
        return True
    return bool(user_roles(user) & set(STAFF_ROLES))


def customer_of(user: object | None) -> Customer | None:
    """The customer record behind a customer account (cached for the request)."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return None
    cache = g.setdefault("_atrium_customer_of", {}) if has_app_context() else {}
    if user_id not in cache:
        cache[user_id] = db.session.scalar(
            db.select(Customer).filter_by(user_id=user_id)
        )
    return cache[user_id]


def item_scope(user: object | None = None) -> ColumnElement[bool]:
    """Items ``user`` may see: staff all; customers per the portal visibility."""
    user = user if user is not None else getattr(g, "user", None)
    if is_staff(user):
        return true()
    customer = customer_of(user) if ROLE_CUSTOMER in user_roles(user) else None
    if customer is None:
        return false()
    visibility = portal_visibility()
    if visibility == PortalVisibility.ALL:
        return true()
    own = Item.requester_id == customer.id
    if visibility == PortalVisibility.ORGANIZATION and customer.organization_id:
        return or_(own, Item.organization_id == customer.organization_id)
    return own


def customer_scope(user: object | None = None) -> ColumnElement[bool]:
    """Customers ``user`` may see: staff all; a customer themselves and colleagues."""
    user = user if user is not None else getattr(g, "user", None)
    if is_staff(user):
        return true()
    customer = customer_of(user)
    if customer is None:
        return false()
    if customer.organization_id:
        return Customer.organization_id == customer.organization_id
    return Customer.id == customer.id


def organization_scope(user: object | None = None) -> ColumnElement[bool]:
    """Organizations ``user`` may see: staff all; a customer only their own."""
    user = user if user is not None else getattr(g, "user", None)
    if is_staff(user):
        return true()
    customer = customer_of(user)
    if customer is None or customer.organization_id is None:
        return false()
    return Organization.id == customer.organization_id


def staff_only_scope(user: object | None = None) -> ColumnElement[bool]:
    """Rows only staff may see (projects, teams, configuration)."""
    user = user if user is not None else getattr(g, "user", None)
    return true() if is_staff(user) else false()


def get_visible_item(item_id: int, user: object | None = None) -> Item:
    """The item if ``user`` may see it; NotFoundError otherwise (never 403)."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    if not 0 < item_id <= MAX_ID:
        raise NotFoundError()  # PostgreSQL would refuse the number itself
    item = db.session.scalar(
        db.select(Item).where(Item.id == item_id, item_scope(user))
    )
    if item is None:
        raise NotFoundError()
    return item


def message_scope(user: object | None = None) -> ColumnElement[bool]:
    """Messages ``user`` may read: on visible items; internal notes for staff only."""
    user = user if user is not None else getattr(g, "user", None)
    visible = Message.item.has(item_scope(user))
    if is_staff(user):
        return visible
    return and_(visible, Message.kind == MessageKind.PUBLIC.value)


def get_visible_attachment(
    attachment_id: int, user: object | None = None
) -> Attachment:
    """The attachment if ``user`` may see it (attachment_scope); else NotFoundError."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    attachment = db.session.scalar(
        db.select(Attachment).where(
            Attachment.id == attachment_id, attachment_scope(user)
        )
    )
    if attachment is None:
        raise NotFoundError()
    return attachment


def attachment_scope(user: object | None = None) -> ColumnElement[bool]:
    """Attachments ``user`` may see: on visible items, not on notes for customers."""
    user = user if user is not None else getattr(g, "user", None)
    visible = Attachment.item.has(item_scope(user))
    if is_staff(user):
        return visible
    return and_(
        visible,
        or_(
            Attachment.message_id.is_(None),
            Attachment.message.has(Message.kind == MessageKind.PUBLIC.value),
        ),
    )


def time_entry_scope(user: object | None = None) -> ColumnElement[bool]:
    """Time entries ``user`` may see: staff, on visible items; customers none."""
    user = user if user is not None else getattr(g, "user", None)
    if not is_staff(user):
        return false()
    return TimeEntry.item.has(item_scope(user))
