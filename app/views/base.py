"""A ModelView base with Atrium's display conventions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder import ModelView
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import BooleanField


def display_value(value: Any) -> Any:
    """A value as people read it: dates in their locale, a dash for nothing."""
    if value is None or value == [] or value == "":
        return Markup('<span class="text-muted">—</span>')
    if isinstance(value, dt.datetime):
        return format_datetime(value, "short")
    if isinstance(value, dt.date):
        return format_date(value, "medium")
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return Markup(", ").join(escape(str(v)) for v in value)
    return value


class AtriumModelView(ModelView):
    """Every listed and shown column without its own formatter gets display_value."""

    page_size = 50

    def __init__(self, **kwargs: Any) -> None:
        self._optional_checkboxes()
        super().__init__(**kwargs)
        shown = set(self.list_columns or []) | set(self.show_columns or [])
        for fieldset in self.show_fieldsets or []:
            shown |= set(fieldset[1].get("fields", []))
        formatters = dict(self.formatters_columns or {})
        for column in shown:
            formatters.setdefault(column, display_value)
        self.formatters_columns = formatters

    def _optional_checkboxes(self) -> None:
        """An unticked box means False: FAB would call a NOT NULL boolean required."""
        for attr in ("add_form_extra_fields", "edit_form_extra_fields"):
            extra = dict(getattr(self, attr, None) or {})
            columns = self.add_columns if attr.startswith("add") else self.edit_columns
            for column in columns or []:
                if column not in extra and self.datamodel.is_boolean(column):
                    label = (self.label_columns or {}).get(column, column)
                    extra[column] = BooleanField(label)
            setattr(self, attr, extra)


class ServicePrepared:
    """A view or API whose add and edit both run one service check on the row.

    Subclasses set ``prepare = staticmethod(service_function)``.
    """

    prepare: Any = None

    def pre_add(self, item: Any) -> None:
        super().pre_add(item)  # type: ignore[misc]
        type(self).prepare(item)

    def pre_update(self, item: Any) -> None:
        super().pre_update(item)  # type: ignore[misc]
        type(self).prepare(item)


def selected_rows(rows: Any) -> list[Any]:
    """An @action's argument as a list: FAB passes one row or a list of rows."""
    return rows if isinstance(rows, list) else [rows]
