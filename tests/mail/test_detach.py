"""Large base64 bodies are decoded straight from the raw mail, byte for byte."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from email.message import EmailMessage

from app.mail.detach import detach_large_bodies
from app.mail.parse import parse_message

MB = 1024 * 1024


def _mail(*payloads: bytes, text: str = "See attached.") -> bytes:
    mail = EmailMessage()
    mail["From"] = "ivan@aquaterra.ru"
    mail["Subject"] = "Logs"
    mail["Message-ID"] = "<logs@aquaterra.ru>"
    mail.set_content(text)
    for number, payload in enumerate(payloads):
        mail.add_attachment(
            payload,
            maintype="application",
            subtype="octet-stream",
            filename=f"part{number}.bin",
        )
    return mail.as_bytes()


def test_large_attachments_survive_byte_for_byte():
    big, other, small = os.urandom(3 * MB), os.urandom(2 * MB + 7), b"tiny"
    parsed = parse_message(_mail(big, small, other))
    data = {a.filename: a.data for a in parsed.attachments}
    assert hashlib.sha256(data["part0.bin"]).digest() == hashlib.sha256(big).digest()
    assert data["part1.bin"] == small
    assert data["part2.bin"] == other
    assert parsed.text.strip() == "See attached."


def test_only_large_base64_leaves_are_lifted():
    raw = _mail(os.urandom(2 * MB), b"small")
    detached = detach_large_bodies(raw)
    assert len(detached.bodies) == 1
    assert len(detached.raw) < 100_000


def test_attached_messages_are_never_rewritten():
    inner = EmailMessage()
    inner["Subject"] = "inner"
    inner.set_content("inner text")
    inner.add_attachment(os.urandom(2 * MB), maintype="application", subtype="x")
    outer = EmailMessage()
    outer["From"] = "ivan@aquaterra.ru"
    outer["Subject"] = "Fwd"
    outer.set_content("forwarding")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    assert detach_large_bodies(raw).bodies == {}
    parsed = parse_message(raw)
    assert len(parsed.attachments[0].data) > 2 * MB


def test_a_big_attachment_costs_little_more_than_itself():
    raw = _mail(os.urandom(22 * MB))
    tracemalloc.start()
    parsed = parse_message(raw)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(parsed.attachments[0].data) == 22 * MB
    assert peak < 40 * MB


def test_the_size_limit_is_judged_without_decoding():
    parsed = parse_message(_mail(os.urandom(3 * MB)), max_attachment_bytes=MB)
    assert parsed.attachments == []
    assert any("larger than" in warning for warning in parsed.warnings)
