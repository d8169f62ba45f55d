"""Item types and their workflows (ordered statuses, each in a category)."""

from __future__ import annotations

import enum

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship


class ItemKind(enum.StrEnum):
    """Tickets are requests from customers; tasks are planned work."""

    TICKET = "ticket"
    TASK = "task"


class StatusCategory(enum.StrEnum):
    """What a status means for SLAs, reports and the board."""

    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    DONE = "done"
    CLOSED = "closed"


#: Categories in which an item counts as resolved.
RESOLVED_CATEGORIES = (StatusCategory.DONE.value, StatusCategory.CLOSED.value)


class ItemType(Model):
    """A kind of ticket or task (question, problem, wish; task, bug ...)."""

    __tablename__ = "item_type"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_item_type_kind_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    icon: Mapped[str] = mapped_column(String(50), nullable=False, default="fa-ticket")
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#1f6f8b")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Built-in field names a new item of this type must fill in.
    required_fields: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=list
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    statuses = relationship(
        "Status",
        back_populates="item_type",
        order_by="Status.position",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return self.name


class Status(Model):
    """One step of an item type's workflow."""

    __tablename__ = "status"
    __table_args__ = (
        UniqueConstraint("item_type_id", "name", name="uq_status_type_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_type_id: Mapped[int] = mapped_column(
        ForeignKey("item_type.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str] = mapped_column(String(10), nullable=False)
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#777777")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The status a new item of the type starts in.
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    item_type = relationship("ItemType", back_populates="statuses")

    @property
    def is_resolved(self) -> bool:
        """Whether items in this status count as resolved."""
        return self.category in RESOLVED_CATEGORIES

    def __str__(self) -> str:
        return self.name
