"""Outbound mail: safe header values and complete messages; nothing is sent here."""

from __future__ import annotations

import datetime
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage

from app.mail.headers import clean_text, decode_words
from app.mail.text import safe_filename

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_MIME_TYPE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]*)/([a-z0-9][a-z0-9!#$&^_.+-]*)")
_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")
_ADDRESS_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_ITEM_TOKEN = re.compile(r"\[([A-Za-z]{1,5})-(\d{1,9})\]")
#: "Re:", "AW:", "Fwd:", "Re[2]:" ... as mail clients stack them.
_REPLY_PREFIXES = re.compile(
    r"^\s*((re|aw|sv|vs|antw|odp|rif|r|fwd?|wg|tr|ответ|отв|пересл)\s*(\[\d+\])?"
    r"\s*:\s*)+",
    re.IGNORECASE,
)
#: Headers build_message sets itself; extra_headers may not add a second copy.
_RESERVED_HEADERS = frozenset(
    {
        "auto-submitted", "bcc", "cc", "content-disposition", "content-type",
        "content-transfer-encoding", "date", "from", "in-reply-to", "message-id",
        "mime-version", "references", "reply-to", "return-path", "sender",
        "subject", "to", "x-loop",
    }
)  # fmt: skip
_MAX_ID_KEY = 120


@dataclass
class OutgoingAttachment:
    """A file to attach to an outgoing message."""

    filename: str
    content_type: str
    data: bytes


def clean_header_value(value: str, *, max_length: int = 900) -> str:
    """One safe header line: encoded words decoded, control characters as spaces."""
    text = value
    # Decode until stable: an encoded word may hide another one inside.
    for _ in range(3):
        decoded = decode_words(text)
        if decoded == text:
            break
        text = decoded
    # The stdlib header parser decodes "=?...?=" again when the header is set,
    # and may turn it into a real line break (CVE-2024-6923); break the syntax.
    text = text.replace("=?", "= ?")
    return clean_text(text, max_length=max_length)


def make_message_id(key: str, domain: str) -> str:
    """The deterministic Message-ID "<atrium.{key}@{domain}>" for one of our mails."""
    local = re.sub(r"[^A-Za-z0-9._-]+", "-", key)
    local = re.sub(r"\.{2,}", ".", local).strip(".-")
    if len(local) > _MAX_ID_KEY:
        # Keep long keys distinct after cutting them.
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]
        local = f"{local[: _MAX_ID_KEY - 17]}.{digest}"
    host = domain.strip().lower().rstrip(".")
    if not local or not _DOMAIN.fullmatch(host):
        raise ValueError(f"cannot build a Message-ID from {key!r} and {domain!r}")
    return f"<atrium.{local}@{host}>"


def format_address(name: str, address: str) -> str:
    """A safe "Name <addr>" header value; ValueError for an unusable address."""
    spec = address.strip()
    if "@" not in spec or _ADDRESS_FORBIDDEN.search(spec):
        raise ValueError(f"not a mail address: {address!r}")
    display = clean_header_value(name or "", max_length=200)
    try:
        return str(Address(display_name=display, addr_spec=spec))
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise ValueError(f"not a mail address: {address!r}") from exc


def reply_subject(number: str, subject: str) -> str:
    """The subject carrying "[T-1042]", placed after any Re:/Fwd: prefixes."""
    token = "[" + clean_header_value(number, max_length=40).strip("[] ") + "]"
    text = clean_header_value(subject)
    if token.lower() in text.lower():
        return text
    prefixes = _REPLY_PREFIXES.match(text)
    head = prefixes.group(0).strip() + " " if prefixes else ""
    rest = text[prefixes.end() :] if prefixes else text
    return f"{head}{token} {rest.strip()}".strip()


def find_item_numbers(subject: str) -> list[tuple[str, int]]:
    """Item tokens such as ("T", 1042) found as "[T-1042]" in a subject, in order."""
    found: list[tuple[str, int]] = []
    for match in _ITEM_TOKEN.finditer(subject):
        token = (match.group(1).upper(), int(match.group(2)))
        if token not in found:
            found.append(token)
    return found


def build_message(
    *,
    sender: tuple[str, str],
    to: Sequence[tuple[str, str]],
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str,
    cc: Sequence[tuple[str, str]] = (),
    reply_to: tuple[str, str] | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_submitted: str | None = None,
    x_loop: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    attachments: Sequence[OutgoingAttachment] = (),
    date: datetime.datetime | None = None,
) -> EmailMessage:
    """A complete outgoing message; every header value is cleaned on the way in."""
    if not to and not cc:
        raise ValueError("a message needs at least one recipient")
    message = EmailMessage(policy=email.policy.SMTP)
    _set_addresses(message, sender, to, cc, reply_to)
    message["Subject"] = clean_header_value(subject)
    message["Date"] = _date_value(date)
    _set_thread(message, message_id, in_reply_to, references)
    for name, value in (("Auto-Submitted", auto_submitted), ("X-Loop", x_loop)):
        if value:
            message[name] = clean_header_value(value)
    _set_extra_headers(message, extra_headers or {})
    _set_body(message, text, html, attachments)
    _check_single_lines(message)
    return message


def _set_addresses(
    message: EmailMessage,
    sender: tuple[str, str],
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]],
    reply_to: tuple[str, str] | None,
) -> None:
    message["From"] = format_address(*sender)
    if to:
        message["To"] = ", ".join(format_address(*pair) for pair in to)
    if cc:
        message["Cc"] = ", ".join(format_address(*pair) for pair in cc)
    if reply_to:
        message["Reply-To"] = format_address(*reply_to)


def _date_value(date: datetime.datetime | None) -> str:
    moment = date or datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        # Naive datetimes are UTC throughout the application.
        moment = moment.replace(tzinfo=datetime.UTC)
    return email.utils.format_datetime(moment.astimezone(datetime.UTC))


def _message_id(value: str) -> str | None:
    text = re.sub(r"\s+", "", clean_header_value(value, max_length=998)).strip("<>")
    # An id that still holds "=?" would be decoded by the header parser; a
    # hostile inbound id is not worth threading on.
    if not text or "=?" in text or "<" in text or ">" in text:
        return None
    return f"<{text}>"


def _set_thread(
    message: EmailMessage,
    message_id: str,
    in_reply_to: str | None,
    references: Sequence[str],
) -> None:
    own = _message_id(message_id)
    if own is None:
        raise ValueError(f"unusable Message-ID: {message_id!r}")
    message["Message-ID"] = own
    parent = _message_id(in_reply_to) if in_reply_to else None
    if parent:
        message["In-Reply-To"] = parent
    chain = [ref for ref in (_message_id(item) for item in references) if ref]
    if chain:
        message["References"] = " ".join(chain)


def _set_extra_headers(message: EmailMessage, headers: Mapping[str, str]) -> None:
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header name not allowed: {name!r}")
        message[name] = clean_header_value(value)


def _mime_type(content_type: str) -> tuple[str, str]:
    match = _MIME_TYPE.fullmatch(content_type.strip().lower())
    # message/* parts may not be base64-encoded (RFC 2046), and re-parsing
    # them to send as 8-bit is not worth it: they travel as plain files.
    if not match or match.group(1) in {"message", "multipart"}:
        return "application", "octet-stream"
    return match.group(1), match.group(2)


def _set_body(
    message: EmailMessage,
    text: str,
    html: str | None,
    attachments: Sequence[OutgoingAttachment],
) -> None:
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = _mime_type(attachment.content_type)
        filename = safe_filename(clean_header_value(attachment.filename))
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=filename or "attachment",
        )


def _check_single_lines(message: EmailMessage) -> None:
    # Last line of defence: a header whose decoded value spans lines would
    # serialise as two headers.
    for name, value in message.items():
        if "\r" in str(value) or "\n" in str(value):
            raise ValueError(f"header {name} would span lines")
