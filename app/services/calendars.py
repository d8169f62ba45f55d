"""Business time: working hours, holidays and time zones, for SLA clocks.

All datetimes in and out are naive UTC, as every timestamp column stores them.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import WEEKDAYS, BusinessCalendar
from app.services.text import clean_line

#: How far ahead business time is searched before giving up (about ten years).
MAX_DAYS = 3660
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class WorkingTime:
    """A calendar reduced to what the arithmetic needs."""

    zone: zoneinfo.ZoneInfo
    #: Weekday (0 = Monday) -> sorted (start, end) local times; end may be 24:00.
    weekly: dict[int, tuple[tuple[dt.time, dt.time | None], ...]]
    holidays: frozenset[dt.date]

    @classmethod
    def of(cls, calendar: BusinessCalendar) -> WorkingTime:
        """The working time of a stored calendar."""
        weekly = {
            index: tuple(
                (_parse_time(start), _parse_end(end))
                for start, end in (calendar.weekly_hours or {}).get(day, [])
            )
            for index, day in enumerate(WEEKDAYS)
        }
        holidays = frozenset(dt.date.fromisoformat(d) for d in calendar.holidays or [])
        return cls(zoneinfo.ZoneInfo(calendar.timezone), weekly, holidays)

    def periods(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working periods (naive UTC) that end after ``start``, in order."""
        local_day = _to_local(start, self.zone).date()
        for offset in range(MAX_DAYS):
            day = local_day + dt.timedelta(days=offset)
            if day in self.holidays:
                continue
            for begin, end in self.weekly.get(day.weekday(), ()):
                period = (self._utc(day, begin), self._utc_end(day, end))
                if period[1] > start and period[0] < period[1]:
                    yield max(period[0], start), period[1]

    def _utc(self, day: dt.date, moment: dt.time) -> dt.datetime:
        local = dt.datetime.combine(day, moment, tzinfo=self.zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    def _utc_end(self, day: dt.date, moment: dt.time | None) -> dt.datetime:
        if moment is None:  # 24:00, the start of the next day
            return self._utc(day + dt.timedelta(days=1), dt.time(0, 0))
        return self._utc(day, moment)


def round_the_clock() -> WorkingTime:
    """Every hour of every day in UTC: business time that is plain time."""
    always = ((dt.time(0, 0), None),)
    return WorkingTime(
        zoneinfo.ZoneInfo("UTC"), dict.fromkeys(range(7), always), frozenset()
    )


def _to_local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC).astimezone(zone)


def _parse_time(value: str) -> dt.time:
    hours, minutes = (int(part) for part in value.split(":"))
    return dt.time(hours, minutes)


def _parse_end(value: str) -> dt.time | None:
    return None if value == "24:00" else _parse_time(value)


def add_business_time(
    working: WorkingTime, start: dt.datetime, duration: dt.timedelta
) -> dt.datetime:
    """The moment ``duration`` of working time after ``start``."""
    remaining = duration
    position = start
    for begin, end in working.periods(start):
        if remaining <= dt.timedelta(0):
            return position
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
        position = end
    if remaining <= dt.timedelta(0):
        return position
    raise InvalidInputError(_l("This calendar has no working hours."), field="hours")


def business_time_between(
    working: WorkingTime, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Working time from ``start`` to ``end`` (zero when end is not later)."""
    total = dt.timedelta(0)
    if end <= start:
        return total
    for begin, finish in working.periods(start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def parse_intervals(text: str, *, field: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:00" as sorted, non-overlapping [start, end] pairs."""
    intervals: list[tuple[int, int]] = []
    for chunk in filter(None, (c.strip() for c in re.split(r"[,;]", text or ""))):
        match = _INTERVAL.match(chunk)
        if match is None:
            raise InvalidInputError(
                _l("Write hours like 09:00-17:00: %(text)s", text=chunk[:40]),
                field=field,
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
            raise InvalidInputError(
                _l("Write hours like 09:00-17:00: %(text)s", text=chunk[:40]),
                field=field,
            )
        intervals.append((start, end))
    intervals.sort()
    for (_a, end), (start, _b) in zip(intervals, intervals[1:], strict=False):
        if start < end:
            raise InvalidInputError(_l("Working hours overlap."), field=field)
    return [[_clock(a), _clock(b)] for a, b in intervals]


def _minutes(chunk: str) -> tuple[int, int] | None:
    """ "09:00-17:00" as minutes since midnight, or None when it is not valid."""
    match = _INTERVAL.match(chunk)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        return None
    return start, end


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_holidays(text: str) -> list[str]:
    """One ISO date per line (anything after the date is a comment)."""
    dates: set[str] = set()
    for line in (text or "").splitlines():
        token = line.strip().split(" ", 1)[0][:40] if line.strip() else ""
        if not token:
            continue
        try:
            dates.add(dt.date.fromisoformat(token).isoformat())
        except ValueError:
            raise InvalidInputError(
                _l(
                    "Write holidays as dates like 2026-12-25: %(text)s", text=token[:40]
                ),
                field="holidays_text",
            ) from None
    return sorted(dates)


def prepare_calendar(calendar: BusinessCalendar) -> None:
    """Check a calendar edited in a form and store its typed hours and holidays."""
    calendar.name = clean_line(calendar.name, field="name", max_length=100)
    if calendar.timezone not in zoneinfo.available_timezones():
        raise InvalidInputError(_l("Choose a time zone."), field="timezone")
    hours = dict(calendar.weekly_hours or {})
    for day, text in (calendar.pending_hours or {}).items():
        hours[day] = parse_intervals(text, field=f"hours_{day}")
    calendar.weekly_hours = {day: hours.get(day, []) for day in WEEKDAYS}
    if not any(calendar.weekly_hours.values()):
        raise InvalidInputError(
            _l("Give at least one day some working hours."), field="hours_mon"
        )
    if calendar.pending_holidays is not None:
        calendar.holidays = parse_holidays(calendar.pending_holidays)
    calendar.pending_hours = None
    calendar.pending_holidays = None
    duplicate = db.session.scalar(
        db.select(BusinessCalendar.id).where(
            BusinessCalendar.name == calendar.name,
            BusinessCalendar.id != (calendar.id or 0),
        )
    )
    if duplicate:
        raise InvalidInputError(_l("A calendar with this name exists."), field="name")
