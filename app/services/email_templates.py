"""E-mail templates: one per event and language, rendered in a Jinja sandbox."""

from __future__ import annotations

import enum
import functools
import operator
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import ChainableUndefined, StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from app.errors import InvalidInputError
from app.extensions import db
from app.models import EmailTemplate
from app.services.text import clean_line, clean_text

MAX_SOURCE = 20_000
MAX_OUTPUT = 200_000


class EmailEvent(enum.StrEnum):
    """What a mail is about."""

    RECEIVED = "received"
    PUBLIC_REPLY = "public_reply"
    STATUS_CHANGED = "status_changed"
    RESOLVED = "resolved"
    SATISFACTION = "satisfaction"
    NEW_MESSAGE = "new_message"
    ASSIGNED = "assigned"


EVENT_LABELS = {
    EmailEvent.RECEIVED: _l("Request received (to the customer)"),
    EmailEvent.PUBLIC_REPLY: _l("Public reply (to the customer)"),
    EmailEvent.STATUS_CHANGED: _l("Status changed (to followers and assignee)"),
    EmailEvent.RESOLVED: _l("Resolved, with the resolution (to the customer)"),
    EmailEvent.SATISFACTION: _l("Satisfaction survey (to the customer)"),
    EmailEvent.NEW_MESSAGE: _l("New reply or note (to followers and assignee)"),
    EmailEvent.ASSIGNED: _l("Assigned (to the new assignee)"),
}

DEFAULTS: dict[str, tuple[Any, Any]] = {
    EmailEvent.RECEIVED: (
        _l("[{{ item.number }}] {{ item.title }}"),
        _l(
            "Hello {{ recipient.name }},\n\n"
            'we have received your request "{{ item.title }}" and registered it '
            "as {{ item.number }}. We will get back to you as soon as possible.\n\n"
            "To add anything, simply reply to this e-mail.\n\n"
            "{{ company.name }}"
        ),
    ),
    EmailEvent.PUBLIC_REPLY: (
        _l("Re: [{{ item.number }}] {{ item.title }}"),
        _l(
            "{{ message.text }}\n\n"
            "-- \n"
            "{{ message.author }}, {{ company.name }}\n"
            "{{ item.number }}: {{ item.title }} ({{ item.status }})"
        ),
    ),
    EmailEvent.STATUS_CHANGED: (
        _l("[{{ item.number }}] Status: {{ item.status }}"),
        _l(
            "{{ actor.name }} changed the status of {{ item.number }} "
            '"{{ item.title }}" from {{ old_status }} to {{ item.status }}.\n\n'
            "{{ item.url }}"
        ),
    ),
    EmailEvent.RESOLVED: (
        _l("[{{ item.number }}] Resolved: {{ item.title }}"),
        _l(
            "Hello {{ recipient.name }},\n\n"
            'your request {{ item.number }} "{{ item.title }}" has been resolved.'
            "\n\n{{ item.resolution }}\n\n"
            "If the problem is not solved, reply to this e-mail and we will "
            "look at it again.\n\n"
            "{{ company.name }}"
        ),
    ),
    EmailEvent.SATISFACTION: (
        _l("[{{ item.number }}] How did we do?"),
        _l(
            "Hello {{ recipient.name }},\n\n"
            'your request {{ item.number }} "{{ item.title }}" has been resolved. '
            "How satisfied are you with our help? Choose a rating:\n\n"
            "{{ survey.links }}\n\n"
            "Thank you!\n{{ company.name }}"
        ),
    ),
    EmailEvent.NEW_MESSAGE: (
        _l("[{{ item.number }}] {{ message.kind }} from {{ message.author }}"),
        _l(
            '{{ message.author }} wrote on {{ item.number }} "{{ item.title }}":\n\n'
            "{{ message.text }}\n\n"
            "{{ item.url }}"
        ),
    ),
    EmailEvent.ASSIGNED: (
        _l("[{{ item.number }}] Assigned to you: {{ item.title }}"),
        _l(
            '{{ actor.name }} assigned {{ item.number }} "{{ item.title }}" to you.\n'
            "Priority: {{ item.priority }}, status: {{ item.status }}.\n\n"
            "{{ item.url }}"
        ),
    ),
}


class _MailSandbox(ImmutableSandboxedEnvironment):
    """No attribute tricks, no mutation, and no operator that builds huge strings."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any):
        if operator_name == "**":
            raise SecurityError("power is not allowed in templates")
        result = {"*": operator.mul, "+": operator.add}[operator_name](left, right)
        if isinstance(result, (str, list, tuple)) and len(result) > MAX_OUTPUT:
            raise SecurityError("result too large")
        return result


@functools.cache
def _environment(strict: bool) -> _MailSandbox:
    undefined = StrictUndefined if strict else ChainableUndefined
    return _MailSandbox(autoescape=False, undefined=undefined)


@functools.lru_cache(maxsize=512)
def _compiled(source: str, strict: bool) -> Template:
    """A template compiled once per text: every mail of a burst reuses it."""
    return _environment(strict).from_string(source)


def default_template(event: str, language: str) -> tuple[str, str]:
    """The shipped subject and body of ``event`` in ``language``."""
    subject, body = DEFAULTS[EmailEvent(event)]
    with force_locale(language):
        return str(subject), str(body)


def _source(event: str, language: str) -> tuple[str, str]:
    row = db.session.scalar(
        db.select(EmailTemplate).filter_by(event=event, language=language)
    )
    if row is not None:
        return row.subject, row.body
    return default_template(event, language)


def _render_pair(
    subject: str, body: str, context: dict[str, Any], *, strict: bool
) -> tuple[str, str]:
    rendered_subject = _compiled(subject, strict).render(context)
    rendered_body = _compiled(body, strict).render(context)
    if len(rendered_body) > MAX_OUTPUT:
        raise SecurityError("result too large")
    return " ".join(rendered_subject.split())[:300], rendered_body


def render_email(event: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of ``event`` for a recipient speaking ``language``.

    An admin's template that fails to render falls back to the shipped default, so
    a typo never stops mail.
    """
    subject, body = _source(event, language)
    try:
        return _render_pair(subject, body, context, strict=False)
    except (TemplateError, SecurityError, TypeError, ValueError, OverflowError):
        current_app.logger.warning(
            "Template %s/%s failed; default used", event, language
        )
        return _render_pair(*default_template(event, language), context, strict=False)


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render an admin's short text (an automatic note or reply) in the sandbox."""
    try:
        text = _compiled(source, False).render(context)
    except (TemplateError, SecurityError, TypeError, ValueError, OverflowError):
        current_app.logger.warning("Automation text failed to render; used as is")
        return source
    return text[:MAX_OUTPUT]


def check_text(source: str, *, field: str) -> None:
    """Refuse a text template that cannot be rendered with sample values."""
    try:
        _compiled(source, True).render(sample_context("en"))
    except (TemplateError, SecurityError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(
            _l("The text cannot be rendered: %(error)s", error=str(exc)[:200]),
            field=field,
        ) from None


def check_template(template: EmailTemplate) -> None:
    """Validate an edited template by rendering it with sample values."""
    if template.event not in {e.value for e in EmailEvent}:
        raise InvalidInputError(field="event")
    if template.language not in current_app.config["LANGUAGES"]:
        raise InvalidInputError(field="language")
    template.subject = clean_line(template.subject, field="subject", max_length=300)
    template.body = clean_text(template.body, field="body", max_length=MAX_SOURCE)
    if not template.body:
        raise InvalidInputError(field="body")
    try:
        _render_pair(
            template.subject,
            template.body,
            sample_context(template.language),
            strict=True,
        )
    except (TemplateError, SecurityError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(
            _l("The template cannot be rendered: %(error)s", error=str(exc)[:200]),
            field="body",
        ) from None


def preview(template: EmailTemplate) -> tuple[str, str]:
    """The template rendered with sample values (errors shown, not raised)."""
    try:
        return _render_pair(
            template.subject,
            template.body,
            sample_context(template.language),
            strict=False,
        )
    except (TemplateError, SecurityError, TypeError, ValueError, OverflowError) as exc:
        return "", str(exc)


def sample_context(language: str) -> dict[str, Any]:
    """Made-up values in ``language`` for previews and validation."""
    with force_locale(language):
        return {
            "item": {
                "number": "T-1042",
                "title": str(_l("The printer in the showroom does not start")),
                "status": str(_l("Open")),
                "type": str(_l("Problem")),
                "priority": 3,
                "organization": "Aquaria Ltd",
                "resolution": str(_l("We replaced the fuser unit.")),
                "url": "https://desk.example.com/tickets/show/1042",
            },
            "message": {
                "text": str(_l("Could you send us a photo of the error message?")),
                "author": "Anna Agent",
                "kind": str(_l("Reply")),
            },
            "recipient": {"name": "Carl Customer", "email": "carl@example.com"},
            "actor": {"name": "Anna Agent"},
            "old_status": str(_l("New")),
            "company": {"name": current_app.config["APP_NAME"]},
            "survey": {"links": "★ https://desk.example.com/rate/…"},
        }


def ensure_default_templates() -> int:
    """Create the shipped template of every event and language that has none."""
    existing = set(
        db.session.execute(db.select(EmailTemplate.event, EmailTemplate.language))
    )
    created = 0
    for event in EmailEvent:
        for language in current_app.config["LANGUAGES"]:
            if (event.value, language) in existing:
                continue
            subject, body = default_template(event.value, language)
            db.session.add(
                EmailTemplate(
                    event=event.value, language=language, subject=subject, body=body
                )
            )
            created += 1
    db.session.commit()
    return created


def restore_default(template_id: int) -> EmailTemplate:
    """Put the shipped subject and text back into a template."""
    template = db.session.get(EmailTemplate, template_id)
    if template is None:
        raise InvalidInputError(field="id")
    template.subject, template.body = default_template(
        template.event, template.language
    )
    db.session.commit()
    return template
