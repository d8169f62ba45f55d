"""Demo data: the seed documents' world for an empty desk, and bulk items for volume.

The world (demo_world), its items (demo_items, made through the item services so each
has a history) and bulk rows (demo_bulk) live in their own modules; the tables they
draw from are in demo_content.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    Customer,
    Item,
    ItemEvent,
    ItemType,
    Message,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
)
from app.models.base import utcnow
from app.services import notifications
from app.services.demo_automation import seed_demo_rules
from app.services.demo_bulk import bulk_pool, bulk_row, insert_items_with_events
from app.services.demo_items import create_demo_items
from app.services.demo_sla import ensure_demo_sla, settle_demo_clocks
from app.services.demo_world import build_world

logger = logging.getLogger(__name__)

#: The random seed: the same demo world on every machine.
DEMO_SEED = 20_240_611
DEFAULT_ITEMS = 300
COUNTED_MODELS = {
    "users": AtriumUser,
    "teams": Team,
    "organizations": Organization,
    "customers": Customer,
    "item_types": ItemType,
    "statuses": Status,
    "portfolios": Portfolio,
    "projects": Project,
    "items": Item,
    "events": ItemEvent,
    "messages": Message,
}


@dataclass(frozen=True)
class DemoPassword:
    """The demo users' password and, unless it came from DEMO_PASSWORD, its file."""

    value: str
    path: Path | None


def demo_items_exist() -> bool:
    """Whether the desk already has items (demo data only goes into an empty one)."""
    return db.session.scalar(select(Item.id).limit(1)) is not None


def seed_demo(*, password: str, items: int = DEFAULT_ITEMS) -> dict[str, Any]:
    """Build the seed documents' world with ``items`` items; skipped if items exist."""
    if demo_items_exist():
        return {"skipped": True}
    with notifications.muted():  # demo customers must not be mailed
        world = build_world(password)
        ensure_demo_sla()
        created = create_demo_items(world, items, random.Random(DEMO_SEED))
        settle_demo_clocks()
        seed_demo_rules()
    logger.info("Demo data created with %d items", created)
    return {"skipped": False, **demo_counts()}


def demo_counts() -> dict[str, int]:
    """How many rows of each demo-relevant kind the database holds."""
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in COUNTED_MODELS.items()
    }


def seed_bulk_items(count: int, *, batch: int = 10_000) -> int:
    """Add ``count`` generated items, each with a "created" event, by bulk inserts."""
    if count < 0 or batch < 1:
        raise InvalidInputError(field="count" if count < 0 else "batch")
    pool = bulk_pool()
    type_names = {info.id: info.name for info in pool.types}
    last_id = db.session.scalar(select(func.coalesce(func.max(Item.id), 0)))
    rng = random.Random(DEMO_SEED + last_id)
    now = utcnow()
    added = 0
    while added < count:
        size = min(batch, count - added)
        rows = [bulk_row(pool, rng, now) for _ in range(size)]
        insert_items_with_events(rows, type_names)
        db.session.commit()
        added += size
    logger.info("Added %d bulk demo items", added)
    return added


def demo_password_file() -> Path:
    """Where a generated demo password is kept (mode 0600)."""
    return Path(current_app.instance_path) / "demo-password"


def demo_password() -> DemoPassword:
    """DEMO_PASSWORD when set, else the one kept in the instance (generated once)."""
    configured = current_app.config.get("DEMO_PASSWORD") or ""
    if configured:
        return DemoPassword(configured, None)
    path = demo_password_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(12) + "\n")
    return DemoPassword(path.read_text().strip(), path)
