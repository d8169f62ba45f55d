"""Bulk demo items: plain rows drawn from the demo world, for volume tests."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    NUMBER_PREFIX,
    RESOLVED_CATEGORIES,
    Customer,
    Item,
    ItemEvent,
    Project,
    Team,
)
from app.services.demo_content import ITEM_TEMPLATES, ITEM_TYPES
from app.services.demo_items import MAX_AGE_DAYS, PRIORITY_WEIGHTS, TICKET_CHANNELS
from app.services.demo_world import TypeInfo, type_infos

#: Every other column of a bulk item: executemany needs the same keys in each row.
BULK_DEFAULTS: dict[str, Any] = {
    "parent_id": None,
    "due_at": None,
    "planned_start": None,
    "planned_end": None,
    "points": None,
    "estimate_minutes": None,
    "sla_first_response_due": None,
    "sla_resolution_due": None,
    "sla_first_response_breached": False,
    "sla_resolution_breached": False,
    "resolution": "",
    "archived": False,
    "version": 1,
}


@dataclass(frozen=True)
class BulkPool:
    """Existing rows that bulk items are drawn from."""

    types: tuple[TypeInfo, ...]
    texts: dict[int, tuple[tuple[str, str], ...]]
    customers: tuple[tuple[int, int | None], ...]
    teams: tuple[tuple[int, tuple[int, ...]], ...]
    projects: tuple[int, ...]
    creator_id: int | None


def bulk_pool() -> BulkPool:
    """Types, customers, teams and projects to draw from; refuses an empty desk."""
    types = tuple(type_infos())
    customers = tuple(
        (customer_id, organization_id)
        for customer_id, organization_id in db.session.execute(
            select(Customer.id, Customer.organization_id).order_by(Customer.id)
        )
    )
    if not types or not customers:
        raise InvalidInputError(
            _l("There is no demo data to add to yet: run flask seed-demo first.")
        )
    teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    projects = select(Project.id).where(Project.archived.is_(False))
    return BulkPool(
        types=types,
        texts={info.id: _texts_for(info) for info in types},
        customers=customers,
        teams=tuple((t.id, tuple(sorted(u.id for u in t.members))) for t in teams),
        projects=tuple(db.session.scalars(projects.order_by(Project.id))),
        creator_id=db.session.scalar(select(Item.created_by_id).limit(1)),
    )


def _texts_for(info: TypeInfo) -> tuple[tuple[str, str], ...]:
    kinds = {spec.name: spec.kind for spec in ITEM_TYPES}
    same_type = [t for t in ITEM_TEMPLATES if t.type_name == info.name]
    same_kind = [t for t in ITEM_TEMPLATES if kinds[t.type_name] == info.kind]
    return tuple((t.title, t.description) for t in same_type or same_kind)


def bulk_row(pool: BulkPool, rng: random.Random, now: dt.datetime) -> dict[str, Any]:
    """One item row with every NOT NULL column set."""
    item_type = rng.choice(pool.types)
    status_id, category = rng.choice(item_type.statuses)
    requester_id, organization_id = rng.choice(pool.customers)
    team_id, members = rng.choice(pool.teams) if pool.teams else (None, ())
    assignee_id = rng.choice(members) if members and category != "new" else None
    created = now - dt.timedelta(seconds=rng.randrange(MAX_AGE_DAYS * 86_400))
    updated = created + (now - created) * (rng.random() * 0.5)
    is_ticket = item_type.kind == "ticket"
    in_project = pool.projects and (not is_ticket or rng.random() < 0.3)
    title, description = rng.choice(pool.texts[item_type.id])
    return {
        **BULK_DEFAULTS,
        "kind": item_type.kind,
        "title": title,
        "description": description,
        "item_type_id": item_type.id,
        "status_id": status_id,
        "priority": rng.choices(range(1, 6), weights=PRIORITY_WEIGHTS)[0],
        "requester_id": requester_id if is_ticket else None,
        "organization_id": organization_id,
        "project_id": rng.choice(pool.projects) if in_project else None,
        "assignee_id": assignee_id,
        "team_id": team_id,
        "channel": rng.choice(TICKET_CHANNELS) if is_ticket else "agent",
        "first_response_at": updated if category != "new" else None,
        "resolved_at": updated if category in RESOLVED_CATEGORIES else None,
        "closed_at": updated if category == "closed" else None,
        "created_by_id": assignee_id or pool.creator_id,
        "created_at": created,
        "updated_at": updated,
    }


def insert_items_with_events(
    rows: list[dict[str, Any]], type_names: dict[int, str]
) -> None:
    """Insert item rows and one "created" event each, in two bulk statements."""
    items = Item.__table__
    # RETURNING the event's columns, not just ids: rows may come back in any order,
    # and asking for parameter order makes SQLite insert one row per statement.
    inserted = db.session.execute(
        insert(items).returning(
            items.c.id,
            items.c.kind,
            items.c.item_type_id,
            items.c.created_by_id,
            items.c.created_at,
        ),
        rows,
    )
    events = [
        {
            "item_id": item_id,
            "actor_id": actor_id,
            "kind": "created",
            "data": {
                "number": f"{NUMBER_PREFIX[kind]}-{item_id}",
                "type": type_names[type_id],
            },
            "created_at": created_at,
        }
        for item_id, kind, type_id, actor_id, created_at in inserted
    ]
    db.session.execute(insert(ItemEvent.__table__), events)
