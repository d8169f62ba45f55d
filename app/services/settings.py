"""Administrator settings stored in the database, with defaults in code."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import Setting


class PortalVisibility(enum.StrEnum):
    """Which items a customer account sees."""

    OWN = "own"
    ORGANIZATION = "organization"
    ALL = "all"


PORTAL_VISIBILITY = "portal_visibility"
#: Addresses (or "@domain" entries) never added as followers from a mail's Cc.
MAIL_NEVER_FOLLOW = "mail_never_follow"
#: Automatic mails (acknowledgements, notices) one address gets per day at most.
MAIL_AUTO_REPLY_CAP = "mail_auto_reply_cap"

DEFAULTS: dict[str, Any] = {
    PORTAL_VISIBILITY: PortalVisibility.ORGANIZATION.value,
    MAIL_NEVER_FOLLOW: [],
    MAIL_AUTO_REPLY_CAP: 10,
}
ALLOWED: dict[str, tuple[str, ...]] = {
    PORTAL_VISIBILITY: tuple(v.value for v in PortalVisibility),
}


def _check_address_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(entry, str) and 0 < len(entry) <= 320 and "@" in entry
        for entry in value
    )


#: Checks for settings whose values are not a fixed set.
VALIDATORS: dict[str, Any] = {
    MAIL_NEVER_FOLLOW: _check_address_list,
    MAIL_AUTO_REPLY_CAP: lambda v: isinstance(v, int) and 0 <= v <= 1000,
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
    if key in VALIDATORS and not VALIDATORS[key](value):
        raise InvalidInputError(field=key)
    row = db.session.get(Setting, key) or Setting(key=key)
    row.value = value
    db.session.add(row)
    db.session.commit()


def portal_visibility() -> PortalVisibility:
    """Whether customers see their own, their organization's or all items."""
    return PortalVisibility(get_setting(PORTAL_VISIBILITY))


def set_mail_settings(*, never_follow: str, auto_reply_cap: int | None) -> None:
    """Store the never-follow list (one address or @domain per line) and the cap."""
    entries: dict[str, None] = {}
    for line in (never_follow or "").splitlines():
        entry = line.strip().lower()
        if not entry:
            continue
        if "@" not in entry or len(entry) > 320 or any(c.isspace() for c in entry):
            raise InvalidInputError(
                _l("Not an address or @domain: %(entry)s", entry=entry[:80]),
                field="never_follow",
            )
        entries[entry] = None
    if auto_reply_cap is None:
        raise InvalidInputError(field="auto_reply_cap")
    set_setting(MAIL_NEVER_FOLLOW, list(entries))
    set_setting(MAIL_AUTO_REPLY_CAP, int(auto_reply_cap))
