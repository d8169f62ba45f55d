"""The periodic-job loop behind `flask scheduler`."""

from __future__ import annotations

import logging
import threading

from app.jobs import enqueue, flush_pending_jobs
from app.jobs.runner import resolve_job_function
from app.jobs.schedule import SCHEDULE, PeriodicJob
from app.models.base import utcnow

logger = logging.getLogger(__name__)


def enqueue_due_jobs(
    schedule: tuple[PeriodicJob, ...], last_slots: dict[str, object]
) -> list[str]:
    """Enqueue every periodic job whose latest slot has not been enqueued yet."""
    now = utcnow()
    enqueued = []
    for job in schedule:
        slot = job.last_slot(now)
        if last_slots.get(job.name) == slot:
            continue
        run = enqueue(
            resolve_job_function(job.func), job_id=job.job_id(slot), title=job.name
        )
        last_slots[job.name] = slot
        enqueued.append(run.job_id)
    return enqueued


def run_scheduler(stop: threading.Event, tick_seconds: float = 15.0) -> None:
    """Until ``stop`` is set: hand over pending jobs and enqueue due periodic jobs."""
    last_slots: dict[str, object] = {}
    logger.info("Scheduler started with %d periodic jobs", len(SCHEDULE))
    while not stop.is_set():
        try:
            flushed = flush_pending_jobs()
            if flushed:
                logger.info("Handed %d pending jobs to Redis", flushed)
            for job_id in enqueue_due_jobs(SCHEDULE, last_slots):
                logger.info("Enqueued %s", job_id)
        except Exception:
            logger.exception("Scheduler tick failed; trying again next tick")
            from app.extensions import db

            db.session.rollback()
        stop.wait(tick_seconds)
    logger.info("Scheduler stopped")
