"""Workflow automation: rules stored as data, run by a background job.

The functions here are the hooks services call once a change is committed; each
queues an event job only when some enabled rule could care about it, so a desk
without rules never pays for them. The job (``app.jobs.automation``) does the
work; see :mod:`.engine`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import g

from app.extensions import db
from app.models import AutomationRule, RuleObject, Trigger

#: Item columns whose old and new values the rules need (status from/to).
CARRIED_CHANGES = ("status_id",)


def _wanted() -> set[tuple[str, str]]:
    """(object, trigger) pairs with an enabled rule, read once per request or job."""
    cached = g.get("_atrium_automation_wanted")
    if cached is None:
        cached = {
            (obj, trigger)
            for obj, trigger in db.session.execute(
                db.select(AutomationRule.object, AutomationRule.trigger)
                .where(AutomationRule.enabled.is_(True))
                .distinct()
            )
        }
        g._atrium_automation_wanted = cached
    return cached


def forget_rules() -> None:
    """Drop this request's and this process's cached rules after rules were edited."""
    from app.services.automation import engine

    g.pop("_atrium_automation_wanted", None)
    engine.forget_compiled()


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _queue(obj: str, triggers: list[str], job_key: str, **event: Any) -> None:
    from app.services.automation import context, engine

    wanted = _wanted()
    triggers = [t for t in triggers if (obj, t) in wanted]
    if not triggers:
        return
    state = context.current()
    depth = state.depth if state is not None else 0
    chain = list(state.chain) if state is not None else []
    full = engine.Event(
        object=obj, triggers=triggers, depth=depth, chain=chain, **event
    )
    if depth >= engine.MAX_DEPTH:
        engine.loop_stopped(full)
        return
    from app.jobs import enqueue
    from app.jobs.automation import run_automation_event

    enqueue(
        run_automation_event,
        job_id=f"automation-{job_key}-d{depth}",
        object=obj,
        triggers=triggers,
        depth=depth,
        chain=chain,
        **event,
    )


def item_saved(
    item: Any, *, created: bool, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Queue the rules an item's creation or committed edit may trigger."""
    if created:
        triggers = [Trigger.CREATED.value]
    else:
        triggers = [Trigger.UPDATED.value]
        if "status_id" in changes:
            triggers.append(Trigger.STATUS_CHANGED.value)
    carried = {
        column: [_jsonable(v) for v in changes[column]]
        for column in CARRIED_CHANGES
        if column in changes
    }
    _queue(
        item.kind,
        triggers,
        f"item-{item.id}-v{item.version}",
        item_id=item.id,
        changes=carried,
    )


def message_added(message: Any) -> None:
    """Queue the rules a committed public reply may trigger.

    Internal notes, automatic mail (out-of-office, bounces) and the automation's
    own replies trigger nothing.
    """
    if not message.is_public or message.automatic:
        return
    if message.author_customer_id is not None:
        trigger = Trigger.CUSTOMER_REPLIED.value
    elif message.author_user is not None and not message.author_user.is_system:
        from app.services.access import is_staff

        if not is_staff(message.author_user):
            return
        trigger = Trigger.AGENT_REPLIED.value
    else:
        return
    item = message.item
    _queue(
        item.kind,
        [trigger],
        f"message-{message.id}",
        item_id=item.id,
        message_id=message.id,
    )


def mail_stored(item_id: int | None, message_id: int | None, *, created: bool) -> None:
    """Queue the rules a stored inbound mail may trigger."""
    from app.models import Item, Message

    if item_id is None:
        return
    if created:
        item = db.session.get(Item, item_id)
        if item is not None:
            item_saved(item, created=True, changes={})
        return
    message = db.session.get(Message, message_id) if message_id else None
    if message is not None:
        message_added(message)


def sla_event(item_id: int, trigger: str, target: str) -> None:
    """Queue the rules an SLA warning or breach triggers (``target``: which clock)."""
    from app.models import Item

    item = db.session.get(Item, item_id)
    if item is None:
        return
    _queue(
        item.kind,
        [trigger],
        f"sla-{item_id}-{trigger}-{target}-{uuid.uuid4().hex[:8]}",
        item_id=item_id,
        target=target,
    )


def _saved(obj: str, row_id: int, *, created: bool, **event: Any) -> None:
    trigger = Trigger.CREATED.value if created else Trigger.UPDATED.value
    _queue(obj, [trigger], f"{obj}-{row_id}-{trigger}-{uuid.uuid4().hex[:8]}", **event)


def project_saved(project: Any, *, created: bool) -> None:
    """Queue the rules a project's creation or edit may trigger."""
    _saved(RuleObject.PROJECT.value, project.id, created=created, project_id=project.id)


def time_entry_saved(entry: Any, *, created: bool) -> None:
    """Queue the rules logging (or correcting) time may trigger."""
    _saved(
        RuleObject.TIME_ENTRY.value,
        entry.id,
        created=created,
        item_id=entry.item_id,
        time_entry_id=entry.id,
    )
