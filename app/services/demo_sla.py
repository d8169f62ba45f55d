"""Demo SLA: office hours as the default calendar, two policies, settled clocks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, null, select, update

from app.extensions import db
from app.models import WEEKDAYS, BusinessCalendar, Item, SlaPolicy, Status
from app.models.base import utcnow
from app.services import sla

OFFICE_HOURS = {
    day: ([["09:00", "17:00"]] if day not in ("sat", "sun") else []) for day in WEEKDAYS
}
#: (name, priority, first response, resolution, warning) in business minutes.
DEMO_POLICIES = (
    ("Standard SLA", None, 4 * 60, 3 * 8 * 60, 60, 10),
    ("Priority SLA", 5, 60, 8 * 60, 15, 0),
)


def ensure_demo_sla() -> BusinessCalendar:
    """The default office-hours calendar and the demo policies (kept if present)."""
    calendar = db.session.scalar(
        select(BusinessCalendar).where(BusinessCalendar.is_default.is_(True)).limit(1)
    )
    if calendar is None:
        calendar = BusinessCalendar(
            name="Office hours",
            timezone="Europe/Oslo",
            weekly_hours=OFFICE_HOURS,
            holidays=[],
            is_default=True,
        )
        db.session.add(calendar)
    existing = set(db.session.scalars(select(SlaPolicy.name)))
    for name, priority, first, resolution, warning, position in DEMO_POLICIES:
        if name not in existing:
            db.session.add(
                SlaPolicy(
                    name=name,
                    description="",
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    warning_minutes=warning,
                    position=position,
                    enabled=True,
                )
            )
    db.session.commit()
    return calendar


#: The demo desk adopted its SLAs this long ago: older items run on none.
SLA_ADOPTED_DAYS = 21
_NO_SLA = {
    "sla_policy_id": None,
    "sla_policy_pinned": False,
    "sla_paused_at": None,
    "sla_paused_seconds": 0,
    "sla_next_check_at": None,
    "sla_first_response_due": None,
    "sla_resolution_due": None,
    "sla_first_response_breached": False,
    "sla_resolution_breached": False,
    "sla_first_response_warned": False,
    "sla_resolution_warned": False,
}


def settle_demo_clocks() -> int:
    """Recompute the SLA of recent items after the demo history was backdated.

    Backdating moved creation and resolution times but not the pauses: a stopped
    clock counts from the item's last change, and passed deadlines are flagged
    without announcing them. Items from before the SLAs were adopted have none.
    Commits; returns how many items were settled.
    """
    adopted = utcnow() - dt.timedelta(days=SLA_ADOPTED_DAYS)
    db.session.execute(
        update(Item)
        .where(Item.created_at < adopted)
        .values(**_NO_SLA)
        .execution_options(synchronize_session=False)
    )
    stopped = select(Status.id).where(Status.category.in_(sla.STOPPED_CATEGORIES))
    db.session.execute(
        update(Item)
        .where(Item.created_at >= adopted)
        .values(
            sla_paused_seconds=0,
            sla_paused_at=case(
                (Item.status_id.in_(stopped), Item.updated_at), else_=null()
            ),
        )
        .execution_options(synchronize_session=False)
    )
    recent = select(Item.id).where(Item.created_at >= adopted).order_by(Item.id)
    settled = sla.refresh_items(db.session.scalars(recent))
    db.session.commit()
    return settled
