"""A job through a real `flask worker` process on a real redis-server."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.jobs import enqueue
from app.jobs.maintenance import prune_job_runs
from app.models import JobRun, JobStatus
from app.models.base import utcnow
from tests.factories import JobRunFactory

pytestmark = pytest.mark.slow


def test_a_job_runs_in_a_real_worker(real_worker):
    old_id = JobRunFactory(created_at=utcnow() - dt.timedelta(days=400)).id

    run = enqueue(prune_job_runs, job_id="through-a-real-worker")
    run_id = run.id
    db.session.expire_all()
    assert db.session.get(JobRun, run_id).status == JobStatus.QUEUED.value

    real_worker()
    db.session.expire_all()
    finished = db.session.get(JobRun, run_id)
    assert finished.status == JobStatus.FINISHED.value, finished.error
    assert finished.result == {"deleted": 1, "automation_runs": 0}
    assert db.session.get(JobRun, old_id) is None
