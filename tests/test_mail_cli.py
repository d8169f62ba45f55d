"""`flask mail ingest`: one message on stdin, sysexits codes for the mail server."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from click.testing import Result

from app.extensions import db
from app.models import AtriumUser, InboundMail, Item, Mailbox, Message
from app.services.workflows import create_item_type

EX_DATAERR, EX_NOUSER = 65, 67


@pytest.fixture(autouse=True)
def ticket_type():
    return create_item_type("ticket", "Question")


@pytest.fixture
def ingest(app):
    runner = app.test_cli_runner()

    def _ingest(raw: bytes, *options: str) -> Result:
        return runner.invoke(args=["mail", "ingest", *options], input=raw)

    return _ingest


def make_mail(message_id: str = "<first@aquaterra.ru>") -> bytes:
    mail = EmailMessage()
    mail["From"] = "Ivan Petrov <ivan@aquaterra.ru>"
    mail["To"] = "support@atrium-desk.com"
    mail["Subject"] = "Pump is noisy"
    mail["Message-ID"] = message_id
    mail.set_content("The pump makes a grinding noise.")
    return mail.as_bytes()


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_good_mail_becomes_a_ticket_and_is_acknowledged(
    app, ingest, smtp_sink, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_sink.port)
    result = ingest(make_mail())
    assert result.exit_code == 0, result.stderr
    item = db.session.scalars(db.select(Item)).one()
    assert result.stdout.strip() == f"stored item={item.id}"
    assert item.title == "Pump is noisy" and item.channel == "email"
    assert item.requester.email == "ivan@aquaterra.ru"
    assert item.mailbox_id is None
    # The command sends what the mail caused: the acknowledgement.
    [ack] = smtp_sink.wait_for(1)
    assert ack.rcpt_tos == ["ivan@aquaterra.ru"]


def test_the_same_mail_again_is_a_duplicate_and_still_a_success(ingest):
    assert ingest(make_mail()).exit_code == 0
    again = ingest(make_mail())
    assert again.exit_code == 0, again.stderr
    assert again.stdout.startswith("duplicate")
    assert count(Item) == 1 and count(Message) == 1


@pytest.mark.parametrize("raw", [b"", b"\r\n  \r\n", b"not a mail at all"])
def test_unusable_input_is_rejected_with_one_line(ingest, raw):
    result = ingest(raw)
    assert result.exit_code == EX_DATAERR
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rejected: ")
    assert count(Item) == 0
    assert db.session.scalars(db.select(InboundMail.status)).all() == ["rejected"]


def test_an_unknown_mailbox_is_refused_before_reading(ingest):
    result = ingest(make_mail(), "--mailbox", "nosuch")
    assert result.exit_code == EX_NOUSER
    assert result.stderr.startswith("rejected: ")
    assert count(Item) == 0 and count(InboundMail) == 0


def test_mail_to_a_named_mailbox_is_filed_under_it(ingest):
    box = Mailbox(name="sales", address="sales@atrium-desk.com", protocol="pipe")
    db.session.add(box)
    db.session.commit()
    result = ingest(make_mail(), "--mailbox", "sales")
    assert result.exit_code == 0, result.stderr
    item = db.session.scalars(db.select(Item)).one()
    assert item.mailbox_id == box.id
    assert db.session.scalars(db.select(InboundMail.mailbox_id)).all() == [box.id]


def test_no_enabled_ticket_type_is_a_temporary_failure(ingest, ticket_type):
    ticket_type.enabled = False
    db.session.commit()
    result = ingest(make_mail())
    assert result.exit_code == 75
    assert result.stderr.strip() == "temporary failure: no ticket type is enabled"
    assert count(Item) == 0
    ticket_type.enabled = True
    db.session.commit()
    assert ingest(make_mail()).exit_code == 0  # the mail server's retry now works
    assert count(Item) == 1


def test_an_unexpected_error_is_a_temporary_failure(ingest, monkeypatch):
    from app.services import inbound

    def broken(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(inbound, "parse_message", broken)
    result = ingest(make_mail())
    assert result.exit_code == 75
    assert result.stderr.strip() == "temporary failure: OSError"


def test_a_rejected_mail_may_be_delivered_again_later(ingest, make_user):
    make_user("Agent", email="gone@atrium-desk.com", active=False)
    raw = make_mail().replace(b"ivan@aquaterra.ru", b"gone@atrium-desk.com")
    assert ingest(raw).exit_code == 65
    gone = db.session.scalar(
        db.select(AtriumUser).where(AtriumUser.email == "gone@atrium-desk.com")
    )
    gone.active = True
    db.session.commit()
    assert ingest(raw).exit_code == 0
    assert count(Item) == 1
