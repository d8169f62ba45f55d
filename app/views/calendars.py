"""Configuration → Business calendars: working hours and holidays per time zone."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from app.models import WEEKDAYS, BusinessCalendar
from app.services import calendars as calendar_service
from app.views.base import AtriumModelView, ServicePrepared
from app.views.users import timezone_choices
from app.views.widgets import text_area

DAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
HOURS_HINT = _l("For example 09:00-12:00, 13:00-17:00; empty for a day off")


def _form_fields(*, office_hours: bool = False) -> dict:
    """Form fields; a new calendar starts with 09:00-17:00 on weekdays."""
    fields = {
        f"hours_{day}": StringField(
            DAY_LABELS[day],
            widget=BS3TextFieldWidget(),
            description=HOURS_HINT,
            default="09:00-17:00" if office_hours and day not in ("sat", "sun") else "",
        )
        for day in WEEKDAYS
    }
    fields["timezone"] = SelectField(
        _l("Time zone"), choices=timezone_choices, widget=Select2Widget()
    )
    fields["holidays_text"] = text_area(
        _l("Holidays"), _l("One date per line, like 2026-12-25 Christmas")
    )
    return fields


class BusinessCalendarModelView(ServicePrepared, AtriumModelView):
    """Working time that SLA clocks count in."""

    datamodel = SQLAInterface(BusinessCalendar)
    list_title = _l("Business calendars")
    show_title = _l("Business calendar")
    add_title = _l("New business calendar")
    edit_title = _l("Edit business calendar")
    list_columns = ["name", "timezone", "is_default"]
    day_columns = [f"hours_{day}" for day in WEEKDAYS]
    show_columns = ["name", "timezone", *day_columns, "holidays_text", "is_default"]
    add_columns = show_columns
    edit_columns = show_columns
    search_columns = ["name", "timezone"]
    label_columns = {
        "name": _l("Name"),
        "timezone": _l("Time zone"),
        "holidays_text": _l("Holidays"),
        "is_default": _l("Default calendar"),
        **{f"hours_{day}": label for day, label in DAY_LABELS.items()},
    }
    add_form_extra_fields = _form_fields(office_hours=True)
    edit_form_extra_fields = _form_fields()
    prepare = staticmethod(calendar_service.prepare_calendar)
