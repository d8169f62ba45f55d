"""The SLA clock's arithmetic on one item row: pauses, due times, flags, events.

Pure functions of a row, a policy, a calendar and a moment; services.sla reads the
rows and writes the results. The clock runs while the status is new or open and
stops in waiting, done and closed; business time spent stopped is added to both
due times when it runs again.

Warnings and breaches of unmet targets are flagged by the scan, which also turns
them into events for automation rules; a refresh only keeps those flags true
while they still hold, so no event is lost to a refresh that came first. A
target met late is flagged breached by the refresh that sees it met.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.errors import DomainError
from app.models import SlaPolicy, StatusCategory
from app.services.calendars import (
    WorkingTime,
    add_business_time,
    business_time_between,
)

#: Status categories in which the clock does not run.
STOPPED_CATEGORIES = frozenset(
    {
        StatusCategory.WAITING.value,
        StatusCategory.DONE.value,
        StatusCategory.CLOSED.value,
    }
)
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"

#: An SLA event: (item id, trigger, target).
SlaEvent = tuple[int, str, str]


@dataclass(frozen=True)
class Target:
    """One of the two clocks of an item and the columns it keeps."""

    name: str
    minutes: str
    met: str
    due: str
    warned: str
    breached: str


TARGETS = tuple(
    Target(
        name,
        f"{name}_minutes",
        met,
        f"sla_{name}_due",
        f"sla_{name}_warned",
        f"sla_{name}_breached",
    )
    for name, met in (
        (FIRST_RESPONSE, "first_response_at"),
        (RESOLUTION, "resolved_at"),
    )
)
#: What an item without a policy stores.
NO_SLA: dict[str, Any] = {
    "sla_policy_id": None,
    "sla_policy_pinned": False,
    "sla_paused_at": None,
    "sla_paused_seconds": 0,
    "sla_next_check_at": None,
    **{t.due: None for t in TARGETS},
    **{t.warned: False for t in TARGETS},
    **{t.breached: False for t in TARGETS},
}


@dataclass(frozen=True)
class Clock:
    """Whether the clock is stopped, since when, and the business time stopped."""

    stopped: bool
    paused_at: dt.datetime | None
    paused_seconds: int


def reconcile(
    row: Any,
    policy: SlaPolicy | None,
    working: WorkingTime,
    now: dt.datetime,
    *,
    announce: bool = False,
    settle: bool = False,
) -> tuple[dict[str, Any], list[SlaEvent]]:
    """The SLA columns ``row`` should have at ``now``, and the events that fire.

    With ``announce`` (the scan) or ``settle`` (a back-fill) targets of a running
    clock whose warning or due time passed get their flags; otherwise flags of
    unmet targets only stay true while they still hold.
    """
    if policy is None:
        return dict(NO_SLA), []
    clock = clock_of(row, working, now)
    values: dict[str, Any] = {
        "sla_policy_id": policy.id,
        "sla_policy_pinned": bool(row.sla_policy_pinned),
        "sla_paused_at": clock.paused_at,
        "sla_paused_seconds": clock.paused_seconds,
    }
    reset = row.sla_policy_id != policy.id
    checks: list[dt.datetime] = []
    events: list[SlaEvent] = []
    for target in TARGETS:
        state = TargetState.of(target, row, policy, working, clock, reset)
        event = state.settle(now, flag_passed=announce or settle)
        values |= state.values()
        checks += state.pending_checks()
        if event is not None and announce:
            events.append((row.id, event, target.name))
    values["sla_next_check_at"] = min(checks) if checks else None
    return values, events


@dataclass
class TargetState:
    """One target's due and warning times and flags while they are reconciled."""

    target: Target
    due: dt.datetime | None
    warn_at: dt.datetime | None
    met_at: dt.datetime | None
    clock: Clock
    warned: bool
    breached: bool

    @classmethod
    def of(
        cls,
        target: Target,
        row: Any,
        policy: SlaPolicy,
        working: WorkingTime,
        clock: Clock,
        reset: bool,
    ) -> TargetState:
        """The target's times from the policy; ``reset`` forgets the stored flags."""
        minutes = getattr(policy, target.minutes)
        due = warn_at = None
        if minutes is not None:
            early = max(0, minutes - (policy.warning_minutes or 0)) * 60
            due = after(working, row.created_at, minutes * 60 + clock.paused_seconds)
            warn_at = after(working, row.created_at, early + clock.paused_seconds)
        keep = due is not None and not reset
        return cls(
            target,
            due,
            warn_at or due,
            getattr(row, target.met),
            clock,
            keep and bool(getattr(row, target.warned)),
            keep and bool(getattr(row, target.breached)),
        )

    def settle(self, now: dt.datetime, *, flag_passed: bool) -> str | None:
        """Update the flags at ``now``; the event a passed deadline fires, if any."""
        if self.due is None:
            return None
        if self.met_at is not None:
            # Met while the clock was stopped: the clock stood still at the pause.
            paused = self.clock.paused_at
            effective = min(self.met_at, paused) if paused else self.met_at
            self.breached = self.breached or effective > self.due
            return None
        self.breached = self.breached and now >= self.due
        self.warned = self.warned and now >= self.warn_at
        if not flag_passed or self.clock.stopped:
            return None
        if not self.breached and now >= self.due:
            self.breached = self.warned = True
            return SLA_BREACHED
        if not self.warned and now >= self.warn_at:
            self.warned = True
            return SLA_WARNING
        return None

    def pending_checks(self) -> list[dt.datetime]:
        """Moments a scan must look at this target again (none once met or stopped)."""
        if self.due is None or self.met_at is not None or self.clock.stopped:
            return []
        return [
            moment
            for moment, done in ((self.warn_at, self.warned), (self.due, self.breached))
            if not done
        ]

    def values(self) -> dict[str, Any]:
        """The target's columns."""
        return {
            self.target.due: self.due,
            self.target.warned: self.warned,
            self.target.breached: self.breached,
        }


def clock_of(row: Any, working: WorkingTime, now: dt.datetime) -> Clock:
    """Stop or restart the clock to match the status category."""
    stopped = row.category in STOPPED_CATEGORIES
    paused_at, seconds = row.sla_paused_at, int(row.sla_paused_seconds or 0)
    if stopped and paused_at is None:
        paused_at = now
    elif not stopped and paused_at is not None:
        seconds += int(business_time_between(working, paused_at, now).total_seconds())
        paused_at = None
    return Clock(stopped, paused_at, seconds)


def after(working: WorkingTime, start: dt.datetime, seconds: int) -> dt.datetime | None:
    """``seconds`` of business time after ``start``; None past the calendar's reach."""
    try:
        return add_business_time(working, start, dt.timedelta(seconds=seconds))
    except DomainError:
        return None
