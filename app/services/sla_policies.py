"""SLA policies as administrators edit them: business durations and their checks."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect

from app.errors import InvalidInputError
from app.extensions import db
from app.models import SlaPolicy
from app.services.items import rollback_on_error
from app.services.text import clean_line, clean_text

#: Working hours in a "day" of a typed duration ("2d" is 16 working hours).
HOURS_PER_DAY = 8
#: The longest target: about five years of office hours.
MAX_MINUTES = 9999 * 60
_DURATION = re.compile(
    r"(?:(?P<d>\d{1,4})\s*d)?\s*(?:(?P<h>\d{1,5})\s*h)?\s*(?:(?P<m>\d{1,6})\s*m)?"
)
_CLOCK = re.compile(r"(?P<h>\d{1,4}):(?P<m>[0-5]\d)")
#: What a reference to a missing row says, per relationship.
MISSING_RELATED = {
    "organization": _l("This organization does not exist."),
    "item_type": _l("This type does not exist."),
    "calendar": _l("This calendar does not exist."),
}
DURATION_HINT = _l(
    "Business time, like 4h, 90m, 1h 30m or 2d 4h (a day is 8 working hours)."
)


def parse_duration(text: str | None, *, field: str) -> int | None:
    """ "1d 2h 30m" or "2:30" as business minutes; empty text is None."""
    value = (text or "").strip().lower()
    if not value:
        return None
    value = re.sub(r"\s+", " ", value[:40])
    match = _DURATION.fullmatch(value) or _CLOCK.fullmatch(value)
    if match is None or not any(match.groupdict().values()):
        raise InvalidInputError(
            _l("Write a time like 4h, 90m or 1d 2h: %(text)s", text=value[:40]),
            field=field,
        )
    parts = {key: int(number or 0) for key, number in match.groupdict().items()}
    minutes = (parts.get("d", 0) * HOURS_PER_DAY + parts["h"]) * 60 + parts["m"]
    _check_range(minutes, field=field)
    return minutes


def format_duration(minutes: int | None) -> str:
    """Business minutes as typed back into the form: "4h", "1h 30m", "45m"."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours}h {rest:02d}m"
    return f"{hours}h" if hours else f"{rest}m"


def _check_range(minutes: int, *, field: str) -> None:
    if minutes <= 0:
        raise InvalidInputError(_l("The time must be more than zero."), field=field)
    if minutes > MAX_MINUTES:
        raise InvalidInputError(
            _l("The time may be at most %(hours)s hours.", hours=MAX_MINUTES // 60),
            field=field,
        )


@rollback_on_error
def prepare_policy(policy: SlaPolicy) -> None:
    """Check a policy from a form or the API before it is stored.

    A refused edit is rolled back: the form has already set the loaded row's
    attributes, and nothing may flush them.
    """
    policy.name = clean_line(policy.name, field="name", max_length=100)
    policy.description = clean_text(policy.description, field="description")
    for relation, message in MISSING_RELATED.items():
        related = getattr(policy, relation)
        # The REST schema turns an unknown id into a new, unsaved row.
        if related is not None and not inspect(related).has_identity:
            raise InvalidInputError(message, field=relation)
    if policy.priority is not None and not 1 <= int(policy.priority) <= 5:
        raise InvalidInputError(_l("Priority goes from 1 to 5."), field="priority")
    _check_targets(policy)
    policy.enabled = bool(policy.enabled)
    policy.position = int(policy.position or 0)
    if not -1_000_000 <= policy.position <= 1_000_000:
        raise InvalidInputError(field="position")
    duplicate = db.session.scalar(
        db.select(SlaPolicy.id).where(
            SlaPolicy.name == policy.name, SlaPolicy.id != (policy.id or 0)
        )
    )
    if duplicate:
        raise InvalidInputError(_l("A policy with this name exists."), field="name")


def _check_targets(policy: SlaPolicy) -> None:
    targets = {
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
    }
    if all(minutes is None for minutes in targets.values()):
        raise InvalidInputError(
            _l("Give a first response target, a resolution target or both."),
            field="first_response_minutes",
        )
    for field, minutes in targets.items():
        if minutes is not None:
            _check_range(int(minutes), field=field)
    warning = int(policy.warning_minutes or 0)
    if warning < 0:
        raise InvalidInputError(
            _l("The warning cannot be negative."), field="warning_minutes"
        )
    if any(warning >= minutes for minutes in targets.values() if minutes is not None):
        raise InvalidInputError(
            _l("The warning must come before the targets: make it shorter."),
            field="warning_minutes",
        )
    policy.warning_minutes = warning
