"""SLA jobs: the periodic scan for warnings and breaches that are due."""

from __future__ import annotations

import logging

from app.models.base import utcnow
from app.services import automation, sla

logger = logging.getLogger(__name__)

#: Items read per batch; batches repeat while items are still due.
BATCH = 1000
#: A safety stop: the scan moves every item it reads past now, so this is never hit.
MAX_BATCHES = 1000


def scan_sla() -> dict[str, int]:
    """Periodic: flag due SLA warnings and breaches and hand them to automation."""
    now = utcnow()
    warnings = breaches = 0
    for _batch in range(MAX_BATCHES):
        events = sla.scan(now, limit=BATCH)
        for event in events:
            _announce(*event)
        warnings += sum(trigger == sla.SLA_WARNING for _id, trigger, _t in events)
        breaches += sum(trigger == sla.SLA_BREACHED for _id, trigger, _t in events)
        if not sla.more_due(now):
            break
    logger.info("SLA scan: %d warnings, %d breaches", warnings, breaches)
    return {"warnings": warnings, "breaches": breaches}


def _announce(item_id: int, trigger: str, target: str) -> None:
    """Hand one event to automation; the flags are committed, so one failure must
    not cost the events after it."""
    try:
        automation.sla_event(item_id, trigger, target)
    except Exception:
        logger.exception(
            "SLA %s of item %s (%s) not handed on", trigger, item_id, target
        )
