"""parse_message under hostile load: size, part count, nesting, garbage."""

from __future__ import annotations

import base64
import random
import time
import tracemalloc

import pytest

from app.mail.parse import MailRejected, ParsedMail, parse_message

MB = 1024 * 1024


def _big_mail(attachment_size: int) -> bytes:
    data = bytes(range(256)) * (attachment_size // 256)
    return (
        b"From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )


@pytest.fixture(scope="module")
def thirty_mb_mail() -> bytes:
    raw = _big_mail(22 * MB)
    assert len(raw) > 30 * MB
    return raw


def _timed(raw: bytes, **limits: int) -> tuple[ParsedMail, float]:
    started = time.perf_counter()
    mail = parse_message(raw, **limits)
    return mail, time.perf_counter() - started


def test_thirty_mb_mail_parses_quickly(thirty_mb_mail: bytes) -> None:
    mail, seconds = _timed(thirty_mb_mail)

    assert seconds < 5
    [attachment] = mail.attachments
    assert attachment.filename == "big.bin"
    assert len(attachment.data) == 22 * MB
    assert mail.text == "see attachment"


def test_thirty_mb_mail_memory_stays_bounded(thirty_mb_mail: bytes) -> None:
    tracemalloc.start()
    try:
        parse_message(thirty_mb_mail)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # The parsed tree holds the encoded text once and the decoded bytes once.
    assert peak < 4 * len(thirty_mb_mail)


def test_attachment_over_the_limit_is_dropped_with_a_warning(
    thirty_mb_mail: bytes,
) -> None:
    mail, seconds = _timed(thirty_mb_mail, max_attachment_bytes=MB)

    assert seconds < 5
    assert mail.attachments == []
    assert mail.warnings == [f"attachment big.bin larger than {MB} bytes dropped"]


def test_attachment_just_over_the_limit_is_dropped() -> None:
    raw = _big_mail(4096)

    assert len(parse_message(raw, max_attachment_bytes=4096).attachments) == 1
    assert parse_message(raw, max_attachment_bytes=4095).attachments == []


def test_mail_over_max_bytes_is_rejected() -> None:
    raw = _big_mail(4096)

    with pytest.raises(MailRejected) as caught:
        parse_message(raw, max_bytes=len(raw) - 1)

    assert caught.value.reason == f"message is larger than {len(raw) - 1} bytes"


@pytest.mark.parametrize("raw", [b"", b" \r\n\r\n\t"])
def test_empty_mail_is_rejected(raw: bytes) -> None:
    with pytest.raises(MailRejected, match="empty"):
        parse_message(raw)


def test_bytes_without_mail_headers_are_rejected() -> None:
    with pytest.raises(MailRejected):
        parse_message(b"just some text\r\nwith lines\r\n")


def test_ten_thousand_parts_keep_only_the_limit() -> None:
    parts = b"".join(
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="%d.bin"\r\n\r\nx\r\n' % index
        for index in range(10_000)
    )
    raw = (
        b"From: a@example.com\r\nSubject: many\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"
    )

    mail, seconds = _timed(raw)

    assert seconds < 5
    # The limit counts every part: the root container and 199 attachments.
    assert len(mail.attachments) == 199
    assert mail.attachments[0].filename == "0.bin"
    assert mail.warnings == ["skipped 9801 parts beyond the limit of 200"]


def _nested_messages(levels: int) -> bytes:
    raw = b"From: a@example.com\r\nSubject: level 0\r\n\r\ninnermost\r\n"
    for level in range(1, levels + 1):
        raw = (
            b"From: a@example.com\r\nSubject: level %d\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" % level
        ) + raw
    return raw


def test_fifty_nested_messages_become_one_attachment() -> None:
    mail, seconds = _timed(_nested_messages(50))

    assert seconds < 5
    [attached] = mail.attachments
    assert attached.filename == "level 49.eml"
    assert attached.content_type == "message/rfc822"
    assert b"innermost" in attached.data
    assert "innermost" not in mail.text


def test_absurdly_nested_messages_are_rejected_or_trimmed() -> None:
    for levels in (300, 3000):
        try:
            mail, seconds = _timed(_nested_messages(levels))
        except MailRejected:
            continue
        assert seconds < 5
        assert mail.warnings == [
            f"attached message level {levels - 1}.eml could not be read"
        ]


def _nested_multiparts(levels: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\ndeepest text\r\n"
    for level in range(levels):
        boundary = b"b%d" % level
        body = (
            b'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % boundary
            + b"--%s\r\n%s\r\n--%s--\r\n" % (boundary, body, boundary)
        )
    return b"From: a@example.com\r\nSubject: deep\r\n" + body


def test_nesting_deeper_than_max_depth_is_not_read() -> None:
    mail = parse_message(_nested_multiparts(15), max_depth=10)

    assert mail.text == ""
    assert mail.warnings == ["parts nested deeper than 10 levels ignored"]
    shallow = parse_message(_nested_multiparts(9), max_depth=10)
    assert shallow.text.strip() == "deepest text"


def test_thousands_of_nested_multiparts_never_crash() -> None:
    started = time.perf_counter()
    try:
        parse_message(_nested_multiparts(5000))
    except MailRejected as rejected:
        assert rejected.reason
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("seed", range(40))
def test_random_bytes_are_rejected_or_parsed(seed: int) -> None:
    noise = random.Random(seed).randbytes(20_000)

    try:
        mail = parse_message(noise)
    except MailRejected:
        return
    assert isinstance(mail, ParsedMail)


@pytest.mark.parametrize("seed", range(40))
def test_mangled_mail_is_rejected_or_parsed(seed: int) -> None:
    rng = random.Random(seed)
    raw = bytearray(
        b"From: =?utf-8?q?A=C3=BC?= <a@example.com>\r\nTo: b@example.org\r\n"
        b"Subject: =?koi8-r?b?6dfBzg==?=\r\nDate: Tue, 02 Jan 2024 10:00:00 +0200\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n"
        b"--b\r\nContent-Type: image/png; name*=UTF-8''%2E%2E%2Fa.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"
    )
    for _ in range(30):
        raw[rng.randrange(len(raw))] = rng.randrange(256)

    try:
        mail = parse_message(bytes(raw))
    except MailRejected:
        return
    assert isinstance(mail, ParsedMail)


@pytest.mark.parametrize(
    "value",
    [
        '"' * 30_000,
        "\\" * 30_000,
        ("\\" * 300 + ",") * 300,
        "(" * 30_000,
        "a@b," * 20_000,
        "=?utf-8?q?a?= " * 5_000,
    ],
)
def test_hostile_address_headers_parse_quickly(value: str) -> None:
    raw = (
        f"From: {value}\r\nTo: {value}\r\nCc: {value}\r\nReply-To: {value}\r\n"
        "Subject: x\r\n\r\nbody\r\n"
    ).encode()

    mail, seconds = _timed(raw)

    assert seconds < 2
    assert len(mail.to) <= 300


def test_huge_headers_are_capped() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: " + b"x" * 5_000_000 + b"\r\n"
        b"References: " + b"<r@x> " * 200_000 + b"\r\n\r\nbody\r\n"
    )

    mail, seconds = _timed(raw)

    assert seconds < 5
    assert len(mail.subject) == 300
    assert len(mail.references) == 100


def test_huge_html_only_mail_derives_text_from_its_start() -> None:
    html = b"<p>Hello <b>there</b></p>" * 1_300_000
    raw = (
        b"From: a@example.com\r\nSubject: html\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    )
    assert len(raw) > 30 * MB

    mail, seconds = _timed(raw)

    assert seconds < 5
    assert mail.text.startswith("Hello there\nHello there")
    assert mail.html is not None and len(mail.html) == len(html)
    assert mail.warnings == [
        "HTML body longer than 1000000 characters; text derived from its start only"
    ]
