"""Workflow automation: rules stored as data, run by a background job."""

from __future__ import annotations

from typing import Any


def item_saved(
    item: Any, *, created: bool, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Queue the rules an item's creation or committed edit may trigger."""


def message_added(message: Any) -> None:
    """Queue the rules a committed reply may trigger."""


def mail_stored(item_id: int | None, message_id: int | None, *, created: bool) -> None:
    """Queue the rules a stored inbound mail may trigger."""


def sla_event(item_id: int, trigger: str, target: str) -> None:
    """Queue the rules an SLA warning or breach triggers (``target``: which clock)."""
