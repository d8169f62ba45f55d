"""Mail screens: mailboxes, templates, settings; logs of mail sent and received."""

from __future__ import annotations

from flask import current_app, flash, g, redirect
from flask_appbuilder import SimpleFormView, action, expose
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import NumberRange

from app.errors import DomainError
from app.jobs import enqueue
from app.jobs.mail import dispatch_outbox, poll_mailbox
from app.models import (
    EmailTemplate,
    InboundMail,
    ItemKind,
    Mailbox,
    MailProtocol,
    MailSecurity,
    OutboundEmail,
)
from app.services import email_templates as template_service
from app.services import mailboxes as mailbox_service
from app.services import outbox as outbox_service
from app.services import settings as setting_service
from app.views.base import AtriumModelView, ServicePrepared, selected_rows
from app.views.widgets import text_area

PROTOCOL_CHOICES = [
    (MailProtocol.IMAP.value, "IMAP"),
    (MailProtocol.POP3.value, "POP3"),
    (MailProtocol.PIPE.value, _l("Pipe (flask mail ingest)")),
]
SECURITY_CHOICES = [
    (MailSecurity.SSL.value, _l("SSL/TLS")),
    (MailSecurity.STARTTLS.value, "STARTTLS"),
    (MailSecurity.NONE.value, _l("None (only on a trusted network)")),
]
MAIL_STATUS_LABELS = {
    "pending": _l("Waiting"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "suppressed": _l("Not sent (limit)"),
    "stored": _l("Stored"),
    "ignored": _l("Ignored"),
    "rejected": _l("Rejected"),
}
MAIL_LABELS = {
    "name": _l("Name"),
    "address": _l("Support address"),
    "protocol": _l("Protocol"),
    "host": _l("Server"),
    "port": _l("Port"),
    "security": _l("Security"),
    "username": _l("User name"),
    "password": _l("Password"),
    "has_password": _l("Password stored"),
    "folder": _l("Folder"),
    "default_type": _l("Type of new tickets"),
    "default_team": _l("Team of new tickets"),
    "enabled": _l("Enabled"),
    "last_polled_at": _l("Last checked"),
    "last_error": _l("Last error"),
    "event": _l("Event"),
    "language": _l("Language"),
    "subject": _l("Subject"),
    "body": _l("Text"),
    "updated_at": _l("Updated"),
    "to_address": _l("To"),
    "status": _l("Status"),
    "attempts": _l("Attempts"),
    "created_at": _l("Created"),
    "sent_at": _l("Sent"),
    "item": _l("Item"),
    "received_at": _l("Received"),
    "sender": _l("From"),
    "mailbox": _l("Mailbox"),
    "reason": _l("Reason"),
    "automatic_reason": _l("Automatic mail"),
    "size": _l("Size"),
    "automatic": _l("Automatic"),
    "body_text": _l("Text"),
}


#: Why a mail was refused or marked automatic, as stored (English) -> as shown.
MAIL_REASON_LABELS = {
    "message is empty": _l("The message is empty."),
    "message has no From, Subject, Message-ID or Date header": _l(
        "The message has no From, Subject, Message-ID or Date header."
    ),
    "message structure could not be parsed": _l(
        "The message's structure could not be read."
    ),
    "the mail has no sender address": _l("The mail has no sender address."),
    "the sender's account is disabled": _l("The sender's account is disabled."),
    "the sender address is not valid": _l("The sender address is not valid."),
    "our own mail came back": _l("Our own mail came back."),
    "could not be stored": _l("The mail could not be stored."),
    "no ticket type is enabled": _l("No ticket type is enabled."),
    "daily limit of automatic mails to this address reached": _l(
        "The daily limit of automatic mails to this address was reached."
    ),
    "auto-submitted": _l("Auto-Submitted header"),
    "precedence": _l("Precedence: bulk, junk, list or auto_reply"),
    "x-loop": _l("Our own X-Loop header"),
    "empty-return-path": _l("Empty Return-Path (a bounce)"),
    "mailer-daemon": _l("Sent by a mail system (mailer-daemon, no-reply)"),
    "auto-reply-header": _l("Auto-reply header"),
    "list": _l("Mailing list"),
}


def mail_reason(reason: str) -> str:
    """A stored reason in the reader's language (unknown ones as they are)."""
    return str(MAIL_REASON_LABELS.get(reason, reason)) if reason else ""


def mail_status(status: str) -> Markup:
    """A translated badge for an outbox or inbound status."""
    return Markup('<span class="atrium-status atrium-status-{0}">{1}</span>').format(
        escape(status), MAIL_STATUS_LABELS.get(status, status)
    )


def language_name(code: str) -> str:
    """A language code as its own name (Русский, Norsk bokmål)."""
    return current_app.config["LANGUAGES"].get(code, {}).get("name", code)


def event_label(event: str) -> str:
    """The translated name of a template event."""
    try:
        return str(template_service.EVENT_LABELS[template_service.EmailEvent(event)])
    except ValueError:
        return event


class MailboxModelView(ServicePrepared, AtriumModelView):
    """Support addresses whose mail becomes tickets."""

    datamodel = SQLAInterface(Mailbox)
    list_title = _l("Mailboxes")
    show_title = _l("Mailbox")
    add_title = _l("New mailbox")
    edit_title = _l("Edit mailbox")
    list_columns = [
        "name",
        "address",
        "protocol",
        "host",
        "enabled",
        "last_polled_at",
        "last_error",
    ]
    show_columns = [
        "name",
        "address",
        "protocol",
        "host",
        "port",
        "security",
        "username",
        "has_password",
        "folder",
        "default_type",
        "default_team",
        "enabled",
        "last_polled_at",
        "last_error",
    ]
    add_columns = [
        "name",
        "address",
        "protocol",
        "host",
        "port",
        "security",
        "username",
        "password",
        "folder",
        "default_type",
        "default_team",
        "enabled",
    ]
    edit_columns = add_columns
    search_columns = ["name", "address", "enabled"]
    label_columns = MAIL_LABELS
    formatters_columns = {"last_error": mail_reason}
    add_form_extra_fields = {
        "protocol": SelectField(
            _l("Protocol"), choices=PROTOCOL_CHOICES, widget=Select2Widget()
        ),
        "security": SelectField(
            _l("Security"), choices=SECURITY_CHOICES, widget=Select2Widget()
        ),
        "password": PasswordField(
            _l("Password"),
            widget=BS3PasswordFieldWidget(),
            description=_l("Stored encrypted; leave empty to keep the current one."),
        ),
        "enabled": BooleanField(_l("Enabled"), default=True),
    }
    edit_form_extra_fields = {
        **add_form_extra_fields,
        "enabled": BooleanField(_l("Enabled")),
    }
    add_form_query_rel_fields = {
        "default_type": [["kind", FilterEqual, ItemKind.TICKET.value]]
    }
    edit_form_query_rel_fields = add_form_query_rel_fields
    prepare = staticmethod(mailbox_service.prepare_mailbox)

    @action("poll", _l("Check for mail now"), "", "fa-refresh", multiple=False)
    def poll(self, mailbox):
        enqueue(poll_mailbox, mailbox.id, requested_by=g.user.id)
        flash(_("Checking the mailbox; see Background jobs for the result."), "info")
        return redirect(self.get_redirect())


class EmailTemplateModelView(AtriumModelView):
    """The mails Atrium sends, per event and language, with a preview."""

    datamodel = SQLAInterface(EmailTemplate)
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_title = _l("E-mail templates")
    show_title = _l("E-mail template")
    edit_title = _l("Edit e-mail template")
    show_template = "atrium/email_template_show.html"
    list_columns = ["event", "language", "subject", "updated_at"]
    show_columns = ["event", "language", "subject", "body", "updated_at"]
    edit_columns = ["subject", "body"]
    search_columns = ["event", "language", "subject"]
    order_columns = ["event", "language", "updated_at"]
    base_order = ("event", "asc")
    label_columns = MAIL_LABELS
    formatters_columns = {"event": event_label, "language": language_name}
    edit_form_extra_fields = {
        "body": text_area(
            _l("Text"),
            description=_l(
                "Jinja placeholders such as {{ item.number }}, {{ item.title }}, "
                "{{ recipient.name }}, {{ message.text }} and {{ company.name }}."
            ),
        )
    }

    def pre_update(self, item: EmailTemplate) -> None:
        template_service.check_template(item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The template with a rendered preview."""
        widgets = self._show(pk)
        template = self.datamodel.get(pk)
        subject, body = template_service.preview(template)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            preview_subject=subject,
            preview_body=body,
        )

    @action(
        "restore",
        _l("Restore the default"),
        _l("Replace the selected templates with the shipped text?"),
        "fa-undo",
    )
    def restore(self, templates):
        selected = selected_rows(templates)
        for template in selected:
            template_service.restore_default(template.id)
        flash(_("Default text restored."), "success")
        return redirect(self.get_redirect())


class OutboundEmailModelView(AtriumModelView):
    """Every mail Atrium sent or is about to send, with errors."""

    datamodel = SQLAInterface(OutboundEmail)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Outgoing mail")
    show_title = _l("Outgoing mail")
    list_columns = ["created_at", "to_address", "subject", "status", "attempts"]
    show_columns = [
        "created_at",
        "to_address",
        "subject",
        "event",
        "item",
        "status",
        "attempts",
        "automatic",
        "sent_at",
        "last_error",
        "body_text",
    ]
    search_columns = ["to_address", "subject", "status", "event", "created_at"]
    order_columns = ["created_at"]
    base_order = ("id", "desc")
    label_columns = MAIL_LABELS
    formatters_columns = {
        "status": mail_status,
        "event": event_label,
        "last_error": mail_reason,
    }

    @action("resend", _l("Send again"), "", "fa-paper-plane")
    def resend(self, rows):
        selected = selected_rows(rows)
        for row in selected:
            try:
                outbox_service.retry_failed(row.id)
            except DomainError:
                continue
        dispatch_outbox()
        flash(_("Failed mails are queued again."), "info")
        return redirect(self.get_redirect())


class InboundMailModelView(AtriumModelView):
    """Every mail received, and what became of it."""

    datamodel = SQLAInterface(InboundMail)
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Incoming mail")
    show_title = _l("Incoming mail")
    list_columns = ["received_at", "sender", "subject", "status", "item"]
    show_columns = [
        "received_at",
        "mailbox",
        "sender",
        "subject",
        "size",
        "status",
        "reason",
        "automatic_reason",
        "item",
    ]
    search_columns = ["sender", "subject", "status", "mailbox", "received_at"]
    order_columns = ["received_at"]
    base_order = ("id", "desc")
    label_columns = MAIL_LABELS
    formatters_columns = {
        "status": mail_status,
        "reason": mail_reason,
        "automatic_reason": mail_reason,
    }


class MailSettingsForm(DynamicForm):
    """Rules for followers and automatic mail."""

    never_follow = TextAreaField(
        _l("Never add as follower"),
        description=_l(
            "One address per line, or @domain for a whole domain. People in a "
            "mail's Cc are added as followers unless they are listed here."
        ),
        render_kw={"rows": 5},
    )
    auto_reply_cap = IntegerField(
        _l("Automatic mails per address and day"),
        validators=[NumberRange(0, 1000)],
        description=_l(
            "Acknowledgements and notices to one address stop at this number per "
            "day, which ends ping-pong with another system's auto-responder."
        ),
    )


class MailSettingsView(SimpleFormView):
    """E-mail settings an administrator changes without a deploy."""

    route_base = "/settings/mail"
    form = MailSettingsForm
    form_title = _l("E-mail settings")

    def form_get(self, form: MailSettingsForm) -> None:
        form.never_follow.data = "\n".join(
            setting_service.get_setting(setting_service.MAIL_NEVER_FOLLOW) or []
        )
        form.auto_reply_cap.data = setting_service.get_setting(
            setting_service.MAIL_AUTO_REPLY_CAP
        )

    def form_post(self, form: MailSettingsForm):
        try:
            setting_service.set_mail_settings(
                never_follow=form.never_follow.data or "",
                auto_reply_cap=form.auto_reply_cap.data,
            )
        except DomainError as error:
            flash(str(error.message), "danger")
            return None
        flash(_("Settings saved."), "success")
        return None


CONFIGURATION_VIEWS = [
    (MailboxModelView, "Mailboxes", _l("Mailboxes"), "fa-inbox"),
    (EmailTemplateModelView, "E-mail templates", _l("E-mail templates"), "fa-envelope"),
    (MailSettingsView, "E-mail settings", _l("E-mail settings"), "fa-sliders"),
]
TOOLS_VIEWS = [
    (OutboundEmailModelView, "Outgoing mail", _l("Outgoing mail"), "fa-paper-plane"),
    (InboundMailModelView, "Incoming mail", _l("Incoming mail"), "fa-envelope-open"),
]
