"""The FAB user, extended with the profile fields Atrium needs."""

from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column


class AtriumUser(User):
    """A person who signs in: FAB's user plus language, time zone and flags."""

    __tablename__ = "ab_user"

    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Internal accounts (the job runner) that can never sign in.
    is_system: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0", nullable=False
    )
    #: Which item events the user is told about by e-mail (followed or assigned).
    notify_replies: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1", nullable=False
    )
    notify_notes: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1", nullable=False
    )
    notify_assignment: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1", nullable=False
    )
    notify_status: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1", nullable=False
    )
    #: Unavailable agents (away, on leave) are skipped by automatic assignment.
    available: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default="1", nullable=False
    )
