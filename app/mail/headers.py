"""Header text helpers shared by parsing and composing; none of them raises."""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime
import email.policy
import email.utils
import re

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")
_ANGLE_IDS = re.compile(r"<([^<>]*)>")
#: Charsets that mean "no real charset given"; UTF-8 is a superset of them all.
_ASCII_ALIASES = frozenset({"", "ascii", "us-ascii"})
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The stdlib address parser is quadratic on some hostile input (a long run of
#: quotes or backslashes), so it only ever sees one address of bounded length.
MAX_ADDRESS_LENGTH = 320
#: Addresses read from one header; no help desk needs to know more recipients.
MAX_ADDRESSES = 300
#: A References chain longer than this keeps its root and its newest ids.
MAX_REFERENCES = 100
#: Characters of an id header searched: the root's share and the newest share.
_ID_HEAD = 2_000
_ID_TAIL = 100_000


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Bytes as text in the given charset; (text, False) when it fell back to UTF-8."""
    name = (charset or "").strip().lower()
    if name in _ASCII_ALIASES:
        # Undeclared 8-bit text is UTF-8 far more often than anything else.
        return data.decode("utf-8", "replace"), True
    try:
        codecs.lookup(name)
        return data.decode(name, "replace"), True
    except (LookupError, UnicodeError, ValueError, TypeError):
        # LookupError: unknown or non-text codec ("zlib"); UnicodeError: codecs
        # like idna that refuse errors="replace".
        return data.decode("utf-8", "replace"), False


def raw_to_text(value: str) -> str:
    """A raw parsed header value (8-bit bytes as surrogates) as proper text."""
    if not _SURROGATES.search(value):
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return _SURROGATES.sub("\ufffd", value)


def _decode_word(charset: str, encoding: str, payload: str) -> str | None:
    try:
        if encoding in "bB":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("utf-8"), header=True)
    except (binascii.Error, ValueError):
        return None
    # RFC 2231 allows a language after the charset: "UTF-8*ru".
    return decode_bytes(data, charset.split("*", 1)[0])[0]


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a header value; undecodable words stay."""
    parts: list[str] = []
    position = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        # Whitespace between two encoded words is folding, not text (RFC 2047 6.2).
        if not (after_word and not gap.strip()):
            parts.append(gap)
        decoded = _decode_word(*match.groups())
        parts.append(match.group(0) if decoded is None else decoded)
        position = match.end()
        after_word = decoded is not None
    parts.append(value[position:])
    return "".join(parts)


def clean_text(value: str, *, max_length: int | None = None) -> str:
    """Control and line-break characters as spaces, whitespace collapsed, trimmed."""
    value = _SURROGATES.sub("\ufffd", value)
    value = _CONTROLS.sub(" ", value)
    value = _WHITESPACE.sub(" ", value).strip()
    if max_length is not None and len(value) > max_length:
        value = value[:max_length].rstrip()
    return value


def unfold(value: str) -> str:
    """A raw header value on one line, 8-bit bytes decoded as UTF-8."""
    return raw_to_text(re.sub(r"\r?\n(?=[ \t])", "", value))


def header_text(value: str, *, max_length: int | None = None) -> str:
    """A raw header value decoded (RFC 2047) into clean one-line text."""
    if max_length is not None:
        # Encoded words take at most ~4 raw characters per decoded one, so this
        # cut never shortens the result and bounds the work on huge headers.
        value = value[: max_length * 8 + 100]
    return clean_text(decode_words(unfold(value)), max_length=max_length)


def parse_addresses(value: str) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; unparsable entries left out."""
    # Beyond this length the list holds more addresses than we read anyway.
    text = clean_text(unfold(value[: MAX_ADDRESSES * MAX_ADDRESS_LENGTH]))
    pairs = []
    for chunk in _split_addresses(text)[:MAX_ADDRESSES]:
        if _worth_parsing(chunk):
            pairs.extend(_parse_address(chunk))
    return pairs


def _split_addresses(text: str) -> list[str]:
    # Top-level commas only: not inside quotes, comments or angle brackets.
    chunks: list[str] = []
    start = depth = 0
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not depth:
            quoted = not quoted
        elif not quoted and char in "(<":
            depth += 1
        elif not quoted and char in ")>":
            depth = max(0, depth - 1)
        elif char == "," and not (quoted or depth):
            chunks.append(text[start:index])
            start = index + 1
    chunks.append(text[start:])
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def _worth_parsing(chunk: str) -> bool:
    # Runs of quotes and backslashes are what make the stdlib parser slow; a
    # real address needs at most a few of each.
    return (
        len(chunk) <= MAX_ADDRESS_LENGTH
        and chunk.count("\\") <= 8
        and chunk.count('"') <= 8
    )


def _parse_address(chunk: str) -> list[tuple[str, str]]:
    # An encoded display name that decodes to a line break makes the stdlib refuse
    # the whole address; decoded and flattened first, the address itself survives.
    return _try_address(chunk) or _angle_address(chunk)


_ANGLE_ADDRESS = re.compile(r"^(.*)<([^<>\s]+@[^<>\s]+)>\s*$", re.DOTALL)


def _angle_address(chunk: str) -> list[tuple[str, str]]:
    """Fallback for "name <addr>": the address in brackets, the name flattened."""
    match = _ANGLE_ADDRESS.match(chunk)
    if match is None:
        return []
    spec = match.group(2).lower()
    if not _plausible_address(spec):
        return []
    name = clean_text(decode_words(match.group(1)), max_length=200).strip('" ')
    return [(name, spec)]


def _try_address(chunk: str) -> list[tuple[str, str]]:
    try:
        addresses = email.policy.default.header_factory("to", chunk).addresses
    except Exception:
        # The stdlib address parser has raised IndexError, ValueError and others
        # on hostile input over the years; a bad address must not cost the mail.
        return []
    pairs = []
    for address in addresses:
        spec = clean_text(address.addr_spec).lower()
        if _plausible_address(spec):
            pairs.append((clean_text(address.display_name, max_length=200), spec))
    return pairs


def _plausible_address(spec: str) -> bool:
    local, at, domain = spec.rpartition("@")
    return bool(at and local and domain) and " " not in spec


def parse_message_ids(value: str) -> list[str]:
    """Message ids from a Message-ID, In-Reply-To or References value, without <>."""
    text = unfold(value)
    if len(text) > _ID_HEAD + _ID_TAIL:
        # Only the root and the newest ids are kept, so only they are searched.
        text = f"{text[:_ID_HEAD]} {text[-_ID_TAIL:]}"
    found = _ANGLE_IDS.findall(text) or text.split()
    ids = [_WHITESPACE.sub("", clean_text(item))[:998] for item in found]
    ids = [item for item in ids if item]
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ids


def parse_date(value: str) -> datetime.datetime | None:
    """A Date header as naive UTC, or None when it cannot be read."""
    try:
        moment = email.utils.parsedate_to_datetime(clean_text(unfold(value)))
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return moment
