"""Health of the parts Atrium depends on."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

logger = logging.getLogger(__name__)


def database_state() -> str:
    """ "ok" when the database answers a trivial query, else "unreachable"."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("Health check: database unreachable")
        db.session.rollback()
        return "unreachable"
    return "ok"


def summarize_health(database: str, redis: str, workers: int) -> dict[str, Any]:
    """A health report that names every failing part."""
    failing = [
        name
        for name, state in (("database", database), ("redis", redis))
        if state != "ok"
    ]
    if workers < 1:
        failing.append("workers")
    return {
        "status": "fail" if failing else "ok",
        "database": database,
        "redis": redis,
        "workers": workers,
        "failing": failing,
    }
