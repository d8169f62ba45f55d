"""Time logged on items: by a timer, by hand, or imported from a timesheet."""

from __future__ import annotations

import datetime as dt
import enum

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class TimeSource(enum.StrEnum):
    """How an entry came in."""

    TIMER = "timer"
    MANUAL = "manual"
    IMPORT = "import"


class TimeEntry(Model):
    """Minutes one person spent on one item on one day."""

    __tablename__ = "time_entry"
    __table_args__ = (
        Index("ix_time_entry_item_day", "item_id", "spent_on"),
        Index("ix_time_entry_user_day", "user_id", "spent_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    spent_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    billable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(
        String(10), nullable=False, default=TimeSource.MANUAL.value
    )
    #: A running or finished timer's start and stop (manual entries have none).
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    item = relationship("Item")
    user = relationship("AtriumUser", foreign_keys=[user_id])
    approved_by = relationship("AtriumUser", foreign_keys=[approved_by_id])

    def __str__(self) -> str:
        return f"{self.minutes} min"
