"""Background job records: listing scope and pruning."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.models import JobRun, JobStatus
from app.models.base import utcnow


def prune_job_runs(*, older_than_days: int) -> int:
    """Delete finished or failed job records older than ``older_than_days``."""
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    result = db.session.execute(
        db.delete(JobRun).where(
            JobRun.status.in_([JobStatus.FINISHED.value, JobStatus.FAILED.value]),
            JobRun.created_at < cutoff,
        )
    )
    db.session.commit()
    return result.rowcount or 0


def count_stale_pending_jobs(older_than_seconds: int = 120) -> int:
    """How many jobs have waited for Redis (the outbox) longer than a moment."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    return db.session.scalar(
        db.select(db.func.count(JobRun.id)).where(
            JobRun.status == JobStatus.PENDING.value, JobRun.created_at < cutoff
        )
    )
