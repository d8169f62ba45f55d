"""Tickets and tasks: lists, forms and the show page with history."""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import action, expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional

from app.jobs.mail import dispatch_outbox
from app.models import (
    AtriumUser,
    Customer,
    Item,
    ItemEvent,
    ItemKind,
    Organization,
    Project,
    Team,
)
from app.services import items as item_service
from app.services import satisfaction as satisfaction_service
from app.services.access import is_staff, item_scope
from app.services.automation.rules import item_runs
from app.views.automation_log import automation_panel
from app.views.base import AtriumModelView, selected_rows
from app.views.conversations import conversation_context
from app.views.custom_fields import custom_field_scope
from app.views.datamodel import EagerInterface
from app.views.filters import FilterByAccess
from app.views.history import describe_event
from app.views.sla import (
    SLA_FILTER_COLUMN,
    ItemFilterConverter,
    item_sla_state,
    sla_badge,
    sla_panel,
)
from app.views.time_entries import time_panel
from app.views.widgets import (
    RemoteSelectField,
    stars,
    status_badge,
    text_area,
    type_label,
)

#: Relationships shown in item lists, loaded per page in one query each.
ITEM_LIST_RELATIONS = ("item_type", "status", "organization", "assignee", "project")

#: How item columns render in every item list.
ITEM_FORMATTERS = {"priority": stars, "status": status_badge, "item_type": type_label}
#: Values computed from a row's own columns, not read from one (column -> function).
COMPUTED_COLUMNS = {"sla": item_sla_state}

ITEM_LABELS = {
    "number": _l("Number"),
    "title": _l("Title"),
    "description": _l("Description"),
    "item_type": _l("Type"),
    "status": _l("Status"),
    "priority": _l("Priority"),
    "requester": _l("Requester"),
    "organization": _l("Organization"),
    "project": _l("Project"),
    "parent": _l("Parent item"),
    "assignee": _l("Assignee"),
    "team": _l("Team"),
    "channel": _l("Channel"),
    "due_at": _l("Due"),
    "planned_start": _l("Planned start"),
    "planned_end": _l("Planned end"),
    "points": _l("Points"),
    "estimate_minutes": _l("Estimate (minutes)"),
    "resolution": _l("Resolution"),
    "archived": _l("Archived"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "first_response_at": _l("First response"),
    "resolved_at": _l("Resolved"),
    "closed_at": _l("Closed"),
    "followers": _l("Followers"),
    "created_by": _l("Created by"),
    "custom_summary": _l("Custom fields"),
    "sla": _l("SLA"),
    SLA_FILTER_COLUMN: _l("SLA"),
}


def _remote(label, model, kind: str) -> RemoteSelectField:
    return RemoteSelectField(label, model=model, endpoint=f"/lookup/{kind}")


def _item_form_fields() -> dict:
    return {
        "description": text_area(_l("Description")),
        "resolution": text_area(_l("Resolution")),
        "requester": _remote(_l("Requester"), Customer, "customers"),
        "organization": _remote(_l("Organization"), Organization, "organizations"),
        "project": _remote(_l("Project"), Project, "projects"),
        "parent": _remote(_l("Parent item"), Item, "items"),
        "assignee": _remote(_l("Assignee"), AtriumUser, "agents"),
        "team": _remote(_l("Team"), Team, "teams"),
        "priority": IntegerField(
            _l("Priority"),
            default=3,
            widget=BS3TextFieldWidget(),
            validators=[NumberRange(min=1, max=5)],
            description=_l("1 (lowest) to 5 (highest)"),
        ),
        "points": IntegerField(
            _l("Points"),
            validators=[Optional(), NumberRange(0)],
            widget=BS3TextFieldWidget(),
        ),
        "estimate_minutes": IntegerField(
            _l("Estimate (minutes)"),
            validators=[Optional(), NumberRange(0)],
            widget=BS3TextFieldWidget(),
        ),
    }


class ItemInterface(EagerInterface):
    """Items for the list screens: the SLA column, and the SLA search filters."""

    filter_converter_class = ItemFilterConverter
    computed_columns = COMPUTED_COLUMNS


class ItemEventModelView(AtriumModelView):
    """An item's history, shown under the item."""

    datamodel = EagerInterface(ItemEvent, eager=("actor",))
    base_permissions = ["can_list"]
    list_columns = ["created_at", "actor", "summary"]
    label_columns = {
        "created_at": _l("When"),
        "actor": _l("Who"),
        "summary": _l("What"),
    }
    base_order = ("created_at", "desc")
    base_filters = [["item", FilterByAccess, lambda: _event_scope]]
    formatters_columns = {"summary": describe_event}
    order_columns = ["created_at"]
    list_title = _l("History")
    page_size = 50


def _event_scope():
    return ItemEvent.item.has(item_scope())


class RelatedItemsView(AtriumModelView):
    """Items listed under an organization or project (the parent sets the filter)."""

    datamodel = EagerInterface(Item, eager=("item_type", "status", "assignee"))
    base_permissions = ["can_list"]
    list_columns = ["number", "item_type", "title", "status", "priority", "assignee"]
    base_filters = [["id", FilterByAccess, lambda: item_scope]]
    base_order = ("id", "desc")
    formatters_columns = ITEM_FORMATTERS
    label_columns = ITEM_LABELS
    list_title = _l("Items")
    page_size = 25


class ItemModelView(AtriumModelView):
    """Shared screen for tickets and tasks; subclasses fix the kind."""

    datamodel = ItemInterface(Item, eager=ITEM_LIST_RELATIONS)
    kind = ItemKind.TICKET.value
    related_views = [ItemEventModelView]
    list_template = "atrium/item_list.html"
    show_template = "atrium/item_show.html"
    #: Items are archived, never deleted: their history must stay.
    exclude_route_methods = {"delete"}
    list_columns = [
        "number",
        "item_type",
        "title",
        "status",
        "priority",
        "organization",
        "assignee",
        "sla",
        "updated_at",
    ]
    show_fieldsets = [
        (
            _l("Summary"),
            {
                "fields": [
                    "number",
                    "title",
                    "item_type",
                    "status",
                    "priority",
                    "description",
                    "resolution",
                ]
            },
        ),
        (_l("Custom fields"), {"fields": ["custom_summary"]}),
        (
            _l("People"),
            {"fields": ["requester", "organization", "assignee", "team", "followers"]},
        ),
        (
            _l("Planning"),
            {
                "fields": [
                    "project",
                    "parent",
                    "due_at",
                    "planned_start",
                    "planned_end",
                    "points",
                    "estimate_minutes",
                ]
            },
        ),
        (
            _l("Dates"),
            {
                "fields": [
                    "channel",
                    "created_at",
                    "updated_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "created_by",
                ],
                "expanded": False,
            },
        ),
    ]
    add_columns = [
        "item_type",
        "title",
        "description",
        "requester",
        "organization",
        "priority",
        "assignee",
        "team",
        "project",
        "parent",
        "due_at",
        "planned_start",
        "planned_end",
        "points",
        "estimate_minutes",
    ]
    edit_columns = [
        "expected_version",
        "item_type",
        "status",
        "title",
        "description",
        "priority",
        "requester",
        "organization",
        "assignee",
        "team",
        "project",
        "parent",
        "due_at",
        "planned_start",
        "planned_end",
        "points",
        "estimate_minutes",
        "resolution",
        "archived",
    ]
    search_columns = [
        "title",
        "item_type",
        "status",
        "priority",
        "organization",
        "requester",
        "assignee",
        "team",
        "project",
        "channel",
        "archived",
        "created_at",
        "updated_at",
        SLA_FILTER_COLUMN,
    ]
    order_columns = ["title", "priority", "updated_at", "created_at"]
    base_order = ("id", "desc")
    label_columns = ITEM_LABELS
    formatters_columns = {**ITEM_FORMATTERS, "sla": sla_badge}
    page_size = 50

    def __init__(self, **kwargs):
        kind = self.kind
        self.base_filters = [
            ["kind", FilterEqual, kind],
            ["id", FilterByAccess, lambda: item_scope],
            ["id", FilterByAccess, lambda: custom_field_scope],
        ]
        self.extra_args = {"kind": kind}
        self.add_form_extra_fields = _item_form_fields()
        self.search_form_extra_fields = {
            name: field
            for name, field in _item_form_fields().items()
            if name in ("requester", "organization", "project", "assignee", "team")
        }
        self.edit_form_extra_fields = {
            **_item_form_fields(),
            "expected_version": HiddenField(),
        }
        self.add_form_query_rel_fields = {"item_type": [["kind", FilterEqual, kind]]}
        self.edit_form_query_rel_fields = {"item_type": [["kind", FilterEqual, kind]]}
        self.search_form_query_rel_fields = {"item_type": [["kind", FilterEqual, kind]]}
        super().__init__(**kwargs)

    def pre_add(self, item: Item) -> None:
        item.kind = self.kind
        item_service.prepare_new_item(item, g.user)

    def post_add(self, item: Item) -> None:
        item_service.after_save(item, g.user, created=True)
        dispatch_outbox()

    def pre_update(self, item: Item) -> None:
        item_service.record_edit(item, g.user, item.submitted_version)

    def post_update(self, item: Item) -> None:
        item_service.after_save(item, g.user, created=False)
        dispatch_outbox()

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The item with its details, history and conversation."""
        widgets = self._show(pk)
        item = g.pop("atrium_shown_item")
        staff = is_staff(g.user)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            sla_panel=sla_panel(item),
            satisfaction_rating=(
                satisfaction_service.latest_rating(item.id) if staff else None
            ),
            automation_runs=automation_panel(item_runs(item.id)) if staff else None,
            time_panel=time_panel(item) if staff else None,
            **conversation_context(item),
        )

    def _get_show_widget(self, pk, item, **kwargs):
        g.atrium_shown_item = item
        return super()._get_show_widget(pk, item, **kwargs)

    @action("archive", _l("Archive"), _l("Archive the selected items?"), "fa-archive")
    def archive(self, items):
        selected = selected_rows(items)
        item_service.archive_items([item.id for item in selected], g.user)
        return redirect(self.get_redirect())

    @action("custom_fields", _l("Custom fields"), "", "fa-list-alt", multiple=False)
    def custom_fields(self, item):
        return redirect(url_for("ItemCustomFieldsView.edit", item_id=item.id))


class TicketModelView(ItemModelView):
    """Tickets: requests from customers."""

    kind = ItemKind.TICKET.value
    route_base = "/tickets"
    list_title = _l("Tickets")
    show_title = _l("Ticket")
    add_title = _l("New ticket")
    edit_title = _l("Edit ticket")


class TaskModelView(ItemModelView):
    """Tasks: planned work."""

    kind = ItemKind.TASK.value
    route_base = "/tasks"
    list_title = _l("Tasks")
    show_title = _l("Task")
    add_title = _l("New task")
    edit_title = _l("Edit task")
    list_columns = [
        "number",
        "item_type",
        "title",
        "status",
        "priority",
        "project",
        "assignee",
        "sla",
        "planned_end",
    ]
