"""The enqueue door: records, runs once, survives Redis being away."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.jobs import (
    EXTENSION_KEY,
    connect_redis,
    enqueue,
    flush_pending_jobs,
    safe_job_id,
)
from app.jobs.maintenance import prune_job_runs
from app.models import JobRun, JobStatus
from app.models.base import utcnow
from tests.factories import JobRunFactory
from tests.servers import free_port


def _old_finished_run(days: int = 90) -> JobRun:
    return JobRunFactory(created_at=utcnow() - dt.timedelta(days=days))


def test_enqueued_job_runs_and_is_recorded(make_user):
    old_id = _old_finished_run().id
    fresh_id = JobRunFactory().id
    admin = make_user("Admin")
    run = enqueue(prune_job_runs, title="Prune", requested_by=admin.id)
    db.session.expire_all()
    run = db.session.get(JobRun, run.id)
    assert run.status == JobStatus.FINISHED.value
    assert run.progress == 100
    assert run.result == {"deleted": 1, "automation_runs": 0}
    assert run.requested_by_id == admin.id
    assert db.session.get(JobRun, old_id) is None
    assert db.session.get(JobRun, fresh_id) is not None


def test_same_job_id_is_only_run_once():
    first = enqueue(prune_job_runs, job_id="prune-once")
    _old_finished_run()
    second = enqueue(prune_job_runs, job_id="prune-once")
    assert first.id == second.id
    assert (
        db.session.scalar(
            db.select(db.func.count(JobRun.id)).where(JobRun.job_id == "prune-once")
        )
        == 1
    )
    # the second call did not run the job again: the old row is still there
    assert db.session.scalar(db.select(db.func.count(JobRun.id))) == 2


def test_job_ids_are_made_safe_for_rq():
    assert safe_job_id("report:5:2026-11") == "report-5-2026-11"


def test_redis_down_leaves_the_job_pending_then_it_runs(app, monkeypatch):
    holder = app.extensions[EXTENSION_KEY]
    working = holder.get_connection()
    dead = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(holder, "connection", dead)
    _old_finished_run()
    run = enqueue(prune_job_runs, job_id="while-redis-is-down")
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == JobStatus.PENDING.value
    assert flush_pending_jobs() == 0

    monkeypatch.setattr(holder, "connection", working)
    assert flush_pending_jobs() == 1
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).status == JobStatus.FINISHED.value
    assert flush_pending_jobs() == 0


def test_a_failing_job_is_recorded_with_its_error(monkeypatch):
    def explode(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.jobs.maintenance.jobruns.prune_job_runs", explode)
    enqueue(prune_job_runs, job_id="doomed")
    db.session.expire_all()
    run = db.session.scalar(db.select(JobRun).filter_by(job_id="doomed"))
    assert run.status == JobStatus.FAILED.value
    assert "disk full" in run.error
    assert run.attempts == 1


def test_only_functions_under_app_jobs_can_run():
    from app.jobs.runner import resolve_job_function

    with pytest.raises(ValueError):
        resolve_job_function("os.system")


def test_jobs_run_as_the_system_user(monkeypatch):
    from flask import g

    from app.services.users import SYSTEM_USERNAME

    seen = {}

    def record(**_kwargs):
        seen["user"] = g.user.username
        return 0

    monkeypatch.setattr("app.jobs.maintenance.jobruns.prune_job_runs", record)
    enqueue(prune_job_runs, job_id="who-am-i")
    assert seen == {"user": SYSTEM_USERNAME}


def test_progress_is_recorded_on_the_job_run(monkeypatch):
    from app.jobs.runner import report_progress

    def halfway(**_kwargs):
        report_progress(50, "Half of the rows")
        run = db.session.scalar(db.select(JobRun).filter_by(job_id="progress"))
        seen.update(progress=run.progress, message=run.message)
        return 0

    seen: dict = {}
    monkeypatch.setattr("app.jobs.maintenance.jobruns.prune_job_runs", halfway)
    enqueue(prune_job_runs, job_id="progress")
    assert seen == {"progress": 50, "message": "Half of the rows"}
