"""The conversation under an item: reply box, file uploads and safe downloads."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, MultipleFileField, RadioField, TextAreaField

from app.errors import DomainError, NotFoundError
from app.jobs.mail import dispatch_outbox
from app.models import Attachment, Item, MessageKind
from app.services import messages as message_service
from app.services.access import get_visible_attachment, get_visible_item, is_staff
from app.services.attachments import UploadedFile, attachment_file, shows_inline
from app.services.richtext import link_inline_images


class ReplyForm(FlaskForm):
    """The reply box under an item."""

    body_html = HiddenField()
    body_text = TextAreaField(_l("Message"))
    kind = RadioField(
        _l("Visibility"),
        choices=[
            (MessageKind.PUBLIC.value, _l("Public reply")),
            (MessageKind.INTERNAL.value, _l("Internal note")),
        ],
        default=MessageKind.PUBLIC.value,
    )
    files = MultipleFileField(_l("Attach files"))


class ItemFilesForm(FlaskForm):
    """Files added to the item itself."""

    files = MultipleFileField(_l("Attach files"))


def uploads_from(files: list[FileStorage]) -> list[UploadedFile]:
    """Uploaded form files as service input (empty file inputs are skipped)."""
    return [
        UploadedFile(
            filename=upload.filename or "",
            content_type=upload.mimetype or "",
            stream=upload.stream,
        )
        for upload in files
        if isinstance(upload, FileStorage) and upload.filename
    ]


def attachment_url(attachment: Attachment) -> str:
    """Where the browser downloads an attachment."""
    return url_for("ConversationView.download", attachment_id=attachment.id)


def conversation_context(item: Item) -> dict[str, Any]:
    """Messages, files and forms for the item page, as the current user may see."""
    messages = message_service.visible_messages(item, g.user)
    rendered = []
    for message in messages:
        inline = {
            a.content_id: attachment_url(a) for a in message.attachments if a.content_id
        }
        rendered.append(
            {
                "message": message,
                # Stored HTML passed the nh3 allowlist on the way in.
                "html": Markup(link_inline_images(message.body_html, inline)),
                "files": [a for a in message.attachments if not a.inline],
            }
        )
    return {
        "conversation": rendered,
        "item_files": message_service.item_attachments(item),
        "reply_form": ReplyForm(),
        "files_form": ItemFilesForm(),
        "conversation_item": item,
        "can_write_notes": is_staff(g.user),
    }


def send_attachment(attachment: Attachment):
    """The stored file with headers that keep active content from running."""
    path = attachment_file(attachment)
    if not path.exists():
        raise NotFoundError()
    inline = shows_inline(attachment)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.filename,
        conditional=True,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


class ConversationView(BaseView):
    """Replies, notes and files on an item; every route asks the access layer."""

    route_base = "/conversation"
    default_view = "download"
    class_permission_name = "ConversationView"
    method_permission_name = {
        "reply": "reply",
        "attach": "reply",
        "download": "download",
    }

    def _back(self, item_id: int, anchor: str = "conversation"):
        item = get_visible_item(item_id, g.user)
        section = "TicketModelView" if item.kind == "ticket" else "TaskModelView"
        return redirect(url_for(f"{section}.show", pk=item.id, _anchor=anchor))

    @expose("/<int:item_id>/reply", methods=["POST"])
    @has_access
    def reply(self, item_id: int):
        """Post a public reply or an internal note."""
        form = ReplyForm()
        if not form.validate_on_submit():
            abort(400)
        draft = message_service.MessageDraft(
            body_html=form.body_html.data or None,
            body_text=form.body_text.data or "",
            kind=form.kind.data or MessageKind.PUBLIC.value,
            files=uploads_from(request.files.getlist("files")),
        )
        try:
            message_service.post_message(item_id, g.user, draft)
        except NotFoundError:
            abort(404)
        except DomainError as error:
            return self._refused(item_id, error)
        dispatch_outbox()
        flash(_("Your message was added."), "success")
        return self._back(item_id)

    @expose("/<int:item_id>/files", methods=["POST"])
    @has_access
    def attach(self, item_id: int):
        """Attach files to the item itself."""
        form = ItemFilesForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            message_service.attach_to_item(
                item_id, g.user, uploads_from(request.files.getlist("files"))
            )
        except NotFoundError:
            abort(404)
        except DomainError as error:
            return self._refused(item_id, error, anchor="files")
        flash(_("The files were attached."), "success")
        return self._back(item_id, "files")

    def _refused(self, item_id: int, error: DomainError, anchor: str = "conversation"):
        if error.status_code == 413:
            return (
                self.render_template(
                    "atrium/refused.html",
                    message=str(error.message),
                    back=self._back(item_id, anchor).location,
                ),
                413,
            )
        flash(str(error.message), "danger")
        return self._back(item_id, anchor)

    @expose("/attachment/<int:attachment_id>")
    @has_access
    def download(self, attachment_id: int):
        """Download (or show, for plain images) one attachment."""
        try:
            return send_attachment(get_visible_attachment(attachment_id, g.user))
        except NotFoundError:
            abort(404)
