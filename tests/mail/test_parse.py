"""parse_message on ordinary and awkward mail: headers, bodies, charsets, parts."""

from __future__ import annotations

import datetime
import email.policy
from email.message import EmailMessage

import pytest

from app.mail.parse import ParsedMail, parse_message

_MIXED = (
    'From: a@example.com\nSubject: s\nContent-Type: multipart/mixed; boundary="b"\n'
)


def _mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Alice Example <Alice@Example.COM>")
    message["Subject"] = headers.pop("Subject", "Printer on fire")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def _parse(message: EmailMessage) -> ParsedMail:
    return parse_message(message.as_bytes())


def _raw(head: str, body: bytes = b"body\n") -> bytes:
    return head.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


def test_plain_mail_headers_are_read() -> None:
    message = _mail(
        Message_ID="<  abc.123@mail.example  >",
        In_Reply_To="<atrium.article-1@desk.example>",
        References="<root@x.example> <atrium.article-1@desk.example>",
        To="Desk <Support@Desk.Example>, bob@example.org",
        Cc='"Carol, C." <carol@example.org>',
        Reply_To="Replies <Replies@Example.com>",
        Date="Tue, 02 Jan 2024 10:00:00 +0200",
    )
    message.set_content("Hello there\n")

    mail = _parse(message)

    assert mail.message_id == "abc.123@mail.example"
    assert mail.in_reply_to == ["atrium.article-1@desk.example"]
    assert mail.references == ["root@x.example", "atrium.article-1@desk.example"]
    assert (mail.from_name, mail.from_address) == ("Alice Example", "alice@example.com")
    assert mail.to == [("Desk", "support@desk.example"), ("", "bob@example.org")]
    assert mail.cc == [("Carol, C.", "carol@example.org")]
    assert mail.reply_to == "replies@example.com"
    assert mail.date == datetime.datetime(2024, 1, 2, 8, 0)
    assert mail.subject == "Printer on fire"
    assert mail.text == "Hello there\n"
    assert mail.html is None
    assert mail.attachments == []
    assert mail.return_path is None
    assert mail.warnings == []
    assert mail.size == len(message.as_bytes())


def test_missing_optional_headers_give_empty_values() -> None:
    mail = parse_message(_raw("From: someone@example.com\n"))

    assert mail.message_id is None
    assert mail.in_reply_to == mail.references == []
    assert mail.subject == ""
    assert mail.date is None
    assert mail.auto_submitted == mail.precedence == mail.list_id == ""
    assert mail.x_loop == [] and mail.other_auto_headers == []


def test_automatic_headers_are_collected() -> None:
    raw = _raw(
        "From: robot@example.com\nSubject: Away\nAuto-Submitted: Auto-Replied\n"
        "Precedence: Bulk\nX-Loop: desk@example.com\nX-Loop:  other \n"
        "List-Id: <news.example.com>\nX-Autoreply: yes\nReturn-Path: <>\n"
    )

    mail = parse_message(raw)

    assert mail.auto_submitted == "auto-replied"
    assert mail.precedence == "bulk"
    assert mail.x_loop == ["desk@example.com", "other"]
    assert mail.list_id == "<news.example.com>"
    assert mail.other_auto_headers == ["x-autoreply"]
    assert mail.return_path == ""


def test_return_path_address_is_lower_cased() -> None:
    mail = parse_message(
        _raw("From: a@example.com\nReturn-Path: <Bounce@Example.COM>\n")
    )

    assert mail.return_path == "bounce@example.com"


def test_russian_encoded_subject_and_name_are_decoded() -> None:
    message = _mail(From="Иван Петров <ivan@example.ru>", Subject="Не работает принтер")
    message.set_content("Привет")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw  # really RFC 2047 on the wire

    mail = parse_message(raw)

    assert mail.subject == "Не работает принтер"
    assert mail.from_name == "Иван Петров"
    assert mail.text.strip() == "Привет"


def test_encoded_words_in_other_charsets_and_unknown_ones() -> None:
    raw = _raw(
        "From: =?koi8-r?b?6dfBzg==?= <ivan@example.ru>\n"
        "Subject: =?windows-1251?q?=CF=F0=E8=E2=E5=F2?= =?x-bogus?q?ok?=\n"
    )

    mail = parse_message(raw)

    assert mail.from_name == "Иван"
    assert mail.subject == "Приветok"


def test_subject_controls_are_flattened_and_length_capped() -> None:
    raw = _raw("From: a@example.com\nSubject: =?utf-8?q?one=0D=0ABcc:_x=00two?=\n")
    assert parse_message(raw).subject == "one Bcc: x two"

    long_raw = _raw("From: a@example.com\nSubject: " + "word " * 200 + "\n")
    assert len(parse_message(long_raw).subject) <= 300


def test_raw_8bit_headers_are_read_as_utf8() -> None:
    raw = (
        "From: Jürgen <j@example.de>\r\nSubject: Grüße aus Köln\r\n\r\nHallo\r\n"
    ).encode()

    mail = parse_message(raw)

    assert mail.subject == "Grüße aus Köln"
    assert mail.from_name == "Jürgen"


def test_quoted_local_part_does_not_spoof_the_sender_domain() -> None:
    raw = _raw('From: "alice@trusted.example"@evil.example\nSubject: hi\n')

    address = parse_message(raw).from_address

    assert address.rpartition("@")[2] == "evil.example"


def test_unparsable_addresses_give_empty_strings() -> None:
    mail = parse_message(_raw("From: not an address at all\nSubject: x\n"))

    assert mail.from_address == ""
    assert mail.subject == "x"


def test_multipart_alternative_prefers_each_kind() -> None:
    message = _mail()
    message.set_content("plain version")
    message.add_alternative("<p>html <b>version</b></p>", subtype="html")

    mail = _parse(message)

    assert mail.text.strip() == "plain version"
    assert mail.html is not None and "<b>version</b>" in mail.html
    assert mail.attachments == []


def test_html_only_mail_gets_text_derived_from_html() -> None:
    message = _mail()
    message.set_content(
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>First&nbsp;line &amp; more</p><div>Second<br>Third</div>"
        "<script>alert('x')</script></body></html>",
        subtype="html",
    )

    mail = _parse(message)

    assert mail.text == "First\xa0line & more\nSecond\nThird"
    assert "<script>alert('x')</script>" in (mail.html or "")


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Grüße, café"),
        ("koi8-r", "Привет, мир"),
        ("windows-1251", "Привет, мир"),
    ],
)
def test_body_charsets_are_decoded(charset: str, text: str) -> None:
    raw = _raw(
        "From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={charset}\n"
        "Content-Transfer-Encoding: 8bit\n",
        text.encode(charset) + b"\r\n",
    )

    mail = parse_message(raw)

    assert mail.text == text + "\n"
    assert mail.warnings == []


def test_bogus_charset_falls_back_to_utf8_with_a_warning() -> None:
    raw = _raw(
        "From: a@example.com\nSubject: s\n"
        "Content-Type: text/plain; charset=x-unknown\n"
        "Content-Transfer-Encoding: 8bit\n",
        "naïve \xff".encode("latin-1") + "ü".encode(),
    )

    mail = parse_message(raw)

    assert mail.text == "na\ufffdve \ufffdü"
    assert mail.warnings == [
        "unknown charset x-unknown, decoded as UTF-8 with replacement"
    ]


@pytest.mark.parametrize("charset", ["zlib", "idna", "undefined", "rot13", "a\x00b"])
def test_codecs_that_are_not_charsets_never_raise(charset: str) -> None:
    raw = _raw(
        "From: a@example.com\nSubject: s\n"
        f'Content-Type: text/plain; charset="{charset}"\n',
        b"hello\r\n",
    )

    mail = parse_message(raw)

    assert mail.text == "hello\n"


def test_body_line_endings_and_nul_are_normalised() -> None:
    raw = _raw("From: a@example.com\nSubject: s\n", b"one\r\ntwo\rthree\x00\r\n")

    assert parse_message(raw).text == "one\ntwo\nthree\n"


def test_rfc2231_filename_loses_its_directories() -> None:
    raw = _raw(
        _MIXED,
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''..%2F..%2Fx\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n",
    )

    mail = parse_message(raw)

    [attachment] = mail.attachments
    assert attachment.filename == "x"
    assert attachment.data == b"hello"
    assert attachment.content_type == "application/octet-stream"
    assert not attachment.inline
    assert mail.text == "see file"


def test_encoded_word_filename_is_decoded() -> None:
    message = _mail()
    message.set_content("body")
    message.add_attachment(
        b"%PDF", maintype="application", subtype="pdf", filename="Счёт 5.pdf"
    )

    [attachment] = _parse(message).attachments

    assert attachment.filename == "Счёт 5.pdf"
    assert attachment.content_type == "application/pdf"


def test_unnamed_attachment_has_empty_filename() -> None:
    raw = _raw(
        _MIXED,
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--b\r\nContent-Type: Image/PNG\r\n\r\npng\r\n--b--\r\n",
    )

    [attachment] = parse_message(raw).attachments

    assert (attachment.filename, attachment.content_type) == ("", "image/png")


def test_inline_image_in_multipart_related() -> None:
    message = _mail()
    message.set_content("plain")
    message.add_alternative('<p>logo: <img src="cid:logo123@x"></p>', subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(
        b"\x89PNG", maintype="image", subtype="png", cid="<logo123@x>"
    )

    mail = _parse(message)

    [image] = mail.attachments
    assert image.inline is True
    assert image.content_id == "logo123@x"
    assert image.content_type == "image/png"
    assert image.data == b"\x89PNG"
    assert mail.html is not None and "cid:logo123@x" in mail.html
    assert mail.text.strip() == "plain"


def test_inline_disposition_marks_a_part_inline() -> None:
    message = _mail()
    message.set_content("body")
    message.add_attachment(
        b"GIF89a",
        maintype="image",
        subtype="gif",
        filename="a.gif",
        disposition="inline",
    )

    [image] = _parse(message).attachments

    assert image.inline is True
    assert image.content_id is None


def test_attached_message_becomes_an_eml_attachment() -> None:
    inner = _mail(Subject="Original question", From="bob@example.org")
    inner.set_content("inner body that must not leak")
    outer = _mail()
    outer.set_content("see the forwarded mail")
    outer.add_attachment(inner)

    mail = _parse(outer)

    [attached] = mail.attachments
    assert attached.filename == "Original question.eml"
    assert attached.content_type == "message/rfc822"
    assert b"inner body that must not leak" in attached.data
    assert "inner body" not in mail.text
    reparsed = email.message_from_bytes(attached.data, policy=email.policy.default)
    assert reparsed["Subject"] == "Original question"


def test_attached_message_without_subject_is_named_message() -> None:
    inner = EmailMessage()
    inner["From"] = "bob@example.org"
    inner.set_content("x")
    outer = _mail()
    outer.set_content("fwd")
    outer.add_attachment(inner)

    [attached] = _parse(outer).attachments

    assert attached.filename == "message.eml"


def test_second_plain_part_is_kept_as_an_attachment() -> None:
    raw = _raw(
        _MIXED,
        b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--b--\r\n",
    )

    mail = parse_message(raw)

    assert mail.text == "first"
    assert [a.data for a in mail.attachments] == [b"second"]


def test_multipart_without_boundary_is_read_as_text() -> None:
    raw = _raw(
        "From: a@example.com\nSubject: s\nContent-Type: multipart/mixed\n",
        b"just text\r\n",
    )

    assert parse_message(raw).text == "just text\n"


def test_broken_base64_is_decoded_leniently() -> None:
    raw = _raw(
        _MIXED,
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8\r\n--b--\r\n",
    )

    [attachment] = parse_message(raw).attachments

    assert attachment.data.startswith(b"hell")


def test_malformed_headers_never_raise() -> None:
    raw = _raw(
        'From: <<<@@@>>> ,,, "unterminated\nSubject: =?utf-8?b?!!!?= =?utf-8?q?=ZZ?=\n'
        "Date: Mon, 99 Foo 99999 99:99:99 +9999\nMessage-ID: <<>>\n"
        "Content-Type: text/plain; charset*=''; name*0*=bogus''%ZZ\n"
        "Content-Disposition: attachment; filename*=x-unknown''%FF%FE\n"
        'To: (((((((((((\nCc: "\\\nReturn-Path: <\n'
    )

    mail = parse_message(raw)

    assert mail.date is None
    assert mail.to == []
    assert mail.subject == "=ZZ"  # the empty base64 word decodes to nothing


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?UTF-8?Q?Eve=0ABob?= <eve@example.com>", [("Eve Bob", "eve@example.com")]),
        (
            "=?UTF-8?Q?Eve=0ABcc:_x@y.com?= <eve@example.com>",
            [("Eve Bcc: x@y.com", "eve@example.com")],
        ),
    ],
)
def test_encoded_line_breaks_in_a_name_keep_the_address(header, expected):
    from app.mail.headers import parse_addresses

    assert parse_addresses(header) == expected
