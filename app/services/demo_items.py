"""Demo items made through the item services, so each has a real history."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, null, select, update

from app.extensions import db
from app.models import (
    RESOLVED_CATEGORIES,
    AtriumUser,
    Channel,
    Item,
    ItemEvent,
    Message,
)
from app.models.base import utcnow
from app.services.demo_content import (
    FIRST_REPLIES,
    ITEM_TEMPLATES,
    RESOLUTIONS,
    SCENARIO_TEAMS,
    ItemTemplate,
)
from app.services.demo_world import OrgInfo, World
from app.services.items import (
    assign_item,
    change_status,
    create_item,
    follow_item,
    update_item,
)
from app.services.messages import MessageDraft, add_message

TICKET_CHANNELS = (
    Channel.EMAIL.value,
    Channel.EMAIL.value,
    Channel.WEB_FORM.value,
    Channel.PORTAL.value,
    Channel.CHAT.value,
    Channel.PHONE.value,
)
#: Priorities 1..5: most items are normal, a few urgent.
PRIORITY_WEIGHTS = (1, 2, 4, 2, 1)
#: Items are spread over this many days, more of them recent.
MAX_AGE_DAYS = 365
#: Share of items whose assignment and status changes are replayed as history.
REPLAYED = 0.35


def _add_conversation(item_id: int, plan: ItemPlan) -> None:
    """The customer's first mail and, once someone worked on it, an agent's reply."""
    item = db.session.get(Item, item_id)
    if item.kind != "ticket" or item.requester is None:
        return
    channel = item.channel if item.channel != "agent" else "email"
    add_message(
        item,
        MessageDraft(body_text=item.description or item.title, channel=channel),
        author_user=None,
        author_customer=item.requester,
    )
    if plan.assign_team_id is not None or item.status.category != "new":
        reply = plan.resolution if item.is_resolved and plan.resolution else None
        add_message(
            item,
            MessageDraft(body_text=reply or FIRST_REPLIES.get(plan.language, "")),
            author_user=plan.worker,
            author_customer=None,
        )
    db.session.commit()


@dataclass(frozen=True)
class ItemPlan:
    """One demo item: how it is created and the history it then goes through."""

    actor: AtriumUser
    worker: AtriumUser
    kind: str
    fields: dict[str, Any]
    #: Replayed history: assign to the worker in this team, then walk these statuses.
    assign_team_id: int | None
    path: tuple[tuple[int, bool], ...]
    resolution: str
    created_at: dt.datetime
    language: str = "en"


def create_demo_items(world: World, count: int, rng: random.Random) -> int:
    """Create ``count`` items with histories, spread over the past year."""
    now = utcnow()
    with _kept_after_commit():
        created = [
            _create_item(world, plan_item(world, rng, now)) for _ in range(count)
        ]
    _backdate(created, rng, now)
    return len(created)


@contextmanager
def _kept_after_commit() -> Iterator[None]:
    """Keep loaded rows across the item services' many small commits."""
    # A quarter of the seeding time went into reloading the same users and items
    # after each commit; nothing but this session writes them in the meantime.
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous
        session.expire_all()


def plan_item(world: World, rng: random.Random, now: dt.datetime) -> ItemPlan:
    """Pick an organization, a matching template, people, a project and a history."""
    org = rng.choice(world.orgs)
    template = _pick_template(org, rng)
    item_type = world.types[template.type_name]
    team = world.teams[SCENARIO_TEAMS[org.scenario]]
    worker = world.user(rng.choice(team.member_ids))
    is_ticket = item_type.kind == "ticket"
    project_id, archived, requester_id = _place(world, org, is_ticket, rng)
    from_portal = requester_id == world.portal_customer_id
    created_at = now - dt.timedelta(days=rng.triangular(0.1, MAX_AGE_DAYS, 10))
    fields = {
        "title": template.title,
        "description": template.description,
        "item_type_id": item_type.id,
        "priority": rng.choices(range(1, 6), weights=PRIORITY_WEIGHTS)[0],
        "requester_id": requester_id,
        "organization_id": org.id,
        "project_id": project_id,
        "channel": rng.choice(TICKET_CHANNELS) if is_ticket else "agent",
        **_schedule(item_type.kind, created_at, rng),
    }
    statuses = item_type.statuses
    target = _target_status(statuses, rng, finish=archived)
    replay = target > 0 and not archived and (from_portal or rng.random() < REPLAYED)
    resolution = template.resolution or RESOLUTIONS[template.language]
    if not replay:
        fields |= _final_state(statuses[target], worker, team.id, resolution, rng)
        fields["archived"] = archived
    return ItemPlan(
        actor=world.portal_user if from_portal else worker,
        worker=worker,
        kind=item_type.kind,
        fields=fields,
        assign_team_id=team.id if replay else None,
        path=_walk(statuses, target, rng) if replay else (),
        resolution=resolution,
        created_at=created_at,
        language=template.language,
    )


def _place(
    world: World, org: OrgInfo, is_ticket: bool, rng: random.Random
) -> tuple[int | None, bool, int | None]:
    """Project (archived or not) and requester; every task is in a project."""
    project_id, archived = rng.choice(world.projects[org.scenario])
    if is_ticket and rng.random() < 0.6:
        project_id, archived = None, False
    requester_id = rng.choice(org.customer_ids) if is_ticket else None
    return project_id, archived, requester_id


def _pick_template(org: OrgInfo, rng: random.Random) -> ItemTemplate:
    scenario = [t for t in ITEM_TEMPLATES if t.scenario == org.scenario]
    same_language = [t for t in scenario if t.language == org.language]
    return rng.choice(same_language or scenario)


def _schedule(kind: str, created: dt.datetime, rng: random.Random) -> dict[str, Any]:
    """Planning fields: tasks get planned dates and points, some tickets a due time."""
    if kind == "ticket":
        due = created + dt.timedelta(days=rng.randint(1, 7))
        return {"due_at": due if rng.random() < 0.4 else None}
    start = created.date() + dt.timedelta(days=rng.randint(0, 10))
    return {
        "planned_start": start,
        "planned_end": start + dt.timedelta(days=rng.randint(1, 20)),
        "points": rng.choice((1, 2, 3, 5, 8, 13)),
        "estimate_minutes": rng.choice((30, 60, 120, 240, 480)),
    }


def _target_status(
    statuses: tuple[tuple[int, str], ...], rng: random.Random, *, finish: bool
) -> int:
    """The workflow position an item ends in: ends are likelier than the middle."""
    last = len(statuses) - 1
    if finish or last == 0:
        return last
    return rng.choices(range(last + 1), weights=[3] + [2] * (last - 1) + [3])[0]


def _final_state(
    status: tuple[int, str],
    worker: AtriumUser,
    team_id: int,
    resolution: str,
    rng: random.Random,
) -> dict[str, Any]:
    """Fields of an item created straight in its final status (no replayed history)."""
    status_id, category = status
    assigned = category != "new" or rng.random() < 0.5
    return {
        "status_id": status_id,
        "assignee_id": worker.id if assigned else None,
        "team_id": team_id if assigned else None,
        "resolution": resolution if category in RESOLVED_CATEGORIES else "",
    }


def _walk(
    statuses: tuple[tuple[int, str], ...], target: int, rng: random.Random
) -> tuple[tuple[int, bool], ...]:
    """The statuses a replayed item moves through: (id, resolved) pairs."""
    steps = statuses[1 : target + 1]
    if rng.random() < 0.5:
        steps = steps[-1:]
    return tuple(
        (status_id, category in RESOLVED_CATEGORIES) for status_id, category in steps
    )


def _create_item(world: World, plan: ItemPlan) -> tuple[int, dt.datetime]:
    """Create one planned item and replay its history through the services."""
    item_id = create_item(plan.actor, kind=plan.kind, **plan.fields).id
    worker = plan.worker
    if plan.assign_team_id is not None:
        assign_item(item_id, worker, assignee_id=worker.id, team_id=plan.assign_team_id)
    resolution = plan.resolution
    for status_id, resolved in plan.path:
        if resolved and resolution:
            changes = {"status_id": status_id, "resolution": resolution}
            update_item(item_id, worker, changes)
            resolution = ""
        else:
            change_status(item_id, status_id, worker)
    if plan.fields["priority"] == 5:
        follow_item(item_id, world.users["manager"])
    _add_conversation(item_id, plan)
    return item_id, plan.created_at


def _backdate(
    created: list[tuple[int, dt.datetime]], rng: random.Random, now: dt.datetime
) -> None:
    """Spread each item's history from its planned creation time towards now."""
    events: dict[int, list[int]] = defaultdict(list)
    for event_id, item_id in db.session.execute(
        select(ItemEvent.id, ItemEvent.item_id).order_by(ItemEvent.id)
    ):
        events[item_id].append(event_id)
    item_rows, event_rows = [], []
    for item_id, start in created:
        ids = events[item_id]
        span = (now - start) * rng.uniform(0.02, 0.6)
        step = span / max(len(ids) - 1, 1)
        stamps = [start + step * position for position in range(len(ids))]
        event_rows += [
            {"b_id": i, "b_at": at} for i, at in zip(ids, stamps, strict=True)
        ]
        item_rows.append(
            {
                "b_id": item_id,
                "b_start": start,
                "b_first": stamps[1] if len(stamps) > 1 else start + span / 4,
                "b_end": start + span,
            }
        )
    _apply_backdating(item_rows, event_rows)


def _apply_backdating(item_rows: list[dict], event_rows: list[dict]) -> None:
    items, events = Item.__table__, ItemEvent.__table__

    def when_set(column, param: str):
        return case((column.is_(None), null()), else_=bindparam(param))

    db.session.execute(
        update(items)
        .where(items.c.id == bindparam("b_id"))
        .values(
            created_at=bindparam("b_start"),
            updated_at=bindparam("b_end"),
            first_response_at=when_set(items.c.first_response_at, "b_first"),
            resolved_at=when_set(items.c.resolved_at, "b_end"),
            closed_at=when_set(items.c.closed_at, "b_end"),
        ),
        item_rows,
    )
    db.session.execute(
        update(events)
        .where(events.c.id == bindparam("b_id"))
        .values(created_at=bindparam("b_at")),
        event_rows,
    )
    messages = Message.__table__
    for author, moment in (
        ("author_customer_id", "b_start"),
        ("author_user_id", "b_first"),
    ):
        db.session.execute(
            update(messages)
            .where(
                messages.c.item_id == bindparam("b_id"),
                messages.c[author].is_not(None),
            )
            .values(created_at=bindparam(moment)),
            item_rows,
        )
    db.session.commit()
