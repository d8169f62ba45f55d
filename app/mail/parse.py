"""Inbound mail: raw RFC 5322 bytes to a ParsedMail, within hard limits."""

from __future__ import annotations

import binascii
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.feedparser import BytesFeedParser
from email.message import Message
from email.policy import Compat32
from typing import TypeVar

from app.mail.detach import (
    detach_large_bodies,
    detached_bodies,
    lifted_bytes,
    lifted_size,
)
from app.mail.headers import (
    clean_text,
    decode_bytes,
    decode_words,
    header_text,
    parse_addresses,
    parse_date,
    parse_message_ids,
    unfold,
)
from app.mail.text import html_to_text, safe_filename

__all__ = [
    "AUTO_REPLY_HEADERS",
    "MailRejected",
    "ParsedAttachment",
    "ParsedMail",
    "html_to_text",
    "parse_message",
    "safe_filename",
]

MAX_SUBJECT = 300
#: HTML read when deriving the text of an HTML-only mail: html.parser needs up
#: to 1.5 s per MB of dense tags; the full HTML stays in ParsedMail.html.
MAX_HTML_FOR_TEXT = 1_000_000
#: Headers that identify a mail; bytes with none of them are not a mail at all.
_IDENTIFYING_HEADERS = ("from", "sender", "subject", "message-id", "date", "to")
#: Headers (lower case) that auto-responders and bounce generators add. Whether
#: each one really means "automatic" is for app.mail.loops to decide.
AUTO_REPLY_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-fc-machinegenerated",
    "x-failed-recipients",
    "x-auto-response-suppress",
)
#: Bytes fed to the parser at a time, so no full-size text copy of the mail exists.
_FEED_CHUNK = 1 << 20
_BODY_JUNK = re.compile(r"\r\n?|\x00|[\ud800-\udfff]")
_T = TypeVar("_T")


class MailRejected(Exception):
    """The bytes are not a mail we accept; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedAttachment:
    """One attachment or inline part, decoded."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool


@dataclass
class ParsedMail:
    """Everything the help desk reads from one inbound mail."""

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    reply_to: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    return_path: str | None
    date: datetime.datetime | None
    text: str
    html: str | None
    attachments: list[ParsedAttachment]
    auto_submitted: str
    precedence: str
    x_loop: list[str]
    list_id: str
    other_auto_headers: list[str]
    size: int
    warnings: list[str]


class _RawHeaderPolicy(Compat32):
    """compat32 parsing, with header values handed back exactly as received.

    compat32 would wrap values holding 8-bit bytes in Header objects; we decode
    every value ourselves, so plain strings are simpler and never raise.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_POLICY = _RawHeaderPolicy()


@dataclass
class _Limits:
    max_parts: int
    max_depth: int
    max_attachment_bytes: int


@dataclass
class _Body:
    text: str | None = None
    html: str | None = None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _safely(read: Callable[[], _T], default: _T) -> _T:
    try:
        return read()
    except Exception:
        # The stdlib MIME helpers have raised assorted errors on malformed
        # headers over the years; one bad header must not cost us the mail.
        return default


def parse_message(
    raw: bytes,
    *,
    max_bytes: int = 40 * 1024 * 1024,
    max_parts: int = 200,
    max_depth: int = 10,
    max_attachment_bytes: int = 25 * 1024 * 1024,
) -> ParsedMail:
    """Parse raw mail bytes into a ParsedMail; raise MailRejected if unusable."""
    if len(raw) > max_bytes:
        raise MailRejected(f"message is larger than {max_bytes} bytes")
    detached = detach_large_bodies(raw)
    message = _load(detached.raw, max_bytes)
    headers = _header_values(message)
    present = (v for name in _IDENTIFYING_HEADERS for v in headers.get(name, []))
    if not any(header_text(value, max_length=100) for value in present):
        raise MailRejected("message has no From, Subject, Message-ID or Date header")
    with detached_bodies(detached):
        body = _walk(message, _Limits(max_parts, max_depth, max_attachment_bytes))
    text = body.text or ""
    if not text.strip() and body.html:
        text = _text_from_html(body.html, body.warnings)
    return _assemble(headers, body, text, len(raw))


def _text_from_html(html: str, warnings: list[str]) -> str:
    if len(html) > MAX_HTML_FOR_TEXT:
        warnings.append(
            f"HTML body longer than {MAX_HTML_FOR_TEXT} characters;"
            " text derived from its start only"
        )
    return html_to_text(html[:MAX_HTML_FOR_TEXT])


def _load(raw: bytes, max_bytes: int) -> Message:
    if len(raw) > max_bytes:
        raise MailRejected(f"message is larger than {max_bytes} bytes")
    if not raw or raw.isspace():
        raise MailRejected("message is empty")
    parser = BytesFeedParser(policy=_POLICY)
    try:
        for start in range(0, len(raw), _FEED_CHUNK):
            parser.feed(raw[start : start + _FEED_CHUNK])
        return parser.close()
    except Exception as exc:
        # The parser records defects instead of raising, but thousands of
        # nested multiparts still exhaust the stack (RecursionError).
        raise MailRejected("message structure could not be parsed") from exc


def _header_values(message: Message) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in message.items():
        values.setdefault(name.strip().lower(), []).append(str(value))
    return values


def _assemble(
    headers: dict[str, list[str]], body: _Body, text: str, size: int
) -> ParsedMail:
    def first(name: str) -> str:
        return headers.get(name, [""])[0]

    def every(name: str) -> str:
        return ", ".join(headers.get(name, []))

    message_ids = parse_message_ids(first("message-id"))
    sender = (parse_addresses(first("from")) or [("", "")])[0]
    reply_to = (parse_addresses(every("reply-to")) or [("", "")])[0]
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=parse_message_ids(first("in-reply-to")),
        references=parse_message_ids(first("references")),
        subject=header_text(first("subject"), max_length=MAX_SUBJECT),
        from_name=sender[0],
        from_address=sender[1],
        reply_to=reply_to[1],
        to=parse_addresses(every("to")),
        cc=parse_addresses(every("cc")),
        return_path=_return_path(headers.get("return-path")),
        date=parse_date(first("date")),
        text=_scrub(text),
        html=None if body.html is None else _scrub(body.html),
        attachments=body.attachments,
        auto_submitted=header_text(first("auto-submitted"), max_length=200).lower(),
        precedence=header_text(first("precedence"), max_length=200).lower(),
        x_loop=[header_text(v, max_length=200) for v in headers.get("x-loop", [])],
        list_id=header_text(first("list-id"), max_length=300),
        other_auto_headers=[name for name in AUTO_REPLY_HEADERS if name in headers],
        size=size,
        warnings=body.warnings,
    )


def _return_path(values: list[str] | None) -> str | None:
    if not values:
        return None
    # The topmost Return-Path is the one the final delivery agent wrote.
    value = clean_text(unfold(values[0]))
    inner = re.search(r"<([^<>]*)>", value)
    address = inner.group(1) if inner else value
    return re.sub(r"\s+", "", address).lower()


def _scrub(text: str) -> str:
    # One line-ending style; NUL and lone surrogates cannot be stored in a database.
    return _BODY_JUNK.sub(_scrub_match, text)


def _scrub_match(match: re.Match[str]) -> str:
    found = match.group(0)
    if found.startswith("\r"):
        return "\n"
    return "" if found == "\x00" else "\ufffd"


def _walk(root: Message, limits: _Limits) -> _Body:
    body = _Body()
    # An explicit stack, so hostile nesting cannot exhaust Python's recursion.
    stack: list[tuple[Message, int, bool]] = [(root, 0, False)]
    seen = 0
    while stack:
        part, depth, related = stack.pop()
        seen += 1
        if seen <= limits.max_parts:
            _take_part(part, related, body, limits)
        stack.extend(_children(part, depth, limits, body))
    if seen > limits.max_parts:
        skipped = seen - limits.max_parts
        body.warnings.append(
            f"skipped {skipped} parts beyond the limit of {limits.max_parts}"
        )
    return body


def _children(
    part: Message, depth: int, limits: _Limits, body: _Body
) -> list[tuple[Message, int, bool]]:
    if _maintype(part) != "multipart" or not part.is_multipart():
        return []
    if depth >= limits.max_depth:
        warning = f"parts nested deeper than {limits.max_depth} levels ignored"
        if warning not in body.warnings:
            body.warnings.append(warning)
        return []
    related = part.get_content_subtype() == "related"
    children = [p for p in part.get_payload() if isinstance(p, Message)]
    # Reversed, so popping the stack visits the parts in their mail order.
    return [(child, depth + 1, related) for child in reversed(children)]


def _maintype(part: Message) -> str:
    return _safely(part.get_content_maintype, "text")


def _content_type(part: Message) -> str:
    content_type = _safely(part.get_content_type, "application/octet-stream")
    if content_type.startswith("multipart/"):
        # A multipart without a usable boundary arrives as one text blob.
        return "text/plain"
    return content_type


def _take_part(part: Message, related: bool, body: _Body, limits: _Limits) -> None:
    if not part.is_multipart():
        _take_leaf(part, related, body, limits)
    elif _maintype(part) == "message":
        _take_attached_message(part, body, limits)


def _take_leaf(part: Message, related: bool, body: _Body, limits: _Limits) -> None:
    content_type = _content_type(part)
    disposition = _safely(part.get_content_disposition, None)
    filename = safe_filename(decode_words(_safely(part.get_filename, None) or ""))
    if content_type == "message/rfc822" and not filename:
        filename = "message.eml"
    if _is_body(content_type, disposition, filename, body):
        text = _decode_text(part, body.warnings)
        if content_type == "text/plain":
            body.text = text
        else:
            body.html = text
        return
    if _too_large(part, filename or content_type, body, limits):
        return
    data = _payload_bytes(part)
    if len(data) > limits.max_attachment_bytes:
        _warn_too_large(filename or content_type, body, limits)
        return
    content_id = _content_id(part)
    inline = disposition == "inline" or (related and content_id is not None)
    body.attachments.append(
        ParsedAttachment(filename, content_type, data, content_id, inline)
    )


def _is_body(
    content_type: str, disposition: str | None, filename: str, body: _Body
) -> bool:
    if disposition == "attachment" or filename:
        return False
    if content_type == "text/plain":
        return body.text is None
    return content_type == "text/html" and body.html is None


def _decode_text(part: Message, warnings: list[str]) -> str:
    charset = _safely(part.get_content_charset, None)
    text, known = decode_bytes(_payload_bytes(part), charset)
    if not known:
        name = clean_text(str(charset), max_length=40)
        warnings.append(f"unknown charset {name}, decoded as UTF-8 with replacement")
    return text


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    lifted = lifted_bytes(payload)
    if lifted is not None:
        return lifted
    if _transfer_encoding(part) == "base64" and isinstance(payload, str):
        try:
            # One pass and one copy; the stdlib path splits the payload into
            # lines first, which triples memory for a 30 MB attachment.
            return binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            pass  # broken padding or 8-bit junk: the lenient decoder copes
    data = _safely(lambda: part.get_payload(decode=True), b"")
    return data if isinstance(data, bytes) else b""


def _transfer_encoding(part: Message) -> str:
    value = _safely(lambda: part.get("content-transfer-encoding"), None)
    return clean_text(str(value or "")).lower()


def _too_large(part: Message, label: str, body: _Body, limits: _Limits) -> bool:
    # Decide from the encoded size when we can, so a huge part is never decoded.
    payload = part.get_payload()
    if _transfer_encoding(part) != "base64" or not isinstance(payload, str):
        return False
    size = lifted_size(payload)
    if size is None:
        spaces = sum(payload.count(char) for char in "\r\n\t ")
        size = (len(payload) - spaces) * 3 // 4
    if size - 2 <= limits.max_attachment_bytes:
        return False
    _warn_too_large(label, body, limits)
    return True


def _warn_too_large(label: str, body: _Body, limits: _Limits) -> None:
    body.warnings.append(
        f"attachment {label} larger than {limits.max_attachment_bytes} bytes dropped"
    )


def _content_id(part: Message) -> str | None:
    value = _safely(lambda: part.get("content-id"), None)
    content_id = header_text(str(value or ""), max_length=300).strip("<> ")
    return content_id or None


def _take_attached_message(part: Message, body: _Body, limits: _Limits) -> None:
    inner = [p for p in part.get_payload() if isinstance(p, Message)]
    filename = safe_filename(decode_words(_safely(part.get_filename, None) or ""))
    content_type = _safely(part.get_content_type, "message/rfc822")
    if not filename and content_type in {"message/rfc822", "message/global"}:
        raw_subject = inner[0].get("subject") if inner else None
        subject = header_text(str(raw_subject or ""), max_length=150)
        filename = safe_filename(f"{subject or 'message'}.eml")
    try:
        data = b"".join(message.as_bytes() for message in inner)
    except Exception:
        # Serialising re-walks the attached tree recursively; absurd nesting or
        # odd headers can fail there, and the rest of the mail is still good.
        body.warnings.append(f"attached message {filename} could not be read")
        return
    if len(data) > limits.max_attachment_bytes:
        _warn_too_large(filename, body, limits)
        return
    body.attachments.append(
        ParsedAttachment(filename, content_type, data, _content_id(part), False)
    )
