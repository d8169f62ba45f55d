"""Conversations: public replies and internal notes on items."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, update
from sqlalchemy.orm import selectinload

from app.errors import ForbiddenError, InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    Attachment,
    Channel,
    Customer,
    Item,
    Message,
    MessageKind,
)
from app.models.base import utcnow
from app.services import automation, notifications, sla
from app.services.access import (
    customer_of,
    get_visible_item,
    is_staff,
    message_scope,
)
from app.services.attachments import (
    UploadedFile,
    check_upload_count,
    store_attachment,
)
from app.services.items import rollback_on_error
from app.services.richtext import html_to_plain, sanitize_html, text_to_html

MAX_BODY = 1_000_000


@dataclass
class MessageDraft:
    """What a person (or a mail) wants to add to an item's conversation."""

    body_html: str | None = None
    body_text: str | None = None
    kind: str = MessageKind.PUBLIC.value
    channel: str = Channel.AGENT.value
    files: list[UploadedFile] = field(default_factory=list)
    email_message_id: str | None = None
    in_reply_to: str | None = None
    automatic: bool = False


def _bodies(draft: MessageDraft) -> tuple[str, str]:
    """Sanitized HTML and plain text of a draft, whichever of the two it gave."""
    if "\x00" in (draft.body_html or "") + (draft.body_text or ""):
        raise InvalidInputError(field="body")
    if len(draft.body_html or "") > MAX_BODY or len(draft.body_text or "") > MAX_BODY:
        raise InvalidInputError(_l("The message is too long."), field="body")
    if draft.body_html and draft.body_html.strip():
        body_html = sanitize_html(draft.body_html)
        return body_html, html_to_plain(body_html)
    text = (draft.body_text or "").replace("\r\n", "\n").strip()
    return text_to_html(text), text


def _check_kind(draft: MessageDraft, actor: AtriumUser | None) -> None:
    if draft.kind not in {k.value for k in MessageKind}:
        raise InvalidInputError(field="kind")
    if not is_staff(actor) and draft.kind != MessageKind.PUBLIC.value:
        raise ForbiddenError()


def add_message(
    item: Item,
    draft: MessageDraft,
    *,
    author_user: AtriumUser | None,
    author_customer: Customer | None,
) -> Message:
    """Store a message and its files on ``item``; flushes, the caller commits."""
    body_html, body_text = _bodies(draft)
    check_upload_count(draft.files)
    if not body_text and not draft.files:
        raise InvalidInputError(_l("Write a message or attach a file."), field="body")
    message = Message(
        item_id=item.id,
        kind=draft.kind,
        author_user_id=getattr(author_user, "id", None),
        author_customer_id=getattr(author_customer, "id", None),
        body_html=body_html,
        body_text=body_text,
        channel=draft.channel,
        email_message_id=(draft.email_message_id or None),
        in_reply_to=(draft.in_reply_to or None),
        automatic=draft.automatic,
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    for upload in draft.files:
        store_attachment(item, upload, actor=author_user, message=message)
    # The automation's own replies are not anybody's response to the customer.
    agent = is_staff(author_user) and not author_user.is_system
    _touch_item(item, message, staff_author=agent)
    if message.is_public and agent:
        sla.refresh_item(item.id)
    return message


def _touch_item(item: Item, message: Message, *, staff_author: bool) -> None:
    """Bump the item's activity without a version change (no edit conflict)."""
    now = message.created_at
    # Never backwards: concurrent replies may commit in another order than made.
    db.session.execute(
        update(Item)
        .where(Item.id == item.id)
        .values(updated_at=case((Item.updated_at < now, now), else_=Item.updated_at))
        .execution_options(synchronize_session=False)
    )
    if staff_author and message.is_public:
        db.session.execute(
            update(Item)
            .where(
                Item.id == item.id,
                or_(Item.first_response_at.is_(None), Item.first_response_at > now),
            )
            .values(first_response_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.expire(item, ["updated_at", "first_response_at"])


@rollback_on_error
def post_message(
    item_id: int, actor: AtriumUser | None, draft: MessageDraft
) -> Message:
    """Add a reply or note as ``actor`` (agent or customer) and tell whoever follows."""
    item = get_visible_item(item_id, actor)
    _check_kind(draft, actor)
    if is_staff(actor):
        message = add_message(item, draft, author_user=actor, author_customer=None)
    else:
        customer = customer_of(actor)
        if customer is None:
            raise ForbiddenError()
        draft.channel = draft.channel if draft.channel != "agent" else "portal"
        message = add_message(item, draft, author_user=None, author_customer=customer)
    notifications.message_added(message, actor=actor)
    db.session.commit()
    automation.message_added(message)
    return message


def visible_messages(item: Item, actor: AtriumUser | None) -> list[Message]:
    """The conversation of an item as ``actor`` may read it, oldest first."""
    query = db.select(Message).where(Message.item_id == item.id, message_scope(actor))
    return list(
        db.session.scalars(
            query.options(
                selectinload(Message.author_user),
                selectinload(Message.author_customer),
            ).order_by(Message.id)
        )
    )


@rollback_on_error
def attach_to_item(
    item_id: int, actor: AtriumUser | None, uploads: list[UploadedFile]
) -> list[Attachment]:
    """Add files to an item itself (not to a message); staff only."""
    item = get_visible_item(item_id, actor)
    if not is_staff(actor):
        raise ForbiddenError()
    if not uploads:
        raise InvalidInputError(_l("Choose a file."), field="file")
    check_upload_count(uploads)
    attachments = [store_attachment(item, upload, actor=actor) for upload in uploads]
    db.session.commit()
    return attachments


def item_attachments(item: Item) -> list[Attachment]:
    """Files attached to the item itself, oldest first."""
    return list(
        db.session.scalars(
            db.select(Attachment)
            .where(Attachment.item_id == item.id, Attachment.message_id.is_(None))
            .order_by(Attachment.id)
        )
    )
