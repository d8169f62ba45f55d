"""Turning ItemEvent rows into translated, human sentences."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

FIELD_LABELS = {
    "title": _l("Title"),
    "item_type_id": _l("Type"),
    "status_id": _l("Status"),
    "priority": _l("Priority"),
    "requester_id": _l("Requester"),
    "organization_id": _l("Organization"),
    "project_id": _l("Project"),
    "parent_id": _l("Parent item"),
    "assignee_id": _l("Assignee"),
    "team_id": _l("Team"),
    "channel": _l("Channel"),
    "due_at": _l("Due"),
    "planned_start": _l("Planned start"),
    "planned_end": _l("Planned end"),
    "points": _l("Points"),
    "estimate_minutes": _l("Estimate (minutes)"),
    "archived": _l("Archived"),
    "description": _l("Description"),
    "resolution": _l("Resolution"),
}


def _value(data: dict[str, Any], side: str) -> str:
    label = data.get(f"{side}_label")
    value = data.get(side)
    if label:
        return str(label)
    if value in (None, ""):
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def describe_event(summary: dict[str, Any]) -> Markup:
    """One history entry as safe HTML: "Status: New → Open" (and the rule, if any)."""
    text = _describe(summary)
    if summary.get("rule"):
        return text + Markup(' <span class="text-muted">{0}</span>').format(
            _("(automation: %(rule)s)", rule=summary["rule"])
        )
    return text


def _describe(summary: dict[str, Any]) -> Markup:
    kind = summary.get("kind")
    if kind == "rated":
        return escape(
            _("Rated %(score)s of 5 by the customer", score=summary.get("score", ""))
        )
    if kind == "converted":
        return escape(
            _(
                "Converted from %(old)s to %(new)s",
                old=summary.get("old", ""),
                new=summary.get("new", ""),
            )
        )
    if kind == "created":
        return escape(_("Created as %(number)s", number=summary.get("number", "")))
    if kind in ("followed", "unfollowed"):
        text = _("%(user)s follows", user=summary.get("user", ""))
        if kind == "unfollowed":
            text = _("%(user)s stopped following", user=summary.get("user", ""))
        return escape(text)
    field = summary.get("field", "")
    label = FIELD_LABELS.get(field, field)
    if "old" not in summary and "new" not in summary:
        return escape(_("%(field)s changed", field=label))
    return Markup("<strong>{0}</strong>: {1} → {2}").format(
        label, _value(summary, "old"), _value(summary, "new")
    )
