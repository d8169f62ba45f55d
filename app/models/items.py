"""Items (tickets and tasks in one table), followers and history."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow
from app.models.workflows import ItemKind

#: Prefix of the human number per kind: T-1042 is a ticket, K-1042 a task.
NUMBER_PREFIX = {ItemKind.TICKET.value: "T", ItemKind.TASK.value: "K"}


class Channel(enum.StrEnum):
    """How an item reached us."""

    EMAIL = "email"
    WEB_FORM = "web"
    PORTAL = "portal"
    CHAT = "chat"
    PHONE = "phone"
    API = "api"
    AGENT = "agent"


item_follower = Table(
    "item_follower",
    Model.metadata,
    Column("item_id", ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
)

item_customer_follower = Table(
    "item_customer_follower",
    Model.metadata,
    Column("item_id", ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Item(Model):
    """A ticket or a task; converting one into the other keeps its id and history."""

    __tablename__ = "item"
    __table_args__ = (
        Index("ix_item_kind_id", "kind", "id"),
        Index("ix_item_org_id", "organization_id", "id"),
        Index("ix_item_status_id", "status_id", "id"),
        Index("ix_item_assignee_id", "assignee_id", "id"),
        Index("ix_item_team_id", "team_id", "id"),
        Index("ix_item_project_id", "project_id", "id"),
        Index("ix_item_requester_id", "requester_id", "id"),
        Index("ix_item_updated_at", "updated_at"),
        # Time-based automation rules: "N hours since the last update in status S".
        Index("ix_item_status_updated", "status_id", "updated_at"),
        # The SLA scan reads only the items whose next warning or breach is due.
        Index("ix_item_sla_next_check", "sla_next_check_at"),
        Index("ix_item_sla_resolution_due", "sla_resolution_due"),
        Index("ix_item_sla_first_response_due", "sla_first_response_due"),
        # Substring search on titles: a trigram GIN index on PostgreSQL.
        Index(
            "ix_item_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    item_type_id: Mapped[int] = mapped_column(
        ForeignKey("item_type.id"), nullable=False, index=True
    )
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id"), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), nullable=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), nullable=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="SET NULL"), nullable=True, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(
        String(10), nullable=False, default=Channel.AGENT.value
    )
    #: The mailbox an e-mail item came in through; replies go out from its address.
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailbox.id", ondelete="SET NULL"), nullable=True
    )
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    planned_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    planned_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    estimate_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sla_first_response_due: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sla_resolution_due: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sla_first_response_breached: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    sla_resolution_breached: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    #: The SLA policy the item runs on; pinned when a rule applied it explicitly.
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policy.id", ondelete="SET NULL"), nullable=True
    )
    sla_policy_pinned: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    #: When the SLA clock stopped (waiting on the customer, or resolved).
    sla_paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Business seconds the clock has been stopped so far.
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The earliest pending warning or breach; NULL when the clock is not running.
    sla_next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sla_first_response_warned: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    sla_resolution_warned: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: The latest satisfaction rating (1-5) the requester gave; NULL when none.
    satisfaction_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    #: Optimistic lock: saving a stale version raises StaleDataError (409).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    item_type = relationship("ItemType")
    status = relationship("Status")
    requester = relationship("Customer")
    organization = relationship("Organization")
    project = relationship("Project")
    parent = relationship("Item", remote_side=[id])
    assignee = relationship("AtriumUser", foreign_keys=[assignee_id])
    team = relationship("Team")
    sla_policy = relationship("SlaPolicy")
    mailbox = relationship("Mailbox")
    created_by = relationship("AtriumUser", foreign_keys=[created_by_id])
    followers = relationship("AtriumUser", secondary=item_follower)
    customer_followers = relationship("Customer", secondary=item_customer_follower)
    custom_values = relationship(
        "CustomFieldValue", cascade="all, delete-orphan", lazy="selectin"
    )

    #: The version an edit form was loaded with (set through expected_version).
    submitted_version = None
    #: What the last recorded edit changed, column -> (before, after).
    recorded_changes: dict[str, tuple[Any, Any]] = {}

    @property
    def expected_version(self) -> int:
        """The version a form should send back; setting it records what was sent."""
        return self.version

    @expected_version.setter
    def expected_version(self, value: object) -> None:
        self.submitted_version = int(value) if str(value or "").isdigit() else None

    @property
    def number(self) -> str:
        """The human number, such as T-1042."""
        return f"{NUMBER_PREFIX.get(self.kind, 'T')}-{self.id}"

    @property
    def custom_summary(self) -> str:
        """Custom field values as "Field: value" pairs (values are preloaded)."""
        return "; ".join(
            f"{value.field.name}: {value.display}" for value in self.custom_values
        )

    @property
    def is_resolved(self) -> bool:
        """Whether the item's status counts as resolved."""
        return self.status is not None and self.status.is_resolved

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ItemEvent(Model):
    """One entry of an item's history: what changed, by whom, when."""

    __tablename__ = "item_event"
    __table_args__ = (Index("ix_item_event_item_created", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=False
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    item = relationship("Item")
    actor = relationship("AtriumUser")

    @property
    def summary(self) -> dict[str, Any]:
        """The event's kind and data in one mapping, for display."""
        return {"kind": self.kind, **(self.data or {})}


class CustomField(Model):
    """An admin-defined field on the items of one type."""

    __tablename__ = "custom_field"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type_id: Mapped[int] = mapped_column(
        ForeignKey("item_type.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    field_type: Mapped[str] = mapped_column(String(10), nullable=False)
    choices: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    item_type = relationship("ItemType")

    #: Options typed into a form (one per line), applied by services.custom_fields.
    pending_choices = None

    @property
    def choices_text(self) -> str:
        """Editable form of the choices, one per line."""
        return "\n".join(self.choices or [])

    @choices_text.setter
    def choices_text(self, value: str | None) -> None:
        self.pending_choices = value or ""

    def __str__(self) -> str:
        return self.name


class CustomFieldValue(Model):
    """One item's value of one custom field, typed for filtering and sorting."""

    __tablename__ = "custom_field_value"
    __table_args__ = (
        Index("uq_custom_value_item_field", "item_id", "field_id", unique=True),
        Index("ix_custom_value_text", "field_id", "value_text"),
        Index("ix_custom_value_number", "field_id", "value_number"),
        Index("ix_custom_value_date", "field_id", "value_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=False
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_field.id", ondelete="CASCADE"), nullable=False
    )
    value_text: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    value_number: Mapped[float | None] = mapped_column(Numeric(18, 4), nullable=True)
    value_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    field = relationship("CustomField", lazy="joined")

    @property
    def display(self) -> str:
        """The value as text, whatever its type."""
        for value in (self.value_text, self.value_number, self.value_date):
            if value is not None:
                return str(value)
        return ""
