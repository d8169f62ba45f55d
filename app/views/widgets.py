"""Form fields, widgets and list formatters shared by Atrium's screens."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import Field, TextAreaField
from wtforms.validators import Optional

from app.extensions import db


class RemoteSelectWidget:
    """A <select> that searches the server as the user types (select2 + AJAX)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        selected = field.object_data_for_widget()
        option = (
            Markup('<option value="{0}" selected>{1}</option>').format(
                selected[0], selected[1]
            )
            if selected
            else Markup('<option value=""></option>')
        )
        return Markup(
            '<select id="{id}" name="{name}" class="form-control atrium-remote-select"'
            ' data-endpoint="{endpoint}" data-placeholder="{placeholder}">{option}'
            "</select>"
        ).format(
            id=field.id,
            name=field.name,
            endpoint=self.endpoint,
            placeholder=_("Type to search…"),
            option=option,
        )


class RemoteSelectField(Field):
    """Holds a related object; the browser sends its id and searches remotely."""

    def __init__(self, label=None, validators=None, *, model=None, endpoint="", **kw):
        super().__init__(label, validators, widget=RemoteSelectWidget(endpoint), **kw)
        self.model = model

    def process_data(self, value: Any) -> None:
        self.data = value

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = (valuelist or [""])[0]
        if not raw:
            self.data = None
            return
        try:
            self.data = db.session.get(self.model, int(raw))
        except (TypeError, ValueError):
            self.data = None
        if self.data is None:
            raise ValueError(_("Choose one of the suggestions."))

    def object_data_for_widget(self) -> tuple[Any, str] | None:
        """(id, label) of the current value, for the pre-selected option."""
        return (self.data.id, str(self.data)) if self.data is not None else None

    def _value(self) -> str:
        return str(self.data.id) if self.data is not None else ""


def stars(priority: int | None) -> Markup:
    """Priority 1-5 as filled and empty stars with an accessible label."""
    value = max(0, min(5, int(priority or 0)))
    icons = Markup("").join(
        Markup('<span class="fa fa-star{0}" aria-hidden="true"></span>').format(
            "" if n < value else "-o"
        )
        for n in range(5)
    )
    label = _("Priority %(value)s of 5", value=value)
    return Markup(
        '<span class="atrium-stars" title="{0}" aria-label="{0}">{1}</span>'
    ).format(label, icons)


def status_badge(status: Any) -> Markup:
    """A status as a badge in its workflow color."""
    if status is None:
        return Markup("")
    return Markup(
        '<span class="atrium-badge" style="background:{0}">{1}</span>'
    ).format(escape(status.color), status.name)


def type_label(item_type: Any) -> Markup:
    """An item type with its icon and color."""
    if item_type is None:
        return Markup("")
    return Markup(
        '<span class="atrium-type"><span class="fa {0}" style="color:{1}"'
        ' aria-hidden="true"></span> {2}</span>'
    ).format(escape(item_type.icon), escape(item_type.color), item_type.name)


def color_swatch(color: str | None) -> Markup:
    """A small square of ``color`` followed by its code."""
    return Markup(
        '<span class="atrium-swatch" style="background:{0}"></span> {0}'
    ).format(escape(color or ""))


def text_area(label: Any, description: Any = "") -> TextAreaField:
    """An optional multi-line text input styled like FAB's own."""
    return TextAreaField(
        label,
        validators=[Optional()],
        widget=BS3TextAreaFieldWidget(),
        description=description,
    )
