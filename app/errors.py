"""Domain errors raised by services; views map them to responses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    message = _l("The request could not be completed.")

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        if message is not None:
            self.message = message
        self.field = field
        super().__init__(str(self.message))


class InvalidInputError(DomainError):
    """A value is missing, malformed or out of range."""

    status_code = 400
    message = _l("Some of the values are not valid.")


class NotFoundError(DomainError):
    """The object does not exist, or the user may not know that it does."""

    status_code = 404
    message = _l("Not found.")


class ForbiddenError(DomainError):
    """The user may see the object but not do this to it."""

    status_code = 403
    message = _l("You are not allowed to do this.")


class ConflictError(DomainError):
    """Someone else changed the object first."""

    status_code = 409
    message = _l("Someone else changed this in the meantime. Reload and try again.")


class GoneError(DomainError):
    """The object or link existed but can no longer be used (expired, used up)."""

    status_code = 410
    message = _l("This is no longer available.")


class FileTooLargeError(DomainError):
    """An upload is bigger than the configured limit."""

    status_code = 413
    message = _l("The file is too large.")


class SecretUnreadableError(DomainError):
    """A stored secret was encrypted with another SECRET_KEY."""

    status_code = 409
    message = _l("The stored password cannot be read any more; enter it again.")


class IngestDeferredError(DomainError):
    """The desk cannot take mail right now (for example, no ticket type enabled)."""
