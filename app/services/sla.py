"""SLA clocks: which policy an item runs on, its due times, pauses and breaches."""

from __future__ import annotations

#: Item columns whose change can make another SLA policy match.
MATCH_COLUMNS = frozenset({"organization_id", "item_type_id", "priority"})


def refresh_item(item_id: int, *, rematch: bool = False) -> None:
    """Bring item ``item_id``'s SLA columns up to date (flushes, never commits)."""
