"""Saving, copying and testing rules (what the rule editor calls)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.errors import NotFoundError
from app.extensions import db
from app.models import AutomationRule, AutomationRun, Item, RuleObject
from app.models.base import utcnow
from app.services import automation
from app.services.access import get_visible_item
from app.services.automation import conditions, preview, validation

#: Columns the editor writes.
EDITABLE = (
    "name",
    "description",
    "object",
    "trigger",
    "trigger_options",
    "conditions",
    "actions",
    "position",
    "enabled",
    "stop_processing",
)


def get_rule(rule_id: int) -> AutomationRule:
    """The rule, or NotFoundError."""
    rule = db.session.get(AutomationRule, rule_id)
    if rule is None:
        raise NotFoundError()
    return rule


def rule_data(rule: AutomationRule) -> dict[str, Any]:
    """A stored rule in the editor's shape."""
    return {column: getattr(rule, column) for column in EDITABLE}


def save_rule(rule_id: int | None, data: dict[str, Any]) -> AutomationRule:
    """Create (``rule_id`` None) or replace a rule from editor data; commits.

    Changing a time-based rule's trigger or options restarts its window, so the
    new threshold applies to every item again.
    """
    cleaned = validation.clean_rule(data)
    rule = AutomationRule() if rule_id is None else get_rule(rule_id)
    if (rule.trigger, rule.trigger_options) != (
        cleaned["trigger"],
        cleaned["trigger_options"],
    ):
        rule.time_cursor_at, rule.time_cursor_id = None, 0
    for column, value in cleaned.items():
        setattr(rule, column, value)
    rule.updated_at = utcnow()
    if rule_id is None:
        rule.created_at = rule.updated_at
        db.session.add(rule)
    db.session.commit()
    automation.forget_rules()
    return rule


def set_enabled(rule_ids: list[int], enabled: bool) -> int:
    """Turn rules on or off; returns how many changed."""
    changed = 0
    for rule_id in rule_ids:
        rule = db.session.get(AutomationRule, rule_id)
        if rule is not None and rule.enabled != enabled:
            rule.enabled = enabled
            rule.updated_at = utcnow()  # workers reload their cached rules
            changed += 1
    db.session.commit()
    automation.forget_rules()
    return changed


def try_rule(data: dict[str, Any], item_ref: str, actor: Any) -> preview.PreviewResult:
    """Validate an editor draft and preview it against item ``T-12``/``K-12``/``12``.

    A time entry rule is tested on the item's latest entry. Raises InvalidInputError
    for a bad draft, NotFoundError for an unknown item (or one without time logged).
    """
    cleaned = validation.clean_rule({**data, "name": data.get("name") or "draft"})
    number = str(item_ref or "").strip().upper()
    for prefix in ("T-", "K-", "#"):
        number = number.removeprefix(prefix)
    if not number.isdecimal() or len(number) > 12:
        raise NotFoundError()
    if cleaned["object"] == "project":
        from app.models import Project

        project = db.session.get(Project, int(number))
        if project is None:
            raise NotFoundError()
        return preview.preview_rule(cleaned, conditions.Subject(project=project))
    item = get_visible_item(int(number), actor)
    if cleaned["object"] == RuleObject.TIME_ENTRY.value:
        return preview.preview_rule(cleaned, _entry_subject(item))
    if item.kind != cleaned["object"]:
        raise NotFoundError()
    return preview.preview_rule(cleaned, conditions.Subject(item=item))


def _entry_subject(item: Item) -> conditions.Subject:
    """A time entry rule is tested on the item's latest entry."""
    from app.services.time_entries import latest_entry

    entry = latest_entry(item.id)
    if entry is None:
        raise NotFoundError(
            _l("No time has been logged on %(number)s yet.", number=item.number),
            field="item",
        )
    return conditions.Subject(item=item, entry=entry)


def item_runs(item_id: int, limit: int = 20) -> list[AutomationRun]:
    """The latest rule runs on an item, newest first, with their rules (one query)."""
    return list(
        db.session.scalars(
            db.select(AutomationRun)
            .options(joinedload(AutomationRun.rule))
            .where(AutomationRun.item_id == item_id)
            .order_by(AutomationRun.created_at.desc(), AutomationRun.id.desc())
            .limit(limit)
        )
    )
