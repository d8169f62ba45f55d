""" "Test against item…": which conditions hold and what the actions would change.

Nothing is written: round-robin peeks at the next person instead of moving the
cursor, a missing customer project is only announced, mails are only listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db
from app.models import (
    AtriumUser,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
)
from app.services.automation import actions, catalog, conditions

#: Model behind each reference field, to name the ids in a condition.
FIELD_MODELS: dict[str, Any] = {
    "organization": Organization,
    "item_type": ItemType,
    "status": Status,
    "assignee": AtriumUser,
    "logged_by": AtriumUser,
    "team": Team,
    "project": Project,
    "portfolio": Portfolio,
}


@dataclass
class ConditionLine:
    """One condition as the preview shows it."""

    field: str
    operator: str
    expected: str
    actual: str
    matched: bool


@dataclass
class PreviewResult:
    """The outcome of testing a rule against one item or project."""

    matched: bool
    groups: list[list[ConditionLine]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    error: str = ""


def _display(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_display(key, v) for v in value)
    model = FIELD_MODELS.get(key)
    if model is not None:
        return actions.name_of(model, value)
    if key == "channel":
        return str(catalog.CHANNEL_LABELS.get(value, value))
    if key == "status_category":
        return str(catalog.CATEGORY_LABELS.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_label(key: str) -> str:
    spec = catalog.field_spec(key)
    return str(spec.label) if spec is not None else key


def describe(entry: dict[str, Any]) -> str:
    """One logged change in the reader's language."""
    if "field" in entry:
        label = actions.FIELD_LABELS.get(entry["field"], (entry["field"], None))[0]
        return f"{label}: {entry.get('old', '—')} → {entry.get('new', '—')}"
    spec = catalog.ACTIONS_BY_KEY.get(entry.get("action", ""))
    label = str(spec.label) if spec is not None else entry.get("action", "")
    detail = entry.get("detail") or ""
    return f"{label}: {detail}" if detail else label


def preview_rule(rule: dict[str, Any], subject: conditions.Subject) -> PreviewResult:
    """Test a cleaned rule (see validation.clean_rule) against ``subject``."""
    matched, details = conditions.evaluate(rule["conditions"], subject)
    result = PreviewResult(
        matched=matched,
        groups=[
            [
                ConditionLine(
                    field=_field_label(row.field),
                    operator=str(catalog.OPERATOR_LABELS.get(row.op, row.op)),
                    expected=""
                    if row.op in catalog.VALUELESS
                    else _display(row.field, row.value),
                    actual=_display(row.field, row.actual),
                    matched=row.matched,
                )
                for row in group
            ]
            for group in details
        ],
    )
    try:
        if subject.item is not None:
            plan = actions.plan_actions(subject.item, rule["actions"], dry_run=True)
            entries = [
                {key: change[key] for key in ("field", "old", "new")}
                for change in plan.field_changes()
            ] + [{"action": a, "detail": d} for a, d, _effect in plan.later]
            result.changes = [describe(entry) for entry in entries] + plan.notes
        else:
            result.changes = [
                describe(entry)
                for entry in actions.describe_project_actions(rule["actions"])
            ]
    except DomainError as exc:
        result.error = str(exc.message)
    finally:
        db.session.rollback()
    return result
