"""Tools → Automation log: every rule run, and the item page's automation panel."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import SelectField

from app.models import AutomationRun
from app.services.automation import engine, preview
from app.views.automation import trigger_label
from app.views.base import AtriumModelView, display_value
from app.views.datamodel import EagerInterface

#: Errors the engine stores in English, as the reader sees them.
RUN_ERRORS = {
    engine.LOOP_ERROR: _l(
        "The rules kept triggering each other, so the chain was stopped."
    ),
}

RUN_LABELS = {
    "created_at": _l("When"),
    "rule": _l("Rule"),
    "rule_label": _l("Rule"),
    "subject": _l("Item"),
    "trigger": _l("Trigger"),
    "matched": _l("Matched"),
    "changes": _l("Changes"),
    "error": _l("Error"),
    "depth": _l("Depth"),
}


def run_error(error: str) -> str:
    """A stored run error in the reader's language (others as they are)."""
    return str(RUN_ERRORS.get(error, error)) if error else ""


def change_lines(changes: list[dict[str, Any]] | None) -> list[str]:
    """A run's logged changes, one readable line each."""
    return [
        preview.describe(entry) for entry in changes or [] if isinstance(entry, dict)
    ]


def changes_text(changes: list[dict[str, Any]] | None) -> Any:
    """A run's changes, one per line, escaped (a dash for none)."""
    lines = change_lines(changes)
    if not lines:
        return display_value(None)
    return Markup("<br>").join(escape(line) for line in lines)


def rule_label(run: AutomationRun) -> str:
    """The rule's name when it ran (a cut chain logs none: its last rule's name)."""
    if run.rule_name:
        return run.rule_name
    return run.rule.name if run.rule is not None else ""


def run_subject(run: AutomationRun) -> Markup | None:
    """A link to the item (or project) the rule looked at."""
    if run.item is not None:
        endpoint = (
            "TaskModelView.show" if run.item.kind == "task" else "TicketModelView.show"
        )
        target, text = (
            url_for(endpoint, pk=run.item.id),
            f"{run.item.number} {run.item.title}",
        )
    elif run.project is not None:
        target = url_for("ProjectModelView.show", pk=run.project.id)
        text = run.project.name
    else:
        return None
    return Markup('<a href="{0}">{1}</a>').format(target, text)


#: Columns computed from a run and its loaded relationships.
COMPUTED_COLUMNS = {"rule_label": rule_label, "subject": run_subject}


class FilterErrorPresent(BaseFilter):
    """Runs that failed ("yes") or did not ("no")."""

    name = _l("Present")
    arg_name = "error_present"

    def apply(self, query, value):
        value = value[0] if isinstance(value, list) and value else value
        if value == "no":
            return query.filter(AutomationRun.error == "")
        return query.filter(AutomationRun.error != "")


class RunFilterConverter(SQLAFilterConverter):
    """FAB's filters, with "present: yes/no" on the error column."""

    def convert(self, col_name: str):
        if col_name == "error":
            return [FilterErrorPresent(col_name, self.datamodel)]
        return super().convert(col_name)


class RunLogInterface(EagerInterface):
    """Runs with their rule, item and project loaded per page; computed columns."""

    filter_converter_class = RunFilterConverter
    computed_columns = COMPUTED_COLUMNS


class AutomationRunModelView(AtriumModelView):
    """What each rule did to each item, newest first; read-only."""

    datamodel = RunLogInterface(AutomationRun, eager=("rule", "item", "project"))
    route_base = "/automation/log"
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Automation log")
    show_title = _l("Rule run")
    list_columns = [
        "created_at",
        "rule_label",
        "subject",
        "trigger",
        "matched",
        "changes",
        "error",
        "depth",
    ]
    show_columns = list_columns
    search_columns = ["rule", "matched", "error", "created_at"]
    order_columns = ["created_at"]
    base_order = ("id", "desc")
    label_columns = RUN_LABELS
    formatters_columns = {
        "trigger": trigger_label,
        "changes": changes_text,
        "error": run_error,
    }
    search_form_extra_fields = {
        "error": SelectField(
            _l("Error"),
            choices=[("yes", _l("Yes")), ("no", _l("No"))],
            widget=Select2Widget(),
        )
    }
    page_size = 50


def automation_panel(runs: list[AutomationRun]) -> list[dict[str, Any]]:
    """The item page's automation panel: one entry per run, newest first."""
    return [
        {
            "created_at": run.created_at,
            "rule": rule_label(run),
            "matched": run.matched,
            "changes": change_lines(run.changes),
            "error": run_error(run.error),
        }
        for run in runs
    ]


TOOLS_VIEWS = [
    (AutomationRunModelView, "Automation log", _l("Automation log"), "fa-history"),
]
