"""Polling real mailboxes: IMAP and POP3 on the test Dovecot, through the services."""

from __future__ import annotations

import imaplib
from email.message import EmailMessage

import pytest
from flask import Flask

from app.extensions import db
from app.jobs.mail import poll_mailboxes
from app.models import InboundMail, Item, JobRun, Mailbox, Message
from app.services.inbound import ingest_mail
from app.services.mailboxes import poll_mailbox, prepare_mailbox
from app.services.secrets import decrypt_secret
from app.services.workflows import create_item_type
from tests.mailservers import DovecotServer, SmtpSink

pytestmark = pytest.mark.slow

SUPPORT = "support@example.com"
ALICE = "alice@example.com"


@pytest.fixture(autouse=True)
def question_type():
    """Mail becomes tickets of the first enabled ticket type."""
    return create_item_type("ticket", "Question")


def make_mail(number: int, *, subject: str = "Printer jam") -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Customer {number} <customer{number}@example.org>"
    mail["To"] = SUPPORT
    mail["Subject"] = f"{subject} {number}"
    mail["Message-ID"] = f"<poll-{number}@example.org>"
    mail.set_content(f"Body of mail {number}.")
    return mail.as_bytes()


def make_mailbox(
    dovecot: DovecotServer,
    *,
    name: str = "support",
    protocol: str = "imap",
    user: str = SUPPORT,
    password: str | None = None,
    folder: str = "INBOX",
    enabled: bool = True,
) -> Mailbox:
    mailbox = Mailbox(
        name=name,
        address=user,
        protocol=protocol,
        host=dovecot.host,
        port=dovecot.pop3_port if protocol == "pop3" else dovecot.imap_port,
        security="none",
        username=user,
        folder=folder,
        enabled=enabled,
    )
    mailbox.password = dovecot.users[user] if password is None else password
    prepare_mailbox(mailbox)
    db.session.add(mailbox)
    db.session.commit()
    return mailbox


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_imap_poll_makes_one_ticket_per_mail_and_marks_them_seen(dovecot):
    mailbox = make_mailbox(dovecot)
    for number in range(3):
        dovecot.deliver(SUPPORT, make_mail(number))

    result = poll_mailbox(mailbox.id)

    assert (result.fetched, result.stored, result.errors) == (3, 3, [])
    assert count(Item) == 3 and count(Message) == 3
    titles = sorted(db.session.scalars(db.select(Item.title)))
    assert titles == ["Printer jam 0", "Printer jam 1", "Printer jam 2"]
    assert dovecot.count(SUPPORT) == 3
    assert dovecot.count(SUPPORT, unseen_only=True) == 0
    mailbox = db.session.get(Mailbox, mailbox.id)
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""

    again = poll_mailbox(mailbox.id)

    assert (again.fetched, again.stored, again.errors) == (0, 0, [])
    assert count(Item) == 3


def test_only_the_configured_folder_is_read(dovecot):
    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail(1))
    dovecot.deliver(SUPPORT, make_mail(2), folder="Help Desk/Incoming")

    first = poll_mailbox(mailbox.id)

    assert first.stored == 1
    assert db.session.scalars(db.select(Item.title)).all() == ["Printer jam 1"]
    assert dovecot.count(SUPPORT, "Help Desk/Incoming", unseen_only=True) == 1

    mailbox.folder = "Help Desk/Incoming"
    prepare_mailbox(mailbox)
    db.session.commit()
    second = poll_mailbox(mailbox.id)

    assert (second.stored, second.errors) == (1, [])
    assert count(Item) == 2
    assert dovecot.count(SUPPORT, "Help Desk/Incoming", unseen_only=True) == 0


def test_missing_folder_is_an_error_on_the_mailbox(dovecot):
    mailbox = make_mailbox(dovecot, folder="No Such Folder")
    dovecot.deliver(SUPPORT, make_mail(1))

    result = poll_mailbox(mailbox.id)

    assert result.stored == 0 and result.errors
    assert "No Such Folder" in db.session.get(Mailbox, mailbox.id).last_error
    assert count(Item) == 0


def test_crash_before_marking_seen_refetches_without_a_second_ticket(
    dovecot, monkeypatch
):
    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail(1))
    real_uid = imaplib.IMAP4.uid

    def store_fails(self, command, *args):
        if command.upper() == "STORE":
            raise ConnectionResetError("connection lost after the insert")
        return real_uid(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", store_fails)
    crashed = poll_mailbox(mailbox.id)

    assert crashed.stored == 1 and crashed.errors
    assert count(Item) == 1
    assert dovecot.count(SUPPORT, unseen_only=True) == 1

    monkeypatch.setattr(imaplib.IMAP4, "uid", real_uid)
    refetched = poll_mailbox(mailbox.id)

    assert (refetched.fetched, refetched.duplicates, refetched.errors) == (1, 1, [])
    assert count(Item) == 1 and count(Message) == 1 and count(InboundMail) == 1
    assert dovecot.count(SUPPORT, unseen_only=True) == 0
    assert db.session.get(Mailbox, mailbox.id).last_error == ""


def test_mail_already_ingested_by_another_worker_is_a_duplicate(dovecot):
    mailbox = make_mailbox(dovecot)
    raw = make_mail(1)
    dovecot.deliver(SUPPORT, raw)
    ingest_mail(raw, mailbox=mailbox)

    result = poll_mailbox(mailbox.id)

    assert (result.fetched, result.duplicates) == (1, 1)
    assert count(Item) == 1
    assert dovecot.count(SUPPORT, unseen_only=True) == 0


def test_pop3_poll_takes_the_mail_and_empties_the_mailbox(dovecot):
    mailbox = make_mailbox(dovecot, protocol="pop3")
    for number in range(2):
        dovecot.deliver(SUPPORT, make_mail(number))

    result = poll_mailbox(mailbox.id)

    assert (result.fetched, result.stored, result.errors) == (2, 2, [])
    assert count(Item) == 2
    assert dovecot.count(SUPPORT) == 0
    with dovecot.pop3() as client:
        assert client.stat()[0] == 0


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_wrong_password_is_recorded_not_raised(dovecot, protocol):
    mailbox = make_mailbox(dovecot, protocol=protocol, password="not-the-password")
    dovecot.deliver(SUPPORT, make_mail(1))

    result = poll_mailbox(mailbox.id)

    assert result.errors and result.fetched == 0
    mailbox = db.session.get(Mailbox, mailbox.id)
    assert mailbox.last_error and mailbox.last_polled_at is not None
    assert "not-the-password" not in mailbox.last_error
    assert count(Item) == 0 and count(InboundMail) == 0
    assert dovecot.count(SUPPORT, unseen_only=True) == 1


def test_password_is_stored_encrypted_and_never_shown(dovecot):
    mailbox = make_mailbox(dovecot)
    row = db.session.execute(
        db.text("SELECT * FROM mailbox WHERE id = :id"), {"id": mailbox.id}
    ).one()

    assert "mail-secret" not in " ".join(str(value) for value in row)
    assert mailbox.password == ""
    assert mailbox.has_password
    assert decrypt_secret(mailbox.password_encrypted) == "mail-secret"

    # Saving the form with an empty password field keeps the stored one.
    stored = mailbox.password_encrypted
    mailbox.password = ""
    prepare_mailbox(mailbox)
    db.session.commit()
    assert db.session.get(Mailbox, mailbox.id).password_encrypted == stored


def test_periodic_job_polls_each_enabled_mailbox(
    app: Flask, dovecot, smtp_sink: SmtpSink, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_sink.port)
    imap = make_mailbox(dovecot)
    pop3 = make_mailbox(dovecot, name="alice", protocol="pop3", user=ALICE)
    make_mailbox(dovecot, name="off", user=ALICE, folder="Archive", enabled=False)
    pipe = Mailbox(name="pipe", address="pipe@atrium-desk.com", protocol="pipe")
    db.session.add(pipe)
    db.session.commit()
    dovecot.deliver(SUPPORT, make_mail(1))
    dovecot.deliver(ALICE, make_mail(2))
    dovecot.deliver(ALICE, make_mail(3), folder="Archive")

    assert poll_mailboxes() == {"mailboxes": 2}

    runs = db.session.scalars(
        db.select(JobRun).where(JobRun.func == "app.jobs.mail.poll_mailbox")
    ).all()
    assert sorted(run.args for run in runs) == sorted([[imap.id], [pop3.id]])
    assert {run.status for run in runs} == {"finished"}
    assert sorted(db.session.scalars(db.select(Item.mailbox_id))) == sorted(
        [imap.id, pop3.id]
    )
    assert dovecot.count(ALICE, "Archive", unseen_only=True) == 1
    # The poll job sends what the mail caused: one acknowledgement per ticket.
    received = smtp_sink.wait_for(2)
    assert sorted(mail.rcpt_tos[0] for mail in received) == [
        "customer1@example.org",
        "customer2@example.org",
    ]


def make_mail_with_attachment(number: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"customer{number}@example.org"
    mail["Subject"] = f"Log file {number}"
    mail["Message-ID"] = f"<attached-{number}@example.org>"
    mail.set_content("The log is attached.")
    mail.add_attachment(
        b"log line\n" * 100, maintype="text", subtype="plain", filename="app.log"
    )
    return mail.as_bytes()


def test_storage_failure_mid_ingest_keeps_nothing_and_retries(dovecot, monkeypatch):
    import app.services.attachments as attachments

    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail_with_attachment(1))
    real_store = attachments.store_blob

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(attachments, "store_blob", disk_full)
    failed = poll_mailbox(mailbox.id)

    assert failed.errors and "No space left" in failed.errors[0]
    assert db.session.get(Mailbox, mailbox.id).last_error
    assert count(InboundMail) == 0 and count(Item) == 0 and count(Message) == 0
    assert dovecot.count(SUPPORT, unseen_only=True) == 1

    monkeypatch.setattr(attachments, "store_blob", real_store)
    retried = poll_mailbox(mailbox.id)

    assert (retried.stored, retried.errors) == (1, [])
    [message] = db.session.scalars(db.select(Message)).all()
    assert [a.filename for a in message.attachments] == ["app.log"]
    assert dovecot.count(SUPPORT, unseen_only=True) == 0


def test_database_error_mid_ingest_is_recorded_and_the_mail_fetched_again(dovecot):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail(1))

    def locked(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO message "):
            raise OperationalError(statement, None, Exception("database is locked"))

    event.listen(db.engine, "before_cursor_execute", locked)
    try:
        failed = poll_mailbox(mailbox.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", locked)

    assert len(failed.errors) == 1 and failed.errors[0].startswith("OperationalError")
    assert db.session.get(Mailbox, mailbox.id).last_error.startswith("OperationalError")
    assert count(InboundMail) == 0 and count(Item) == 0
    assert dovecot.count(SUPPORT, unseen_only=True) == 1

    retried = poll_mailbox(mailbox.id)

    assert (retried.stored, retried.errors) == (1, [])
    assert count(Item) == 1 and count(Message) == 1


def test_a_broken_mail_does_not_hold_up_the_ones_after_it(dovecot, monkeypatch):
    from app.services import mailboxes

    mailbox = make_mailbox(dovecot)
    for n in (1, 2, 3):
        dovecot.deliver(SUPPORT, make_mail(n))
    real_ingest = mailboxes.ingest_mail
    calls = []

    def first_one_breaks(raw, *, mailbox):
        calls.append(raw)
        if len(calls) == 1:
            raise RuntimeError("parser bug")
        return real_ingest(raw, mailbox=mailbox)

    monkeypatch.setattr(mailboxes, "ingest_mail", first_one_breaks)
    result = poll_mailbox(mailbox.id)
    assert result.stored == 2 and len(result.errors) == 1
    assert count(Item) == 2
    assert dovecot.count(SUPPORT, unseen_only=True) == 1  # tried again next time


def test_mail_waits_on_the_server_while_no_ticket_type_is_enabled(dovecot):
    from app.models import ItemType

    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail(1))
    db.session.execute(db.update(ItemType).values(enabled=False))
    db.session.commit()
    result = poll_mailbox(mailbox.id)
    assert result.errors == ["no ticket type is enabled"]
    assert count(Item) == 0 and count(InboundMail) == 0
    assert dovecot.count(SUPPORT, unseen_only=True) == 1
    db.session.execute(db.update(ItemType).values(enabled=True))
    db.session.commit()
    assert poll_mailbox(mailbox.id).stored == 1


def test_a_mail_over_the_size_limit_is_skipped_without_fetching(
    dovecot, app, monkeypatch
):
    mailbox = make_mailbox(dovecot)
    dovecot.deliver(SUPPORT, make_mail(1))
    dovecot.deliver(SUPPORT, make_mail(2, subject="x" * 2000))
    small = len(make_mail(1)) + 100
    monkeypatch.setitem(app.config, "MAIL_MAX_MESSAGE_BYTES", small)
    result = poll_mailbox(mailbox.id)
    assert (result.stored, result.rejected) == (1, 1)
    assert count(Item) == 1
    assert dovecot.count(SUPPORT, unseen_only=True) == 0
