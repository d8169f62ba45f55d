"""Automation jobs: one event's rules, and the periodic time-based rules."""

from __future__ import annotations

from typing import Any

from app.services.automation import engine


def run_automation_event(**event: Any) -> dict[str, int]:
    """Run the rules of one committed change (see automation.engine.Event)."""
    runs = engine.run_event(engine.Event(**event))
    return {"rules": len(runs), "matched": sum(run["matched"] for run in runs)}


def run_time_rules() -> dict[str, int]:
    """Periodic: apply time-based rules to the items that became due."""
    return {"items": engine.run_time_rules()}
