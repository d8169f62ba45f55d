"""The outbox: every mail is a row first, then an SMTP send that never repeats."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from email.utils import parseaddr

from flask import current_app, g, has_app_context
from sqlalchemy import and_, or_, update

from app.errors import InvalidInputError
from app.extensions import db
from app.mail.compose import OutgoingAttachment, build_message, make_message_id
from app.models import (
    Attachment,
    Item,
    Mailbox,
    Message,
    OutboundEmail,
    OutboundStatus,
)
from app.models.base import utcnow
from app.services.organizations import normalize_email
from app.services.richtext import text_to_html
from app.services.settings import MAIL_AUTO_REPLY_CAP, get_setting
from app.services.storage import blob_path

logger = logging.getLogger(__name__)

#: How long a send may take before another worker may try the row again.
SEND_LEASE = dt.timedelta(minutes=15)
#: Attachments beyond this total are named in the mail instead of attached.
MAX_ATTACHED_BYTES = 20 * 1024 * 1024


class TemporaryMailError(Exception):
    """The mail server asked us to try again later (4xx, connection trouble)."""


def default_sender() -> tuple[str, str]:
    """Display name and address mail goes out from when no mailbox applies."""
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return name or current_app.config["APP_NAME"], address.lower()


def own_addresses() -> set[str]:
    """Every address that is ours: the default sender and each mailbox.

    Read once per request or job (a poll ingests many mails in one).
    """
    cached = g.get("_atrium_own_addresses") if has_app_context() else None
    if cached is not None:
        return cached
    addresses = {default_sender()[1]}
    addresses.update(
        a.lower() for a in db.session.scalars(db.select(Mailbox.address)) if a
    )
    if has_app_context():
        g._atrium_own_addresses = addresses
    return addresses


def loop_token() -> str:
    """Our X-Loop value: mail carrying it came from us."""
    return default_sender()[1]


def _mail_domain() -> str:
    return default_sender()[1].rpartition("@")[2] or "localhost"


def item_thread_id(item_id: int) -> str:
    """The Message-ID every mail about an item refers to, so replies find it."""
    return make_message_id(f"item-{item_id}", _mail_domain())


def _thread_headers(item: Item | None) -> tuple[str, str]:
    """In-Reply-To and References for a mail about ``item``."""
    if item is None:
        return "", ""
    root = item_thread_id(item.id)
    recent = db.session.scalars(
        db.select(Message.email_message_id)
        .where(Message.item_id == item.id, Message.email_message_id.is_not(None))
        .order_by(Message.id.desc())
        .limit(5)
    ).all()
    ids = [f"<{mid}>" for mid in reversed(recent)]
    return (ids[-1] if ids else root), " ".join([root, *ids])


def _automatic_today(address: str) -> int:
    since = utcnow() - dt.timedelta(days=1)
    return db.session.scalar(
        db.select(db.func.count(OutboundEmail.id)).where(
            OutboundEmail.to_address == address,
            OutboundEmail.created_at >= since,
            OutboundEmail.automatic.is_(True),
            OutboundEmail.status != OutboundStatus.SUPPRESSED.value,
        )
    )


def queue_mail(
    *,
    event: str,
    to_address: str,
    subject: str,
    body_text: str,
    language: str,
    to_name: str = "",
    item: Item | None = None,
    message: Message | None = None,
    automatic: bool = False,
    capped: bool = False,
    attachment_ids: list[int] | None = None,
) -> OutboundEmail | None:
    """Put one mail in the outbox (flushes); None when there is nobody to send to.

    ``capped`` automatic mails stop at the daily limit per address: that is what
    ends ping-pong with another system's auto-responder.
    """
    try:
        address = normalize_email(to_address)
    except InvalidInputError:
        return None
    if address in own_addresses():
        return None
    row = OutboundEmail(
        message_id_header=make_message_id(
            f"{event}.{uuid.uuid4().hex}", _mail_domain()
        ),
        event=event,
        item_id=getattr(item, "id", None),
        message_id=getattr(message, "id", None),
        mailbox_id=getattr(item, "mailbox_id", None),
        to_address=address,
        to_name=" ".join((to_name or "").split())[:200],
        language=language,
        subject=subject[:300],
        body_text=body_text,
        body_html=text_to_html(body_text),
        automatic=automatic,
        attachment_ids=list(attachment_ids or []),
        status=OutboundStatus.PENDING.value,
    )
    row.in_reply_to, row.references = _thread_headers(item)
    if (
        automatic
        and capped
        and _automatic_today(address) >= int(get_setting(MAIL_AUTO_REPLY_CAP))
    ):
        row.status = OutboundStatus.SUPPRESSED.value
        row.last_error = "daily limit of automatic mails to this address reached"
        logger.warning("Automatic mail to %s suppressed: daily limit", address)
    db.session.add(row)
    db.session.flush()
    return row


def sendable_ids(limit: int = 500) -> list[tuple[int, int]]:
    """(id, attempts) of rows due for a send: pending, or a send that ran out."""
    now = utcnow()
    rows = db.session.execute(
        db.select(OutboundEmail.id, OutboundEmail.attempts)
        .where(
            or_(
                and_(
                    OutboundEmail.status == OutboundStatus.PENDING.value,
                    or_(
                        OutboundEmail.next_attempt_at.is_(None),
                        OutboundEmail.next_attempt_at <= now,
                    ),
                ),
                and_(
                    OutboundEmail.status == OutboundStatus.SENDING.value,
                    OutboundEmail.next_attempt_at <= now,
                ),
            )
        )
        .order_by(OutboundEmail.id)
        .limit(limit)
    )
    return [(row.id, row.attempts) for row in rows]


def _claim(outbound_id: int) -> OutboundEmail | None:
    """Take the row for this send; None when it is sent, failed or taken."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == outbound_id,
            or_(
                OutboundEmail.status == OutboundStatus.PENDING.value,
                and_(
                    OutboundEmail.status == OutboundStatus.SENDING.value,
                    OutboundEmail.next_attempt_at <= now,
                ),
            ),
        )
        .values(
            status=OutboundStatus.SENDING.value,
            attempts=OutboundEmail.attempts + 1,
            next_attempt_at=now + SEND_LEASE,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(OutboundEmail, outbound_id) if claimed else None


def _attachments(row: OutboundEmail) -> tuple[list[OutgoingAttachment], list[str]]:
    attached: list[OutgoingAttachment] = []
    skipped: list[str] = []
    total = 0
    if not row.attachment_ids:
        return attached, skipped
    for attachment in db.session.scalars(
        db.select(Attachment).where(Attachment.id.in_(row.attachment_ids))
    ):
        total += attachment.size
        path = blob_path(attachment.sha256)
        if total > MAX_ATTACHED_BYTES or not path.exists():
            skipped.append(attachment.filename)
            continue
        attached.append(
            OutgoingAttachment(
                attachment.filename, attachment.content_type, path.read_bytes()
            )
        )
    return attached, skipped


def _sender(row: OutboundEmail) -> tuple[str, str]:
    name, address = default_sender()
    if row.mailbox_id:
        mailbox = db.session.get(Mailbox, row.mailbox_id)
        if mailbox is not None and mailbox.address:
            address = mailbox.address.lower()
    return name, address


def compose(row: OutboundEmail):
    """The MIME message of an outbox row, with threading and loop headers."""
    attachments, skipped = _attachments(row)
    text = row.body_text
    if skipped:
        text += "\n\n" + "\n".join(f"[{name}]" for name in skipped)
    return build_message(
        sender=_sender(row),
        to=[(row.to_name, row.to_address)],
        subject=row.subject,
        text=text,
        html=row.body_html if not skipped else text_to_html(text),
        message_id=row.message_id_header,
        in_reply_to=row.in_reply_to or None,
        references=row.references.split() if row.references else [],
        auto_submitted="auto-replied" if row.automatic else None,
        x_loop=loop_token(),
        attachments=attachments,
    )


def _smtp_send(message, envelope_from: str, recipient: str) -> None:
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]
    )
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
    finally:
        # Once DATA got its 250 the mail is delivered: a failed goodbye must not
        # make the row look unsent (it would go out twice) nor hide the real error.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return codes[0] if codes else None
    return getattr(exc, "smtp_code", None)


def send_outbound(outbound_id: int) -> str:
    """Send one outbox row by SMTP; returns its new status.

    4xx answers and connection trouble put the row back for a later attempt (with
    back-off) until the attempts run out; 5xx answers fail it at once.
    """
    row = _claim(outbound_id)
    if row is None:
        return "skipped"
    try:
        message = compose(row)
    except Exception as exc:  # noqa: BLE001 - a mail that cannot be built fails visibly
        logger.exception("Mail %s cannot be built", row.id)
        return _fail(row, f"cannot be built: {type(exc).__name__}")
    try:
        _smtp_send(message, _sender(row)[1], row.to_address)
    except (smtplib.SMTPException, OSError) as exc:
        return _record_failure(row, exc)
    row.status = OutboundStatus.SENT.value
    row.sent_at = utcnow()
    row.next_attempt_at = None
    row.last_error = ""
    db.session.commit()
    return row.status


def _fail(row: OutboundEmail, detail: str) -> str:
    row.status = OutboundStatus.FAILED.value
    row.next_attempt_at = None
    row.last_error = detail[:1000]
    db.session.commit()
    return row.status


def _record_failure(row: OutboundEmail, exc: Exception) -> str:
    code = _smtp_code(exc)
    # Only the server's answer is kept: never the configuration (password).
    detail = (
        f"{code} {getattr(exc, 'smtp_error', b'')!r}" if code else type(exc).__name__
    )
    row.last_error = detail[:1000]
    intervals = current_app.config["MAIL_SEND_RETRY_INTERVALS"]
    permanent = code is not None and 500 <= code < 600
    if permanent or row.attempts > len(intervals):
        row.status = OutboundStatus.FAILED.value
        row.next_attempt_at = None
        logger.error("Mail %s to %s failed: %s", row.id, row.to_address, detail)
    else:
        row.status = OutboundStatus.PENDING.value
        row.next_attempt_at = utcnow() + dt.timedelta(
            seconds=intervals[row.attempts - 1]
        )
        logger.warning("Mail %s deferred: %s", row.id, detail)
    db.session.commit()
    return row.status


def retry_failed(outbound_id: int) -> OutboundEmail:
    """Put a failed or suppressed mail back in the queue (an admin's decision)."""
    row = db.session.get(OutboundEmail, outbound_id)
    if row is None:
        raise InvalidInputError(field="id")
    if row.status in (OutboundStatus.FAILED.value, OutboundStatus.SUPPRESSED.value):
        row.status = OutboundStatus.PENDING.value
        row.next_attempt_at = None
        db.session.commit()
    return row
