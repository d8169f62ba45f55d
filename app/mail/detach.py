"""Large base64 bodies lifted out of a mail before the stdlib parser reads it.

The stdlib parser keeps every line of a part as its own string and then joins
them: a 22 MB attachment costs about 80 MB that way. Here each large base64 leaf
body is replaced by a short token and decoded later straight from the raw bytes.
"""

from __future__ import annotations

import binascii
import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: Bodies smaller than this go through the stdlib parser as usual.
DETACH_MIN = 1024 * 1024
_BOUNDARY = re.compile(
    rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.I
)
_BASE64 = re.compile(rb"^content-transfer-encoding:\s*base64\s*$", re.I | re.M)
_CONTAINER = re.compile(rb"^content-type:\s*(multipart|message)/", re.I | re.M)
_TOKEN = "ATRIUMDETACHED"


@dataclass
class Detached:
    """The reduced message and where each lifted body lies in the original."""

    raw: bytes
    original: bytes = b""
    bodies: dict[str, tuple[int, int]] = field(default_factory=dict)


_current: contextvars.ContextVar[Detached | None] = contextvars.ContextVar(
    "detached_bodies", default=None
)


def detach_large_bodies(raw: bytes, min_size: int = DETACH_MIN) -> Detached:
    """``raw`` with large base64 leaf bodies replaced by tokens."""
    if len(raw) < min_size or re.search(rb"(?i)message/rfc822", raw):
        # Attached messages are kept byte for byte, so nothing inside is lifted.
        return Detached(raw)
    marks = _delimiter_lines(raw)
    detached = Detached(raw, raw)
    pieces: list[bytes] = []
    last = 0
    for start, end in zip(marks, marks[1:], strict=False):
        body = _large_base64_body(raw, start, end, min_size)
        if body is None:
            continue
        token = f"{_TOKEN}{len(detached.bodies):04d}"
        detached.bodies[token] = body
        pieces += [raw[last : body[0]], token.encode(), b"\r\n"]
        last = end
    if not detached.bodies:
        return Detached(raw)
    pieces.append(raw[last:])
    detached.raw = b"".join(pieces)
    return detached


def _delimiter_lines(raw: bytes) -> list[int]:
    """Offsets of every line that starts with "--" and a declared boundary."""
    boundaries = {m.group(1) or m.group(2) for m in _BOUNDARY.finditer(raw)}
    marks: set[int] = set()
    for boundary in boundaries:
        needle = b"\n--" + boundary
        position = raw.find(needle)
        while position >= 0:
            marks.add(position + 1)
            position = raw.find(needle, position + 1)
    return sorted(marks)


def _large_base64_body(
    raw: bytes, start: int, end: int, min_size: int
) -> tuple[int, int] | None:
    """(body start, body end) of the part between two delimiters, if worth lifting."""
    head_start = raw.find(b"\n", start, end) + 1
    blank = re.compile(rb"\r?\n\r?\n").search(raw, head_start, end)
    if not head_start or blank is None:
        return None
    body_start = blank.end()
    if end - body_start < min_size:
        return None
    headers = raw[head_start:body_start]
    if not _BASE64.search(headers) or _CONTAINER.search(headers):
        return None
    return body_start, end


@contextmanager
def detached_bodies(detached: Detached) -> Iterator[None]:
    """Make the lifted bodies findable while the parsed tree is walked."""
    token = _current.set(detached)
    try:
        yield
    finally:
        _current.reset(token)


def _lookup(payload: object) -> tuple[bytes, int, int] | None:
    detached = _current.get()
    if detached is None or not isinstance(payload, str):
        return None
    text = payload.strip()
    if not text.startswith(_TOKEN) or text not in detached.bodies:
        return None
    start, end = detached.bodies[text]
    return detached.original, start, end


def lifted_size(payload: object) -> int | None:
    """The decoded size of a lifted body (None for an ordinary payload)."""
    found = _lookup(payload)
    if found is None:
        return None
    raw, start, end = found
    spaces = sum(raw.count(char, start, end) for char in (b"\r", b"\n", b" ", b"\t"))
    return (end - start - spaces) * 3 // 4


def lifted_bytes(payload: object) -> bytes | None:
    """The decoded bytes of a lifted body (None for an ordinary payload)."""
    found = _lookup(payload)
    if found is None:
        return None
    raw, start, end = found
    try:
        return binascii.a2b_base64(memoryview(raw)[start:end])
    except (binascii.Error, ValueError):
        return b""
