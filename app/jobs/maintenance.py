"""Housekeeping jobs."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import delete

from app.extensions import db
from app.models import AutomationRun
from app.models.base import utcnow
from app.services import jobruns

logger = logging.getLogger(__name__)


def prune_job_runs() -> dict[str, int]:
    """Delete finished and failed job records older than the retention period."""
    days = int(current_app.config["JOB_RUN_RETENTION_DAYS"])
    deleted = jobruns.prune_job_runs(older_than_days=days)
    logger.info("Pruned %d job runs older than %d days", deleted, days)
    runs = prune_automation_runs(days)
    return {"deleted": deleted, "automation_runs": runs}


def prune_automation_runs(days: int) -> int:
    """Delete automation run records older than ``days`` days."""
    cutoff = utcnow() - dt.timedelta(days=days)
    deleted = db.session.execute(
        delete(AutomationRun).where(AutomationRun.created_at < cutoff)
    ).rowcount
    db.session.commit()
    return deleted
