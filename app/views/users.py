"""User screens: FAB's user admin and "edit my profile", with language and time zone."""

from __future__ import annotations

import zoneinfo
from functools import cache

from flask import current_app
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.forms import UserInfoEdit
from flask_appbuilder.security.views import UserDBModelView, UserInfoEditView
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional as OptionalValidator


def language_choices() -> list[tuple[str, str]]:
    """Configured UI languages as (code, native name) pairs."""
    languages = current_app.config["LANGUAGES"]
    return [("", "—")] + [(code, info["name"]) for code, info in languages.items()]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone, sorted, as select choices."""
    zones = sorted(zoneinfo.available_timezones())
    return [("", "—")] + [(zone, zone) for zone in zones]


def _language_field() -> SelectField:
    return SelectField(
        _l("Language"),
        choices=language_choices,
        validators=[OptionalValidator()],
        widget=Select2Widget(),
        description=_l("The language of your screens and e-mails"),
    )


def _timezone_field() -> SelectField:
    return SelectField(
        _l("Time zone"),
        choices=timezone_choices,
        validators=[OptionalValidator()],
        widget=Select2Widget(),
        description=_l("Dates and times are shown in this time zone"),
    )


NOTIFICATION_LABELS = {
    "notify_replies": _l("E-mail me about replies on items I follow or handle"),
    "notify_notes": _l("E-mail me about internal notes on items I follow or handle"),
    "notify_assignment": _l("E-mail me when an item is assigned to me"),
    "notify_status": _l("E-mail me about status changes of items I follow or handle"),
}


AVAILABLE_LABEL = _l("Available for new work")
AVAILABLE_HINT = _l(
    "Untick while you are away: automatic assignment then passes you over."
)


class AtriumUserInfoEdit(UserInfoEdit):
    """The "edit my profile" form with language, time zone and mail preferences."""

    language = _language_field()
    timezone = _timezone_field()
    available = BooleanField(AVAILABLE_LABEL, description=AVAILABLE_HINT)
    notify_replies = BooleanField(NOTIFICATION_LABELS["notify_replies"])
    notify_notes = BooleanField(NOTIFICATION_LABELS["notify_notes"])
    notify_assignment = BooleanField(NOTIFICATION_LABELS["notify_assignment"])
    notify_status = BooleanField(NOTIFICATION_LABELS["notify_status"])


class AtriumUserInfoEditView(UserInfoEditView):
    """Edit your own name, language and time zone."""

    form = AtriumUserInfoEdit


class AtriumUserDBModelView(UserDBModelView):
    """Administrators' user screen, including language and time zone."""

    profile_columns = ["language", "timezone", "available", *NOTIFICATION_LABELS]
    label_columns = {
        **UserDBModelView.label_columns,
        "language": _l("Language"),
        "timezone": _l("Time zone"),
        "available": AVAILABLE_LABEL,
        **NOTIFICATION_LABELS,
    }
    list_columns = [*UserDBModelView.list_columns, "language", "available"]
    add_columns = [*UserDBModelView.add_columns, *profile_columns]
    edit_columns = [*UserDBModelView.edit_columns, *profile_columns]
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "language": _language_field(),
        "timezone": _timezone_field(),
        "available": BooleanField(AVAILABLE_LABEL, default=True),
        **{
            name: BooleanField(label, default=True)
            for name, label in NOTIFICATION_LABELS.items()
        },
    }
    edit_form_extra_fields = {
        "language": _language_field(),
        "timezone": _timezone_field(),
        "available": BooleanField(AVAILABLE_LABEL),
        **{name: BooleanField(label) for name, label in NOTIFICATION_LABELS.items()},
    }
    user_show_fieldsets = [
        *UserDBModelView.user_show_fieldsets,
        (_l("Preferences"), {"fields": profile_columns, "expanded": True}),
    ]
    #: The internal job-runner account is not a person to manage.
    base_filters = [["is_system", FilterEqual, False]]
