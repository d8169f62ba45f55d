"""Admin-defined custom fields: edited per item, shown, and used as list filters."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import CustomField
from app.services import custom_fields as custom_field_service


@pytest.fixture
def fields(world):
    def add(name, field_type, choices=()):
        field = CustomField(
            item_type_id=world.ticket_type.id,
            name=name,
            field_type=field_type,
            choices=list(choices),
            position=0,
            required=False,
        )
        custom_field_service.prepare_custom_field(field)
        db.session.add(field)
        db.session.commit()
        return field

    return {
        "tank": add("Tank size", "number"),
        "site": add("Site", "choice", ["Moscow", "Milan"]),
        "note": add("Serial", "text"),
        "visit": add("Visit date", "date"),
    }


def test_agent_sets_values_and_sees_them_on_the_item(client, world, fields, login):
    login("Agent")
    ticket = world.ticket_a
    response = client.post(
        f"/itemfields/{ticket.id}",
        data={
            f"cf_{fields['tank'].id}": "500",
            f"cf_{fields['site'].id}": "Milan",
            f"cf_{fields['note'].id}": "PLC-7",
            f"cf_{fields['visit'].id}": "2026-12-01",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/tickets/show/{ticket.id}").get_data(as_text=True)
    assert "Site: Milan" in page and "Tank size: 500" in page
    assert "Visit date: 2026-12-01" in page


def test_a_value_outside_the_choices_is_refused(client, world, fields, login):
    login("Agent")
    ticket = world.ticket_a
    response = client.post(
        f"/itemfields/{ticket.id}", data={f"cf_{fields['site'].id}": "Paris"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert world.ticket_a.custom_values == []


def test_lists_filter_by_custom_fields(client, world, fields, login):
    admin = world.admin
    for ticket, site in ((world.ticket_a, "Milan"), (world.ticket_b, "Moscow")):
        custom_field_service.save_item_custom_values(
            ticket.id, {fields["site"].id: site, fields["tank"].id: "120"}, admin
        )
    login("Agent")
    page = client.get(f"/tickets/list/?cf_{fields['site'].id}=Milan").get_data(
        as_text=True
    )
    assert "Filter is noisy" in page and "Air conditioner leaks" not in page
    page = client.get(f"/tickets/list/?cf_{fields['tank'].id}=120").get_data(
        as_text=True
    )
    assert "Filter is noisy" in page and "Air conditioner leaks" in page
    assert "Lamp flickers" not in page
    assert f'name="cf_{fields["site"].id}"' in page


def test_customers_cannot_edit_custom_fields(client, world, fields, sign_in):
    sign_in(world.user_a)
    response = client.post(
        f"/itemfields/{world.ticket_a.id}", data={f"cf_{fields['site'].id}": "Milan"}
    )
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert world.ticket_a.custom_values == []


def test_a_choice_field_needs_choices():
    field = CustomField(item_type_id=1, name="Empty", field_type="choice", choices=[])
    from app.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        custom_field_service.prepare_custom_field(field)
