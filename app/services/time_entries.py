"""Logging time on items: who may, what is valid, and what it triggers."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlalchemy.orm import joinedload

from app.errors import ForbiddenError, InvalidInputError, NotFoundError
from app.extensions import db
from app.models import AtriumUser, TimeEntry, TimeSource
from app.models.base import utcnow
from app.services import automation
from app.services.access import (
    MAX_ID,
    ROLE_ADMIN,
    ROLE_MANAGER,
    get_visible_item,
    is_staff,
    user_roles,
)
from app.services.text import clean_text

#: One entry covers at most a day.
MAX_MINUTES = 24 * 60
#: The longest note an entry keeps.
MAX_NOTE = 2000
#: Columns an edit may change.
EDITABLE = frozenset({"minutes", "spent_on", "billable", "note"})


#: "90", "90m", "90 min"; "1h", "1.5h", "1h 30m", "1h30"; and "1:30" (h:mm).
_MINUTES = re.compile(r"([0-9]{1,5})\s*(?:m|min|mins|minutes?)?", re.ASCII)
_HOURS = re.compile(
    r"([0-9]{1,3}(?:\.[0-9]{1,2})?)\s*(?:h|hrs?|hours?)"
    r"(?:\s*([0-9]{1,3})\s*(?:m|min|mins|minutes?)?)?",
    re.ASCII,
)
_CLOCK = re.compile(r"([0-9]{1,3}):([0-5][0-9])", re.ASCII)


def _unreadable_minutes() -> InvalidInputError:
    return InvalidInputError(
        _l(
            "Enter the time as minutes (90), hours and minutes (1h 30m) or h:mm (1:30)."
        ),
        field="minutes",
    )


def parse_minutes(value: Any) -> int:
    """Minutes from 90, "90", "1h 30m", "1.5h" or "1:30"; InvalidInputError if not.

    Only the format is checked here; _check applies the range.
    """
    if isinstance(value, bool):
        raise _unreadable_minutes()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise _unreadable_minutes()
    if not isinstance(value, str) or len(value) > 40:
        raise _unreadable_minutes()
    text = value.strip().casefold().replace(",", ".")
    if found := _MINUTES.fullmatch(text):
        return int(found.group(1))
    if found := _CLOCK.fullmatch(text):
        return int(found.group(1)) * 60 + int(found.group(2))
    if found := _HOURS.fullmatch(text):
        hours = Decimal(found.group(1))
        if found.group(2) and hours != hours.to_integral_value():
            raise _unreadable_minutes()  # "1.5h 20m" is ambiguous
        return int((hours * 60).to_integral_value()) + int(found.group(2) or 0)
    raise _unreadable_minutes()


def _check(entry: TimeEntry) -> None:
    minutes = parse_minutes(entry.minutes)
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInputError(
            _l("Log between 1 minute and 24 hours per entry."), field="minutes"
        )
    entry.minutes = minutes
    if isinstance(entry.spent_on, dt.datetime):
        entry.spent_on = entry.spent_on.date()
    elif not isinstance(entry.spent_on, dt.date):
        try:
            entry.spent_on = dt.date.fromisoformat(str(entry.spent_on))
        except ValueError:
            raise InvalidInputError(
                _l("Enter a date as YYYY-MM-DD."), field="spent_on"
            ) from None
    # One day of slack: ahead of UTC, a person's "today" is UTC's tomorrow.
    if entry.spent_on > utcnow().date() + dt.timedelta(days=1):
        raise InvalidInputError(
            _l("Time cannot be logged in the future."), field="spent_on"
        )
    entry.note = clean_text(entry.note or "", field="note", max_length=MAX_NOTE)
    entry.billable = bool(entry.billable)


def log_time(
    item_id: int,
    actor: AtriumUser | None,
    *,
    minutes: Any,
    spent_on: Any = None,
    billable: bool = True,
    note: str = "",
    source: str = TimeSource.MANUAL.value,
) -> TimeEntry:
    """Record ``minutes`` spent by ``actor`` (staff) on a visible item; commits."""
    if not is_staff(actor):
        raise ForbiddenError()
    item = get_visible_item(item_id, actor)
    entry = TimeEntry(
        item_id=item.id,
        user_id=actor.id,
        minutes=minutes,
        spent_on=spent_on or utcnow().date(),
        billable=billable,
        note=note,
        source=source if source in {s.value for s in TimeSource} else "manual",
    )
    _check(entry)
    entry.created_at = entry.updated_at = utcnow()
    db.session.add(entry)
    db.session.commit()
    automation.time_entry_saved(entry, created=True)
    return entry


def get_entry(entry_id: int, actor: AtriumUser | None) -> TimeEntry:
    """An entry on an item the actor may see; NotFoundError otherwise."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    known = 0 < entry_id <= MAX_ID and is_staff(actor)
    entry = db.session.get(TimeEntry, entry_id) if known else None
    if entry is None:
        raise NotFoundError()
    get_visible_item(entry.item_id, actor)
    return entry


def update_entry(
    entry_id: int, actor: AtriumUser | None, changes: dict[str, Any]
) -> TimeEntry:
    """Change an entry: its author, or a manager or admin; commits."""
    entry = get_entry(entry_id, actor)
    if not may_change(entry, actor):
        raise ForbiddenError()
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInputError(field=sorted(unknown)[0])
    for column, value in changes.items():
        setattr(entry, column, value)
    try:
        _check(entry)
    except InvalidInputError:
        db.session.rollback()
        raise
    entry.updated_at = utcnow()
    db.session.commit()
    automation.time_entry_saved(entry, created=False)
    return entry


def delete_entry(entry_id: int, actor: AtriumUser | None) -> None:
    """Remove an entry: its author, or a manager or admin."""
    entry = get_entry(entry_id, actor)
    if not may_change(entry, actor):
        raise ForbiddenError()
    db.session.delete(entry)
    db.session.commit()


def may_change(entry: TimeEntry, actor: AtriumUser | None) -> bool:
    """Whether ``actor`` may edit or delete ``entry``: its author, managers, admins."""
    if actor is None or not is_staff(actor):
        return False
    if entry.user_id is not None and entry.user_id == actor.id:
        return True
    return bool(user_roles(actor) & {ROLE_ADMIN, ROLE_MANAGER})


def item_entries(item_id: int, limit: int | None = None) -> list[TimeEntry]:
    """An item's entries, newest first, with their people (one query)."""
    query = (
        db.select(TimeEntry)
        .options(joinedload(TimeEntry.user))
        .where(TimeEntry.item_id == item_id)
        .order_by(TimeEntry.spent_on.desc(), TimeEntry.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def latest_entry(item_id: int) -> TimeEntry | None:
    """The entry logged last on an item (by when it was saved), or None."""
    return db.session.scalar(
        db.select(TimeEntry)
        .where(TimeEntry.item_id == item_id)
        .order_by(TimeEntry.created_at.desc(), TimeEntry.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class TimeTotals:
    """The time logged on an item, summed by the database."""

    minutes: int = 0
    billable_minutes: int = 0
    entries: int = 0


def item_totals(item_id: int) -> TimeTotals:
    """Total and billable minutes and the number of entries on an item (one query)."""
    total, billable, count = db.session.execute(
        db.select(
            func.coalesce(func.sum(TimeEntry.minutes), 0),
            func.coalesce(
                func.sum(case((TimeEntry.billable, TimeEntry.minutes), else_=0)), 0
            ),
            func.count(TimeEntry.id),
        ).where(TimeEntry.item_id == item_id)
    ).one()
    return TimeTotals(int(total), int(billable), int(count))
