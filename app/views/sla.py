"""SLA screens: Configuration → SLA policies, its REST resource, and the SLA column,
filters and panel of the item screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_datetime, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField, StringField

from app.errors import InvalidInputError
from app.models import Organization, SlaPolicy
from app.models.base import utcnow
from app.services import sla as sla_service
from app.services import sla_policies as policy_service
from app.services.access import is_staff
from app.views.api import AtriumRestApi
from app.views.base import AtriumModelView, ServicePrepared
from app.views.widgets import RemoteSelectField, text_area

PRIORITY_CHOICES = [
    ("", _l("Any priority")),
    ("1", _l("1 (lowest)")),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", _l("5 (highest)")),
]
POLICY_LABELS = {
    "name": _l("Name"),
    "description": _l("Description"),
    "organization": _l("Organization"),
    "item_type": _l("Type"),
    "priority": _l("Priority"),
    "calendar": _l("Business calendar"),
    "first_response_minutes": _l("First response target"),
    "resolution_minutes": _l("Resolution target"),
    "warning_minutes": _l("Warning before"),
    "enabled": _l("Enabled"),
    "position": _l("Position"),
}
#: What the policy form and the REST resource edit, in form order.
POLICY_COLUMNS = [
    "name",
    "description",
    "organization",
    "item_type",
    "priority",
    "calendar",
    "first_response_minutes",
    "resolution_minutes",
    "warning_minutes",
    "enabled",
    "position",
]
POLICY_SEARCH_COLUMNS = ["name", "organization", "item_type", "priority", "enabled"]
TARGET_LABELS = {
    sla_service.FIRST_RESPONSE: _l("First response"),
    sla_service.RESOLUTION: _l("Resolution"),
}


class BusinessDurationField(StringField):
    """Business minutes typed as "4h", "90m" or "1d 2h" (services check the text)."""

    widget = BS3TextFieldWidget()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if valuelist:
            try:
                self.data = policy_service.parse_duration(valuelist[0], field=self.name)
            except InvalidInputError as error:
                raise ValueError(str(error.message)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return policy_service.format_duration(self.data)


def _optional_priority(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _form_fields() -> dict[str, Any]:
    hint = policy_service.DURATION_HINT
    return {
        "description": text_area(_l("Description")),
        "organization": RemoteSelectField(
            _l("Organization"),
            model=Organization,
            endpoint="/lookup/organizations",
            description=_l("Empty: every organization"),
        ),
        "priority": SelectField(
            _l("Priority"),
            choices=PRIORITY_CHOICES,
            coerce=_optional_priority,
            widget=Select2Widget(),
        ),
        "first_response_minutes": BusinessDurationField(
            _l("First response target"), description=hint
        ),
        "resolution_minutes": BusinessDurationField(
            _l("Resolution target"), description=hint
        ),
        "warning_minutes": BusinessDurationField(
            _l("Warning before"),
            default=60,
            description=_l(
                "How long before a target is due to warn; empty: no warning"
            ),
        ),
    }


def duration_text(minutes: int | None) -> Markup | str:
    """Business minutes as "4h" or "1h 30m" in lists and show pages."""
    if minutes is None:
        return Markup('<span class="text-muted">—</span>')
    return policy_service.format_duration(minutes)


class SlaPolicyModelView(ServicePrepared, AtriumModelView):
    """Response and resolution targets per organization, type and priority."""

    datamodel = SQLAInterface(SlaPolicy)
    route_base = "/slapolicies"
    list_title = _l("SLA policies")
    show_title = _l("SLA policy")
    add_title = _l("New SLA policy")
    edit_title = _l("Edit SLA policy")
    list_columns = [column for column in POLICY_COLUMNS if column != "description"]
    add_columns = POLICY_COLUMNS
    edit_columns = POLICY_COLUMNS
    show_columns = POLICY_COLUMNS
    search_columns = POLICY_SEARCH_COLUMNS
    order_columns = ["name", "priority", "position"]
    base_order = ("position", "asc")
    label_columns = POLICY_LABELS
    description_columns = {
        "item_type": _l("Empty: every type"),
        "calendar": _l("Empty: the default calendar (or round the clock)"),
        "position": _l("Breaks ties between equally specific policies (lower first)"),
    }
    formatters_columns = {
        "first_response_minutes": duration_text,
        "resolution_minutes": duration_text,
        "warning_minutes": duration_text,
    }
    add_form_extra_fields = _form_fields()
    edit_form_extra_fields = _form_fields()

    prepare = staticmethod(policy_service.prepare_policy)


class SlaPolicyRestApi(ServicePrepared, AtriumRestApi):
    """/api/v1/slapolicy/ (targets in business minutes)."""

    resource_name = "slapolicy"
    datamodel = SQLAInterface(SlaPolicy)
    list_columns = [
        "id",
        "name",
        "organization.id",
        "item_type.id",
        "priority",
        "calendar.id",
        "first_response_minutes",
        "resolution_minutes",
        "warning_minutes",
        "enabled",
        "position",
    ]
    show_columns = [*list_columns, "description"]
    add_columns = POLICY_COLUMNS
    edit_columns = POLICY_COLUMNS
    search_columns = POLICY_SEARCH_COLUMNS
    order_columns = ["id", "name", "priority", "position"]

    prepare = staticmethod(policy_service.prepare_policy)


CONFIGURATION_VIEWS = [
    (SlaPolicyModelView, "SLA policies", _l("SLA policies"), "fa-clock-o"),
]


# --- the SLA column, filters and panel of item screens ------------------------

#: The column the SLA filters hang on in the item search (FAB filters need one).
SLA_FILTER_COLUMN = "sla_resolution_due"
_BADGES = {
    "ok": "label-success",
    "warning": "label-warning",
    "breached": "label-danger",
    "paused": "label-default",
    "met": "label-info",
}


def span_text(seconds: int) -> str:
    """A wall-clock span as "2d 3h", "1h 05m" or "12m"."""
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh", days=days, hours=hours)
    if hours:
        return _("%(hours)sh %(minutes)02dm", hours=hours, minutes=minutes)
    return _("%(minutes)sm", minutes=minutes)


def state_text(state: sla_service.SlaState) -> str:
    """What a badge says: time left, overdue time, paused, met."""
    if state.state == "breached" and state.met_at is not None:
        return _("late by %(time)s", time=span_text(state.seconds_left or 0))
    if state.state == "breached":
        return _("overdue %(time)s", time=span_text(state.seconds_left or 0))
    if state.state == "paused":
        return _("paused")
    if state.state == "met":
        return "✓ " + _("met")
    return _("%(time)s left", time=span_text(state.seconds_left or 0))


def sla_badge(state: sla_service.SlaState | None) -> Markup:
    """An item's SLA state as a colored badge: green, orange, red, grey, met."""
    if state is None or state.state == "none":
        return Markup('<span class="text-muted">—</span>')
    title = _(
        "%(target)s due %(due)s",
        target=TARGET_LABELS.get(state.target or "", ""),
        due=format_datetime(state.due, "short"),
    )
    return Markup(
        '<span class="label {0} atrium-sla atrium-sla-{1}" title="{2}">{3}</span>'
    ).format(_BADGES[state.state], state.state, title, state_text(state))


def item_sla_state(item: Any) -> sla_service.SlaState:
    """The list column's value for one row (its own columns, no query)."""
    return sla_service.time_left(item, utcnow())


class FilterSlaBreached(BaseFilter):
    """Items with a breached SLA target (or an unmet one past due)."""

    name = _l("Breached")
    arg_name = "sla_breached"

    def apply(self, query, value):
        return query.filter(sla_service.breached_condition(utcnow()))


class FilterSlaDueToday(BaseFilter):
    """Items with an unmet target due today in the user's time zone."""

    name = _l("Due today")
    arg_name = "sla_due_today"

    def apply(self, query, value):
        start, end = today_in_utc()
        return query.filter(sla_service.due_between_condition(start, end))


def today_in_utc() -> tuple[dt.datetime, dt.datetime]:
    """Today in the user's time zone, as naive UTC [start, end)."""
    zone = get_timezone()
    today = utcnow().replace(tzinfo=dt.UTC).astimezone(zone).date()

    def midnight(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return midnight(today), midnight(today + dt.timedelta(days=1))


class ItemFilterConverter(SQLAFilterConverter):
    """FAB's filters, with "breached" and "due today" on the SLA filter column."""

    def convert(self, col_name: str):
        if col_name == SLA_FILTER_COLUMN:
            return [
                FilterSlaBreached(col_name, self.datamodel),
                FilterSlaDueToday(col_name, self.datamodel),
            ]
        return super().convert(col_name)


def sla_panel(item: Any) -> dict[str, Any] | None:
    """What the item page's SLA panel shows; None for customers or no policy."""
    if not is_staff(g.user) or item.sla_policy_id is None:
        return None
    now = utcnow()
    return {
        "policy": item.sla_policy,
        "paused_at": item.sla_paused_at,
        "targets": [
            {
                "label": TARGET_LABELS[state.target],
                "state": state,
                "badge": sla_badge(state),
            }
            for state in sla_service.target_states(item, now)
        ],
    }
