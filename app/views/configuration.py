"""Configuration screens: item types, workflows, teams, custom fields, portal."""

from __future__ import annotations

from flask import flash
from flask_appbuilder import SimpleFormView
from flask_appbuilder.fieldwidgets import (
    Select2ManyWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField

from app.models import (
    AtriumUser,
    CustomField,
    ItemKind,
    ItemType,
    Status,
    StatusCategory,
    Team,
)
from app.services import custom_fields as custom_field_service
from app.services import settings as setting_service
from app.services import workflows as workflow_service
from app.services.access import STAFF_ROLES
from app.views.base import AtriumModelView, ServicePrepared
from app.views.filters import FilterByAccess
from app.views.widgets import color_swatch, text_area, type_label

KIND_CHOICES = [
    (ItemKind.TICKET.value, _l("Ticket")),
    (ItemKind.TASK.value, _l("Task")),
]
CATEGORY_CHOICES = [
    (StatusCategory.NEW.value, _l("New")),
    (StatusCategory.OPEN.value, _l("Open")),
    (StatusCategory.WAITING.value, _l("Waiting")),
    (StatusCategory.DONE.value, _l("Done")),
    (StatusCategory.CLOSED.value, _l("Closed")),
]
FIELD_TYPE_CHOICES = [
    ("text", _l("Text")),
    ("number", _l("Number")),
    ("date", _l("Date")),
    ("choice", _l("Choice")),
]
REQUIRABLE_CHOICES = [
    ("description", _l("Description")),
    ("requester", _l("Requester")),
    ("organization", _l("Organization")),
    ("project", _l("Project")),
    ("assignee", _l("Assignee")),
    ("team", _l("Team")),
    ("due_at", _l("Due")),
    ("planned_start", _l("Planned start")),
    ("planned_end", _l("Planned end")),
    ("points", _l("Points")),
    ("estimate_minutes", _l("Estimate (minutes)")),
]
CONFIG_LABELS = {
    "kind": _l("Kind"),
    "name": _l("Name"),
    "icon": _l("Icon"),
    "color": _l("Color"),
    "enabled": _l("Enabled"),
    "required_fields": _l("Required fields"),
    "position": _l("Position"),
    "item_type": _l("Item type"),
    "category": _l("Category"),
    "is_default": _l("Default for new items"),
    "description": _l("Description"),
    "members": _l("Members"),
    "field_type": _l("Field type"),
    "choices": _l("Choices"),
    "choices_text": _l("Choices"),
    "required": _l("Required"),
}


class StatusModelView(ServicePrepared, AtriumModelView):
    """Workflow statuses, ordered per item type."""

    datamodel = SQLAInterface(Status)
    route_base = "/statuses"
    list_title = _l("Statuses and workflows")
    show_title = _l("Status")
    add_title = _l("New status")
    edit_title = _l("Edit status")
    list_columns = ["item_type", "position", "name", "category", "color", "is_default"]
    add_columns = ["item_type", "name", "category", "color", "position", "is_default"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["item_type", "name", "category"]
    order_columns = ["position", "name"]
    base_order = ("item_type_id", "asc")
    label_columns = CONFIG_LABELS
    formatters_columns = {"color": color_swatch, "item_type": type_label}
    add_form_extra_fields = {
        "category": SelectField(
            _l("Category"), choices=CATEGORY_CHOICES, widget=Select2Widget()
        ),
    }
    edit_form_extra_fields = add_form_extra_fields

    prepare = staticmethod(workflow_service.prepare_status)


class ItemTypeModelView(AtriumModelView):
    """Ticket and task types; each has its own workflow."""

    datamodel = SQLAInterface(ItemType)
    route_base = "/itemtypes"
    list_title = _l("Item types")
    show_title = _l("Item type")
    add_title = _l("New item type")
    edit_title = _l("Edit item type")
    list_columns = ["name", "kind", "enabled", "color", "position"]
    add_columns = [
        "kind",
        "name",
        "icon",
        "color",
        "enabled",
        "required_fields",
        "position",
    ]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["kind", "name", "enabled"]
    order_columns = ["name", "kind", "position"]
    base_order = ("position", "asc")
    related_views = [StatusModelView]
    label_columns = CONFIG_LABELS
    description_columns = {
        "icon": _l("A Font Awesome icon name, such as fa-lightbulb-o"),
        "required_fields": _l("Fields a new item of this type must fill in"),
    }
    formatters_columns = {"color": color_swatch}
    add_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=KIND_CHOICES, widget=Select2Widget()),
        "required_fields": SelectMultipleField(
            _l("Required fields"),
            choices=REQUIRABLE_CHOICES,
            widget=Select2ManyWidget(),
        ),
    }
    edit_form_extra_fields = add_form_extra_fields

    def pre_add(self, item: ItemType) -> None:
        workflow_service.prepare_item_type(item)

    def post_add(self, item: ItemType) -> None:
        workflow_service.ensure_workflow(item.id)

    def pre_update(self, item: ItemType) -> None:
        workflow_service.prepare_item_type(item)


class TeamModelView(AtriumModelView):
    """Teams of agents."""

    datamodel = SQLAInterface(Team)
    route_base = "/teams"
    list_title = _l("Teams")
    show_title = _l("Team")
    add_title = _l("New team")
    edit_title = _l("Edit team")
    list_columns = ["name", "description"]
    add_columns = ["name", "description", "members"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name"]
    order_columns = ["name"]
    base_order = ("name", "asc")
    label_columns = CONFIG_LABELS
    add_form_extra_fields = {"description": text_area(_l("Description"))}
    edit_form_extra_fields = add_form_extra_fields
    #: Only agents can be members; customers with portal logins are users too.
    add_form_query_rel_fields = {
        "members": [["id", FilterByAccess, lambda: staff_users]]
    }
    edit_form_query_rel_fields = add_form_query_rel_fields


def staff_users():
    """Scope for member pickers: active admins, managers and agents."""
    role = AtriumUser.roles.property.mapper.class_
    return AtriumUser.roles.any(role.name.in_(STAFF_ROLES))


class CustomFieldModelView(ServicePrepared, AtriumModelView):
    """Admin-defined fields on the items of one type."""

    datamodel = SQLAInterface(CustomField)
    route_base = "/customfields"
    list_title = _l("Custom fields")
    show_title = _l("Custom field")
    add_title = _l("New custom field")
    edit_title = _l("Edit custom field")
    list_columns = ["item_type", "name", "field_type", "required", "position"]
    add_columns = [
        "item_type",
        "name",
        "field_type",
        "choices_text",
        "required",
        "position",
    ]
    edit_columns = add_columns
    show_columns = [
        "item_type",
        "name",
        "field_type",
        "choices",
        "required",
        "position",
    ]
    search_columns = ["item_type", "name", "field_type"]
    order_columns = ["name", "position"]
    base_order = ("item_type_id", "asc")
    label_columns = CONFIG_LABELS
    description_columns = {"choices_text": _l("For choice fields: one option per line")}
    formatters_columns = {"item_type": type_label}
    add_form_extra_fields = {
        "field_type": SelectField(
            _l("Field type"), choices=FIELD_TYPE_CHOICES, widget=Select2Widget()
        ),
        "choices_text": text_area(_l("Choices")),
    }
    edit_form_extra_fields = add_form_extra_fields

    prepare = staticmethod(custom_field_service.prepare_custom_field)


class PortalSettingsForm(DynamicForm):
    """What customers see in the portal and API."""

    portal_visibility = SelectField(
        _l("Customers see"),
        choices=[
            ("own", _l("Only the items they requested")),
            ("organization", _l("All items of their organization")),
            ("all", _l("All items")),
        ],
        widget=Select2Widget(),
    )


class PortalSettingsView(SimpleFormView):
    """Portal visibility setting."""

    route_base = "/settings/portal"
    form = PortalSettingsForm
    form_title = _l("Customer portal")

    def form_get(self, form: PortalSettingsForm) -> None:
        form.portal_visibility.data = setting_service.get_setting(
            setting_service.PORTAL_VISIBILITY
        )

    def form_post(self, form: PortalSettingsForm) -> None:
        setting_service.set_setting(
            setting_service.PORTAL_VISIBILITY, form.portal_visibility.data
        )
        flash(str(_l("Settings saved.")), "success")
