"""REST resource for time logged on items: /api/v1/timeentry/ (staff only)."""

from __future__ import annotations

from typing import Any

from flask import g, request
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, Range

from app.errors import DomainError, InvalidInputError
from app.models import TimeEntry
from app.services import time_entries as time_service
from app.services.access import MAX_ID, time_entry_scope
from app.views.api import AtriumRestApi, domain_error_response, named_schema
from app.views.datamodel import EagerInterface
from app.views.filters import FilterByAccess


class MinutesField(fields.Field):
    """Minutes as a number (90) or as text ("1h 30m", "1:30")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            return time_service.parse_minutes(value)
        except InvalidInputError as error:
            raise ValidationError(str(error.message)) from None


def _minutes(**kwargs: Any) -> MinutesField:
    return MinutesField(
        metadata={"description": "Minutes (90), or text such as 1h 30m or 1:30"},
        **kwargs,
    )


class TimeEntrySchema(Schema):
    """A time entry as the API shows it."""

    id = fields.Integer()
    item_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    user_name = fields.Function(lambda entry: str(entry.user) if entry.user else None)
    spent_on = fields.Date()
    minutes = fields.Integer()
    billable = fields.Boolean()
    note = fields.String()
    source = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TimeEntryUpdateSchema(Schema):
    """What a correction may change (every field optional)."""

    minutes = _minutes()
    spent_on = fields.Date()
    billable = fields.Boolean()
    note = fields.String(validate=Length(max=time_service.MAX_NOTE))


class TimeEntryCreateSchema(TimeEntryUpdateSchema):
    """Time spent on one item; the date defaults to today, billable to yes."""

    item_id = fields.Integer(
        required=True, strict=True, validate=Range(min=1, max=MAX_ID)
    )
    minutes = _minutes(required=True)
    spent_on = fields.Date(load_default=None, allow_none=True)
    billable = fields.Boolean(load_default=True)
    note = fields.String(load_default="", validate=Length(max=time_service.MAX_NOTE))


def _load(schema: Schema) -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["Send a JSON object."]})
    return schema.load(body)


class TimeEntryRestApi(AtriumRestApi):
    """/api/v1/timeentry/: read, log, correct and delete time through the service."""

    resource_name = "timeentry"
    datamodel = EagerInterface(TimeEntry, eager=("user",))
    include_route_methods = {"get", "get_list", "post", "put", "delete", "info"}
    list_columns = [
        name for name in TimeEntrySchema().fields if name not in ("user_name",)
    ]
    show_columns = list_columns
    add_columns = list(TimeEntryCreateSchema().fields)
    edit_columns = list(TimeEntryUpdateSchema().fields)
    search_columns = ["item_id", "user_id", "spent_on", "billable", "source"]
    order_columns = ["id", "spent_on", "minutes", "created_at"]
    base_order = ("id", "desc")
    base_filters = [["id", FilterByAccess, lambda: time_entry_scope]]
    list_model_schema = named_schema("TimeEntryList", TimeEntrySchema)
    show_model_schema = named_schema("TimeEntryShow", TimeEntrySchema)
    add_model_schema = TimeEntryCreateSchema()
    edit_model_schema = TimeEntryUpdateSchema()

    def post_headless(self):
        try:
            data = _load(TimeEntryCreateSchema())
            entry = time_service.log_time(data.pop("item_id"), g.user, **data)
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(201, id=entry.id, result=TimeEntrySchema().dump(entry))

    def put_headless(self, pk: Any):
        try:
            data = _load(TimeEntryUpdateSchema())
            entry = time_service.update_entry(pk, g.user, data)
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(200, result=TimeEntrySchema().dump(entry))

    def delete_headless(self, pk: Any):
        try:
            time_service.delete_entry(pk, g.user)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(200, message="deleted")
