"""Business calendars: working hours and holidays that SLA clocks run on."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

#: Weekday keys in Python's order (Monday is 0).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessCalendar(Model):
    """A time zone, working hours per weekday, and holidays."""

    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    #: Weekday key -> list of ["HH:MM", "HH:MM"] intervals.
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(
        JSON, nullable=False, default=dict
    )
    #: ISO dates ("2026-12-25") on which nobody works.
    holidays: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    #: Text typed into the form (weekday -> "09:00-12:00, 13:00-17:00"; holidays).
    pending_hours = None
    pending_holidays = None

    @property
    def holidays_text(self) -> str:
        """Editable form of the holidays, one date per line."""
        return "\n".join(self.holidays or [])

    @holidays_text.setter
    def holidays_text(self, value: str | None) -> None:
        self.pending_holidays = value or ""

    def hours_text(self, day: str) -> str:
        """One weekday's hours as typed: "09:00-12:00, 13:00-17:00"."""
        return ", ".join(f"{a}-{b}" for a, b in (self.weekly_hours or {}).get(day, []))

    def set_hours_text(self, day: str, value: str | None) -> None:
        """Remember one weekday's typed hours for services.calendars to check."""
        self.pending_hours = {**(self.pending_hours or {}), day: value or ""}

    def __str__(self) -> str:
        return self.name


def _hours_property(day: str) -> property:
    return property(
        lambda self: self.hours_text(day),
        lambda self, value: self.set_hours_text(day, value),
        doc=f"Working hours on {day} as text.",
    )


for _day in WEEKDAYS:
    setattr(BusinessCalendar, f"hours_{_day}", _hours_property(_day))
