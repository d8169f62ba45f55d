"""Editing an item's custom fields, and filtering lists by them."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from app.errors import DomainError
from app.services import custom_fields as custom_field_service
from app.services.access import get_visible_item

FIELD_PREFIX = "cf_"


def _form_field(field):
    validators = [InputRequired()] if field.required else [Optional()]
    if field.field_type == "number":
        return DecimalField(field.name, validators=validators)
    if field.field_type == "date":
        return DateField(field.name, validators=validators)
    if field.field_type == "choice":
        choices = [("", "—")] + [(c, c) for c in field.choices]
        return SelectField(field.name, choices=choices, validators=validators)
    return StringField(field.name, validators=validators)


def build_form(fields, item):
    """A form class with one input per custom field, filled from the item."""
    form_class = type(
        "CustomFieldsForm",
        (FlaskForm,),
        {f"{FIELD_PREFIX}{field.id}": _form_field(field) for field in fields},
    )
    current = {value.field_id: value for value in item.custom_values}
    form = form_class()
    if request.method == "GET":
        for field in fields:
            value = current.get(field.id)
            if value is not None:
                stored = value.value_text or value.value_number or value.value_date
                getattr(form, f"{FIELD_PREFIX}{field.id}").data = stored
    return form


def custom_field_criteria() -> dict[int, str]:
    """Custom-field filters from the query string (?cf_<id>=value)."""
    criteria = {}
    for key, value in request.args.items():
        if (
            key.startswith(FIELD_PREFIX)
            and key[len(FIELD_PREFIX) :].isdigit()
            and value
        ):
            criteria[int(key[len(FIELD_PREFIX) :])] = value[:200]
    return criteria


def custom_field_scope():
    """Base-filter scope: the list's custom-field criteria as one SQL condition."""
    return custom_field_service.filter_condition(custom_field_criteria())


class ItemCustomFieldsView(BaseView):
    """GET/POST /itemfields/<id>: the custom fields of one item."""

    route_base = "/itemfields"
    default_view = "edit"

    @expose("/<int:item_id>", methods=["GET", "POST"])
    @has_access
    def edit(self, item_id: int):
        try:
            item = get_visible_item(item_id, g.user)
        except DomainError:
            abort(404)
        fields = custom_field_service.fields_for_type(item.item_type_id)
        form = build_form(fields, item)
        if request.method == "POST" and form.validate():
            values = {
                field.id: form[f"{FIELD_PREFIX}{field.id}"].data for field in fields
            }
            try:
                custom_field_service.save_item_custom_values(item.id, values, g.user)
            except DomainError as error:
                flash(str(error.message), "danger")
            else:
                flash(str(_l("Custom fields saved.")), "success")
                endpoint = (
                    "TicketModelView.show"
                    if item.kind == "ticket"
                    else ("TaskModelView.show")
                )
                return redirect(url_for(endpoint, pk=item.id))
        return self.render_template(
            "atrium/item_fields.html",
            item=item,
            form=form,
            fields=fields,
            title=_l("Custom fields"),
        )
