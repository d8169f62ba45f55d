"""Mail jobs: send one outbox row, poll mailboxes, hand the outbox to the queue."""

from __future__ import annotations

import logging

from sqlalchemy import or_

from app.extensions import db
from app.jobs import enqueue
from app.models import JobRun, JobStatus
from app.services import mailboxes, outbox

logger = logging.getLogger(__name__)


def send_outbound_email(outbound_id: int) -> dict[str, str]:
    """Send outbox row ``outbound_id`` (a no-op once it is sent or failed)."""
    status = outbox.send_outbound(outbound_id)
    logger.info("Outbound mail %s: %s", outbound_id, status)
    return {"status": status}


def dispatch_outbox(limit: int = 500) -> int:
    """Queue a send job for every outbox row that is due; returns how many."""
    due = outbox.sendable_ids(limit)
    for outbound_id, attempts in due:
        enqueue(
            send_outbound_email,
            outbound_id,
            job_id=_send_job_id(outbound_id, attempts),
        )
    return len(due)


def _send_job_id(outbound_id: int, attempts: int) -> str:
    """mail-<id>-<attempts>, with a new suffix for each run of it that failed.

    A run that fails before it claims the row (the database was locked or gone)
    leaves the row due with the same attempts: reusing the failed run's id would
    keep that mail from ever being sent.
    """
    base = f"mail-{outbound_id}-{attempts}"
    failed = db.session.scalar(
        db.select(db.func.count(JobRun.id)).where(
            JobRun.status == JobStatus.FAILED.value,
            or_(JobRun.job_id == base, JobRun.job_id.like(f"{base}-r%")),
        )
    )
    return f"{base}-r{failed}" if failed else base


def flush_outbox() -> dict[str, int]:
    """Periodic sweep: queue mail whose back-off is over or whose send never started.

    Send jobs recorded while Redis was away are handed over by the scheduler's
    flush_pending_jobs; this sweep covers rows that never got a job at all.
    """
    return {"queued": dispatch_outbox()}


def poll_mailbox(mailbox_id: int) -> dict[str, object]:
    """Fetch and ingest new mail of one mailbox, then send what it caused."""
    result = mailboxes.poll_mailbox(mailbox_id)
    dispatch_outbox()
    return result.as_dict()


def poll_mailboxes() -> dict[str, int]:
    """Periodic: one poll job per enabled mailbox (never two at once for one)."""
    ids = mailboxes.enabled_mailbox_ids()
    for mailbox_id in ids:
        run = enqueue(
            poll_mailbox,
            mailbox_id,
            job_id=f"poll-mailbox-{mailbox_id}-{_minute_slot()}",
        )
        db.session.expire(run)
    return {"mailboxes": len(ids)}


def _minute_slot() -> str:
    from app.models.base import utcnow

    return utcnow().strftime("%Y%m%dT%H%M")
