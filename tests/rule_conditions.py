"""Rule conditions for the automation tests, in the shape the rule editor posts."""

from __future__ import annotations

from typing import Any


def when_all(*rows: tuple[str, str, Any]) -> dict[str, Any]:
    """One group of ``(field, op, value)`` rows that must all hold."""
    conditions = [{"field": name, "op": op, "value": value} for name, op, value in rows]
    return {"match": "all", "groups": [{"match": "all", "conditions": conditions}]}


def when(field: str, op: str, value: Any = None) -> dict[str, Any]:
    """A single condition."""
    return when_all((field, op, value))
