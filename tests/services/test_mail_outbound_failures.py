"""Outbound mail when things go wrong: SMTP 4xx/5xx, no server, no Redis."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import pytest
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.jobs import flush_pending_jobs
from app.jobs.mail import dispatch_outbox, flush_outbox
from app.models import JobRun, Message, OutboundEmail
from app.models.base import utcnow
from app.services import items as item_service
from app.services import outbox
from app.services.outbox import queue_mail, retry_failed, sendable_ids
from app.services.workflows import create_item_type
from tests import factories
from tests.servers import free_port

CUSTOMER = "ivan@aquaterra.ru"
PASSWORD = "Sm7p-Pa55w0rd-do-not-log"


@pytest.fixture
def intervals(app) -> tuple[int, ...]:
    return tuple(app.config["MAIL_SEND_RETRY_INTERVALS"])


def pending_mail() -> int:
    row = queue_mail(
        event="public_reply",
        to_address=CUSTOMER,
        subject="[T-1] Pump is noisy",
        body_text="Please restart the pump.",
        language="en",
    )
    db.session.commit()
    return row.id


def reload(row_id: int) -> OutboundEmail:
    db.session.expire_all()
    return db.session.get(OutboundEmail, row_id)


def make_due(row_id: int) -> None:
    """Let the back-off pass without waiting for it."""
    reload(row_id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()


def assert_deferred(row: OutboundEmail, attempts: int, delay: int, started) -> None:
    assert (row.status, row.attempts) == ("pending", attempts)
    expected = dt.timedelta(seconds=delay)
    assert started + expected <= row.next_attempt_at <= utcnow() + expected


# --- SMTP answers ---------------------------------------------------------------


def test_421_is_retried_with_back_off_then_fails_after_the_last_try(sink, intervals):
    row_id = pending_mail()
    sink.fail_next(421, count=len(intervals) + 1)
    started = utcnow()
    dispatch_outbox()
    row = reload(row_id)
    assert_deferred(row, 1, intervals[0], started)
    assert "421" in row.last_error
    dispatch_outbox()  # not due yet: no second try during the back-off
    assert reload(row_id).attempts == 1

    for attempt, delay in enumerate(intervals[1:], start=2):
        make_due(row_id)
        started = utcnow()
        dispatch_outbox()
        assert_deferred(reload(row_id), attempt, delay, started)

    make_due(row_id)
    dispatch_outbox()
    row = reload(row_id)
    assert (row.status, row.attempts) == ("failed", len(intervals) + 1)
    assert "421" in row.last_error and row.next_attempt_at is None
    assert sendable_ids() == []
    assert sink.messages == []

    # Every try reached the server (each used up one 421); an admin's retry sends.
    retry_failed(row_id)
    dispatch_outbox()
    assert len(sink.messages) == 1
    assert reload(row_id).status == "sent"


def test_550_fails_at_once_and_is_not_retried(sink):
    row_id = pending_mail()
    sink.fail_next(550)
    dispatch_outbox()
    row = reload(row_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert "550" in row.last_error

    dispatch_outbox()
    assert sendable_ids() == []
    assert reload(row_id).attempts == 1
    assert sink.messages == []


def test_no_server_listening_defers_with_back_off(app, monkeypatch, intervals):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    row_id = pending_mail()
    started = utcnow()
    dispatch_outbox()
    row = reload(row_id)
    assert_deferred(row, 1, intervals[0], started)
    assert "ConnectionRefused" in row.last_error


@pytest.mark.parametrize("server", ["sink without AUTH", "nothing listening"])
def test_the_smtp_password_never_reaches_the_row_or_the_logs(
    app, smtp_sink, monkeypatch, caplog, server
):
    port = smtp_sink.port if server == "sink without AUTH" else free_port()
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "atrium-mailer")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    row_id = pending_mail()
    dispatch_outbox()

    row = reload(row_id)
    assert row.status == "pending" and row.last_error  # it did fail
    assert smtp_sink.messages == []
    assert PASSWORD not in row.last_error
    assert PASSWORD not in caplog.text
    runs = db.session.scalars(db.select(JobRun)).all()
    assert runs and all(PASSWORD not in f"{r.error} {r.result}" for r in runs)


def test_a_failed_goodbye_after_the_mail_was_accepted_does_not_send_it_again(
    sink, monkeypatch
):
    # The sink always answers QUIT with 221; this server is busy by then.
    docmd = smtplib.SMTP.docmd

    def busy_at_quit(self, cmd, args=""):
        reply = docmd(self, cmd, args)
        return (421, b"4.3.2 Shutting down") if cmd.lower() == "quit" else reply

    monkeypatch.setattr(smtplib.SMTP, "docmd", busy_at_quit)
    row_id = pending_mail()
    dispatch_outbox()
    assert len(sink.messages) == 1
    row = reload(row_id)
    assert (row.status, row.last_error) == ("sent", "")

    make_due(row_id)
    dispatch_outbox()
    assert len(sink.messages) == 1


def test_a_send_job_that_broke_before_claiming_does_not_block_the_mail(
    sink, monkeypatch
):
    row_id = pending_mail()
    claim = outbox._claim

    def locked_once(outbound_id: int):
        monkeypatch.setattr(outbox, "_claim", claim)
        raise OperationalError("UPDATE outbound_email", {}, Exception("locked"))

    monkeypatch.setattr(outbox, "_claim", locked_once)
    dispatch_outbox()
    row = reload(row_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert db.session.scalars(db.select(JobRun.status)).all() == ["failed"]

    dispatch_outbox()
    dispatch_outbox()
    assert len(sink.messages) == 1
    assert reload(row_id).status == "sent"
    assert db.session.scalars(db.select(JobRun.job_id).order_by(JobRun.id)).all() == [
        f"mail-{row_id}-0",
        f"mail-{row_id}-0-r1",
    ]


# --- Redis away -----------------------------------------------------------------


@pytest.fixture
def ticket(make_user):
    agent = make_user("Agent")
    item_type = create_item_type("ticket", "Question")
    customer = factories.CustomerFactory(email=CUSTOMER, name="Ivan Petrov")
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="Pump is noisy",
        item_type_id=item_type.id,
        requester_id=customer.id,
    )
    return agent, item.id


def test_redis_down_keeps_the_reply_and_the_mail_goes_once_it_is_back(
    build_app, sink, ticket
):
    agent, item_id = ticket
    no_redis = build_app(REDIS_URL="redis://127.0.0.1:1/0", RQ_ASYNC=True)
    client = no_redis.test_client()
    login = client.post(
        "/login/", data={"username": agent.username, "password": factories.PASSWORD}
    )
    assert login.status_code == 302
    response = client.post(
        f"/conversation/{item_id}/reply",
        data={"body_text": "Please restart the pump.", "kind": "public"},
    )
    assert response.status_code == 302

    db.session.expire_all()
    assert db.session.scalars(db.select(Message.body_text)).all() == [
        "Please restart the pump."
    ]
    row = db.session.scalars(db.select(OutboundEmail)).one()
    assert (row.status, row.attempts) == ("pending", 0)
    run = db.session.scalars(db.select(JobRun)).one()
    assert (run.job_id, run.status) == (f"mail-{row.id}-0", "pending")
    assert sink.messages == []

    # Redis is back (the suite's synchronous queue): the scheduler's next tick
    # hands the pending job over and sweeps the outbox; later sweeps add nothing.
    flush_pending_jobs()
    flush_outbox()
    flush_outbox()
    [mail] = sink.wait_for(1)
    assert mail.rcpt_tos == [CUSTOMER]
    assert reload(row.id).status == "sent"
    assert db.session.get(JobRun, run.id).status == "finished"


def test_a_mail_that_cannot_be_built_fails_visibly(sink, monkeypatch):
    row_id = pending_mail()

    def broken(row):
        raise ValueError("unencodable")

    monkeypatch.setattr(outbox, "compose", broken)
    assert outbox.send_outbound(row_id) == "failed"
    row = reload(row_id)
    assert row.status == "failed" and "cannot be built" in row.last_error
    assert sink.messages == []
