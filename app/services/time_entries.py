"""Logging time on items: who may, what is valid, and what it triggers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from app.errors import ForbiddenError, InvalidInputError, NotFoundError
from app.extensions import db
from app.models import AtriumUser, TimeEntry, TimeSource
from app.models.base import utcnow
from app.services import automation
from app.services.access import get_visible_item, is_staff
from app.services.text import clean_text

#: One entry covers at most a day.
MAX_MINUTES = 24 * 60
#: Columns an edit may change.
EDITABLE = frozenset({"minutes", "spent_on", "billable", "note"})


def _check(entry: TimeEntry) -> None:
    try:
        minutes = int(str(entry.minutes).strip())
    except (TypeError, ValueError):
        raise InvalidInputError(
            _l("Enter the minutes as a number."), field="minutes"
        ) from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInputError(
            _l("Log between 1 minute and 24 hours per entry."), field="minutes"
        )
    entry.minutes = minutes
    if not isinstance(entry.spent_on, dt.date):
        try:
            entry.spent_on = dt.date.fromisoformat(str(entry.spent_on))
        except ValueError:
            raise InvalidInputError(
                _l("Enter a date as YYYY-MM-DD."), field="spent_on"
            ) from None
    if entry.spent_on > utcnow().date() + dt.timedelta(days=1):
        raise InvalidInputError(
            _l("Time cannot be logged in the future."), field="spent_on"
        )
    entry.note = clean_text(entry.note or "", field="note", max_length=2000)
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
    entry = db.session.get(TimeEntry, entry_id)
    if entry is None or not is_staff(actor):
        raise NotFoundError()
    get_visible_item(entry.item_id, actor)
    return entry


def update_entry(
    entry_id: int, actor: AtriumUser | None, changes: dict[str, Any]
) -> TimeEntry:
    """Change an entry: its author, or a manager or admin; commits."""
    entry = get_entry(entry_id, actor)
    if entry.user_id != actor.id and not _may_manage(actor):
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
    if entry.user_id != actor.id and not _may_manage(actor):
        raise ForbiddenError()
    db.session.delete(entry)
    db.session.commit()


def _may_manage(actor: AtriumUser | None) -> bool:
    from app.services.access import ROLE_ADMIN, ROLE_MANAGER, user_roles

    return bool(user_roles(actor) & {ROLE_ADMIN, ROLE_MANAGER})


def item_entries(item_id: int) -> list[TimeEntry]:
    """An item's entries, newest first, with their people (one query)."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            db.select(TimeEntry)
            .options(joinedload(TimeEntry.user))
            .where(TimeEntry.item_id == item_id)
            .order_by(TimeEntry.spent_on.desc(), TimeEntry.id.desc())
        )
    )
