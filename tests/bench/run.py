"""`make bench`: page and API timings on a large desk, SQLite then PostgreSQL.

Usage: python -m tests.bench.run [--items N] [--db sqlite|postgres|both]
Prints p50/p95 (ms) and the SQL query count of each measured request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

ROUNDS = 30
BENCH_PASSWORD = "bench-password-123"


def _build_app(database_url: str, instance: Path):
    from app import create_app
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url
        INSTANCE_DIR = str(instance)
        SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        AUTH_RATE_LIMITED = False
        ADMIN_PASSWORD = BENCH_PASSWORD
        RQ_ASYNC = False

    return create_app(BenchConfig)


def _prepare(app, items: int) -> dict:
    from flask_migrate import upgrade

    from app import MIGRATIONS_DIR
    from app.extensions import db
    from app.models import Item, Organization, Status
    from app.services.demo import seed_bulk_items, seed_demo
    from app.services.roles import sync_permissions_and_roles
    from app.services.users import ensure_admin

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        sync_permissions_and_roles()
        ensure_admin()
        seed_demo(password=BENCH_PASSWORD)
        existing = db.session.scalar(db.select(db.func.count(Item.id)))
        started = time.perf_counter()
        seed_bulk_items(max(0, items - existing))
        seeded = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        return {
            "seed_seconds": seeded,
            "items": db.session.scalar(db.select(db.func.count(Item.id))),
            "status_id": db.session.scalar(
                db.select(Status.id).where(Status.category == "open").limit(1)
            ),
            "organization_id": db.session.scalar(db.select(Organization.id).limit(1)),
            "item_id": db.session.scalar(
                db.select(db.func.max(Item.id)).where(Item.kind == "ticket")
            ),
        }


def _measure(app, client, path: str) -> tuple[float, float, int]:
    from app.extensions import db

    durations = []
    counts = []
    statements: list[str] = []

    def record(*args, **_kwargs):
        statements.append(args[2])

    for _ in range(ROUNDS):
        statements.clear()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            started = time.perf_counter()
            response = client.get(path)
            durations.append((time.perf_counter() - started) * 1000)
            event.remove(db.engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        counts.append(len(statements))
    durations.sort()
    p95 = durations[int(len(durations) * 0.95) - 1]
    return statistics.median(durations), p95, max(counts)


def _scenarios(facts: dict) -> list[tuple[str, str]]:
    import prison

    status_filter = f"_flt_0_status={facts['status_id']}"
    org_filter = f"_flt_0_organization={facts['organization_id']}"
    search = prison.dumps(
        {"filters": [{"col": "title", "opr": "ct", "value": "filter"}]}
    )
    return [
        ("ticket list, first page", "/tickets/list/"),
        ("ticket list, by status", f"/tickets/list/?{status_filter}"),
        ("ticket list, by organization", f"/tickets/list/?{org_filter}"),
        ("item show page", f"/tickets/show/{facts['item_id']}"),
        ("REST list", "/api/v1/ticket/"),
        ("text search (REST)", f"/api/v1/ticket/?q={search}"),
    ]


def run(
    database_url: str, label: str, items: int, report: Callable[[str], None]
) -> None:
    """Seed, then time every scenario on one database."""
    with tempfile.TemporaryDirectory(prefix="atrium-bench-") as instance:
        app = _build_app(database_url, Path(instance))
        facts = _prepare(app, items)
        seconds = facts["seed_seconds"]
        report(f"\n{label}: {facts['items']:,} items (bulk seed {seconds:.1f}s)")
        client = app.test_client()
        client.post("/login/", data={"username": "admin", "password": BENCH_PASSWORD})
        report(f"{'scenario':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for name, path in _scenarios(facts):
            p50, p95, queries = _measure(app, client, path)
            report(f"{name:34} {p50:8.1f} {p95:8.1f} {queries:8d}")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--items", type=int, default=int(os.environ.get("BENCH_ITEMS", "100000"))
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="atrium-bench-db-") as folder:
            # The demo desk alone first: the query counts must not grow with size.
            run(f"sqlite:///{folder}/small.db", "SQLite, demo desk", 0, print)
            run(f"sqlite:///{folder}/bench.db", "SQLite", args.items, print)
    if args.db in ("postgres", "both"):
        from tests.pg import TemporaryPostgres

        cluster = TemporaryPostgres()
        try:
            run(cluster.start(), "PostgreSQL 15", args.items, print)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
