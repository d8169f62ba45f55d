"""Automation figures for `make bench`: rule evaluation per event with 200 rules.

Two numbers per database: the evaluation alone (load the event's rules in one
query, check each rule's trigger and conditions against the item) and the whole
event job (the same, plus writing one run record per rule and applying the one
rule that matches).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: The issue's target for evaluating one event against 200 active rules.
TARGET_MS = 5.0
RULES = 200
EVENTS = 200


def _rule_data(number: int, type_ids: list[int], org_ids: list[int]) -> dict:
    """Rule ``number`` of a realistic mix: titles, types, organizations, priority."""
    rows = [
        {"field": "title", "op": "contains", "value": f"keyword{number}"},
        {"field": "item_type", "op": "in", "value": [type_ids[number % len(type_ids)]]},
        {
            "field": "organization",
            "op": "in",
            "value": [org_ids[number % len(org_ids)]],
        },
        {"field": "priority", "op": "gte", "value": 1 + number % 5},
        {"field": "requester_domain", "op": "ends_with", "value": f"d{number}.example"},
        {"field": "status_category", "op": "in", "value": ["new", "open"]},
    ]
    return {
        "name": f"Bench rule {number}",
        "object": "ticket",
        "trigger": "created",
        "conditions": {
            "match": "all",
            "groups": [
                {"match": "any", "conditions": rows[:2]},
                {"match": "all", "conditions": rows[2:]},
            ],
        },
        # One rule in 200 matches the bench item's title: a realistic event.
        "actions": [{"type": "set_priority", "priority": 4}],
        "position": number,
        "enabled": True,
    }


def _seed(app) -> list[int]:
    from app.extensions import db
    from app.models import Item, ItemType, Organization
    from app.services import items as item_service
    from app.services.automation import rules
    from app.services.users import get_system_user

    with app.app_context():
        type_ids = db.session.scalars(
            db.select(ItemType.id).where(ItemType.kind == "ticket")
        ).all()
        org_ids = db.session.scalars(db.select(Organization.id).limit(50)).all()
        for number in range(RULES):
            rules.save_rule(None, _rule_data(number, type_ids, org_ids))
        system = get_system_user()
        first_type = type_ids[0]
        ids = []
        for number in range(EVENTS):
            item = Item(
                kind="ticket",
                title=f"Pump stopped keyword{number % RULES} again",
                item_type_id=first_type,
                organization_id=org_ids[number % len(org_ids)],
            )
            item_service.prepare_new_item(item, system)
            db.session.commit()
            ids.append(item.id)
        return ids


def _time_ms(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def run_automation(
    database_url: str, label: str, report: Callable[[str], None]
) -> None:
    """Seed 200 rules and 200 tickets, then time evaluation and whole event runs."""
    from tests.bench.run import _build_app, _prepare

    with tempfile.TemporaryDirectory(prefix="atrium-bench-auto-") as folder:
        app = _build_app(database_url, Path(folder))
        _prepare(app, 0)
        item_ids = _seed(app)
        from app.extensions import db
        from app.services.automation import engine

        evaluate: list[float] = []
        whole: list[float] = []
        with app.app_context():
            for item_id in item_ids:
                db.session.expire_all()

                def evaluate_only(item_id: int = item_id) -> int:
                    event = engine.Event(
                        object="ticket", triggers=["created"], item_id=item_id
                    )
                    subject = engine.subject_of(event)
                    return sum(
                        rule.matches(subject)
                        for rule in engine.rules_for("ticket", ["created"])
                        if engine.trigger_fits(rule, event)
                    )

                evaluate.append(_time_ms(evaluate_only))
                db.session.expire_all()
                event = engine.Event(
                    object="ticket", triggers=["created"], item_id=item_id
                )
                whole.append(_time_ms(lambda event=event: engine.run_event(event)))
            db.engine.dispose()
    report(f"\n{label}: automation, {RULES} active rules, {EVENTS} events")
    report(f"{'measure':44} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in (
        ("evaluate one event (load + match rules)", evaluate),
        ("whole event job (+ 200 run records, 1 edit)", whole),
    ):
        p95 = statistics.quantiles(values, n=20)[18]
        report(f"{name:44} {statistics.median(values):8.2f} {p95:8.2f}")
    verdict = "met" if statistics.median(evaluate) < TARGET_MS else "MISSED"
    report(f"target: evaluation under {TARGET_MS:.0f} ms per event — {verdict}")
