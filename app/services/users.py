"""People who sign in: the admin account, the system account, profile choices."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, has_app_context
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidInputError
from app.extensions import db
from app.models.users import AtriumUser

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "atrium-system"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class AdminAccount:
    """The outcome of ensure_admin: the user and, when just generated, its password."""

    user: AtriumUser
    created: bool
    generated_password: str | None


def get_system_user() -> AtriumUser:
    """The internal account jobs and CLI commands act as; created on first use."""
    cached = g.get("_atrium_system_user") if has_app_context() else None
    if cached is not None and inspect(cached).session is db.session():
        return cached
    user = db.session.scalar(db.select(AtriumUser).filter_by(username=SYSTEM_USERNAME))
    if user is not None:
        if has_app_context():
            g._atrium_system_user = user
        return user
    user = AtriumUser(
        username=SYSTEM_USERNAME,
        first_name="Atrium",
        last_name="System",
        email="system@atrium.invalid",
        active=False,
        is_system=True,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # another process created it at the same moment
        db.session.rollback()
        user = db.session.scalar(
            db.select(AtriumUser).filter_by(username=SYSTEM_USERNAME)
        )
    return user


def act_as_system_user() -> AtriumUser:
    """Make the system account the acting user (g.user) of a job or CLI command."""
    g.user = get_system_user()
    return g.user


def set_user_language(user_id: int, language: str) -> None:
    """Remember ``language`` as the user's UI and e-mail language."""
    if language not in current_app.config["LANGUAGES"]:
        raise InvalidInputError(field="language")
    user = db.session.get(AtriumUser, user_id)
    if user is None or user.language == language:
        return
    user.language = language
    db.session.commit()


def admin_password_file() -> Path:
    """Where a generated admin password is kept (mode 0600)."""
    return Path(current_app.instance_path) / "admin-password"


def ensure_admin() -> AdminAccount:
    """Create the ``admin`` user if missing, with ADMIN_PASSWORD or a generated one."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=ADMIN_USERNAME)
    if user is not None:
        return AdminAccount(user=user, created=False, generated_password=None)
    password = current_app.config.get("ADMIN_PASSWORD") or ""
    generated = None
    if not password:
        password = generated = _read_or_generate_admin_password()
    role = sm.find_role(current_app.config["AUTH_ROLE_ADMIN"])
    user = sm.add_user(
        ADMIN_USERNAME,
        "Atrium",
        "Administrator",
        "admin@atrium.local",
        [role],
        password,
    )
    if not user:
        raise RuntimeError("Could not create the admin user")
    return AdminAccount(user=user, created=True, generated_password=generated)


def _read_or_generate_admin_password() -> str:
    path = admin_password_file()
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(15)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password
