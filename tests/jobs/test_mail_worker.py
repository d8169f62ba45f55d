"""An outbox mail sent by a real `flask worker` process into the SMTP sink."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs import enqueue
from app.jobs.mail import send_outbound_email
from app.models import JobRun, JobStatus, OutboundEmail
from app.services.outbox import queue_mail

pytestmark = pytest.mark.slow


def test_a_real_worker_sends_an_outbox_mail_once(real_worker, smtp_sink):
    row = queue_mail(
        event="public_reply",
        to_address="ivan@aquaterra.ru",
        subject="[T-1] Pump is noisy",
        body_text="Please restart the pump.",
        language="en",
    )
    db.session.commit()
    row_id, message_id = row.id, row.message_id_header
    # Two jobs for one row (a sweep racing a request): the outbox sends once.
    runs = [
        enqueue(send_outbound_email, row_id, job_id=f"mail-{row_id}-{suffix}")
        for suffix in ("first", "second")
    ]
    run_ids = [run.id for run in runs]

    real_worker(
        MAIL_SERVER=smtp_sink.host,
        MAIL_PORT=str(smtp_sink.port),
        MAIL_DEFAULT_SENDER="Atrium Support <support@atrium-desk.com>",
    )
    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["ivan@aquaterra.ru"]
    assert mail.mail_from == "support@atrium-desk.com"
    assert " ".join(mail.message["Message-ID"].split()) == message_id
    db.session.expire_all()
    sent = db.session.get(OutboundEmail, row_id)
    assert (sent.status, sent.attempts) == ("sent", 1)
    results = [db.session.get(JobRun, run_id) for run_id in run_ids]
    assert [r.status for r in results] == [JobStatus.FINISHED.value] * 2
    assert sorted(r.result["status"] for r in results) == ["sent", "skipped"]
    assert len(smtp_sink.messages) == 1
