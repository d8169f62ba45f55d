"""SLA screens: the policy admin (form and REST), the SLA column and filters of the
item lists, and the SLA panel of the item page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Item, SlaPolicy
from app.services import items as item_service
from app.services import sla
from app.views import sla as sla_views
from tests.views.test_item_screens import _count_queries

#: Monday 2026-11-23 12:00 UTC, 13:00 in Oslo: "today" there is [Nov 22 23:00, Nov 23
#: 23:00) in UTC.
NOW = dt.datetime(2026, 11, 23, 12, 0)


def _form(**changes):
    """Every field, as a browser sends the form."""
    data = {
        "name": "Standard",
        "description": "",
        "organization": "",
        "item_type": "",
        "priority": "",
        "calendar": "",
        "first_response_minutes": "4h",
        "resolution_minutes": "1d 2h",
        "warning_minutes": "30m",
        "enabled": "y",
        "position": "0",
    }
    data.update(changes)
    return data


def _policies() -> list[SlaPolicy]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(SlaPolicy).order_by(SlaPolicy.id)))


# --- the policy screen and resource ---------------------------------------------


def test_admin_adds_a_policy_with_hours(client, login):
    login("Admin")
    assert client.get("/slapolicies/add").status_code == 200
    response = client.post("/slapolicies/add", data=_form(priority="5"))
    assert response.status_code == 302
    (policy,) = _policies()
    assert policy.first_response_minutes == 240
    assert policy.resolution_minutes == 600  # a day is 8 working hours
    assert policy.warning_minutes == 30
    assert policy.priority == 5 and policy.enabled
    page = client.get(f"/slapolicies/edit/{policy.id}").get_data(as_text=True)
    assert 'value="4h"' in page and 'value="10h"' in page
    listing = client.get("/slapolicies/list/").get_data(as_text=True)
    assert "Standard" in listing and "10h" in listing


def test_admin_edits_a_policy(client, login):
    login("Admin")
    client.post("/slapolicies/add", data=_form())
    (policy,) = _policies()
    response = client.post(
        f"/slapolicies/edit/{policy.id}",
        data=_form(first_response_minutes="1h 30m", resolution_minutes=""),
    )
    assert response.status_code == 302
    (policy,) = _policies()
    assert (policy.first_response_minutes, policy.resolution_minutes) == (90, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_response_minutes": "four hours"}, "Write a time like"),
        ({"first_response_minutes": "90"}, "Write a time like"),
        ({"resolution_minutes": "0h"}, "more than zero"),
        ({"warning_minutes": "-1h"}, "Write a time like"),
        ({"warning_minutes": "5h"}, "The warning must come before"),
        ({"first_response_minutes": "", "resolution_minutes": ""}, "Give a first"),
        ({"resolution_minutes": "99999h"}, "at most"),
        ({"priority": "9"}, "Not a valid choice"),
        ({"priority": "urgent"}, "Invalid Choice"),
        ({"name": ""}, ""),
        ({"organization": "999999"}, "Choose one of the suggestions"),
        ({"position": "first"}, ""),
    ],
)
def test_bad_policies_get_a_form_error_and_store_nothing(
    client, login, changes, message
):
    login("Admin")
    response = client.post(
        "/slapolicies/add", data=_form(**changes), follow_redirects=True
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "has-error" in page or "alert-danger" in page
    assert _policies() == []


def test_a_bad_edit_changes_nothing(client, login):
    login("Admin")
    client.post("/slapolicies/add", data=_form())
    (policy,) = _policies()
    response = client.post(
        f"/slapolicies/edit/{policy.id}",
        data=_form(first_response_minutes="2h", warning_minutes="3h"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "The warning must come before" in response.get_data(as_text=True)
    (policy,) = _policies()
    assert (policy.first_response_minutes, policy.warning_minutes) == (240, 30)


def test_admin_manages_policies_through_the_api(client, login):
    login("Admin")
    body = {
        "name": "API SLA",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
        "warning_minutes": 15,
        "priority": 5,
    }
    response = client.post("/api/v1/slapolicy/", json=body)
    assert response.status_code == 201, response.json
    policy_id = response.json["id"]
    listed = client.get("/api/v1/slapolicy/").json["result"]
    assert [row["name"] for row in listed] == ["API SLA"]
    response = client.put(
        f"/api/v1/slapolicy/{policy_id}", json={"warning_minutes": 90}
    )
    assert response.status_code == 400
    assert "warning" in response.json["message"].lower()
    assert _policies()[0].warning_minutes == 15
    assert "/api/v1/slapolicy/" in client.get("/api/v1/_openapi").json["paths"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "first_response_minutes": 0, "warning_minutes": 0},
        {"name": "X", "first_response_minutes": "4h"},
        {"name": "X", "resolution_minutes": 60, "priority": 7},
        {"name": "X"},
        {"name": "X", "first_response_minutes": 60, "organization": 999999},
    ],
)
def test_bad_api_policies_get_a_4xx_and_store_nothing(client, login, body):
    login("Admin")
    response = client.post("/api/v1/slapolicy/", json=body)
    assert 400 <= response.status_code < 500, response.json
    assert _policies() == []


@pytest.mark.parametrize("role", ["Manager", "Agent", "Customer"])
def test_only_admins_reach_sla_policies(client, login, role):
    login(role)
    assert client.get("/slapolicies/list/").status_code in (302, 403)
    client.post("/slapolicies/add", data=_form())
    assert client.get("/api/v1/slapolicy/").status_code in (401, 403)
    response = client.post(
        "/api/v1/slapolicy/", json={"name": "X", "first_response_minutes": 60}
    )
    assert response.status_code in (401, 403)
    assert _policies() == []


def test_anonymous_visitors_do_not_reach_sla_policies(client):
    assert client.get("/slapolicies/list/").status_code in (302, 401, 403)
    assert client.get("/api/v1/slapolicy/").status_code == 401


# --- the list column and filters -------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """The item screens see NOW as the current time."""
    monkeypatch.setattr(sla_views, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def policy() -> SlaPolicy:
    row = SlaPolicy(name="Standard", first_response_minutes=240, resolution_minutes=480)
    db.session.add(row)
    db.session.commit()
    return row


def _ticket(world, title: str, policy: SlaPolicy | None, **columns) -> Item:
    """A ticket whose SLA columns are set directly (the clock is tested elsewhere)."""
    item = item_service.create_item(
        world.admin, kind="ticket", title=title, item_type_id=world.ticket_type.id
    )
    values = {
        **sla.NO_SLA,
        "sla_policy_id": policy.id if policy else None,
        "first_response_at": None,
        "resolved_at": None,
        **columns,
    }
    db.session.execute(update(Item).where(Item.id == item.id).values(**values))
    db.session.commit()
    return item


def _hours(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def _badges(page: str) -> dict[str, str]:
    """Ticket title -> the SLA state its row shows."""
    rows = re.findall(r"<tr.*?</tr>", page, flags=re.S)
    found = {}
    for row in rows:
        state = re.search(r"atrium-sla-(\w+)", row)
        title = re.search(r"Case (\w+)", row)
        if title:
            found[title.group(1)] = state.group(1) if state else "none"
    return found


def test_the_sla_column_shows_each_state_in_its_color(
    client, login, world, policy, frozen
):
    states = {
        "ok": {"sla_first_response_due": _hours(3)},
        "warning": {
            "sla_first_response_due": _hours(0.5),
            "sla_first_response_warned": True,
        },
        "breached": {"sla_first_response_due": _hours(-1.1)},
        "paused": {"sla_first_response_due": _hours(-5), "sla_paused_at": _hours(-6)},
        "met": {
            "sla_resolution_due": _hours(-1),
            "first_response_at": _hours(-3),
            "resolved_at": _hours(-2),
            "sla_paused_at": _hours(-2),
        },
    }
    for state, columns in states.items():
        _ticket(world, f"Case {state}", policy, **columns)
    _ticket(world, "Case none", None)
    login("Admin")
    page = client.get("/tickets/list/").get_data(as_text=True)
    assert _badges(page) == {state: state for state in [*states, "none"]}
    assert "label-danger atrium-sla atrium-sla-breached" in page
    assert "overdue 1h 06m" in page
    assert "label-success atrium-sla atrium-sla-ok" in page
    assert "label-warning atrium-sla atrium-sla-warning" in page
    assert "label-default atrium-sla atrium-sla-paused" in page


def _listed(client, query: str) -> set[str]:
    page = client.get(f"/tickets/list/?{query}").get_data(as_text=True)
    return set(re.findall(r"Case (\w+)", page))


def test_the_breached_and_due_today_filters(client, login, world, policy, frozen):
    cases = {
        "dueSoon": {"sla_first_response_due": _hours(2)},
        "tomorrow": {"sla_first_response_due": _hours(24)},
        "answered": {
            "first_response_at": _hours(-1),
            "sla_first_response_due": _hours(2),
            "sla_resolution_due": _hours(100),
        },
        "waiting": {"sla_first_response_due": _hours(3), "sla_paused_at": _hours(-1)},
        "flagged": {
            "first_response_at": _hours(-1),
            "sla_first_response_due": _hours(-2),
            "sla_first_response_breached": True,
            "sla_resolution_due": _hours(100),
        },
        # Past due, not flagged yet (the scan comes within the minute): 00:30 in Oslo.
        "overdue": {"sla_first_response_due": _hours(-11.5)},
        # 00:30 tomorrow in Oslo, but still today in UTC.
        "lateTonight": {"sla_resolution_due": _hours(11.5)},
    }
    for name, columns in cases.items():
        _ticket(world, f"Case {name}", policy, **columns)
    _ticket(world, "Case none", None)
    login("Admin", timezone="Europe/Oslo")
    column = sla_views.SLA_FILTER_COLUMN
    assert _listed(client, f"_flt_0_{column}=") == {"flagged", "overdue"}
    assert _listed(client, f"_flt_1_{column}=") == {"dueSoon", "overdue"}
    everything = _listed(client, "")
    assert {"none", "tomorrow", "lateTonight", "waiting"} <= everything


def test_due_today_follows_the_users_time_zone(client, login, world, policy, frozen):
    _ticket(world, "Case lateTonight", policy, sla_resolution_due=_hours(11.5))
    login("Admin", timezone="UTC")
    assert _listed(client, f"_flt_1_{sla_views.SLA_FILTER_COLUMN}=") == {"lateTonight"}


def test_the_sla_filters_are_offered_in_the_search(client, login, world, frozen):
    login("Admin")
    page = client.get("/tickets/list/").get_data(as_text=True)
    assert "Breached" in page and "Due today" in page


def test_list_queries_do_not_grow_with_sla_rows(app, client, login, world, policy):
    def fill(count: int) -> None:
        for n in range(count):
            _ticket(
                world,
                f"Case n{n}",
                policy,
                sla_first_response_due=_hours(n - 3),
                sla_paused_at=_hours(-1) if n % 4 == 0 else None,
            )

    login("Admin")
    fill(5)
    client.get("/tickets/list/")
    small = _count_queries(app, lambda: client.get("/tickets/list/"))
    fill(45)
    large = _count_queries(app, lambda: client.get("/tickets/list/"))
    assert large <= small + 2, (small, large)


# --- the item page ----------------------------------------------------------------


def test_staff_see_the_sla_panel(client, login, world, policy, frozen):
    ticket = _ticket(
        world,
        "Case panel",
        policy,
        sla_first_response_due=_hours(2),
        sla_resolution_due=_hours(6),
    )
    login("Agent")
    page = client.get(f"/tickets/show/{ticket.id}").get_data(as_text=True)
    panel = page[page.index("atrium-sla-panel") :]
    assert "Standard" in panel[:600]
    assert "First response" in panel and "Resolution" in panel
    assert "2h 00m left" in panel


def test_items_without_a_policy_have_no_panel(client, login, world):
    login("Agent")
    page = client.get(f"/tickets/show/{world.ticket_a.id}").get_data(as_text=True)
    assert "atrium-sla-panel" not in page


def test_a_target_met_late_reads_late_not_overdue(app):
    import datetime as dt

    from app.services.sla import SlaState
    from app.views.sla import state_text

    due = dt.datetime(2026, 3, 2, 10, 0)
    late = SlaState(
        "breached", due, -2 * 3600, "resolution", due + dt.timedelta(hours=2)
    )
    running = SlaState("breached", due, -2 * 3600, "resolution", None)
    assert state_text(late) == "late by 2h 00m"
    assert state_text(running) == "overdue 2h 00m"
