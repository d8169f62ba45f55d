"""An item's conversation: public replies, internal notes and their attachments."""

from __future__ import annotations

import datetime as dt
import enum

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class MessageKind(enum.StrEnum):
    """Who may read a message: everyone on the item, or staff only."""

    PUBLIC = "public"
    INTERNAL = "internal"


class Message(Model):
    """One entry of an item's conversation, sanitized HTML plus its plain text."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_item_id", "item_id", "id"),
        Index("ix_message_email_message_id", "email_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(
        String(10), nullable=False, default=MessageKind.PUBLIC.value
    )
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    author_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), nullable=True
    )
    #: Sanitized by the nh3 allowlist before it is stored.
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    channel: Mapped[str] = mapped_column(String(10), nullable=False, default="agent")
    #: Message-ID of the e-mail this message came in as or went out as.
    email_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: Inbound mail recognised as automatic (auto-reply, bounce, list): never answered.
    automatic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    item = relationship("Item")
    author_user = relationship("AtriumUser")
    author_customer = relationship("Customer")
    attachments = relationship(
        "Attachment",
        back_populates="message",
        order_by="Attachment.id",
        lazy="selectin",
    )

    @property
    def is_public(self) -> bool:
        """Whether customers see this message."""
        return self.kind == MessageKind.PUBLIC.value

    @property
    def author_name(self) -> str:
        """The author as shown above the message."""
        if self.author_user is not None:
            return self.author_user.get_full_name() or self.author_user.username
        if self.author_customer is not None:
            return self.author_customer.display_name
        return ""

    def __str__(self) -> str:
        return f"#{self.id}"


class Attachment(Model):
    """A file on an item (or one of its messages), stored once per SHA-256."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_item_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), nullable=False
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), nullable=True, index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The name the uploader gave (cleaned); never used as a path.
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    #: Content-ID of an inline image in an HTML mail.
    content_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    inline: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    item = relationship("Item")
    message = relationship("Message", back_populates="attachments")
    uploaded_by = relationship("AtriumUser")

    def __str__(self) -> str:
        return self.filename
