"""Configuration → Business calendars, for administrators only."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import WEEKDAYS, BusinessCalendar


def _form(**changes):
    """Every field, as a browser sends the form."""
    data = {f"hours_{day}": "" for day in WEEKDAYS}
    data |= {
        "name": "Oslo office",
        "timezone": "Europe/Oslo",
        "hours_mon": "09:00-12:00, 13:00-17:00",
        "hours_tue": "09:00-17:00",
        "holidays_text": "2026-12-25 Christmas\n2026-12-26",
    }
    data.update(changes)
    return data


def test_admin_creates_a_calendar_in_the_form(client, login):
    login("Admin")
    assert client.get("/businesscalendarmodelview/add").status_code == 200
    response = client.post("/businesscalendarmodelview/add", data=_form())
    assert response.status_code == 302
    calendar = db.session.scalars(db.select(BusinessCalendar)).one()
    assert calendar.weekly_hours["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.weekly_hours["sat"] == []
    assert calendar.holidays == ["2026-12-25", "2026-12-26"]
    page = client.get(f"/businesscalendarmodelview/edit/{calendar.id}")
    assert "09:00-12:00, 13:00-17:00" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"hours_mon": "nine to five"},
        {"hours_mon": "17:00-09:00"},
        {"holidays_text": "Christmas"},
        {"timezone": "Mars/Olympus"},
        {"hours_mon": "", "hours_tue": ""},
    ],
)
def test_bad_calendars_are_refused_with_a_message(client, login, changes):
    login("Admin")
    response = client.post(
        "/businesscalendarmodelview/add", data=_form(**changes), follow_redirects=True
    )
    assert "alert-danger" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(BusinessCalendar.id))) == 0


@pytest.mark.parametrize("role", ["Manager", "Agent", "Customer"])
def test_only_admins_edit_calendars(client, login, role):
    login(role)
    response = client.get("/businesscalendarmodelview/list/")
    assert response.status_code in (302, 403)
    client.post("/businesscalendarmodelview/add", data=_form())
    assert db.session.scalar(db.select(db.func.count(BusinessCalendar.id))) == 0


def test_a_new_calendar_starts_with_office_hours(client, login):
    login("Admin")
    page = client.get("/businesscalendarmodelview/add").get_data(as_text=True)
    assert page.count('value="09:00-17:00"') == 5
