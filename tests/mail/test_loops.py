"""automatic_reason: machine-sent mail is recognised, human mail is not."""

from __future__ import annotations

import pytest

from app.mail.loops import automatic_reason
from app.mail.parse import ParsedMail, parse_message

HUMAN_HEADERS = (
    "From: Alice <alice@example.com>\r\nTo: desk@example.org\r\n"
    "Subject: Printer\r\nMessage-ID: <a1@example.com>\r\n"
    "Return-Path: <alice@example.com>\r\n"
)


def _parsed(extra_headers: str = "", headers: str = HUMAN_HEADERS) -> ParsedMail:
    return parse_message(f"{headers}{extra_headers}\r\nHello\r\n".encode())


def test_ordinary_human_mail_is_not_automatic() -> None:
    assert automatic_reason(_parsed(), our_loop_tokens=["desk@example.org"]) is None


def test_outlook_suppress_header_alone_is_not_automatic() -> None:
    mail = _parsed("X-Auto-Response-Suppress: All\r\n")

    assert mail.other_auto_headers == ["x-auto-response-suppress"]
    assert automatic_reason(mail) is None


def test_auto_submitted_no_is_not_automatic() -> None:
    assert automatic_reason(_parsed("Auto-Submitted: no\r\n")) is None


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("Auto-Submitted: auto-replied\r\n", "auto-submitted"),
        ("Auto-Submitted: Auto-Generated; owner=x\r\n", "auto-submitted"),
        ("Precedence: bulk\r\n", "precedence"),
        ("Precedence: JUNK\r\n", "precedence"),
        ("Precedence: list\r\n", "precedence"),
        ("Precedence: auto_reply\r\n", "precedence"),
        ("X-Loop: Desk@Example.org\r\n", "x-loop"),
        ("X-Autoreply: yes\r\n", "auto-reply-header"),
        ("X-Autorespond: yes\r\n", "auto-reply-header"),
        ("X-Failed-Recipients: bob@example.com\r\n", "auto-reply-header"),
        ("List-Id: Announcements <news.example.com>\r\n", "list"),
    ],
)
def test_automatic_headers_give_their_reason(extra: str, reason: str) -> None:
    mail = _parsed(extra)

    assert automatic_reason(mail, our_loop_tokens=["desk@example.org"]) == reason


def test_foreign_x_loop_is_not_ours() -> None:
    mail = _parsed("X-Loop: someone-else@example.net\r\n")

    assert automatic_reason(mail, our_loop_tokens=["desk@example.org"]) is None


def test_empty_return_path() -> None:
    headers = HUMAN_HEADERS.replace("<alice@example.com>\r\n", "<>\r\n")

    assert automatic_reason(_parsed(headers=headers)) == "empty-return-path"


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.com",
        "postmaster@example.com",
        "noreply@example.com",
        "no-reply@example.com",
        "bounces+1234=desk=example.org@lists.example.com",
    ],
)
def test_bounce_senders(sender: str) -> None:
    headers = HUMAN_HEADERS.replace("Alice <alice@example.com>", sender)

    assert automatic_reason(_parsed(headers=headers)) == "mailer-daemon"


def test_bounce_return_path() -> None:
    headers = HUMAN_HEADERS.replace(
        "Return-Path: <alice@example.com>", "Return-Path: <MAILER-DAEMON@mx.example>"
    )

    assert automatic_reason(_parsed(headers=headers)) == "mailer-daemon"


def test_human_lookalike_local_parts_are_not_bounces() -> None:
    headers = HUMAN_HEADERS.replace("alice@example.com>", "bouncer.bob@example.com>")

    assert automatic_reason(_parsed(headers=headers)) is None


def test_first_matching_reason_wins() -> None:
    mail = _parsed("Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\n")

    assert automatic_reason(mail) == "auto-submitted"
