"""The real mail servers for integration tests: aiosmtpd sink and Dovecot."""

from __future__ import annotations

import imaplib
import smtplib
import subprocess
from email.message import EmailMessage

import pytest

from tests.mailservers import DovecotServer, SmtpSink

pytestmark = pytest.mark.slow

ALICE = "alice@example.com"
BOB = "bob@example.com"


def _mail(subject: str, body: str = "Hello.\n") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Customer <customer@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message.set_content(body)
    return message


def _raw(subject: str, body: str = "Hello.\n") -> bytes:
    return _mail(subject, body).as_bytes()


def _send(sink: SmtpSink, subject: str) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.send_message(
            _mail(subject), "customer@example.org", ["support@example.com"]
        )


def test_smtp_sink_records_envelope_and_message(smtp_sink: SmtpSink) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        client.send_message(
            _mail("Printer on fire", "It is still burning.\n.\nReally.\n"),
            "bounces@example.org",
            [ALICE, BOB],
        )

    (mail,) = smtp_sink.wait_for(1)
    assert mail.mail_from == "bounces@example.org"
    assert mail.rcpt_tos == [ALICE, BOB]
    assert mail.message["Subject"] == "Printer on fire"
    assert mail.message.get_content() == "It is still burning.\n.\nReally.\n"
    assert mail.data.startswith(b"From: Customer <customer@example.org>\r\n")


def test_smtp_sink_clear_forgets_messages(smtp_sink: SmtpSink) -> None:
    _send(smtp_sink, "one")
    smtp_sink.wait_for(1)

    smtp_sink.clear()

    assert smtp_sink.messages == []


def test_smtp_sink_wait_for_fails_when_too_few_arrive(smtp_sink: SmtpSink) -> None:
    _send(smtp_sink, "only one")

    with pytest.raises(AssertionError, match="expected 2 messages"):
        smtp_sink.wait_for(2, timeout=0.2)


@pytest.mark.parametrize("code", [421, 450, 550, 554])
def test_smtp_sink_fail_next_rejects_data_then_accepts(
    smtp_sink: SmtpSink, code: int
) -> None:
    smtp_sink.fail_next(code)

    with pytest.raises(smtplib.SMTPDataError) as raised:
        _send(smtp_sink, "rejected")
    _send(smtp_sink, "accepted")

    assert raised.value.smtp_code == code
    assert [m.message["Subject"] for m in smtp_sink.wait_for(1)] == ["accepted"]


def test_smtp_sink_fail_next_counts_and_custom_text(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(550, count=2, text="5.1.1 No such user")

    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as raised:
                client.send_message(_mail("x"), "a@example.org", [ALICE])
            assert raised.value.smtp_error == b"5.1.1 No such user"
        client.send_message(_mail("third"), "a@example.org", [ALICE])

    assert len(smtp_sink.wait_for(1)) == 1


def test_dovecot_imap_fetches_delivered_messages(dovecot: DovecotServer) -> None:
    user, password = dovecot.default_user, dovecot.default_password
    raws = [_raw("First question"), _raw("Second question", "Line\n.dot\n")]
    for raw in raws:
        dovecot.deliver(user, raw)

    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10) as client:
        client.login(user, password)
        client.select("INBOX")
        status, data = client.search(None, "ALL")
        numbers = data[0].split()
        fetched = [client.fetch(number, "(RFC822)")[1][0][1] for number in numbers]

    assert status == "OK"
    assert len(numbers) == 2
    assert [body.replace(b"\r\n", b"\n") for body in fetched] == raws


def test_dovecot_pop3_retrieves_delivered_messages(dovecot: DovecotServer) -> None:
    raws = [_raw("First"), _raw("Second", "..starts with dots\n")]
    for raw in raws:
        dovecot.deliver(dovecot.default_user, raw)

    with dovecot.pop3() as client:
        count, _size = client.stat()
        retrieved = [client.retr(n)[1] for n in range(1, count + 1)]

    assert count == 2
    assert [b"\n".join(lines) + b"\n" for lines in retrieved] == raws


def test_dovecot_folders_counts_and_users(dovecot: DovecotServer) -> None:
    dovecot.deliver(ALICE, _raw("to inbox"))
    dovecot.deliver(ALICE, _raw("filed"), folder="Support/Done")
    dovecot.create_folder(ALICE, "Empty Folder")
    with dovecot.imap(ALICE) as client:
        client.select("INBOX")
        client.fetch("1", "(RFC822)")

    assert dovecot.folders(ALICE) == ["Empty Folder", "INBOX", "Support/Done"]
    assert dovecot.count(ALICE) == 1
    assert dovecot.count(ALICE, unseen_only=True) == 0
    assert dovecot.count(ALICE, "Support/Done", unseen_only=True) == 1
    assert dovecot.count(ALICE, "Empty Folder") == 0
    assert dovecot.count(dovecot.default_user) == 0


def test_dovecot_clear_empties_every_mailbox(dovecot: DovecotServer) -> None:
    dovecot.deliver(ALICE, _raw("one"))
    dovecot.deliver(ALICE, _raw("two"), folder="Archive/2024/May")
    dovecot.deliver(dovecot.default_user, _raw("three"))

    dovecot.clear()

    assert dovecot.folders(ALICE) == ["INBOX"]
    assert dovecot.count(ALICE) == 0
    assert dovecot.count(dovecot.default_user) == 0


def test_dovecot_add_user_while_running(dovecot: DovecotServer) -> None:
    dovecot.add_user("late@example.com", "late-secret")

    dovecot.deliver("late@example.com", _raw("welcome"))

    assert dovecot.count("late@example.com") == 1


def test_dovecot_rejects_wrong_password(dovecot: DovecotServer) -> None:
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10) as client:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(dovecot.default_user, "wrong")


def _processes_mentioning(text: str) -> list[str]:
    result = subprocess.run(
        ["pgrep", "-a", "-f", text], capture_output=True, text=True, check=False
    )
    return result.stdout.splitlines()


def test_dovecot_stop_leaves_nothing_behind() -> None:
    server = DovecotServer().start()
    # Dovecot names its children after instance_name, the temp dir's name.
    name = server.dir.name
    client = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        client.login(server.default_user, server.default_password)
        running = _processes_mentioning(name)
        server.stop()
    finally:
        client.shutdown()

    assert any(line.endswith("/imap") for line in running), running
    assert _processes_mentioning(name) == []
    assert not server.dir.exists()


def test_dovecot_without_binary_fails_loudly() -> None:
    server = DovecotServer()
    server.binary = "/nonexistent/dovecot"
    try:
        with pytest.raises(RuntimeError, match="install dovecot-core"):
            server.start()
    finally:
        server.stop()
