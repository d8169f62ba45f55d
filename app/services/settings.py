"""Administrator settings stored in the database, with defaults in code."""

from __future__ import annotations

import enum
from typing import Any

from app.errors import InvalidInputError
from app.extensions import db
from app.models import Setting


class PortalVisibility(enum.StrEnum):
    """Which items a customer account sees."""

    OWN = "own"
    ORGANIZATION = "organization"
    ALL = "all"


PORTAL_VISIBILITY = "portal_visibility"

DEFAULTS: dict[str, Any] = {PORTAL_VISIBILITY: PortalVisibility.ORGANIZATION.value}
ALLOWED: dict[str, tuple[str, ...]] = {
    PORTAL_VISIBILITY: tuple(v.value for v in PortalVisibility),
}


def get_setting(key: str) -> Any:
    """The stored value of ``key``, or its default."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS.get(key)


def set_setting(key: str, value: Any) -> None:
    """Store ``value`` for ``key`` after checking it is allowed."""
    if key not in DEFAULTS:
        raise InvalidInputError(field=key)
    if key in ALLOWED and value not in ALLOWED[key]:
        raise InvalidInputError(field=key)
    row = db.session.get(Setting, key) or Setting(key=key)
    row.value = value
    db.session.add(row)
    db.session.commit()


def portal_visibility() -> PortalVisibility:
    """Whether customers see their own, their organization's or all items."""
    return PortalVisibility(get_setting(PORTAL_VISIBILITY))
