"""A job through a real `flask worker` process on a real redis-server."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from app.extensions import db
from app.jobs import EXTENSION_KEY, connect_redis, enqueue
from app.jobs.maintenance import prune_job_runs
from app.models import JobRun, JobStatus
from app.models.base import utcnow
from tests.factories import JobRunFactory
from tests.servers import app_env, flask_command

pytestmark = pytest.mark.slow


def test_a_job_runs_in_a_real_worker(
    app, redis_server, database_url, instance_dir, monkeypatch
):
    holder = app.extensions[EXTENSION_KEY]
    monkeypatch.setattr(holder, "connection", connect_redis(redis_server.url))
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)
    old_id = JobRunFactory(created_at=utcnow() - dt.timedelta(days=400)).id

    run = enqueue(prune_job_runs, job_id="through-a-real-worker")
    run_id = run.id
    db.session.expire_all()
    assert db.session.get(JobRun, run_id).status == JobStatus.QUEUED.value

    result = subprocess.run(
        flask_command("worker", "--burst"),
        env=app_env(database_url, instance_dir, REDIS_URL=redis_server.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    finished = db.session.get(JobRun, run_id)
    assert finished.status == JobStatus.FINISHED.value, finished.error
    assert finished.result == {"deleted": 1, "automation_runs": 0}
    assert db.session.get(JobRun, old_id) is None
