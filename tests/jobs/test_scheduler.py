"""Periodic jobs: declared as data, enqueued once per slot."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.jobs.schedule import SCHEDULE, PeriodicJob
from app.jobs.scheduler import enqueue_due_jobs
from app.models import JobRun, JobStatus

PRUNE = PeriodicJob("prune-test", "app.jobs.maintenance.prune_job_runs", "*/5 * * * *")


def test_slots_and_job_ids_are_deterministic():
    now = dt.datetime(2026, 11, 23, 10, 7, 30)
    assert PRUNE.last_slot(now) == dt.datetime(2026, 11, 23, 10, 5)
    assert PRUNE.last_slot(dt.datetime(2026, 11, 23, 10, 5)) == dt.datetime(
        2026, 11, 23, 10, 5
    )
    assert PRUNE.job_id(PRUNE.last_slot(now)) == "periodic-prune-test-20261123T1005"


def test_a_slot_is_enqueued_once_even_by_two_schedulers():
    first = enqueue_due_jobs((PRUNE,), {})
    second = enqueue_due_jobs((PRUNE,), {})  # another scheduler, fresh memory
    assert len(first) == 1 and first == second
    runs = db.session.scalars(db.select(JobRun)).all()
    assert len(runs) == 1
    assert runs[0].status == JobStatus.FINISHED.value


def test_the_same_scheduler_skips_a_slot_it_already_handled():
    memory: dict = {}
    assert enqueue_due_jobs((PRUNE,), memory)
    assert enqueue_due_jobs((PRUNE,), memory) == []


def test_every_declared_job_resolves_to_a_job_function():
    from app.jobs.runner import resolve_job_function

    for job in SCHEDULE:
        assert callable(resolve_job_function(job.func))
        assert job.last_slot(dt.datetime(2026, 1, 1)) <= dt.datetime(2026, 1, 1)
