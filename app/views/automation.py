"""Configuration → Automation rules: the rule list, the rule editor and templates.

The editor is one page: the browser builds the whole rule as JSON from the
catalog's editor schema (``static/atrium/rule_editor.js``) and posts it in one
hidden field; the services validate, save and preview it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, action, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import SelectField

from app.errors import DomainError, InvalidInputError, NotFoundError
from app.models import AutomationRule
from app.services import automation
from app.services.automation import catalog, rules, validation
from app.services.automation import templates as rule_templates
from app.services.automation.actions import name_of
from app.views.base import AtriumModelView, selected_rows

#: A posted rule longer than this is refused before it is parsed.
MAX_RULE_CHARS = 200_000
#: Names of at most this many picked people/organizations/projects are looked up.
MAX_LABELS = 200

RULE_LABELS = {
    "position": _l("Position"),
    "name": _l("Name"),
    "description": _l("Description"),
    "object": _l("Object"),
    "trigger": _l("Trigger"),
    "enabled": _l("Enabled"),
    "stop_processing": _l("Stop processing"),
    "updated_at": _l("Updated"),
}


def object_label(value: str) -> str:
    """What a rule watches, in the reader's language."""
    return str(catalog.OBJECT_LABELS.get(value, value))


def trigger_label(value: str) -> str:
    """When a rule runs, in the reader's language."""
    return str(catalog.TRIGGER_LABELS.get(value, value))


def _object_choices() -> list[tuple[str, Any]]:
    return [(key, catalog.OBJECT_LABELS[key]) for key in catalog.EDITABLE_OBJECTS]


def _trigger_choices() -> list[tuple[str, Any]]:
    return list(catalog.TRIGGER_LABELS.items())


class AutomationRuleModelView(AtriumModelView):
    """The rules in the order they run; adding and editing open the rule editor."""

    datamodel = SQLAInterface(AutomationRule)
    route_base = "/automation/rules"
    base_permissions = ["can_list", "can_add", "can_edit", "can_delete"]
    list_title = _l("Automation rules")
    list_template = "atrium/automation_rules.html"
    list_columns = [
        "position",
        "name",
        "object",
        "trigger",
        "enabled",
        "stop_processing",
        "updated_at",
    ]
    # Never shown: add and edit redirect to the editor, so FAB's form stores nothing.
    add_columns = ["name"]
    edit_columns = ["name"]
    search_columns = ["name", "object", "trigger", "enabled"]
    order_columns = ["position", "name", "object", "trigger", "enabled", "updated_at"]
    base_order = ("position", "asc")
    label_columns = RULE_LABELS
    formatters_columns = {"object": object_label, "trigger": trigger_label}
    search_form_extra_fields = {
        "object": SelectField(
            _l("Object"), choices=_object_choices, widget=Select2Widget()
        ),
        "trigger": SelectField(
            _l("Trigger"), choices=_trigger_choices, widget=Select2Widget()
        ),
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return redirect(url_for("AutomationRuleEditorView.new"))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        if not str(pk).isdecimal():
            abort(404)
        return redirect(url_for("AutomationRuleEditorView.edit", rule_id=int(pk)))

    @action("enable", _l("Enable"), "", "fa-toggle-on")
    def enable(self, rows):
        return self._switch(rows, enabled=True)

    @action("disable", _l("Disable"), "", "fa-toggle-off")
    def disable(self, rows):
        return self._switch(rows, enabled=False)

    @action("delete_rules", _l("Delete"), _l("Delete the selected rules?"), "fa-trash")
    def delete_rules(self, rows):
        selected = _existing(rows)
        self.datamodel.delete_all(selected)
        automation.forget_rules()
        flash(
            ngettext("%(num)d rule deleted.", "%(num)d rules deleted.", len(selected)),
            "success",
        )
        return redirect(self.get_redirect())

    def post_delete(self, item) -> None:
        automation.forget_rules()

    def _switch(self, rows, *, enabled: bool):
        changed = rules.set_enabled([row.id for row in _existing(rows)], enabled)
        if enabled:
            message = ngettext(
                "%(num)d rule enabled.", "%(num)d rules enabled.", changed
            )
        else:
            message = ngettext(
                "%(num)d rule disabled.", "%(num)d rules disabled.", changed
            )
        flash(message, "success")
        return redirect(self.get_redirect())


def _existing(rows: Any) -> list[AutomationRule]:
    """An action's rows without the ids that matched nothing."""
    return [row for row in selected_rows(rows) if row is not None]


def posted_draft(raw: str) -> dict[str, Any]:
    """The rule the editor posted as JSON; InvalidInputError if it is unreadable."""
    unreadable = InvalidInputError(
        _l("The rule could not be read. Reload the page and try again."), field="rule"
    )
    if len(raw) > MAX_RULE_CHARS:
        raise InvalidInputError(_l("The rule is too large."), field="rule")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise unreadable from None
    if not isinstance(data, dict):
        raise unreadable
    return data


def _picked(draft: dict[str, Any]) -> list[tuple[str, Any]]:
    """(lookup kind, value) for every type-ahead widget value in a draft."""
    picked: list[tuple[str, Any]] = []
    conditions = draft.get("conditions")
    groups = conditions.get("groups") if isinstance(conditions, dict) else None
    for group in groups if isinstance(groups, list) else []:
        rows = group.get("conditions") if isinstance(group, dict) else None
        for row in rows if isinstance(rows, list) else []:
            spec = (
                catalog.FIELDS_BY_KEY.get(str(row.get("field")))
                if isinstance(row, dict)
                else None
            )
            if spec is not None and spec.source.startswith("lookup:"):
                picked.append((spec.source, row.get("value")))
    actions = draft.get("actions")
    for entry in actions if isinstance(actions, list) else []:
        spec = (
            catalog.ACTIONS_BY_KEY.get(str(entry.get("type")))
            if isinstance(entry, dict)
            else None
        )
        for param in spec.params if spec is not None else ():
            if param.source.startswith("lookup:"):
                picked.append((param.source, entry.get(param.name)))
    return picked


def lookup_labels(draft: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Names for the ids a draft's type-ahead widgets hold, by lookup kind."""
    labels: dict[str, dict[str, str]] = {}
    for source, value in _picked(draft):
        kind = source.split(":", 1)[1]
        for ident in value if isinstance(value, list) else [value]:
            text = str(ident).strip()
            if not text.isdecimal() or len(text) > 12:
                continue
            known = labels.setdefault(kind, {})
            if text not in known and sum(map(len, labels.values())) < MAX_LABELS:
                known[text] = name_of(validation.REF_MODELS[source], int(text))
    return labels


class AutomationRuleEditorView(BaseView):
    """The rule editor (new, edit, from a template), its preview and the templates."""

    route_base = "/automation/rules"
    default_view = "new"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "POST":
            return self._save(None)
        key = request.args.get("template")
        if key is None:
            return self._editor(None, rule_templates.blank_draft())
        if key not in rule_templates.TEMPLATES_BY_KEY:
            abort(404)
        return self._editor(None, rule_templates.draft(key))

    @expose("/<int:rule_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, rule_id: int):
        try:
            rule = rules.get_rule(rule_id)
        except NotFoundError:
            abort(404)
        if request.method == "POST":
            return self._save(rule_id)
        return self._editor(rule_id, rules.rule_data(rule))

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        """The draft tested against one item: JSON for the editor's result panel."""
        try:
            draft = posted_draft(request.form.get("rule", ""))
            result = rules.try_rule(draft, request.form.get("item", ""), g.user)
        except NotFoundError as exc:
            # Some carry their own reason (an item without time logged on it).
            message = (
                str(exc.message)
                if "message" in vars(exc)
                else _("No item or project with this number.")
            )
            return jsonify(message=message, field="item"), 404
        except DomainError as exc:
            return jsonify(message=str(exc.message), field=exc.field or ""), 400
        return jsonify(asdict(result))

    @expose("/templates")
    @has_access
    def template_list(self):
        return self.render_template(
            "atrium/automation_templates.html",
            title=_l("Rule templates"),
            templates=rule_templates.TEMPLATES,
        )

    def _save(self, rule_id: int | None):
        draft: dict[str, Any] = {}
        try:
            draft = posted_draft(request.form.get("rule", ""))
            rule = rules.save_rule(rule_id, draft)
        except InvalidInputError as exc:
            if not draft:
                draft = (
                    rules.rule_data(rules.get_rule(rule_id))
                    if rule_id
                    else rule_templates.blank_draft()
                )
            return self._editor(rule_id, draft, exc), 400
        flash(_("Rule “%(name)s” saved.", name=rule.name), "success")
        return redirect(url_for("AutomationRuleModelView.list"))

    def _editor(
        self,
        rule_id: int | None,
        draft: dict[str, Any],
        error: InvalidInputError | None = None,
    ):
        schema = catalog.editor_schema()
        chosen = str(draft.get("object") or "")
        object_key = chosen if chosen in schema["objects"] else "ticket"
        problem = (
            {"field": error.field or "", "message": str(error.message)}
            if error is not None
            else None
        )
        return self.render_template(
            "atrium/automation_editor.html",
            title=_l("Edit automation rule") if rule_id else _l("New automation rule"),
            rule_id=rule_id,
            draft=draft,
            objects=schema["objects"],
            object_key=object_key,
            error=problem,
            editor_data={
                "schema": schema,
                "draft": draft,
                "labels": lookup_labels(draft),
                "error": problem,
                "previewUrl": url_for("AutomationRuleEditorView.preview"),
                "lookupUrl": url_for("LookupView.lookup", kind="KIND"),
            },
        )


CONFIGURATION_VIEWS = [
    (
        AutomationRuleModelView,
        "Automation rules",
        _l("Automation rules"),
        "fa-magic",
    ),
]
