"""Housekeeping jobs."""

from __future__ import annotations

import logging

from flask import current_app

from app.services import jobruns

logger = logging.getLogger(__name__)


def prune_job_runs() -> dict[str, int]:
    """Delete finished and failed job records older than the retention period."""
    days = int(current_app.config["JOB_RUN_RETENTION_DAYS"])
    deleted = jobruns.prune_job_runs(older_than_days=days)
    logger.info("Pruned %d job runs older than %d days", deleted, days)
    return {"deleted": deleted}
