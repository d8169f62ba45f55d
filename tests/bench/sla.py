"""The SLA scan at volume: a million items, their next checks spread over a month.

Run through ``python -m tests.bench.run --only sla [--sla-items N] [--db ...]``.
Times the scan's select of due items (what runs every minute, by the index
ix_item_sla_next_check) and a whole scan of the ~100 items that are due.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The issue's target for one scan, in seconds.
SCAN_TARGET_SECONDS = 1.0
#: Next checks are spread over this much time ahead.
SPREAD = dt.timedelta(days=30)
ROUNDS = 20


def sla_row(row: dict[str, Any], check: dt.datetime, policy_id: int) -> dict[str, Any]:
    """A bulk item row with a running clock whose next check is ``check``."""
    return {
        **row,
        "sla_policy_id": policy_id,
        "sla_policy_pinned": False,
        "sla_paused_at": None,
        "sla_paused_seconds": 0,
        "sla_next_check_at": check,
        "sla_first_response_due": check + dt.timedelta(hours=1),
        "sla_resolution_due": check + dt.timedelta(days=3),
        "sla_first_response_warned": False,
        "sla_resolution_warned": False,
    }


def _due_now(row: dict[str, Any], open_status: dict[int, int], now: dt.datetime):
    """Make a bulk row an open, unanswered item created five hours ago."""
    row.update(
        status_id=open_status[row["item_type_id"]],
        created_at=now - dt.timedelta(hours=5),
        updated_at=now - dt.timedelta(hours=5),
        first_response_at=None,
        resolved_at=None,
        closed_at=None,
    )
    return row


def fill_items(count: int, due_now: int, now: dt.datetime, batch: int = 20_000) -> int:
    """Insert ``count`` bulk items on the Standard SLA, ``due_now`` of them due."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import Item, SlaPolicy
    from app.services.demo_bulk import bulk_pool, bulk_row

    pool = bulk_pool()
    policy_id = db.session.scalar(
        select(SlaPolicy.id).where(SlaPolicy.name == "Standard SLA")
    )
    open_status = {
        info.id: next(s for s, category in info.statuses if category == "open")
        for info in pool.types
    }
    rng = random.Random(20_261_123)
    spread = int(SPREAD.total_seconds())
    added = 0
    while added < count:
        rows = []
        for position in range(added, min(added + batch, count)):
            row = bulk_row(pool, rng, now)
            if position < due_now:
                check = now - dt.timedelta(seconds=rng.randrange(1, 300))
                row = _due_now(row, open_status, now)
            else:
                check = now + dt.timedelta(seconds=rng.randrange(60, spread))
            rows.append(sla_row(row, check, policy_id))
        db.session.execute(insert(Item.__table__), rows)
        db.session.commit()
        added += len(rows)
    return added


def _plan(statement) -> str:
    from sqlalchemy import text

    from app.extensions import db

    dialect = db.engine.dialect
    sql = str(
        statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    )
    prefix = "EXPLAIN " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = db.session.execute(text(prefix + sql)).all()
    db.session.rollback()
    return " | ".join(str(row[-1]) for row in rows)


def _time_select(now: dt.datetime) -> tuple[float, float, int]:
    """(p50 ms, max ms, rows) of the scan's select over ROUNDS runs."""
    from app.extensions import db
    from app.services import sla

    durations, found = [], 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        found = len(db.session.scalars(sla.due_for_check(now, 1000)).all())
        durations.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(durations), max(durations), found


def _time_scans(now: dt.datetime, rounds: int = 3) -> tuple[list[float], int]:
    """Seconds of whole scans of the due items, each time made due again."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Item
    from app.services import sla

    ids = list(db.session.scalars(sla.due_for_check(now, 1000)))
    seconds, events = [], 0
    for _ in range(rounds):
        db.session.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id.in_(ids))
            .values(
                sla_next_check_at=now - dt.timedelta(minutes=1),
                sla_first_response_warned=False,
                sla_first_response_breached=False,
                sla_resolution_warned=False,
                sla_resolution_breached=False,
            )
        )
        db.session.commit()
        started = time.perf_counter()
        events = len(sla.scan(now))
        seconds.append(time.perf_counter() - started)
    return seconds, events


def run_sla(
    database_url: str,
    label: str,
    report: Callable[[str], None],
    *,
    items: int = 1_000_000,
    due_now: int = 100,
) -> None:
    """Fill the database with SLA items, then time the scan; prints the figures."""
    from tests.bench.run import _build_app, _prepare

    with tempfile.TemporaryDirectory(prefix="atrium-bench-sla-") as instance:
        app = _build_app(database_url, Path(instance))
        _prepare(app, 0)  # migrations, roles, the demo world and its SLA policies
        with app.app_context():
            _fill_and_time(app, label, report, items, due_now)


def _fill_and_time(app, label, report, items: int, due_now: int) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Item
    from app.models.base import utcnow
    from app.services import sla

    now = utcnow()
    started = time.perf_counter()
    fill_items(items, due_now, now)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE item")
    filled = time.perf_counter() - started
    total = db.session.scalar(select(func.count(Item.id)))
    report(f"\n{label}: SLA scan over {total:,} items (fill {filled:.0f}s)")
    report(f"plan: {_plan(sla.due_for_check(now, 1000))}")
    p50, worst, found = _time_select(now)
    name = f"scan select, {found} due"
    report(f"{name:34} p50 {p50:7.1f} ms  max {worst:7.1f} ms")
    seconds, events = _time_scans(now)
    best, last = min(seconds), max(seconds)
    verdict = "met" if last < SCAN_TARGET_SECONDS else "MISSED"
    report(
        f"{'whole scan of ' + str(found) + ' due items':34} "
        f"best {best * 1000:7.1f} ms  worst {last * 1000:7.1f} ms  ({events} events)"
    )
    p50, worst, found = _time_select(utcnow())
    name = f"scan select a minute later, {found} due"
    report(f"{name:34} p50 {p50:7.1f} ms  max {worst:7.1f} ms")
    report(f"target: a scan under {SCAN_TARGET_SECONDS:.0f} s {verdict}")
