"""What the RQ worker actually runs: one JobRun, inside a fresh app context."""

from __future__ import annotations

import contextvars
import importlib
import logging
import os
from collections.abc import Callable
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import JobRun, JobStatus
from app.models.base import utcnow
from app.services.users import act_as_system_user

logger = logging.getLogger(__name__)

#: The JobRun the current job belongs to, for progress reports.
current_job_run_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_job_run_id", default=None
)
_engine_pid: dict[str, int] = {}


def execute_job_run(run_id: int) -> Any:
    """Run JobRun ``run_id`` once; a finished run is never run again."""
    app = current_app._get_current_object()
    with app.app_context():
        _dispose_engine_after_fork()
        run = db.session.get(JobRun, run_id)
        if run is None or run.status == JobStatus.FINISHED.value:
            logger.info("JobRun %s already done or gone; skipping", run_id)
            return None
        func = resolve_job_function(run.func)
        _mark_started(run)
        token = current_job_run_id.set(run_id)
        try:
            act_as_system_user()
            result = func(*run.args, **run.kwargs)
        except Exception as exc:
            logger.exception("Job %s (%s) failed", run.job_id, run.func)
            _mark_failed(run_id, exc)
            raise
        finally:
            current_job_run_id.reset(token)
        _mark_finished(run_id, result)
        return result


def report_progress(percent: int, message: str = "") -> None:
    """Record the current job's progress (0-100) and an optional status line."""
    run_id = current_job_run_id.get()
    if run_id is None:
        return
    run = db.session.get(JobRun, run_id)
    if run is None:
        return
    run.progress = max(0, min(100, int(percent)))
    if message:
        run.message = message[:1000]
    db.session.commit()


def resolve_job_function(path: str) -> Callable[..., Any]:
    """The job function at dotted ``path``; only functions under app.jobs qualify."""
    module_name, _, name = path.rpartition(".")
    if not module_name.startswith("app.jobs."):
        raise ValueError(f"Refusing to run {path!r}: not an Atrium job")
    return getattr(importlib.import_module(module_name), name)


def _dispose_engine_after_fork() -> None:
    """A forked work horse must not reuse its parent's database connections."""
    pid = os.getpid()
    if _engine_pid.get("pid") not in (None, pid):
        db.engine.dispose(close=False)
    _engine_pid["pid"] = pid


def _mark_started(run: JobRun) -> None:
    run.status = JobStatus.RUNNING.value
    run.started_at = utcnow()
    run.attempts = (run.attempts or 0) + 1
    run.error = ""
    db.session.commit()


def _mark_finished(run_id: int, result: Any) -> None:
    db.session.rollback()
    run = db.session.get(JobRun, run_id)
    run.status = JobStatus.FINISHED.value
    run.progress = 100
    run.finished_at = utcnow()
    run.result = result if isinstance(result, dict) else None
    db.session.commit()


def _mark_failed(run_id: int, exc: Exception) -> None:
    db.session.rollback()
    run = db.session.get(JobRun, run_id)
    if run is None:
        return
    run.status = JobStatus.FAILED.value
    run.finished_at = utcnow()
    run.error = f"{type(exc).__name__}: {exc}"[:4000]
    db.session.commit()
