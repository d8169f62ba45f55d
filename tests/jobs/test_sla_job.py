"""The periodic SLA scan job: flags due warnings and breaches and hands them on."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from app.extensions import db
from app.jobs import enqueue
from app.jobs import sla as sla_jobs
from app.jobs.schedule import SCHEDULE
from app.models import Item, JobRun, JobStatus, SlaPolicy
from app.services import items as item_service
from app.services.workflows import create_item_type
from app.views.jobs import job_label

CREATED = dt.datetime(2026, 11, 20, 15, 0)


@pytest.fixture
def announced(monkeypatch) -> list[tuple[int, str, str]]:
    """What the job handed to automation."""
    calls: list[tuple[int, str, str]] = []
    monkeypatch.setattr(
        sla_jobs.automation, "sla_event", lambda *event: calls.append(event)
    )
    return calls


@pytest.fixture
def tickets(make_user, monkeypatch):
    """Three tickets on a round-the-clock policy: 2 h first response, 1 h warning."""
    monkeypatch.setattr(item_service, "utcnow", lambda: CREATED)
    monkeypatch.setattr(item_service.sla, "utcnow", lambda: CREATED)
    db.session.add(
        SlaPolicy(name="Standard", first_response_minutes=120, warning_minutes=60)
    )
    db.session.commit()
    agent = make_user("Agent")
    question = create_item_type("ticket", "Question")
    return [
        item_service.create_item(
            agent, kind="ticket", title=f"T{n}", item_type_id=question.id
        ).id
        for n in range(3)
    ]


def _run_at(monkeypatch, moment: dt.datetime) -> dict[str, int]:
    monkeypatch.setattr(sla_jobs, "utcnow", lambda: moment)
    return sla_jobs.scan_sla()


def test_the_job_announces_each_warning_and_breach_once(
    monkeypatch, tickets, announced
):
    warning = CREATED + dt.timedelta(hours=1, minutes=1)
    assert _run_at(monkeypatch, warning) == {"warnings": 3, "breaches": 0}
    assert announced == [(t, "sla_warning", "first_response") for t in tickets]
    assert _run_at(monkeypatch, warning) == {"warnings": 0, "breaches": 0}
    announced.clear()
    assert _run_at(monkeypatch, CREATED + dt.timedelta(hours=3)) == {
        "warnings": 0,
        "breaches": 3,
    }
    assert announced == [(t, "sla_breached", "first_response") for t in tickets]
    db.session.expire_all()
    assert all(db.session.get(Item, t).sla_first_response_breached for t in tickets)


def test_the_job_works_through_every_batch(monkeypatch, tickets, announced):
    monkeypatch.setattr(sla_jobs, "BATCH", 2)
    assert _run_at(monkeypatch, CREATED + dt.timedelta(hours=5))["breaches"] == 3
    assert sorted(item_id for item_id, _t, _target in announced) == tickets


def test_one_failing_hand_over_does_not_cost_the_others(monkeypatch, tickets, caplog):
    # Alembic's logging set-up disables the loggers that existed before it ran.
    monkeypatch.setattr(sla_jobs.logger, "disabled", False)
    caplog.set_level(logging.ERROR, logger="app.jobs.sla")
    seen = []

    def flaky(item_id, trigger, target):
        seen.append(item_id)
        if item_id == tickets[0]:
            raise RuntimeError("automation is down")

    monkeypatch.setattr(sla_jobs.automation, "sla_event", flaky)
    assert _run_at(monkeypatch, CREATED + dt.timedelta(hours=5))["breaches"] == 3
    assert seen == tickets
    assert "not handed on" in caplog.text


def test_the_scan_is_scheduled_every_minute_with_a_translated_label():
    (job,) = [job for job in SCHEDULE if job.name == "scan-sla"]
    assert job.func == "app.jobs.sla.scan_sla" and job.cron == "* * * * *"
    assert job_label(("app.jobs.sla.scan_sla", "scan_sla", [])) == (
        "Check SLA deadlines"
    )


def test_the_job_runs_through_the_queue(tickets, announced):
    run = enqueue(sla_jobs.scan_sla, job_id="scan-sla-test")
    db.session.expire_all()
    run = db.session.get(JobRun, run.id)
    assert run.status == JobStatus.FINISHED.value
    # Real time is long past the 2026 due times of the tickets.
    assert run.result == {"warnings": 0, "breaches": 3}
    assert len(announced) == 3
