"""The one door to the background queue.

Every background job is recorded as a :class:`~app.models.JobRun` row first and then
handed to RQ. When Redis is unreachable the row stays ``pending`` (an outbox) and the
scheduler hands it over once Redis is back, so no request ever fails because the
queue is down.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import JobRun, JobStatus

logger = logging.getLogger(__name__)

EXTENSION_KEY = "atrium_rq"
#: Seconds a Redis call may take before the queue counts as unreachable.
REDIS_TIMEOUT = 2.0


def connect_redis(url: str) -> Redis:
    """A Redis client that fails fast: a web request never hangs on a dead queue."""
    return Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT * 5,
        retry=RedisRetry(NoBackoff(), 0),
    )


class QueueHolder:
    """Lazily connects to Redis and builds the RQ queue for one app."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.connection: Redis | None = None

    def redis_url(self) -> str:
        """The configured Redis URL, or the embedded server's from instance/."""
        url = self.app.config.get("REDIS_URL") or ""
        if url:
            return url
        path = Path(self.app.instance_path) / "redis.url"
        if path.exists():
            return path.read_text().strip()
        return "redis://127.0.0.1:6379/0"

    def get_connection(self) -> Redis:
        """The Redis client (created on first use; tests may inject their own)."""
        if self.connection is None:
            self.connection = connect_redis(self.redis_url())
        return self.connection

    def queue(self) -> Queue:
        """The application's RQ queue with the JSON serializer."""
        return Queue(
            self.app.config["RQ_QUEUE_NAME"],
            connection=self.get_connection(),
            serializer=JSONSerializer,
            is_async=self.app.config["RQ_ASYNC"],
        )


def init_queue(app: Flask) -> None:
    """Attach the queue holder to ``app``."""
    app.extensions[EXTENSION_KEY] = QueueHolder(app)


def get_queue_holder() -> QueueHolder:
    """The current app's queue holder."""
    return current_app.extensions[EXTENSION_KEY]


def get_queue() -> Queue:
    """The current app's RQ queue."""
    return get_queue_holder().queue()


def func_path(func: Callable[..., Any]) -> str:
    """The dotted import path RQ and the job runner use for ``func``."""
    return f"{func.__module__}.{func.__qualname__}"


def safe_job_id(raw: str) -> str:
    """``raw`` reduced to what RQ accepts in a job id (letters, digits, _ and -)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:190]


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    title: str = "",
    requested_by: int | None = None,
    retries: int = 0,
    retry_intervals: tuple[int, ...] = (10, 60, 300),
    **kwargs: Any,
) -> JobRun:
    """Record a job and queue it; with an existing ``job_id`` nothing new is queued.

    Arguments must be JSON primitives (ids, strings, numbers). Commits the session.
    """
    job_id = safe_job_id(job_id or f"{func.__name__}-{uuid.uuid4().hex}")
    existing = db.session.execute(
        db.select(JobRun).filter_by(job_id=job_id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    run = JobRun(
        job_id=job_id,
        func=func_path(func),
        title=title or func.__name__,
        args=list(args),
        kwargs=kwargs,
        status=JobStatus.PENDING.value,
        requested_by_id=requested_by,
        attempts=0,
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.execute(
            db.select(JobRun).filter_by(job_id=job_id)
        ).scalar_one()
    _hand_to_redis(run, retries=retries, retry_intervals=retry_intervals)
    db.session.expire(run)  # a synchronous queue may already have run it
    return run


def _hand_to_redis(
    run: JobRun, *, retries: int, retry_intervals: tuple[int, ...]
) -> bool:
    """Push ``run`` onto the RQ queue; leave it pending when Redis is away."""
    from app.jobs.runner import execute_job_run

    retry = Retry(max=retries, interval=list(retry_intervals)) if retries else None
    run_id = run.id
    try:
        run.status = JobStatus.QUEUED.value
        db.session.commit()
        get_queue().enqueue_call(
            execute_job_run,
            args=(run_id,),
            job_id=run.job_id,
            unique=True,
            retry=retry,
            timeout=current_app.config.get("RQ_JOB_TIMEOUT", 1800),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    except DuplicateJobError:
        logger.info("Job %s is already queued", run.job_id)
    except (RedisError, OSError) as exc:
        logger.warning("Redis unreachable, job %s left pending: %s", run.job_id, exc)
        _mark_pending(run_id)
        return False
    return True


def _mark_pending(run_id: int) -> None:
    db.session.rollback()
    run = db.session.get(JobRun, run_id)
    if run is not None and run.status == JobStatus.QUEUED.value:
        run.status = JobStatus.PENDING.value
        db.session.commit()


def flush_pending_jobs(limit: int = 500) -> int:
    """Hand pending (outbox) jobs to Redis; returns how many were queued."""
    pending = db.session.scalars(
        db.select(JobRun)
        .where(JobRun.status == JobStatus.PENDING.value)
        .order_by(JobRun.created_at)
        .limit(limit)
    ).all()
    queued = 0
    for run in pending:
        if not _hand_to_redis(run, retries=0, retry_intervals=()):
            break
        queued += 1
    return queued


def redis_available() -> bool:
    """Whether Redis answers a PING right now."""
    try:
        return bool(get_queue_holder().get_connection().ping())
    except (RedisError, OSError):
        return False


def count_workers() -> int:
    """How many RQ workers are registered and alive for our queue."""
    from rq import Worker

    try:
        return Worker.count(queue=get_queue())
    except (RedisError, OSError):
        return 0
