"""Outgoing messages: header injection, ids, subjects, bodies and attachments."""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
from email.message import EmailMessage

import pytest

from app.mail.compose import (
    OutgoingAttachment,
    build_message,
    clean_header_value,
    find_item_numbers,
    format_address,
    make_message_id,
    reply_subject,
)

INJECTIONS = [
    "a\r\nBcc: evil@example.com",
    "a\nBcc: evil@example.com",
    "a\rBcc: evil@example.com",
    "=?UTF-8?Q?a=0ABcc:_x?=",
    "=?UTF-8?Q?a=0D=0ABcc:_x?=",
    "=?utf-8?b?YQ0KQmNjOiB4?=",
    "=?UTF-8?Q?=3D=3FUTF-8=3FQ=3Fa=3D0ABcc=3A=5Fx=3F=3D?=",
    "a\x00b\x0bc\u2028Bcc: x",
    "word " * 40 + "=?UTF-8?Q?a=0ABcc:_x?= tail",
]


def _build(**overrides: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender": ("Atrium Desk", "desk@example.org"),
        "to": [("Alice", "alice@example.com")],
        "subject": "[T-1] Printer",
        "text": "Hello Alice",
        "message_id": make_message_id("article-1", "example.org"),
    }
    arguments.update(overrides)
    return build_message(**arguments)


def _reparsed(message: EmailMessage) -> email.message.Message:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def _header_names(message: EmailMessage) -> list[str]:
    return [name.lower() for name in message.keys()]


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_hostile_subject_stays_one_header(hostile: str) -> None:
    names = _header_names(_reparsed(_build(subject=hostile)))

    assert names.count("subject") == 1
    assert "bcc" not in names
    assert names.count("to") == 1


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_hostile_display_names_stay_one_header(hostile: str) -> None:
    message = _build(
        sender=(hostile, "desk@example.org"),
        to=[(hostile, "alice@example.com")],
        cc=[(hostile, "carol@example.com")],
        reply_to=(hostile, "replies@example.org"),
    )

    reparsed = _reparsed(message)
    names = _header_names(reparsed)

    assert "bcc" not in names
    for header in ("from", "to", "cc", "reply-to", "subject"):
        assert names.count(header) == 1
    assert reparsed["To"].addresses[0].addr_spec == "alice@example.com"


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_hostile_thread_and_extra_headers_stay_single(hostile: str) -> None:
    message = _build(
        in_reply_to=hostile,
        references=["<a@example.com>", hostile],
        auto_submitted=hostile,
        x_loop=hostile,
        extra_headers={"X-Atrium-Item": hostile},
    )

    names = _header_names(_reparsed(message))

    assert "bcc" not in names
    assert names.count("x-atrium-item") == names.count("x-loop") == 1


def test_clean_header_value_flattens_controls_and_encoded_words() -> None:
    assert clean_header_value("a\r\n\tb\x00c  d ") == "a b c d"
    assert clean_header_value("=?UTF-8?Q?a=0ABcc:_x?=") == "a Bcc: x"
    assert clean_header_value("Grüße") == "Grüße"
    assert len(clean_header_value("x" * 2000)) == 900
    assert len(clean_header_value("x" * 50, max_length=10)) == 10


def test_nested_encoded_words_cannot_survive_cleaning() -> None:
    assert "=?" not in clean_header_value("=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3F=3D?=")
    assert "=?" not in clean_header_value("plain =?x?y?z")


def test_message_id_is_deterministic_and_safe() -> None:
    first = make_message_id("item 42/article:7", "Desk.Example.ORG")

    assert first == "<atrium.item-42-article-7@desk.example.org>"
    assert make_message_id("item 42/article:7", "desk.example.org") == first
    assert make_message_id("..a..b..", "x.org") == "<atrium.a.b@x.org>"


def test_long_message_id_keys_stay_distinct() -> None:
    one = make_message_id("k" * 300 + "1", "x.org")
    two = make_message_id("k" * 300 + "2", "x.org")

    assert one != two
    assert len(one) < 200


@pytest.mark.parametrize(
    ("key", "domain"),
    [("", "x.org"), ("///", "x.org"), ("k", "bad domain"), ("k", "x.org\r\nBcc: y")],
)
def test_message_id_rejects_unusable_input(key: str, domain: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(key, domain)


def test_format_address() -> None:
    assert format_address("Alice", "alice@example.com") == "Alice <alice@example.com>"
    assert format_address("", "alice@example.com") == "alice@example.com"
    assert format_address("Doe, John", "j@example.com") == '"Doe, John" <j@example.com>'
    assert (
        format_address("a\r\nBcc: x", "a@example.com") == '"a Bcc: x" <a@example.com>'
    )


@pytest.mark.parametrize(
    "address",
    [
        "no-at-sign",
        "a@example.com\r\nBcc: x@example.com",
        "a@example.com\nBcc: x",
        "a b@example.com",
        "a@b@c",
        "<a@example.com>",
    ],
)
def test_format_address_rejects_bad_addresses(address: str) -> None:
    with pytest.raises(ValueError):
        format_address("Name", address)


def test_message_headers_and_plain_body() -> None:
    moment = datetime.datetime(2024, 1, 2, 10, 0, tzinfo=datetime.UTC)
    message = _build(
        date=moment,
        in_reply_to="parent@example.com",
        references=["root@example.com", "<parent@example.com>"],
        cc=[("Carol", "carol@example.com")],
        reply_to=("Desk", "reply+T-1@example.org"),
    )

    reparsed = _reparsed(message)

    assert reparsed["Message-ID"] == "<atrium.article-1@example.org>"
    assert reparsed["In-Reply-To"] == "<parent@example.com>"
    assert reparsed["References"] == "<root@example.com> <parent@example.com>"
    assert reparsed["Date"] == "Tue, 02 Jan 2024 10:00:00 +0000"
    assert reparsed["Reply-To"] == "Desk <reply+T-1@example.org>"
    assert reparsed["Cc"] == "Carol <carol@example.com>"
    assert reparsed["Auto-Submitted"] is None
    assert reparsed["X-Loop"] is None
    assert reparsed.get_content_type() == "text/plain"
    assert reparsed.get_content().strip() == "Hello Alice"


def test_date_defaults_to_now_in_utc() -> None:
    parsed = email.utils.parsedate_to_datetime(_build()["Date"])

    assert parsed.utcoffset() == datetime.timedelta(0)
    now = datetime.datetime.now(datetime.UTC)
    assert abs((now - parsed).total_seconds()) < 60


def test_auto_submitted_and_loop_headers_when_given() -> None:
    reparsed = _reparsed(_build(auto_submitted="auto-replied", x_loop="desk@x.org"))

    assert reparsed["Auto-Submitted"] == "auto-replied"
    assert reparsed["X-Loop"] == "desk@x.org"


def test_html_alternative_and_attachments() -> None:
    message = _build(
        subject="Счёт [T-1]",
        text="Plain Привет",
        html="<p>HTML Привет</p>",
        attachments=[
            OutgoingAttachment("../../Счёт.pdf", "Application/PDF", b"%PDF-1"),
            OutgoingAttachment("a\r\nb.txt", "not a type", b"x"),
            OutgoingAttachment("mail.eml", "message/rfc822", b"Subject: x\r\n\r\ny"),
        ],
    )

    reparsed = _reparsed(message)

    assert reparsed["Subject"] == "Счёт [T-1]"
    assert reparsed.get_content_type() == "multipart/mixed"
    body = reparsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Plain Привет"
    html = reparsed.get_body(preferencelist=("html",))
    assert html is not None and "HTML Привет" in html.get_content()
    parts = list(reparsed.iter_attachments())
    assert [p.get_filename() for p in parts] == ["Счёт.pdf", "a b.txt", "mail.eml"]
    assert [p.get_content_type() for p in parts] == [
        "application/pdf",
        "application/octet-stream",
        "application/octet-stream",
    ]
    assert parts[0].get_content() == b"%PDF-1"
    assert b"filename*=utf-8''" in message.as_bytes()


@pytest.mark.parametrize("name", ["Bad Name", "X-Ok:", "Bcc", "subject", "X\r\nY"])
def test_extra_header_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError):
        _build(extra_headers={name: "v"})


def test_extra_headers_are_added() -> None:
    reparsed = _reparsed(_build(extra_headers={"X-Atrium-Item": "T-1"}))

    assert reparsed["X-Atrium-Item"] == "T-1"


def test_message_needs_a_recipient() -> None:
    with pytest.raises(ValueError):
        _build(to=[])


def test_unusable_own_message_id_is_refused() -> None:
    with pytest.raises(ValueError):
        _build(message_id="  <>  ")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer on fire", "[T-1042] Printer on fire"),
        ("Re: Printer on fire", "Re: [T-1042] Printer on fire"),
        ("RE: AW: Fwd: Printer", "RE: AW: Fwd: [T-1042] Printer"),
        ("Re: [T-1042] Printer", "Re: [T-1042] Printer"),
        ("Re: [t-1042] Printer", "Re: [t-1042] Printer"),
        ("[T-10420] other", "[T-1042] [T-10420] other"),
        ("", "[T-1042]"),
        ("Line\r\nBcc: x", "[T-1042] Line Bcc: x"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject("T-1042", subject) == expected


def test_find_item_numbers() -> None:
    subject = "Re: [T-1042] about [k-77], T-5, [T 6], [T-1042] and [X-9]"

    assert find_item_numbers(subject) == [("T", 1042), ("K", 77), ("X", 9)]
    assert find_item_numbers("no tokens") == []
