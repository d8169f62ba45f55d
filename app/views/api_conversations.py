"""REST resources for conversations: /api/v1/message/ and /api/v1/attachment/."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, OneOf, Range

from app.errors import DomainError, NotFoundError
from app.jobs.mail import dispatch_outbox
from app.models import Attachment, Message, MessageKind
from app.services import messages as message_service
from app.services.access import attachment_scope, get_visible_attachment, message_scope
from app.views.api import AtriumRestApi, domain_error_response, named_schema
from app.views.conversations import send_attachment, uploads_from
from app.views.datamodel import EagerInterface
from app.views.filters import FilterByAccess


class AttachmentSchema(Schema):
    """A file's metadata; the bytes come from /attachment/<id>/download."""

    id = fields.Integer()
    item_id = fields.Integer()
    message_id = fields.Integer(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


class MessageSchema(Schema):
    """A reply or note as the API shows it."""

    id = fields.Integer()
    item_id = fields.Integer()
    kind = fields.String()
    author_user_id = fields.Integer(allow_none=True)
    author_customer_id = fields.Integer(allow_none=True)
    author_name = fields.String()
    body_html = fields.String()
    body_text = fields.String()
    channel = fields.String()
    automatic = fields.Boolean()
    created_at = fields.DateTime()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class MessageCreateSchema(Schema):
    """A new reply or note: HTML (sanitized) or plain text, on one item."""

    item_id = fields.Integer(required=True, strict=True, validate=Range(min=1))
    kind = fields.String(
        load_default=MessageKind.PUBLIC.value,
        validate=OneOf([k.value for k in MessageKind]),
    )
    body_html = fields.String(validate=Length(max=message_service.MAX_BODY))
    body_text = fields.String(validate=Length(max=message_service.MAX_BODY))


class MessageFormSchema(MessageCreateSchema):
    """The same as multipart form data, where every value arrives as text."""

    item_id = fields.Integer(required=True, validate=Range(min=1))


class AttachmentCreateSchema(Schema):
    """Files sent as multipart form data to an item."""

    item_id = fields.Integer(required=True, validate=Range(min=1))


def _load_message() -> dict[str, Any]:
    if request.mimetype == "multipart/form-data":
        return MessageFormSchema().load(request.form.to_dict())
    if request.is_json and isinstance(request.get_json(silent=True), dict):
        return MessageCreateSchema().load(request.get_json())
    raise ValidationError({"_schema": ["Send a JSON object or multipart form data."]})


class MessageRestApi(AtriumRestApi):
    """/api/v1/message/: read a conversation, add a reply or note."""

    resource_name = "message"
    datamodel = EagerInterface(Message, eager=("author_user", "author_customer"))
    include_route_methods = {"get", "get_list", "post", "info"}
    list_columns = [
        name for name in MessageSchema().fields if name not in ("author_name",)
    ]
    show_columns = list_columns
    add_columns = list(MessageCreateSchema().fields)
    search_columns = ["item_id", "kind", "channel", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "asc")
    base_filters = [["id", FilterByAccess, lambda: message_scope]]
    list_model_schema = named_schema("MessageList", MessageSchema)
    show_model_schema = named_schema("MessageShow", MessageSchema)
    add_model_schema = MessageCreateSchema()

    def post_headless(self):
        try:
            data = _load_message()
            draft = message_service.MessageDraft(
                body_html=data.get("body_html"),
                body_text=data.get("body_text"),
                kind=data["kind"],
                channel="api",
                files=uploads_from(request.files.getlist("files")),
            )
            message = message_service.post_message(data["item_id"], g.user, draft)
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        dispatch_outbox()
        return self.response(201, id=message.id, result=MessageSchema().dump(message))


class AttachmentRestApi(AtriumRestApi):
    """/api/v1/attachment/: file metadata, uploads to an item, downloads."""

    resource_name = "attachment"
    datamodel = EagerInterface(Attachment, eager=())
    include_route_methods = {"get", "get_list", "post", "info", "download"}
    list_columns = list(AttachmentSchema().fields)
    show_columns = list_columns
    add_columns = ["item_id"]
    search_columns = ["item_id", "message_id", "filename", "created_at"]
    order_columns = ["id", "filename", "size", "created_at"]
    base_order = ("id", "asc")
    base_filters = [["id", FilterByAccess, lambda: attachment_scope]]
    list_model_schema = named_schema("AttachmentList", AttachmentSchema)
    show_model_schema = named_schema("AttachmentShow", AttachmentSchema)
    add_model_schema = AttachmentCreateSchema()

    def post_headless(self):
        try:
            if request.mimetype != "multipart/form-data":
                raise ValidationError({"_schema": ["Send multipart form data."]})
            data = AttachmentCreateSchema().load(request.form.to_dict())
            attachments = message_service.attach_to_item(
                data["item_id"], g.user, uploads_from(request.files.getlist("files"))
            )
        except ValidationError as error:
            return self.response_422(message=error.messages)
        except DomainError as error:
            return domain_error_response(self, error)
        return self.response(
            201,
            ids=[a.id for a in attachments],
            result=AttachmentSchema(many=True).dump(attachments),
        )

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    def download(self, pk: int):
        """Download one attachment.
        ---
        get:
          summary: The attachment's bytes
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The file, as an attachment unless it is a plain image
            404:
              $ref: '#/components/responses/404'
        """
        try:
            return send_attachment(get_visible_attachment(pk, g.user))
        except NotFoundError:
            return self.response_404()
