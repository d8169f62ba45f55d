"""Who hears about what: mails to customers and staff after item events.

Everything here only adds outbox rows inside the caller's transaction; the send job
picks them up after the commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AtriumUser, Channel, Customer, Item, Message, Status
from app.services import outbox
from app.services.email_templates import EmailEvent, render_email
from app.services.satisfaction import survey_links_text

#: Channels whose new items get an acknowledgement mail.
ACKNOWLEDGED_CHANNELS = frozenset(
    {
        Channel.EMAIL.value,
        Channel.PORTAL.value,
        Channel.WEB_FORM.value,
        Channel.API.value,
    }
)
_MUTED = "_atrium_notifications_muted"


@contextlib.contextmanager
def muted() -> Iterator[None]:
    """Create no mail inside this block (demo data, imports)."""
    previous = g.get(_MUTED, False)
    g.setdefault(_MUTED, False)
    setattr(g, _MUTED, True)
    try:
        yield
    finally:
        setattr(g, _MUTED, previous)


def _is_muted() -> bool:
    return has_app_context() and bool(g.get(_MUTED, False))


def _language(person: Any) -> str:
    language = getattr(person, "language", None)
    languages = current_app.config["LANGUAGES"]
    return (
        language
        if language in languages
        else current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def item_fields(item: Item) -> dict[str, Any]:
    """What a mail or an automatic note may say about an item (``{{ item.* }}``)."""
    return {
        "number": item.number,
        "title": item.title,
        "status": item.status.name if item.status else "",
        "type": item.item_type.name if item.item_type else "",
        "priority": item.priority,
        "organization": item.organization.name if item.organization else "",
        "resolution": item.resolution or "",
    }


def _item_context(item: Item, staff: bool) -> dict[str, Any]:
    base = current_app.config["PUBLIC_URL"]
    section = "tickets" if item.kind == "ticket" else "tasks"
    url = f"{base}/{section}/show/{item.id}" if staff else ""
    return {**item_fields(item), "url": url}


def _person_name(person: Any) -> str:
    if person is None:
        return ""
    if isinstance(person, AtriumUser):
        return person.get_full_name() or person.username
    return getattr(person, "name", "") or getattr(person, "email", "")


def _send(
    event: EmailEvent,
    person: Any,
    item: Item,
    *,
    staff: bool,
    extra: dict[str, Any] | None = None,
    message: Message | None = None,
    automatic: bool = True,
    attachment_ids: list[int] | None = None,
) -> None:
    language = _language(person)
    with force_locale(language):
        context = {
            "item": _item_context(item, staff),
            "recipient": {"name": _person_name(person), "email": person.email},
            "company": {"name": current_app.config["APP_NAME"]},
            **(extra or {}),
        }
        subject, body = render_email(event.value, language, context)
        if not staff:
            body = f"{reply_marker()}\n\n{body}"
    outbox.queue_mail(
        event=event.value,
        to_address=person.email,
        to_name=_person_name(person),
        subject=subject,
        body_text=body,
        language=language,
        item=item,
        message=message,
        automatic=automatic,
        capped=automatic and not staff,
        attachment_ids=attachment_ids,
    )


def reply_marker() -> str:
    """The line above which customers write; quoted text below it is trimmed."""
    return "##- " + str(_l("Please type your reply above this line")) + " -##"


def _staff_audience(
    item: Item, preference: str, exclude: Iterable[Any]
) -> list[AtriumUser]:
    excluded = {getattr(person, "id", None) for person in exclude}
    people = list(item.followers)
    if item.assignee is not None:
        people.append(item.assignee)
    seen: dict[int, AtriumUser] = {}
    for person in people:
        if (
            person.id not in excluded
            and person.active
            and not person.is_system
            and person.email
            and getattr(person, preference, True)
        ):
            seen.setdefault(person.id, person)
    return list(seen.values())


def _customer_audience(item: Item, exclude: Customer | None) -> list[Customer]:
    people = [item.requester, *item.customer_followers]
    seen: dict[int, Customer] = {}
    for person in people:
        if person is not None and person is not exclude:
            seen.setdefault(person.id, person)
    return list(seen.values())


def message_added(message: Message, *, actor: AtriumUser | None) -> None:
    """Mail a public reply to the customers, and tell staff of replies and notes."""
    if _is_muted() or message.automatic:
        return
    item = db.session.get(Item, message.item_id)
    author = message.author_user or message.author_customer
    message_info = {
        "text": message.body_text,
        "author": _person_name(author),
        "kind": str(_l("Reply") if message.is_public else _l("Internal note")),
    }
    if message.is_public and message.author_user is not None:
        attachment_ids = [a.id for a in message.attachments]
        for customer in _customer_audience(item, None):
            _send(
                EmailEvent.PUBLIC_REPLY,
                customer,
                item,
                staff=False,
                extra={"message": message_info},
                message=message,
                automatic=False,
                attachment_ids=attachment_ids,
            )
    preference = "notify_replies" if message.is_public else "notify_notes"
    for user in _staff_audience(item, preference, [message.author_user]):
        _send(
            EmailEvent.NEW_MESSAGE,
            user,
            item,
            staff=True,
            extra={"message": message_info},
            message=message,
        )


def item_created(
    item: Item, *, actor: AtriumUser | None, automatic_inbound: bool = False
) -> None:
    """Acknowledge a customer's new item and tell a preset assignee."""
    if _is_muted():
        return
    if (
        item.requester is not None
        and item.channel in ACKNOWLEDGED_CHANNELS
        and not automatic_inbound
    ):
        _send(EmailEvent.RECEIVED, item.requester, item, staff=False)
    if item.assignee is not None and item.assignee_id != getattr(actor, "id", None):
        _assigned(item, actor)


def _assigned(item: Item, actor: AtriumUser | None) -> None:
    assignee = item.assignee
    if assignee is None or not assignee.notify_assignment or not assignee.email:
        return
    if not assignee.active or assignee.is_system:
        return
    _send(
        EmailEvent.ASSIGNED,
        assignee,
        item,
        staff=True,
        extra={"actor": {"name": _person_name(actor)}},
    )


def item_changed(
    item: Item, changes: dict[str, tuple[Any, Any]], *, actor: AtriumUser | None
) -> None:
    """Tell of a new status or assignee; mail the resolution to the requester.

    Called after the change is committed, with what changed as (before, after).
    """
    if _is_muted():
        return
    if "assignee_id" in changes and item.assignee_id != getattr(actor, "id", None):
        _assigned(item, actor)
    if "status_id" not in changes:
        return
    before = db.session.get(Status, changes["status_id"][0])
    extra = {
        "actor": {"name": _person_name(actor)},
        "old_status": before.name if before else "",
    }
    for user in _staff_audience(item, "notify_status", [actor]):
        _send(EmailEvent.STATUS_CHANGED, user, item, staff=True, extra=extra)
    was_resolved = before is not None and before.is_resolved
    if item.status.is_resolved and not was_resolved and item.requester is not None:
        _send(EmailEvent.RESOLVED, item.requester, item, staff=False)


def send_template(event: str, person: Any, item: Item, *, staff: bool) -> None:
    """Mail template ``event`` about ``item`` to one person (an automation action).

    ``person`` is a user, a customer, or anything with ``email``, ``name`` and
    ``language``; customers and plain addresses get the customer version.
    """
    if _is_muted() or not getattr(person, "email", None):
        return
    _send(EmailEvent(event), person, item, staff=staff)


def satisfaction_survey(item: Item) -> bool:
    """Ask the requester to rate the resolution; False when there is no requester."""
    if _is_muted() or item.requester is None:
        return False
    requester = item.requester
    # The labels next to the links speak the recipient's language, like the mail.
    with force_locale(_language(requester)):
        links = survey_links_text(item, requester)
    _send(
        EmailEvent.SATISFACTION,
        requester,
        item,
        staff=False,
        extra={"survey": {"links": links}},
    )
    return True
