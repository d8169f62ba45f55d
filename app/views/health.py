"""GET /health: is the database, Redis and at least one worker there?"""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.jobs import count_workers, redis_available
from app.services.health import database_state, summarize_health

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    """200 with the parts' states when all are fine, else 503 naming the failures."""
    redis_ok = redis_available()
    report = summarize_health(
        database=database_state(),
        redis="ok" if redis_ok else "unreachable",
        workers=count_workers() if redis_ok else 0,
    )
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if report["status"] == "ok" else 503
