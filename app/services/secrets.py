"""Secrets kept in the database (mailbox passwords), encrypted with the app's key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app.errors import SecretUnreadableError


def _fernet() -> Fernet:
    # A separate key per purpose: the session signing key is never used directly.
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hashlib.sha256(b"atrium-stored-secrets\x00" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(value: str) -> str:
    """An opaque token for ``value``."""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """The value behind ``token``; SecretUnreadableError if the key changed."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadableError() from None
