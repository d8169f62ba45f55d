"""Workflow automation: rules stored as data, and the log of their runs."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class RuleObject(enum.StrEnum):
    """What a rule watches."""

    TICKET = "ticket"
    TASK = "task"
    PROJECT = "project"
    TIME_ENTRY = "timeentry"


class Trigger(enum.StrEnum):
    """The event that makes a rule look at an object."""

    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    CUSTOMER_REPLIED = "customer_replied"
    AGENT_REPLIED = "agent_replied"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    TIME_BASED = "time_based"


class AutomationRule(Model):
    """When ``trigger`` happens to an ``object`` and the conditions hold, act.

    ``trigger_options`` narrows the trigger (status from/to, SLA target, hours);
    ``conditions`` is ``{"match": "all"|"any", "groups": [{"match": ..,
    "conditions": [{"field", "op", "value"}]}]}``; ``actions`` is a list of
    ``{"type": .., ...}``. The rule editor builds all three; services validate them.
    """

    __tablename__ = "automation_rule"
    __table_args__ = (
        Index("ix_automation_rule_lookup", "object", "trigger", "enabled", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    object: Mapped[str] = mapped_column(String(12), nullable=False)
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)
    trigger_options: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict
    )
    conditions: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict
    )
    actions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, nullable=False, default=list
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Later rules are skipped for this event once this rule has matched.
    stop_processing: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    #: Time-based rules: the (updated_at, id) of the last item already looked at,
    #: so each periodic run reads only items that crossed the threshold since.
    time_cursor_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    time_cursor_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __str__(self) -> str:
        return self.name


class AutomationRun(Model):
    """One rule looked at one object after one event: matched?, what changed, error."""

    __tablename__ = "automation_run"
    __table_args__ = (
        Index("ix_automation_run_item", "item_id", "created_at"),
        Index("ix_automation_run_rule_item", "rule_id", "item_id", "created_at"),
        Index("ix_automation_run_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_rule.id", ondelete="CASCADE"), nullable=True
    )
    #: The rule's name when it ran (the rule may be renamed later).
    rule_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), nullable=True, index=True
    )
    trigger: Mapped[str] = mapped_column(String(20), nullable=False)
    matched: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: What the actions did, as ``[{"action": .., "field": .., "old": .., "new": ..}]``.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, nullable=False, default=list
    )
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: How many rule runs led to this one (0: a person's change).
    depth: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    rule = relationship("AutomationRule")
    item = relationship("Item")
    project = relationship("Project")
