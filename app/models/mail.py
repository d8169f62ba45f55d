"""The e-mail channel: mailboxes we read, mail we received, mail we send, templates."""

from __future__ import annotations

import datetime as dt
import enum

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class MailProtocol(enum.StrEnum):
    """How a mailbox is read."""

    IMAP = "imap"
    POP3 = "pop3"
    #: Mail handed to `flask mail ingest` by the mail server; never polled.
    PIPE = "pipe"


class MailSecurity(enum.StrEnum):
    """Transport security of a mailbox connection."""

    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


class Mailbox(Model):
    """A support address whose mail becomes tickets."""

    __tablename__ = "mailbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    #: Our address customers write to; replies go out from it.
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    protocol: Mapped[str] = mapped_column(
        String(10), nullable=False, default=MailProtocol.IMAP.value
    )
    host: Mapped[str] = mapped_column(String(253), nullable=False, default="")
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    security: Mapped[str] = mapped_column(
        String(10), nullable=False, default=MailSecurity.SSL.value
    )
    username: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    #: Fernet token; the clear password is never stored or shown again.
    password_encrypted: Mapped[str] = mapped_column(Text, nullable=False, default="")
    folder: Mapped[str] = mapped_column(String(200), nullable=False, default="INBOX")
    default_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_type.id", ondelete="SET NULL"), nullable=True
    )
    default_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), nullable=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_polled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    default_type = relationship("ItemType")
    default_team = relationship("Team")

    #: A password typed into the form, encrypted by services.mailboxes.
    pending_password = None

    @property
    def password(self) -> str:
        """Write-only: forms show an empty field, never the stored secret."""
        return ""

    @password.setter
    def password(self, value: str | None) -> None:
        self.pending_password = value or None

    @property
    def has_password(self) -> bool:
        """Whether a password is stored."""
        return bool(self.password_encrypted)

    def __str__(self) -> str:
        return self.name


class InboundStatus(enum.StrEnum):
    """What became of a received mail."""

    STORED = "stored"
    #: Kept out on purpose (our own mail looping back).
    IGNORED = "ignored"
    REJECTED = "rejected"


class InboundMail(Model):
    """One received mail, keyed per channel so a second delivery is recognised."""

    __tablename__ = "inbound_mail"
    __table_args__ = (
        Index("uq_inbound_mail_key", "channel_key", "message_key", unique=True),
        Index("ix_inbound_mail_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "mailbox:<id>" or "pipe": the same Message-ID in two mailboxes is two mails.
    channel_key: Mapped[str] = mapped_column(String(40), nullable=False)
    #: SHA-256 of the Message-ID, or of the raw bytes when it has none.
    message_key: Mapped[str] = mapped_column(String(64), nullable=False)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailbox.id", ondelete="SET NULL"), nullable=True
    )
    message_id_header: Mapped[str] = mapped_column(
        String(255), nullable=False, default=""
    )
    sender: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    subject: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: Why the mail counts as automatic ("auto-submitted", "x-loop", ...), or "".
    automatic_reason: Mapped[str] = mapped_column(
        String(30), nullable=False, default=""
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="SET NULL"), nullable=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), nullable=True
    )
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    mailbox = relationship("Mailbox")
    item = relationship("Item")


class OutboundStatus(enum.StrEnum):
    """Where an outgoing mail is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: Not sent on purpose (automatic-mail cap reached, no address).
    SUPPRESSED = "suppressed"


class OutboundEmail(Model):
    """The outbox: a rendered mail waiting for, or done with, the send job."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        Index("ix_outbound_to_created", "to_address", "created_at"),
        Index("ix_outbound_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Fixed when the row is made, so a re-run can never produce a second mail.
    message_id_header: Mapped[str] = mapped_column(
        String(255), unique=True, nullable=False
    )
    event: Mapped[str] = mapped_column(String(30), nullable=False)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="SET NULL"), nullable=True, index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), nullable=True
    )
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("mailbox.id", ondelete="SET NULL"), nullable=True
    )
    to_address: Mapped[str] = mapped_column(String(320), nullable=False)
    to_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    in_reply_to: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    references: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Sent without a person pressing a button: carries Auto-Submitted, is capped.
    automatic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attachment_ids: Mapped[list[int]] = mapped_column(
        JSON, nullable=False, default=list
    )
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=OutboundStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Pending: not before this time (back-off). Sending: the claim runs out then.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    item = relationship("Item")

    def __str__(self) -> str:
        return self.subject


class EmailTemplate(Model):
    """The subject and body of one event's mail in one language (Jinja, sandboxed)."""

    __tablename__ = "email_template"
    __table_args__ = (
        Index("uq_email_template_event_language", "event", "language", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(30), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"
