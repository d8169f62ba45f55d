"""Running rules: one event (or one time-based rule) at a time, in a job.

Rules run in ``position`` order after the change that triggered them committed.
Each rule whose trigger fits is logged as an :class:`AutomationRun`, matched or
not. Changes a rule makes trigger further events one level deeper; a rule never
runs again inside the chain it started, and chains stop at :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, insert, or_
from sqlalchemy.orm import joinedload, lazyload

from app.errors import DomainError
from app.extensions import db
from app.models import (
    AutomationRule,
    AutomationRun,
    Item,
    ItemType,
    Message,
    Project,
    Status,
    TimeEntry,
    Trigger,
)
from app.models.base import utcnow
from app.services.automation import actions, conditions, context

logger = logging.getLogger(__name__)

#: How many rule runs may lead to one another before the chain is cut.
MAX_DEPTH = 5
#: Items one time-based rule handles per periodic run.
TIME_BATCH = 500


@dataclass
class Event:
    """Something that happened to an item or project, as the job receives it."""

    object: str
    triggers: list[str]
    item_id: int | None = None
    project_id: int | None = None
    time_entry_id: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    message_id: int | None = None
    target: str = ""
    depth: int = 0
    chain: list[int] = field(default_factory=list)
    only_rule: int | None = None


@dataclass(frozen=True)
class CompiledRule:
    """An enabled rule as plain data, kept between events by the worker."""

    id: int
    name: str
    object: str
    trigger: str
    trigger_options: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    stop_processing: bool
    position: int
    matches: conditions.Predicate


#: Per database: (stamp of the rule table, enabled rules by (object, trigger)).
_compiled: dict[
    str, tuple[tuple[Any, ...], dict[tuple[str, str], list[CompiledRule]]]
] = {}
#: Per database: when the stamp was last read (monotonic seconds).
_checked: dict[str, float] = {}
#: How long a worker trusts its compiled rules before asking the table again.
RECHECK_SECONDS = 1.0


def forget_compiled() -> None:
    """Make this process read the rule table on the next event (after an edit)."""
    _checked.clear()


def _enabled_rules() -> dict[tuple[str, str], list[CompiledRule]]:
    """Every enabled rule, grouped and ordered; rebuilt only when rules change.

    One cheap query (count and latest edit of the rule table), at most once a
    second, tells whether the cached rules are still current, so a worker neither
    parses 200 rules' JSON nor asks the database for every event. A rule saved in
    another process applies to events from a second later; this process forgets
    at once.
    """
    key = str(db.engine.url)
    cached = _compiled.get(key)
    now = time.monotonic()
    if (
        cached is not None
        and now - _checked.get(key, -RECHECK_SECONDS) < RECHECK_SECONDS
    ):
        return cached[1]
    _checked[key] = now
    stamp = tuple(
        db.session.execute(
            db.select(
                db.func.count(AutomationRule.id), db.func.max(AutomationRule.updated_at)
            )
        ).one()
    )
    if cached is not None and cached[0] == stamp:
        return cached[1]
    grouped: dict[tuple[str, str], list[CompiledRule]] = {}
    for rule in db.session.scalars(
        db.select(AutomationRule)
        .where(AutomationRule.enabled.is_(True))
        .order_by(AutomationRule.position, AutomationRule.id)
    ):
        grouped.setdefault((rule.object, rule.trigger), []).append(
            CompiledRule(
                id=rule.id,
                name=rule.name,
                object=rule.object,
                trigger=rule.trigger,
                trigger_options=rule.trigger_options or {},
                conditions=rule.conditions or {},
                actions=rule.actions or [],
                stop_processing=rule.stop_processing,
                position=rule.position,
                matches=conditions.compile_conditions(rule.conditions or {}),
            )
        )
    _compiled[key] = (stamp, grouped)
    return grouped


def rules_for(obj: str, triggers: list[str]) -> list[CompiledRule]:
    """Enabled rules of ``obj`` for any of ``triggers``, in rule order."""
    grouped = _enabled_rules()
    if len(triggers) == 1:
        return grouped.get((obj, triggers[0]), [])
    wanted = [rule for t in triggers for rule in grouped.get((obj, t), [])]
    return sorted(wanted, key=lambda rule: (rule.position, rule.id))


def _status_fits(status_id: Any, targets: list[str]) -> bool:
    if not targets:
        return True
    status = db.session.get(Status, status_id) if status_id else None
    if status is None:
        return False
    return f"status:{status.id}" in targets or f"category:{status.category}" in targets


def trigger_fits(rule: CompiledRule, event: Event) -> bool:
    """Whether the rule's trigger and its options fit the event."""
    if rule.trigger not in event.triggers:
        return False
    options = rule.trigger_options or {}
    if rule.trigger == Trigger.STATUS_CHANGED.value:
        before, after = event.changes.get("status_id", (None, None))
        return _status_fits(before, options.get("from") or []) and _status_fits(
            after, options.get("to") or []
        )
    if rule.trigger in (Trigger.SLA_WARNING.value, Trigger.SLA_BREACHED.value):
        wanted = options.get("target") or "any"
        return wanted in ("any", event.target)
    return True


def subject_of(event: Event) -> conditions.Subject | None:
    """What the event's rules look at (None when it is gone)."""
    if event.time_entry_id is not None:
        entry = db.session.get(TimeEntry, event.time_entry_id)
        if entry is None:
            return None
        return conditions.Subject(item=entry.item, entry=entry)
    if event.item_id is not None:
        # One query for what conditions read most: the status and the requester.
        item = db.session.get(
            Item,
            event.item_id,
            options=[
                joinedload(Item.status),
                joinedload(Item.requester),
                # Custom values only when a condition asks (one query less).
                lazyload(Item.custom_values),
            ],
        )
        if item is None:
            return None
        text = None
        if event.message_id is not None:
            text = db.session.scalar(
                db.select(Message.body_text).where(Message.id == event.message_id)
            )
        return conditions.Subject(item=item, message_text=text or "")
    project = db.session.get(Project, event.project_id) if event.project_id else None
    return conditions.Subject(project=project) if project is not None else None


def _apply(rule: CompiledRule, subject: conditions.Subject) -> list[dict[str, Any]]:
    if subject.item is not None:
        plan = actions.plan_actions(subject.item, rule.actions, dry_run=False)
        return actions.apply_plan(plan)
    return actions.run_project_actions(subject.project, rule.actions)


def run_event(event: Event) -> list[dict[str, Any]]:
    """Evaluate and apply the event's rules in order; returns the logged runs.

    The runs are written with one multi-row INSERT at the end: with hundreds of
    rules, most of which do not match, that is most of the job's database work.
    """
    subject = subject_of(event)
    if subject is None:
        return []
    runs: list[dict[str, Any]] = []
    for rule in rules_for(event.object, event.triggers):
        if event.only_rule is not None and rule.id != event.only_rule:
            continue
        if rule.id in event.chain or not trigger_fits(rule, event):
            continue
        matched = rule.matches(subject)
        run = {
            "rule_id": rule.id,
            "rule_name": rule.name,
            "item_id": event.item_id,
            "project_id": event.project_id,
            "trigger": rule.trigger,
            "matched": matched,
            "depth": event.depth,
            "changes": [],
            "error": "",
            "created_at": utcnow(),
        }
        runs.append(run)
        if matched:
            run["changes"], run["error"] = _run_actions(rule, subject, event)
            subject = subject_of(event) or subject  # later rules see the new state
        if matched and rule.stop_processing:
            break
    if runs:
        db.session.execute(insert(AutomationRun), runs)
        db.session.commit()
    return runs


def _run_actions(
    rule: CompiledRule, subject: conditions.Subject, event: Event
) -> tuple[list[dict[str, Any]], str]:
    state = context.RunState(
        depth=event.depth + 1, chain=(*event.chain, rule.id), rule_name=rule.name
    )
    rule_id, rule_name = rule.id, rule.name
    try:
        with context.applying(state):
            return _apply(rule, subject), ""
    except DomainError as exc:
        db.session.rollback()
        return [], str(exc.message)
    except Exception as exc:  # a broken rule must not stop the ones after it
        db.session.rollback()
        logger.exception("Automation rule %s (%s) failed", rule_id, rule_name)
        return [], f"{type(exc).__name__}: {exc}"[:1000]


def loop_stopped(event: Event) -> None:
    """Log that a chain of rules was cut at MAX_DEPTH (nothing else happens)."""
    db.session.add(
        AutomationRun(
            rule_id=event.chain[-1] if event.chain else None,
            rule_name="",
            item_id=event.item_id,
            project_id=event.project_id,
            trigger=event.triggers[0],
            matched=False,
            depth=event.depth,
            changes=[],
            error=LOOP_ERROR,
        )
    )
    db.session.commit()


#: Stored on a run when a chain of rules is cut (translated when shown).
LOOP_ERROR = "rules kept triggering each other; stopped"


def _status_ids(obj: str, targets: list[str]) -> list[int]:
    status_ids = {int(t.split(":", 1)[1]) for t in targets if t.startswith("status:")}
    categories = [t.split(":", 1)[1] for t in targets if t.startswith("category:")]
    if categories:
        status_ids.update(
            db.session.scalars(
                db.select(Status.id)
                .join(ItemType, Status.item_type_id == ItemType.id)
                .where(ItemType.kind == obj, Status.category.in_(categories))
            )
        )
    return sorted(status_ids)


def due_items(rule: AutomationRule, now: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """Items that crossed the rule's threshold since its last run (indexed query).

    Uses ``ix_item_status_updated``: status in the chosen ones, last update at or
    before ``now - hours``, and after the rule's cursor.
    """
    options = rule.trigger_options or {}
    status_ids = _status_ids(rule.object, options.get("statuses") or [])
    if not status_ids:
        return []
    cutoff = now - dt.timedelta(hours=int(options.get("hours") or 1))
    query = db.select(Item.id, Item.updated_at).where(
        Item.status_id.in_(status_ids),
        Item.updated_at <= cutoff,
        Item.archived.is_(False),
    )
    if rule.time_cursor_at is not None:
        query = query.where(
            or_(
                Item.updated_at > rule.time_cursor_at,
                and_(
                    Item.updated_at == rule.time_cursor_at,
                    Item.id > rule.time_cursor_id,
                ),
            )
        )
    rows = db.session.execute(
        query.order_by(Item.updated_at, Item.id).limit(TIME_BATCH)
    ).all()
    return [(row.id, row.updated_at) for row in rows]


def run_time_rules(now: dt.datetime | None = None) -> int:
    """Run every enabled time-based rule on the items that became due; returns runs."""
    now = now or utcnow()
    count = 0
    rule_ids = db.session.scalars(
        db.select(AutomationRule.id)
        .where(
            AutomationRule.trigger == Trigger.TIME_BASED.value,
            AutomationRule.enabled.is_(True),
        )
        .order_by(AutomationRule.position, AutomationRule.id)
    ).all()
    for rule_id in rule_ids:
        rule = db.session.get(AutomationRule, rule_id)
        due = due_items(rule, now)
        for item_id, updated_at in due:
            run_event(
                Event(
                    object=rule.object,
                    triggers=[Trigger.TIME_BASED.value],
                    item_id=item_id,
                    only_rule=rule_id,
                )
            )
            count += 1
            rule = db.session.get(AutomationRule, rule_id)
            rule.time_cursor_at, rule.time_cursor_id = updated_at, item_id
            db.session.commit()
    return count
