"""Mailboxes: their settings, and fetching their mail over IMAP or POP3."""

from __future__ import annotations

import imaplib
import logging
import poplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import DomainError, InvalidInputError, NotFoundError
from app.extensions import db
from app.models import Mailbox, MailProtocol, MailSecurity
from app.models.base import utcnow
from app.services.inbound import ingest_mail
from app.services.organizations import normalize_email
from app.services.secrets import decrypt_secret, encrypt_secret
from app.services.text import clean_line

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {
    (MailProtocol.IMAP.value, MailSecurity.SSL.value): 993,
    (MailProtocol.IMAP.value, MailSecurity.STARTTLS.value): 143,
    (MailProtocol.IMAP.value, MailSecurity.NONE.value): 143,
    (MailProtocol.POP3.value, MailSecurity.SSL.value): 995,
    (MailProtocol.POP3.value, MailSecurity.STARTTLS.value): 110,
    (MailProtocol.POP3.value, MailSecurity.NONE.value): 110,
}
#: Mails taken from one mailbox per poll; the rest wait for the next one.
BATCH = 200
TIMEOUT = 30
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


@dataclass
class PollResult:
    """Counts from one poll of one mailbox."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain values for the job record."""
        return {
            "fetched": self.fetched,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "errors": self.errors[:10],
        }


def prepare_mailbox(mailbox: Mailbox) -> None:
    """Check a mailbox's settings and encrypt a newly typed password."""
    mailbox.name = clean_line(mailbox.name, field="name", max_length=100)
    mailbox.address = normalize_email(mailbox.address)
    if mailbox.protocol not in {p.value for p in MailProtocol}:
        raise InvalidInputError(field="protocol")
    if mailbox.security not in {s.value for s in MailSecurity}:
        raise InvalidInputError(field="security")
    mailbox.folder = clean_line(
        mailbox.folder or "INBOX", field="folder", max_length=200
    )
    mailbox.username = clean_line(
        mailbox.username, field="username", max_length=320, required=False
    )
    mailbox.host = (mailbox.host or "").strip()
    if mailbox.protocol != MailProtocol.PIPE.value:
        if not _HOST.fullmatch(mailbox.host):
            raise InvalidInputError(
                _l("Enter the mail server's host name."), field="host"
            )
        if mailbox.port is not None and not 0 < int(mailbox.port) < 65536:
            raise InvalidInputError(field="port")
    if mailbox.pending_password:
        mailbox.password_encrypted = encrypt_secret(mailbox.pending_password)
        mailbox.pending_password = None
    duplicate = db.session.scalar(
        db.select(Mailbox.id).where(
            Mailbox.name == mailbox.name, Mailbox.id != (mailbox.id or 0)
        )
    )
    if duplicate:
        raise InvalidInputError(_l("A mailbox with this name exists."), field="name")


def enabled_mailbox_ids() -> list[int]:
    """Mailboxes the poll job reads (IMAP and POP3, enabled)."""
    return list(
        db.session.scalars(
            db.select(Mailbox.id).where(
                Mailbox.enabled.is_(True),
                Mailbox.protocol != MailProtocol.PIPE.value,
            )
        )
    )


def find_mailbox(name: str) -> Mailbox:
    """The mailbox called ``name``."""
    mailbox = db.session.scalar(db.select(Mailbox).filter_by(name=name))
    if mailbox is None:
        raise NotFoundError()
    return mailbox


def _port(mailbox: Mailbox) -> int:
    return mailbox.port or DEFAULT_PORTS[(mailbox.protocol, mailbox.security)]


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


@contextmanager
def _imap(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    if mailbox.security == MailSecurity.SSL.value:
        conn = imaplib.IMAP4_SSL(
            mailbox.host, _port(mailbox), ssl_context=_tls(), timeout=TIMEOUT
        )
    else:
        conn = imaplib.IMAP4(mailbox.host, _port(mailbox), timeout=TIMEOUT)
        if mailbox.security == MailSecurity.STARTTLS.value:
            conn.starttls(ssl_context=_tls())
    try:
        conn.login(mailbox.username, decrypt_secret(mailbox.password_encrypted))
        yield conn
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _tally(result: PollResult, status: str) -> None:
    result.fetched += 1
    if status == "duplicate":
        result.duplicates += 1
    elif status == "rejected":
        result.rejected += 1
    elif status != "deferred":
        result.stored += 1


def _take(raw: bytes | None, mailbox: Mailbox, result: PollResult) -> bool:
    """Ingest one fetched mail; whether it may now be marked read or deleted.

    A mail that breaks the ingest, or that the desk cannot take yet, stays on the
    server for the next poll, and the mails after it are still read.
    """
    if raw is None:
        _tally(result, "rejected")
        return True
    try:
        outcome = ingest_mail(raw, mailbox=mailbox)
    except Exception as exc:  # noqa: BLE001 - one bad mail must not stop the rest
        db.session.rollback()
        logger.exception("Mail in mailbox %s could not be ingested", mailbox.id)
        result.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        return False
    _tally(result, outcome.status)
    if outcome.deferred:
        result.errors.append(outcome.reason)
    return not outcome.deferred


def _poll_imap(mailbox: Mailbox, result: PollResult) -> None:
    max_bytes = current_app.config["MAIL_MAX_MESSAGE_BYTES"]
    with _imap(mailbox) as conn:
        status, _ = conn.select(_quote_folder(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"folder {mailbox.folder!r} cannot be opened")
        _, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split()[:BATCH]
        sizes = _imap_sizes(conn, uids)
        for group in _fetch_groups(uids, sizes, max_bytes):
            wanted = [uid for uid in group if sizes.get(uid, 0) <= max_bytes]
            bodies = _fetch_imap(conn, wanted)
            done = [
                uid
                for uid in group
                if _take(_within_limit(uid, sizes, max_bytes, bodies), mailbox, result)
            ]
            # Marked only after the mails are safely stored: a crash before this
            # line means a re-fetch, which the inbound ledger recognises.
            if done:
                conn.uid("STORE", b",".join(done), "+FLAGS", "(\\Seen)")


#: Small mails are fetched several at a time: fewer round trips to the server.
GROUP_BYTES = 4 * 1024 * 1024
GROUP_SIZE = 25


def _fetch_groups(
    uids: list[bytes], sizes: dict[bytes, int], max_bytes: int
) -> list[list[bytes]]:
    """UIDs in groups of at most GROUP_SIZE mails and about GROUP_BYTES."""
    groups: list[list[bytes]] = []
    current: list[bytes] = []
    total = 0
    for uid in uids:
        size = min(sizes.get(uid, 0), max_bytes)
        if current and (len(current) >= GROUP_SIZE or total + size > GROUP_BYTES):
            groups.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        groups.append(current)
    return groups


def _within_limit(
    uid: bytes, sizes: dict[bytes, int], max_bytes: int, bodies: dict[bytes, bytes]
) -> bytes | None:
    if sizes.get(uid, 0) > max_bytes:
        logger.warning("Skipping mail %s: %s bytes", uid, sizes[uid])
        return None
    return bodies.get(uid)


def _quote_folder(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_sizes(conn: imaplib.IMAP4, uids: list[bytes]) -> dict[bytes, int]:
    """Every listed mail's size in one round trip, so huge ones are never fetched."""
    if not uids:
        return {}
    _, data = conn.uid("FETCH", b",".join(uids), "(UID RFC822.SIZE)")
    sizes: dict[bytes, int] = {}
    for line in data or ():
        text = line[0] if isinstance(line, tuple) else line
        uid = re.search(rb"UID (\d+)", text or b"")
        size = re.search(rb"RFC822\.SIZE (\d+)", text or b"")
        if uid and size:
            sizes[uid.group(1)] = int(size.group(1))
    return sizes


def _fetch_imap(conn: imaplib.IMAP4, uids: list[bytes]) -> dict[bytes, bytes]:
    """The raw mails of ``uids``, in one round trip."""
    if not uids:
        return {}
    _, data = conn.uid("FETCH", b",".join(uids), "(UID BODY.PEEK[])")
    found: list[tuple[bytes | None, bytes]] = []
    for part in data or ():
        if isinstance(part, tuple) and len(part) == 2:
            uid = re.search(rb"UID (\d+)", part[0] or b"")
            found.append((uid.group(1) if uid else None, part[1]))
    bodies = {uid: body for uid, body in found if uid is not None}
    # A server may put UID after the literal; then answers come in request order.
    unnamed = [body for uid, body in found if uid is None]
    missing = [uid for uid in uids if uid not in bodies]
    bodies.update(zip(missing, unnamed, strict=False))
    return bodies


def _poll_pop3(mailbox: Mailbox, result: PollResult) -> None:
    max_bytes = current_app.config["MAIL_MAX_MESSAGE_BYTES"]
    if mailbox.security == MailSecurity.SSL.value:
        conn = poplib.POP3_SSL(
            mailbox.host, _port(mailbox), context=_tls(), timeout=TIMEOUT
        )
    else:
        conn = poplib.POP3(mailbox.host, _port(mailbox), timeout=TIMEOUT)
        if mailbox.security == MailSecurity.STARTTLS.value:
            conn.stls(context=_tls())
    try:
        conn.user(mailbox.username)
        conn.pass_(decrypt_secret(mailbox.password_encrypted))
        _, listing, _ = conn.list()
        for line in listing[:BATCH]:
            number, size = (int(v) for v in line.split()[:2])
            if size > max_bytes:
                logger.warning("Skipping POP3 mail %s: %s bytes", number, size)
                raw = None
            else:
                raw = b"\r\n".join(conn.retr(number)[1])
            if _take(raw, mailbox, result):
                conn.dele(number)
        conn.quit()  # deletions take effect only now, after every mail is stored
    finally:
        conn.close()


def poll_mailbox(mailbox_id: int) -> PollResult:
    """Fetch new mail from one mailbox and ingest each message."""
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None or mailbox.protocol == MailProtocol.PIPE.value:
        raise NotFoundError()
    result = PollResult()
    name = mailbox.name  # for the log: the session may be unusable after a failure
    try:
        if mailbox.protocol == MailProtocol.IMAP.value:
            _poll_imap(mailbox, result)
        else:
            _poll_pop3(mailbox, result)
    except DomainError as exc:
        result.errors.append(str(exc.message))
    except (TimeoutError, imaplib.IMAP4.error, poplib.error_proto, OSError) as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        logger.warning("Polling mailbox %s failed: %s", name, exc)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the mailbox
        result.errors.append(f"{type(exc).__name__}"[:300])
        logger.exception("Polling mailbox %s failed", name)
    # Each stored mail is committed already; whatever is left is an ingest cut
    # short, which must not be committed with the poll record below (its ledger
    # row would make the re-fetch a "duplicate" and lose the mail).
    db.session.rollback()
    mailbox = db.session.get(Mailbox, mailbox_id)
    mailbox.last_polled_at = utcnow()
    mailbox.last_error = "; ".join(result.errors)[:2000]
    db.session.commit()
    return result
