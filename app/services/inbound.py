"""Inbound mail: one received message becomes a new item or a reply on its item."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError, IngestDeferredError
from app.extensions import db
from app.mail.compose import find_item_numbers
from app.mail.loops import automatic_reason
from app.mail.parse import MailRejected, ParsedMail, parse_message
from app.mail.quoting import trim_quoted_html, trim_quoted_text
from app.models import (
    AtriumUser,
    Channel,
    Customer,
    InboundMail,
    InboundStatus,
    Item,
    ItemKind,
    Mailbox,
    Message,
    MessageKind,
    OutboundEmail,
)
from app.services import automation, notifications, outbox, sla
from app.services.access import is_staff
from app.services.attachments import UploadedFile
from app.services.items import prepare_new_item
from app.services.messages import MessageDraft, add_message
from app.services.organizations import find_or_add_customer
from app.services.settings import (
    MAIL_NEVER_FOLLOW,
    PortalVisibility,
    get_setting,
    portal_visibility,
)
from app.services.users import get_system_user
from app.services.workflows import enabled_types

logger = logging.getLogger(__name__)

_OUR_THREAD_ID = re.compile(r"atrium\.item-(\d+)@", re.IGNORECASE)
NO_SUBJECT = "(no subject)"


@dataclass
class IngestResult:
    """What became of one mail."""

    status: str
    reason: str = ""
    item_id: int | None = None
    message_id: int | None = None
    #: Whether the mail opened a new item (rather than joining one).
    created: bool = False

    @property
    def accepted(self) -> bool:
        """Stored, or kept out on purpose: both are a success for the sender's MTA."""
        return self.status not in (InboundStatus.REJECTED.value, DEFERRED)

    @property
    def deferred(self) -> bool:
        """Not stored for a reason an administrator can fix: deliver it again later."""
        return self.status == DEFERRED


#: A mail we cannot take yet (our configuration, not the mail, is at fault).
DEFERRED = "deferred"


@dataclass
class _Sender:
    user: AtriumUser | None
    customer: Customer | None


def _channel_key(mailbox: Mailbox | None) -> str:
    return f"mailbox:{mailbox.id}" if mailbox is not None else "pipe"


def _message_key(parsed: ParsedMail | None, raw: bytes) -> str:
    basis = parsed.message_id.encode() if parsed and parsed.message_id else raw
    return hashlib.sha256(basis).hexdigest()


def ingest_mail(raw: bytes, *, mailbox: Mailbox | None = None) -> IngestResult:
    """Store one RFC 5322 message once per channel, whatever happens to it."""
    config = current_app.config
    get_system_user()  # created (and committed) before the mail's own transaction
    try:
        parsed = parse_message(
            raw,
            max_bytes=config["MAIL_MAX_MESSAGE_BYTES"],
            max_attachment_bytes=config["ATTACHMENT_MAX_BYTES"],
        )
    except MailRejected as exc:
        return _log_rejection(raw, mailbox, exc.reason)
    # A few tries: a clash on another unique key (two first mails of one new
    # sender at once) is worth another go, and so is a copy refused earlier; a
    # clash with a stored copy is a duplicate.
    for _attempt in range(3):
        try:
            result = _store_once(raw, parsed, mailbox)
        except IntegrityError:
            db.session.rollback()
            earlier = _earlier_copy(raw, parsed, mailbox)
            if earlier is not None and earlier.status == InboundStatus.REJECTED.value:
                db.session.delete(earlier)
                db.session.commit()
            elif earlier is not None:
                return IngestResult("duplicate", "already received")
            continue
        except IngestDeferredError as exc:
            db.session.rollback()
            logger.warning("Inbound mail deferred: %s", exc.message)
            return IngestResult(DEFERRED, str(exc.message))
        except DomainError as exc:
            db.session.rollback()
            return _log_rejection(raw, mailbox, str(exc.message), parsed=parsed)
        automation.mail_stored(
            result.item_id, result.message_id, created=result.created
        )
        return result
    return _log_rejection(raw, mailbox, "could not be stored", parsed=parsed)


def _earlier_copy(
    raw: bytes, parsed: ParsedMail, mailbox: Mailbox | None
) -> InboundMail | None:
    """The ledger row of this mail, if it came before (stored, ignored or refused)."""
    return db.session.scalar(
        db.select(InboundMail).filter_by(
            channel_key=_channel_key(mailbox),
            message_key=_message_key(parsed, raw),
        )
    )


def _store_once(raw: bytes, parsed: ParsedMail, mailbox: Mailbox | None):
    ledger = InboundMail(
        channel_key=_channel_key(mailbox),
        message_key=_message_key(parsed, raw),
        mailbox_id=getattr(mailbox, "id", None),
        message_id_header=(parsed.message_id or "")[:255],
        sender=parsed.from_address[:320],
        subject=parsed.subject[:300],
        size=len(raw),
        status=InboundStatus.STORED.value,
    )
    db.session.add(ledger)
    db.session.flush()  # the unique key: a second copy stops here
    result = _process(parsed, ledger, mailbox)
    db.session.commit()
    return result


def _log_rejection(
    raw: bytes,
    mailbox: Mailbox | None,
    reason: str,
    *,
    parsed: ParsedMail | None = None,
) -> IngestResult:
    """Keep a record of a refused mail (once) so admins can see why."""
    row = InboundMail(
        channel_key=_channel_key(mailbox),
        message_key=_message_key(parsed, raw),
        mailbox_id=getattr(mailbox, "id", None),
        message_id_header=((parsed.message_id if parsed else "") or "")[:255],
        sender=(parsed.from_address if parsed else "")[:320],
        subject=(parsed.subject if parsed else "")[:300],
        size=len(raw),
        status=InboundStatus.REJECTED.value,
        reason=reason[:200],
    )
    try:
        db.session.add(row)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    logger.info("Inbound mail rejected: %s", reason)
    return IngestResult(InboundStatus.REJECTED.value, reason)


def _process(parsed: ParsedMail, ledger: InboundMail, mailbox: Mailbox | None):
    if _is_our_own(parsed):
        ledger.status = InboundStatus.IGNORED.value
        ledger.reason = "our own mail came back"
        return IngestResult(ledger.status, ledger.reason)
    reason = automatic_reason(parsed, our_loop_tokens=sorted(outbox.own_addresses()))
    ledger.automatic_reason = reason or ""
    sender = _identify_sender(parsed)
    item = _thread_target(parsed, sender)
    created = item is None
    if created:
        item = _new_item(parsed, sender, mailbox)
    message = add_message(
        item,
        _draft(parsed, reply=not created, automatic=bool(reason)),
        author_user=sender.user,
        author_customer=sender.customer,
    )
    _add_cc_followers(item, parsed)
    ledger.item_id, ledger.message_id = item.id, message.id
    db.session.flush()
    if created:
        sla.refresh_item(item.id, rematch=True)
        notifications.item_created(
            item, actor=sender.user, automatic_inbound=bool(reason)
        )
    notifications.message_added(message, actor=sender.user)
    return IngestResult(ledger.status, reason or "", item.id, message.id, created)


def _is_our_own(parsed: ParsedMail) -> bool:
    """Mail we sent, delivered back to us (a loop through a forwarding rule)."""
    if not parsed.message_id:
        return False
    return bool(
        db.session.scalar(
            db.select(OutboundEmail.id).where(
                OutboundEmail.message_id_header == f"<{parsed.message_id}>"
            )
        )
    )


def _identify_sender(parsed: ParsedMail) -> _Sender:
    """A staff account with this address, else the customer (created if new)."""
    if not parsed.from_address:
        raise DomainError("the mail has no sender address")
    user = db.session.scalar(
        db.select(AtriumUser).where(
            db.func.lower(AtriumUser.email) == parsed.from_address
        )
    )
    if user is not None and is_staff(user):
        if not user.active:
            raise DomainError("the sender's account is disabled")
        return _Sender(user, None)
    try:
        customer = find_or_add_customer(parsed.from_address, name=parsed.from_name)
    except DomainError:
        raise DomainError("the sender address is not valid") from None
    return _Sender(None, customer)


def _referenced_item_ids(parsed: ParsedMail) -> list[int]:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    found: list[int] = []
    for mid in ids:
        match = _OUR_THREAD_ID.search(mid)
        if match:
            found.append(int(match.group(1)))
    if ids:
        bracketed = [f"<{mid}>" for mid in ids]
        found += db.session.scalars(
            db.select(OutboundEmail.item_id).where(
                OutboundEmail.message_id_header.in_(bracketed),
                OutboundEmail.item_id.is_not(None),
            )
        ).all()
        found += db.session.scalars(
            db.select(Message.item_id).where(Message.email_message_id.in_(ids))
        ).all()
    for prefix, number in find_item_numbers(parsed.subject):
        if prefix.upper() in ("T", "K"):
            found.append(number)
    return list(dict.fromkeys(found))


def _thread_target(parsed: ParsedMail, sender: _Sender) -> Item | None:
    """The item this mail answers, if the sender may write on it (no hijacking)."""
    for item_id in _referenced_item_ids(parsed):
        item = db.session.get(Item, item_id)
        if item is not None and _may_reply(item, sender):
            return item
    return None


def _may_reply(item: Item, sender: _Sender) -> bool:
    if sender.user is not None:
        return True
    customer = sender.customer
    if item.requester_id == customer.id or customer in item.customer_followers:
        return True
    return (
        customer.organization_id is not None
        and item.organization_id == customer.organization_id
        and portal_visibility() != PortalVisibility.OWN
    )


def _default_type_id(mailbox: Mailbox | None) -> int:
    if mailbox is not None and mailbox.default_type is not None:
        if mailbox.default_type.enabled:
            return mailbox.default_type_id
    types = enabled_types(ItemKind.TICKET.value)
    if not types:
        raise IngestDeferredError("no ticket type is enabled")
    return types[0].id


def _new_item(parsed: ParsedMail, sender: _Sender, mailbox: Mailbox | None) -> Item:
    customer = sender.customer
    team_id = getattr(mailbox, "default_team_id", None)
    if team_id is None and customer is not None and customer.organization:
        team_id = customer.organization.default_team_id
    item = Item(
        kind=ItemKind.TICKET.value,
        title=(parsed.subject or NO_SUBJECT)[:300],
        description="",
        item_type_id=_default_type_id(mailbox),
        requester_id=getattr(customer, "id", None),
        organization_id=getattr(customer, "organization_id", None),
        team_id=team_id,
        channel=Channel.EMAIL.value,
        mailbox_id=getattr(mailbox, "id", None),
    )
    prepare_new_item(item, get_system_user())
    return item


def _draft(parsed: ParsedMail, *, reply: bool, automatic: bool) -> MessageDraft:
    html = parsed.html
    text = parsed.text
    if reply:
        html = trim_quoted_html(html) if html else None
        text = trim_quoted_text(text)
    files = [
        UploadedFile(
            filename=part.filename,
            content_type=part.content_type,
            stream=io.BytesIO(part.data),
            content_id=part.content_id,
            inline=part.inline,
        )
        for part in parsed.attachments[: current_app.config["ATTACHMENTS_PER_MESSAGE"]]
    ]
    return MessageDraft(
        body_html=html,
        body_text=text or ("" if files or html else NO_SUBJECT),
        kind=MessageKind.PUBLIC.value,
        channel=Channel.EMAIL.value,
        files=files,
        email_message_id=(parsed.message_id or None) and parsed.message_id[:255],
        in_reply_to=(parsed.in_reply_to[0][:255] if parsed.in_reply_to else None),
        automatic=automatic,
    )


def _never_follow(address: str) -> bool:
    entries = [entry.lower() for entry in get_setting(MAIL_NEVER_FOLLOW) or []]
    domain = "@" + address.rpartition("@")[2]
    return address in entries or domain in entries


def _add_cc_followers(item: Item, parsed: ParsedMail) -> None:
    """Cc'd people follow the item, except our own and the admin's excluded ones."""
    if not parsed.cc:
        return
    cc = parsed.cc[:50]
    own = outbox.own_addresses()
    staff = set(
        db.session.scalars(
            db.select(db.func.lower(AtriumUser.email)).where(
                db.func.lower(AtriumUser.email).in_([a for _n, a in cc])
            )
        )
    )
    for _name, address in cc:
        if not address or address in own or address in staff or _never_follow(address):
            continue
        try:
            customer = find_or_add_customer(address, name=_name)
        except DomainError:
            continue
        if customer.id != item.requester_id and customer not in item.customer_followers:
            item.customer_followers.append(customer)
