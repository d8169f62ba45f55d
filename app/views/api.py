"""REST resources (FAB ModelRestApi) with explicit columns and the access layer."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_appbuilder import ModelRestApi
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Range
from sqlalchemy import inspect
from sqlalchemy.exc import DataError

from app.errors import DomainError, InvalidInputError
from app.extensions import db
from app.jobs.mail import dispatch_outbox
from app.models import (
    Channel,
    Customer,
    Item,
    ItemKind,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
)
from app.services import items as item_service
from app.services import organizations as organization_service
from app.services import projects as project_service
from app.services import workflows as workflow_service
from app.services.access import customer_scope, item_scope, organization_scope
from app.views.base import ServicePrepared
from app.views.datamodel import EagerInterface
from app.views.filters import FilterByAccess


class ItemListSchema(Schema):
    """An item as a row of the REST list."""

    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    item_type_id = fields.Integer()
    status_id = fields.Integer()
    status = fields.Function(lambda item: item.status.name if item.status else None)
    status_category = fields.Function(
        lambda item: item.status.category if item.status else None
    )
    priority = fields.Integer()
    requester_id = fields.Integer()
    organization_id = fields.Integer()
    project_id = fields.Integer()
    parent_id = fields.Integer()
    assignee_id = fields.Integer()
    team_id = fields.Integer()
    archived = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ItemShowSchema(ItemListSchema):
    """An item with every public field."""

    description = fields.String()
    channel = fields.String()
    due_at = fields.DateTime()
    planned_start = fields.Date()
    planned_end = fields.Date()
    points = fields.Integer()
    estimate_minutes = fields.Integer()
    first_response_at = fields.DateTime()
    resolved_at = fields.DateTime()
    closed_at = fields.DateTime()
    resolution = fields.String()
    satisfaction_score = fields.Integer(dump_only=True)


ITEM_LIST_COLUMNS = [
    name
    for name in ItemListSchema().fields
    if name not in ("number", "status", "status_category")
]
ITEM_SHOW_COLUMNS = [
    name
    for name in ItemShowSchema().fields
    if name not in ("number", "status", "status_category")
]
ITEM_SEARCH_COLUMNS = [
    "title",
    "item_type",
    "status",
    "priority",
    "organization",
    "requester",
    "assignee",
    "team",
    "project",
    "archived",
    "created_at",
    "updated_at",
]


def _optional_id() -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True, validate=Range(min=1))


class ItemWriteSchema(Schema):
    """Fields a client may send for a ticket or task (all optional on update)."""

    title = fields.String(validate=Length(min=1, max=300))
    description = fields.String(validate=Length(max=100_000))
    item_type_id = fields.Integer(strict=True, validate=Range(min=1))
    status_id = fields.Integer(strict=True, validate=Range(min=1))
    priority = fields.Integer(strict=True, validate=Range(min=1, max=5))
    requester_id = _optional_id()
    organization_id = _optional_id()
    project_id = _optional_id()
    parent_id = _optional_id()
    assignee_id = _optional_id()
    team_id = _optional_id()
    channel = fields.String(validate=OneOf([c.value for c in Channel]))
    due_at = fields.DateTime(allow_none=True)
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    points = fields.Integer(allow_none=True, strict=True, validate=Range(0, 1_000_000))
    estimate_minutes = fields.Integer(
        allow_none=True, strict=True, validate=Range(0, 1_000_000)
    )
    resolution = fields.String(validate=Length(max=100_000))
    archived = fields.Boolean()
    version = fields.Integer(strict=True, load_only=True)


class ItemCreateSchema(ItemWriteSchema):
    """A new ticket or task: a title and a type are required."""

    title = fields.String(required=True, validate=Length(min=1, max=300))
    item_type_id = fields.Integer(required=True, strict=True, validate=Range(min=1))


def domain_error_response(api: BaseApi, error: DomainError):
    """The JSON answer for a refused change: its status, message and field."""
    return api.response(
        error.status_code, message=str(error.message), field=error.field
    )


def refuse_unknown_related(item: Any) -> None:
    """Refuse ids of related rows that do not exist.

    FAB's schema turns an unknown id into a new, empty related object; saving it
    would fail inside the database. Such an object has no identity yet.
    """
    state = inspect(item)
    with db.session.no_autoflush:
        for relation in state.mapper.relationships:
            for related in state.attrs[relation.key].history.added or ():
                if related is not None and inspect(related).transient:
                    if related in db.session:
                        db.session.expunge(related)
                    raise InvalidInputError(
                        _l("This choice no longer exists."), field=relation.key
                    )


class AtriumRestApi(ModelRestApi):
    """A REST resource whose refused changes answer 4xx JSON, never 500, and
    leave nothing half-applied in the session (marshmallow may have set some
    attributes before it refused others)."""

    allow_browser_login = True

    def pre_add(self, item: Any) -> None:
        refuse_unknown_related(item)

    def pre_update(self, item: Any) -> None:
        refuse_unknown_related(item)

    def post_headless(self):
        return self._write(super().post_headless)

    def put_headless(self, pk):
        return self._write(lambda: super(AtriumRestApi, self).put_headless(pk))

    def _write(self, handler):
        try:
            response = handler()
        except DomainError as error:
            response = domain_error_response(self, error)
        except DataError:
            # A value of the wrong type reached the database (PostgreSQL checks
            # them, e.g. a non-numeric id for a related row).
            self.datamodel.session.rollback()
            response = self.response_400(message="A value has the wrong type.")
        if response.status_code >= 400:
            self.datamodel.session.rollback()
        return response


class ItemRestApi(AtriumRestApi):
    """Shared REST resource for tickets and tasks; writes go through services."""

    datamodel = EagerInterface(Item, eager=("status",))
    kind = ItemKind.TICKET.value
    show_columns = ITEM_SHOW_COLUMNS
    list_columns = ITEM_LIST_COLUMNS
    add_columns = list(ItemCreateSchema().fields)
    edit_columns = list(ItemWriteSchema().fields)
    search_columns = ITEM_SEARCH_COLUMNS
    order_columns = ["id", "title", "priority", "created_at", "updated_at"]
    base_order = ("id", "desc")

    def __init__(self, **kwargs: Any) -> None:
        self.base_filters = [
            ["kind", FilterEqual, self.kind],
            ["id", FilterByAccess, lambda: item_scope],
        ]
        super().__init__(**kwargs)

    def _load(self, schema: Schema) -> dict[str, Any]:
        if not request.is_json or not isinstance(request.json, dict):
            raise ValidationError({"_schema": ["Send a JSON object."]})
        return schema.load(request.json)

    def post_headless(self):
        try:
            data = self._load(self.add_model_schema)
            data.pop("version", None)
            item = item_service.create_item(g.user, kind=self.kind, **data)
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        dispatch_outbox()
        return self.response(201, id=item.id, result=self.show_model_schema.dump(item))

    def put_headless(self, pk: int):
        try:
            data = self._load(self.edit_model_schema)
            version = data.pop("version", None)
            self._visible_of_kind(pk)
            item = item_service.update_item(pk, g.user, data, expected_version=version)
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        dispatch_outbox()
        return self.response(200, result=self.show_model_schema.dump(item))

    def delete_headless(self, pk: int):
        try:
            self._visible_of_kind(pk)
            item_service.archive_item(pk, g.user)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(200, message="archived")

    def _visible_of_kind(self, pk: int) -> Item:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            from app.errors import NotFoundError

            raise NotFoundError()
        return item


def named_schema(name: str, base: type[Schema]) -> Schema:
    """A schema instance of its own class: OpenAPI names components by class."""
    return type(name, (base,), {})()


def _item_schemas(prefix: str) -> dict[str, Schema]:
    """Schema instances of classes named per resource (OpenAPI needs unique names)."""
    bases = {
        "add_model_schema": ItemCreateSchema,
        "edit_model_schema": ItemWriteSchema,
        "list_model_schema": ItemListSchema,
        "show_model_schema": ItemShowSchema,
    }
    return {
        attr: named_schema(f"{prefix}{base.__name__.removeprefix('Item')}", base)
        for attr, base in bases.items()
    }


class TicketRestApi(ItemRestApi):
    """/api/v1/ticket/"""

    resource_name = "ticket"
    kind = ItemKind.TICKET.value


class TaskRestApi(ItemRestApi):
    """/api/v1/task/"""

    resource_name = "task"
    kind = ItemKind.TASK.value


for _api, _prefix in ((TicketRestApi, "Ticket"), (TaskRestApi, "Task")):
    for _attr, _schema in _item_schemas(_prefix).items():
        setattr(_api, _attr, _schema)


class CustomerRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/customer/"""

    resource_name = "customer"
    datamodel = SQLAInterface(Customer)
    list_columns = [
        "id",
        "name",
        "email",
        "organization.id",
        "organization.name",
        "language",
        "created_at",
    ]
    show_columns = [*list_columns, "phone", "notes"]
    add_columns = ["name", "email", "phone", "organization", "language", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "email", "organization", "language"]
    order_columns = ["id", "name", "email", "created_at"]
    base_filters = [["id", FilterByAccess, lambda: customer_scope]]

    prepare = staticmethod(organization_service.prepare_customer)


class OrganizationRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/organization/"""

    resource_name = "organization"
    datamodel = SQLAInterface(Organization)
    list_columns = ["id", "name", "default_team.id", "created_at"]
    show_columns = [*list_columns, "domain_names", "notes"]
    add_columns = ["name", "notes", "default_team"]
    edit_columns = add_columns
    search_columns = ["name", "created_at"]
    order_columns = ["id", "name", "created_at"]
    base_filters = [["id", FilterByAccess, lambda: organization_scope]]

    prepare = staticmethod(organization_service.prepare_organization)


class TeamRestApi(AtriumRestApi):
    """/api/v1/team/"""

    resource_name = "team"
    datamodel = SQLAInterface(Team)
    list_columns = ["id", "name", "description"]
    show_columns = list_columns
    add_columns = ["name", "description", "members"]
    edit_columns = add_columns
    search_columns = ["name"]
    order_columns = ["id", "name"]


class PortfolioRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/portfolio/"""

    resource_name = "portfolio"
    datamodel = SQLAInterface(Portfolio)
    list_columns = ["id", "name", "parent.id", "position"]
    show_columns = [*list_columns, "description"]
    add_columns = ["name", "description", "parent", "position"]
    edit_columns = add_columns
    search_columns = ["name", "parent"]
    order_columns = ["id", "name", "position"]

    prepare = staticmethod(project_service.prepare_portfolio)


class ProjectRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/project/"""

    resource_name = "project"
    datamodel = SQLAInterface(Project)
    list_columns = [
        "id",
        "name",
        "portfolio.id",
        "organization.id",
        "planned_start",
        "planned_end",
        "archived",
    ]
    show_columns = [*list_columns, "description", "created_at"]
    add_columns = [
        "name",
        "description",
        "portfolio",
        "organization",
        "planned_start",
        "planned_end",
        "archived",
    ]
    edit_columns = add_columns
    search_columns = ["name", "portfolio", "organization", "archived"]
    order_columns = ["id", "name", "planned_start", "planned_end"]

    prepare = staticmethod(project_service.prepare_project)

    def post_add(self, item: Project) -> None:
        project_service.project_saved(item, created=True)

    def post_update(self, item: Project) -> None:
        project_service.project_saved(item, created=False)


class ItemTypeRestApi(AtriumRestApi):
    """/api/v1/itemtype/"""

    resource_name = "itemtype"
    datamodel = SQLAInterface(ItemType)
    list_columns = ["id", "kind", "name", "icon", "color", "enabled", "position"]
    show_columns = [*list_columns, "required_fields"]
    add_columns = ["kind", "name", "icon", "color", "enabled", "position"]
    edit_columns = add_columns
    search_columns = ["kind", "name", "enabled"]
    order_columns = ["id", "name", "position"]

    def pre_add(self, item: ItemType) -> None:
        item.required_fields = item.required_fields or []
        workflow_service.prepare_item_type(item)

    def post_add(self, item: ItemType) -> None:
        workflow_service.ensure_workflow(item.id)

    def pre_update(self, item: ItemType) -> None:
        workflow_service.prepare_item_type(item)


class StatusRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/status/"""

    resource_name = "status"
    datamodel = SQLAInterface(Status)
    list_columns = [
        "id",
        "item_type.id",
        "name",
        "category",
        "color",
        "position",
        "is_default",
    ]
    show_columns = list_columns
    add_columns = ["item_type", "name", "category", "color", "position", "is_default"]
    edit_columns = add_columns
    search_columns = ["item_type", "name", "category"]
    order_columns = ["id", "name", "position"]

    prepare = staticmethod(workflow_service.prepare_status)


APIS = (
    TicketRestApi,
    TaskRestApi,
    CustomerRestApi,
    OrganizationRestApi,
    TeamRestApi,
    PortfolioRestApi,
    ProjectRestApi,
    ItemTypeRestApi,
    StatusRestApi,
)


def register_apis(appbuilder) -> None:
    """Add every REST resource under /api/v1/."""
    from app.views.api_conversations import AttachmentRestApi, MessageRestApi
    from app.views.api_time import TimeEntryRestApi

    for api in (*APIS, MessageRestApi, AttachmentRestApi, TimeEntryRestApi):
        appbuilder.add_api(api)
