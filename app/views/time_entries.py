"""Time logged on an item: the item page's Time panel, its form, edit and delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import format_date, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.widgets import DateInput

from app.errors import DomainError, ForbiddenError, NotFoundError
from app.models import Item, TimeEntry
from app.models.base import utcnow
from app.services import time_entries as time_service
from app.services.access import get_visible_item

#: The panel lists this many entries, newest first; the totals count them all.
PANEL_ENTRIES = 50
#: Where a refused log form waits for the item page to show it again.
REFUSED_FORM = "atrium_time_form"


class TimeEntryForm(FlaskForm):
    """Log (or correct) time: the service reads and checks every value."""

    minutes = StringField(
        _l("Time spent"), description=_l("For example 90, 1h 30m or 1:30")
    )
    spent_on = StringField(_l("Date"), widget=DateInput())
    billable = BooleanField(_l("Billable"), default=True)
    note = StringField(_l("Note"))


class DeleteTimeEntryForm(FlaskForm):
    """Only the CSRF token: deleting asks nothing else."""


def duration_text(minutes: int) -> str:
    """Minutes as people read them: 45m, 2h, 1h 30m."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)sh %(minutes)sm", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)sh", hours=hours)
    return _("%(minutes)sm", minutes=rest)


def today_iso() -> str:
    """Today's date where the signed-in person is (the log form's default)."""
    return to_user_timezone(utcnow()).date().isoformat()


def new_form() -> TimeEntryForm:
    """An empty log form dated today (never bound to the request's data)."""
    form = TimeEntryForm(formdata=None)
    form.spent_on.data = today_iso()
    return form


@dataclass(frozen=True)
class TimeRow:
    """One entry as the panel lists it."""

    entry: TimeEntry
    date: str
    duration: str
    can_change: bool


def time_panel(item: Item) -> dict[str, Any]:
    """Totals, the latest entries and the log form for the item page (2 queries)."""
    totals = time_service.item_totals(item.id)
    entries = (
        time_service.item_entries(item.id, limit=PANEL_ENTRIES)
        if totals.entries
        else []
    )
    rows = [
        TimeRow(
            entry=entry,
            date=format_date(entry.spent_on, "medium"),
            duration=duration_text(entry.minutes),
            can_change=time_service.may_change(entry, g.user),
        )
        for entry in entries
    ]
    return {
        "item": item,
        "totals": totals,
        "total": duration_text(totals.minutes),
        "billable": duration_text(totals.billable_minutes),
        "rows": rows,
        "more": totals.entries - len(rows),
        "form": g.pop(REFUSED_FORM, None) or new_form(),
    }


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a refused value's message next to its field (or above the form)."""
    message = str(error.message)
    field = form._fields.get(error.field or "")
    if field is not None and field.name != "csrf_token":
        field.errors = [message]
    else:
        form.form_errors.append(message)


def _show_endpoint(item: Item) -> str:
    return "TicketModelView.show" if item.kind == "ticket" else "TaskModelView.show"


def item_time_url(item: Item) -> str:
    """The item page, scrolled to its Time panel."""
    return url_for(_show_endpoint(item), pk=item.id, _anchor="time")


def _entry_changes(form: TimeEntryForm) -> dict[str, Any]:
    return {
        "minutes": form.minutes.data or "",
        "spent_on": form.spent_on.data or "",
        "billable": bool(form.billable.data),
        "note": form.note.data or "",
    }


class TimeEntryView(BaseView):
    """Logging, correcting and deleting time; every route asks the service."""

    route_base = "/time"
    default_view = "edit"
    class_permission_name = "TimeEntryView"
    method_permission_name = {"log": "log", "edit": "log", "delete": "log"}

    @expose("/<int:item_id>/log", methods=["POST"])
    @has_access
    def log(self, item_id: int):
        """Log time on an item from the item page's Time panel."""
        form = TimeEntryForm()
        if not form.validate_on_submit():
            abort(400)  # only the CSRF token is checked here
        changes = _entry_changes(form)
        try:
            entry = time_service.log_time(
                item_id,
                g.user,
                minutes=changes["minutes"],
                spent_on=changes["spent_on"] or None,
                billable=changes["billable"],
                note=changes["note"],
            )
        except NotFoundError:
            abort(404)
        except ForbiddenError:
            abort(403)
        except DomainError as error:
            return self._refused(item_id, form, error)
        flash(_("%(time)s logged.", time=duration_text(entry.minutes)), "success")
        return redirect(item_time_url(entry.item))

    def _refused(self, item_id: int, form: TimeEntryForm, error: DomainError):
        """The item page again, with the form as sent and the message by its field."""
        item = get_visible_item(item_id, g.user)
        show_error(form, error)
        setattr(g, REFUSED_FORM, form)
        page = current_app.view_functions[_show_endpoint(item)](pk=str(item.id))
        return page, 400

    @expose("/entry/<int:entry_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, entry_id: int):
        """Correct an entry (its author, a manager or an admin)."""
        entry = self._changeable(entry_id)
        if request.method == "GET":
            form = TimeEntryForm(formdata=None, obj=entry)
            form.minutes.data = str(entry.minutes)
            form.spent_on.data = entry.spent_on.isoformat()
            return self._edit_page(entry, form)
        form = TimeEntryForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            entry = time_service.update_entry(entry_id, g.user, _entry_changes(form))
        except DomainError as error:
            show_error(form, error)
            return self._edit_page(self._changeable(entry_id), form), 400
        flash(_("The time entry was saved."), "success")
        return redirect(item_time_url(entry.item))

    @expose("/entry/<int:entry_id>/delete", methods=["GET", "POST"])
    @has_access
    def delete(self, entry_id: int):
        """Ask, then delete an entry (its author, a manager or an admin)."""
        entry = self._changeable(entry_id)
        form = DeleteTimeEntryForm()
        if request.method == "GET":
            return self.render_template(
                "atrium/time_entry_delete.html",
                title=_l("Delete time entry"),
                entry=entry,
                duration=duration_text(entry.minutes),
                date=format_date(entry.spent_on, "medium"),
                form=form,
                back=item_time_url(entry.item),
            )
        if not form.validate_on_submit():
            abort(400)
        item = entry.item
        try:
            time_service.delete_entry(entry_id, g.user)
        except DomainError as error:
            abort(error.status_code)
        flash(_("The time entry was deleted."), "success")
        return redirect(item_time_url(item))

    def _changeable(self, entry_id: int) -> TimeEntry:
        """The entry if the user may change it: 404 if unseen, 403 if not theirs."""
        try:
            entry = time_service.get_entry(entry_id, g.user)
        except NotFoundError:
            abort(404)
        if not time_service.may_change(entry, g.user):
            abort(403)
        return entry

    def _edit_page(self, entry: TimeEntry, form: TimeEntryForm):
        return self.render_template(
            "atrium/time_entry_edit.html",
            title=_l("Edit time entry"),
            entry=entry,
            form=form,
            back=item_time_url(entry.item),
        )
