"""SLA clocks: which policy an item runs on, its due times, pauses and breaches.

The arithmetic is in services.sla_clock; this module reads the rows it needs and
writes the results with core UPDATEs that leave ``Item.version`` alone, so an agent
editing the item at the same time never gets a conflict because of the SLA.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.orm.util import identity_key

from app.errors import NotFoundError
from app.extensions import db
from app.models import BusinessCalendar, Item, SlaPolicy, Status
from app.models.base import utcnow
from app.services.calendars import WorkingTime, round_the_clock
from app.services.sla_clock import (
    FIRST_RESPONSE,
    NO_SLA,
    RESOLUTION,
    SLA_BREACHED,
    SLA_WARNING,
    STOPPED_CATEGORIES,
    TARGETS,
    SlaEvent,
    reconcile,
)

__all__ = [
    "CLOCK_COLUMNS",
    "FIRST_RESPONSE",
    "MATCH_COLUMNS",
    "RESOLUTION",
    "SLA_BREACHED",
    "SLA_WARNING",
    "STOPPED_CATEGORIES",
    "SlaEvent",
    "SlaState",
    "apply_policy",
    "breached_condition",
    "due_between_condition",
    "due_for_check",
    "match_policy",
    "more_due",
    "refresh_item",
    "refresh_items",
    "scan",
    "target_states",
    "time_left",
]

#: Item columns whose change can make another SLA policy match.
MATCH_COLUMNS = frozenset({"organization_id", "item_type_id", "priority"})
#: Item columns an edit can change that the clock reads (the status stops and
#: resumes it; the others choose the policy). Other edits leave the clock alone.
CLOCK_COLUMNS = MATCH_COLUMNS | {"status_id"}
_ROW_COLUMNS = (
    Item.id,
    Item.created_at,
    Item.organization_id,
    Item.item_type_id,
    Item.priority,
    Item.first_response_at,
    Item.resolved_at,
    *(getattr(Item, column) for column in NO_SLA),
    Status.category,
)


def match_policy(item: Any) -> SlaPolicy | None:
    """The enabled policy most specific to ``item``'s organization, type, priority."""
    specificity = sum(
        case((column.is_not(None), 1), else_=0)
        for column in (
            SlaPolicy.organization_id,
            SlaPolicy.item_type_id,
            SlaPolicy.priority,
        )
    )
    query = (
        select(SlaPolicy)
        .where(
            SlaPolicy.enabled.is_(True),
            or_(
                SlaPolicy.organization_id.is_(None),
                SlaPolicy.organization_id == item.organization_id,
            ),
            or_(
                SlaPolicy.item_type_id.is_(None),
                SlaPolicy.item_type_id == item.item_type_id,
            ),
            or_(SlaPolicy.priority.is_(None), SlaPolicy.priority == item.priority),
        )
        .order_by(specificity.desc(), SlaPolicy.position, SlaPolicy.id)
        .limit(1)
    )
    return db.session.scalar(query)


def refresh_item(
    item_id: int, *, rematch: bool = False, now: dt.datetime | None = None
) -> None:
    """Bring item ``item_id``'s SLA columns up to date (flushes, never commits)."""
    rows = _load_rows([item_id])
    if not rows:
        return
    row = rows[0]
    pinned = row.sla_policy_pinned and row.sla_policy_id is not None
    if not pinned and (rematch or row.sla_policy_id is None):
        policy = match_policy(row)
    else:
        policy = db.session.get(SlaPolicy, row.sla_policy_id)
    values, _events = reconcile(row, policy, _working_time(policy), now or utcnow())
    _write(item_id, values)


def apply_policy(
    item_id: int, policy_id: int, *, now: dt.datetime | None = None
) -> None:
    """Pin policy ``policy_id`` on the item (no later rematch) and refresh its clock."""
    policy = db.session.get(SlaPolicy, policy_id)
    rows = _load_rows([item_id])
    if policy is None or not rows:
        raise NotFoundError()
    values, _events = reconcile(rows[0], policy, _working_time(policy), now or utcnow())
    _write(item_id, {**values, "sla_policy_pinned": True})


def refresh_items(item_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Rematch and recompute many items, flagging passed targets without events.

    For back-fills (demo data, a new policy): nothing is announced for deadlines
    that passed before the items had a clock. Flushes; returns how many changed.
    """
    moment = now or utcnow()
    ids = list(item_ids)
    policies: dict[int | None, tuple[SlaPolicy | None, WorkingTime]] = {}
    changed = []
    for start in range(0, len(ids), 500):
        for row in _load_rows(ids[start : start + 500]):
            if row.sla_policy_pinned and row.sla_policy_id is not None:
                policy = db.session.get(SlaPolicy, row.sla_policy_id)
            else:
                policy = match_policy(row)
            key = policy.id if policy is not None else None
            if key not in policies:
                policies[key] = (policy, _working_time(policy))
            values, _events = reconcile(row, *policies[key], moment, settle=True)
            changed.append({"b_id": row.id, **values})
    _write_many(changed)
    return len(changed)


def due_for_check(now: dt.datetime, limit: int) -> Select:
    """Ids of the items whose next warning or breach is due (by its index)."""
    return (
        select(Item.id)
        .where(Item.sla_next_check_at <= now)
        .order_by(Item.sla_next_check_at, Item.id)
        .limit(limit)
    )


def more_due(now: dt.datetime) -> bool:
    """Whether any item's next warning or breach is due at ``now``."""
    return db.session.scalar(due_for_check(now, 1)) is not None


def scan(now: dt.datetime | None = None, limit: int = 1000) -> list[SlaEvent]:
    """Flag warnings and breaches that are due (one batch); commits; returns events."""
    moment = now or utcnow()
    ids = list(db.session.scalars(due_for_check(moment, limit)))
    policies: dict[int, tuple[SlaPolicy | None, WorkingTime]] = {}
    updates, events = [], []
    for row in _load_rows(ids):
        key = row.sla_policy_id or 0
        if key not in policies:
            policy = db.session.get(SlaPolicy, key) if key else None
            policies[key] = (policy, _working_time(policy))
        values, found = reconcile(row, *policies[key], moment, announce=True)
        updates.append({"b_id": row.id, **values})
        events += found
    _write_many(updates)
    db.session.commit()
    return events


def _working_time(policy: SlaPolicy | None) -> WorkingTime:
    """The policy's calendar, else the default calendar, else round the clock."""
    calendar = policy.calendar if policy is not None else None
    if calendar is None:
        calendar = db.session.scalar(
            select(BusinessCalendar)
            .where(BusinessCalendar.is_default.is_(True))
            .order_by(BusinessCalendar.id)
            .limit(1)
        )
    return WorkingTime.of(calendar) if calendar is not None else round_the_clock()


def _load_rows(item_ids: Sequence[int]) -> list[Any]:
    """The columns the clock needs, with the status category, read from the table."""
    if not item_ids:
        return []
    query = (
        select(*_ROW_COLUMNS)
        .join(Status, Status.id == Item.status_id)
        .where(Item.id.in_(item_ids))
        .order_by(Item.id)
    )
    return list(db.session.execute(query))


def _write(item_id: int, values: dict[str, Any]) -> None:
    """One UPDATE of the SLA columns (no version bump), then expire them if loaded."""
    db.session.execute(
        update(Item)
        .where(Item.id == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    _expire([item_id], values)


def _write_many(rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE for many items (each dict has ``b_id``)."""
    if not rows:
        return
    table = Item.__table__
    columns = [name for name in rows[0] if name != "b_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in columns})
    )
    params = [{f"b_{k}" if k != "b_id" else k: v for k, v in r.items()} for r in rows]
    db.session.execute(statement, params)
    _expire([row["b_id"] for row in rows], rows[0])


def _expire(item_ids: Iterable[int], columns: Iterable[str]) -> None:
    names = [name for name in columns if name != "b_id"]
    for item_id in item_ids:
        item = db.session.identity_map.get(identity_key(Item, item_id))
        if item is not None:
            db.session.expire(item, names)


# --- display and list filters -------------------------------------------------


@dataclass(frozen=True)
class SlaState:
    """How an item stands against its SLA, for lists and the item page."""

    state: str
    due: dt.datetime | None = None
    #: Wall-clock seconds until the due time (negative: overdue).
    seconds_left: int | None = None
    target: str | None = None
    met_at: dt.datetime | None = None


def target_states(item: Any, now: dt.datetime) -> list[SlaState]:
    """Each target of the item with a due time, from its columns alone."""
    if item.sla_policy_id is None:
        return []
    paused = item.sla_paused_at is not None
    states = []
    for target in TARGETS:
        due = getattr(item, target.due)
        if due is None:
            continue
        met_at, breached = getattr(item, target.met), getattr(item, target.breached)
        if met_at is not None:
            name, moment = ("breached" if breached else "met"), met_at
        elif breached or (not paused and due < now):
            name, moment = "breached", now
        elif paused:
            name, moment = "paused", item.sla_paused_at
        else:
            name = "warning" if getattr(item, target.warned) else "ok"
            moment = now
        seconds = int((due - moment).total_seconds())
        states.append(SlaState(name, due, seconds, target.name, met_at))
    return states


def time_left(item: Any, now: dt.datetime) -> SlaState:
    """The item's most pressing SLA target, from its columns alone (no queries).

    A running breach comes first, then one met late, then the unmet target due
    soonest, then the last target when every one was met in time.
    """
    states = target_states(item, now)
    if not states:
        return SlaState("none")

    def urgency(state: SlaState) -> tuple[int, float]:
        moment = state.due.timestamp()
        if state.state == "breached":
            return (1 if state.met_at else 0), moment
        return (3, -moment) if state.state == "met" else (2, moment)

    return min(states, key=urgency)


def breached_condition(now: dt.datetime) -> ColumnElement[bool]:
    """Items with a breached target, or an unmet one past due while running."""
    running = Item.sla_paused_at.is_(None)
    return or_(
        *(getattr(Item, t.breached).is_(True) for t in TARGETS),
        *(
            and_(
                running,
                getattr(Item, t.met).is_(None),
                getattr(Item, t.due) < now,
            )
            for t in TARGETS
        ),
    )


def due_between_condition(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Items with an unmet target due in [start, end) while the clock runs."""
    if end <= start:
        return false()
    return and_(
        Item.sla_policy_id.is_not(None),
        Item.sla_paused_at.is_(None),
        or_(
            *(
                and_(
                    getattr(Item, t.met).is_(None),
                    getattr(Item, t.due) >= start,
                    getattr(Item, t.due) < end,
                )
                for t in TARGETS
            )
        ),
    )
