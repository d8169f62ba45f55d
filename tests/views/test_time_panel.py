"""The item page's Time panel, its forms, and /api/v1/timeentry/: who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape

from app.extensions import db
from app.models import Item, TimeEntry
from app.models.base import utcnow
from app.services import time_entries as time_service
from app.services.automation import rules
from tests.views.test_item_screens import _count_queries

API = "/api/v1/timeentry/"


def _log_url(item) -> str:
    return f"/time/{item.id}/log"


def _show_url(item) -> str:
    section = "tickets" if item.kind == "ticket" else "tasks"
    return f"/{section}/show/{item.id}"


def _entries() -> list[TimeEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(TimeEntry).order_by(TimeEntry.id)))


def _form(**changes) -> dict:
    data = {
        "minutes": "1h 30m",
        "spent_on": utcnow().date().isoformat(),
        "billable": "y",
        "note": "Replaced the pump",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# ---- the panel and its form -------------------------------------------------


def test_an_agent_logs_time_through_the_panel(client, world, login):
    agent = login("Agent")
    page = client.get(_show_url(world.ticket_a)).get_data(as_text=True)
    assert 'id="time"' in page and "No time logged yet." in page
    assert f'value="{utcnow().date().isoformat()}"' in page  # dated today
    response = client.post(_log_url(world.ticket_a), data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/tickets/show/{world.ticket_a.id}#time"
    )
    [entry] = _entries()
    assert (entry.item_id, entry.user_id, entry.minutes) == (
        world.ticket_a.id,
        agent.id,
        90,
    )
    assert entry.billable is True and entry.note == "Replaced the pump"
    page = client.get(_show_url(world.ticket_a)).get_data(as_text=True)
    assert "1h 30m logged." in page
    assert "Total: 1h 30m" in page and "Billable: 1h 30m" in page
    assert "Replaced the pump" in page
    assert f"/time/entry/{entry.id}/edit" in page


def test_an_unticked_box_logs_non_billable_time(client, world, login):
    login("Agent")
    client.post(_log_url(world.task_a), data=_form(billable=None, minutes="45"))
    [entry] = _entries()
    assert (entry.minutes, entry.billable) == (45, False)
    page = client.get(_show_url(world.task_a)).get_data(as_text=True)
    assert "Total: 45m" in page and "Billable: 0m" in page


def test_logging_time_runs_the_time_entry_rules(client, world, login):
    rules.save_rule(
        None,
        {
            "name": "Time logged on a new ticket means work started",
            "object": "timeentry",
            "trigger": "created",
            "conditions": {
                "match": "all",
                "groups": [
                    {
                        "match": "all",
                        "conditions": [
                            {"field": "status_category", "op": "in", "value": ["new"]}
                        ],
                    }
                ],
            },
            "actions": [{"type": "set_status", "status": "category:open"}],
            "enabled": True,
        },
    )
    login("Agent")
    assert world.ticket_a.status.category == "new"
    response = client.post(_log_url(world.ticket_a), data=_form(minutes="20"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, world.ticket_a.id).status.category == "open"


@pytest.mark.parametrize("minutes", ["lots", "", "1h 30m 10s", "-5", "<b>9</b>"])
def test_garbage_minutes_show_a_form_error_and_store_nothing(
    client, world, login, minutes
):
    login("Agent")
    response = client.post(
        _log_url(world.ticket_a), data=_form(minutes=minutes, note="Keep me")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter the time as minutes (90), hours and minutes (1h 30m)" in page
    assert 'id="time-minutes-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Keep me"' in page  # what was typed comes back
    assert "<b>9</b>" not in page
    assert _entries() == []


def test_out_of_range_and_future_dates_show_their_errors(client, world, login):
    login("Agent")
    response = client.post(_log_url(world.ticket_a), data=_form(minutes="25h"))
    assert response.status_code == 400
    assert "Log between 1 minute and 24 hours per entry." in response.get_data(
        as_text=True
    )
    later = (utcnow().date() + dt.timedelta(days=3)).isoformat()
    response = client.post(_log_url(world.ticket_a), data=_form(spent_on=later))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Time cannot be logged in the future." in page
    assert 'id="time-spent_on-error"' in page
    assert _entries() == []


def test_logging_on_an_unknown_item_is_404(client, world, login):
    login("Agent")
    assert client.post("/time/999999/log", data=_form()).status_code == 404
    assert client.post(f"/time/{2**40}/log", data=_form()).status_code == 404
    assert _entries() == []


def test_the_log_form_needs_the_csrf_token(client, world, login, app, monkeypatch):
    login("Agent")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(_log_url(world.ticket_a), data=_form()).status_code == 400
    assert _entries() == []


def test_hostile_notes_are_escaped(client, world, login):
    agent = login("Agent")
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    entry = time_service.log_time(world.ticket_a.id, agent, minutes=5, note=hostile)
    for url in (_show_url(world.ticket_a), f"/time/entry/{entry.id}/delete"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(2)" not in page and "<img src=x" not in page
        assert str(escape(hostile)) in page


# ---- edit and delete ------------------------------------------------------------


def test_the_author_edits_and_deletes_an_entry(client, world, login):
    agent = login("Agent")
    entry = time_service.log_time(world.ticket_a.id, agent, minutes=90, note="First")
    page = client.get(f"/time/entry/{entry.id}/edit").get_data(as_text=True)
    assert 'value="90"' in page and 'value="First"' in page
    response = client.post(
        f"/time/entry/{entry.id}/edit",
        data=_form(minutes="2:15", note="Second", billable=None),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#time")
    [stored] = _entries()
    assert (stored.minutes, stored.note, stored.billable) == (135, "Second", False)
    response = client.post(f"/time/entry/{entry.id}/edit", data=_form(minutes="x"))
    assert response.status_code == 400
    assert 'id="entry-minutes-error"' in response.get_data(as_text=True)
    assert _entries()[0].minutes == 135
    confirm = client.get(f"/time/entry/{entry.id}/delete")
    assert confirm.status_code == 200 and "2h 15m" in confirm.get_data(as_text=True)
    assert _entries()  # asking deletes nothing
    response = client.post(f"/time/entry/{entry.id}/delete")
    assert response.status_code == 302
    assert _entries() == []
    assert client.post(f"/time/entry/{entry.id}/delete").status_code == 404


def test_another_agent_sees_no_buttons_and_gets_403(
    client, world, login, make_user, sign_in
):
    author = make_user("Agent")
    entry = time_service.log_time(world.ticket_a.id, author, minutes=30)
    login("Agent")
    page = client.get(_show_url(world.ticket_a)).get_data(as_text=True)
    assert "Total: 30m" in page
    assert f"/time/entry/{entry.id}/edit" not in page
    assert client.get(f"/time/entry/{entry.id}/edit").status_code == 403
    assert client.post(f"/time/entry/{entry.id}/edit", data=_form()).status_code == 403
    assert client.post(f"/time/entry/{entry.id}/delete").status_code == 403
    assert _entries()[0].minutes == 30
    sign_in(world.admin)
    page = client.get(_show_url(world.ticket_a)).get_data(as_text=True)
    assert f"/time/entry/{entry.id}/edit" in page


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_managers_and_admins_change_anyones_entry(client, world, login, role):
    entry = time_service.log_time(world.ticket_a.id, world.admin, minutes=30)
    login(role)
    response = client.post(f"/time/entry/{entry.id}/edit", data=_form(minutes="40"))
    assert response.status_code == 302
    assert _entries()[0].minutes == 40
    assert client.post(f"/time/entry/{entry.id}/delete").status_code == 302
    assert _entries() == []


# ---- customers and anonymous visitors ---------------------------------------------


def _time_routes(world) -> list[tuple[str, str]]:
    entry = time_service.log_time(world.ticket_a.id, world.admin, minutes=30)
    return [
        ("post", _log_url(world.ticket_a)),
        ("get", f"/time/entry/{entry.id}/edit"),
        ("post", f"/time/entry/{entry.id}/edit"),
        ("get", f"/time/entry/{entry.id}/delete"),
        ("post", f"/time/entry/{entry.id}/delete"),
        ("get", API),
        ("get", f"{API}{entry.id}"),
        ("get", f"{API}_info"),
        ("post", API),
        ("put", f"{API}{entry.id}"),
        ("delete", f"{API}{entry.id}"),
    ]


def test_customers_get_403_or_404_on_every_time_route(client, world, sign_in):
    routes = _time_routes(world)
    sign_in(world.user_a)  # the requester of ticket_a
    for method, url in routes:
        body = {"item_id": world.ticket_a.id, "minutes": 5}
        kwargs = {"json": body} if url.startswith("/api/") else {"data": _form()}
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert b"Replaced the pump" not in response.data
    [entry] = _entries()
    assert entry.minutes == 30


def test_customers_never_see_the_panel(client, world, sign_in):
    time_service.log_time(world.ticket_a.id, world.admin, minutes=30, note="Secret")
    sign_in(world.user_a)
    response = client.get(_show_url(world.ticket_a))
    assert response.status_code in (403, 404)
    page = response.get_data(as_text=True)
    assert 'id="time"' not in page and "Secret" not in page
    ticket = client.get(f"/api/v1/ticket/{world.ticket_a.id}")
    assert ticket.status_code == 200
    assert "Secret" not in ticket.get_data(as_text=True)


def test_anonymous_visitors_are_sent_away(client, world):
    for method, url in _time_routes(world):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 401, 403, 404), (method, url)
    assert len(_entries()) == 1


# ---- REST ------------------------------------------------------------------------


def test_rest_round_trip(client, world, login, make_user):
    agent = login("Agent")
    created = client.post(
        API,
        json={
            "item_id": world.ticket_a.id,
            "minutes": "1:30",
            "spent_on": "2024-05-02",
            "billable": False,
            "note": "On site",
        },
    )
    assert created.status_code == 201, created.json
    entry_id = created.json["id"]
    result = created.json["result"]
    assert (result["minutes"], result["spent_on"], result["billable"]) == (
        90,
        "2024-05-02",
        False,
    )
    assert result["user_id"] == agent.id and result["user_name"]
    time_service.log_time(world.ticket_a2.id, world.admin, minutes=10)
    time_service.log_time(world.ticket_a.id, world.admin, minutes=20)
    by_item = client.get(
        f"{API}?q=(filters:!((col:item_id,opr:eq,value:{world.ticket_a.id})))"
    )
    assert by_item.status_code == 200
    assert sorted(row["minutes"] for row in by_item.json["result"]) == [20, 90]
    by_user = client.get(f"{API}?q=(filters:!((col:user_id,opr:eq,value:{agent.id})))")
    assert [row["id"] for row in by_user.json["result"]] == [entry_id]
    shown = client.get(f"{API}{entry_id}")
    assert shown.status_code == 200 and shown.json["result"]["note"] == "On site"
    changed = client.put(f"{API}{entry_id}", json={"minutes": 45, "billable": True})
    assert changed.status_code == 200, changed.json
    assert (changed.json["result"]["minutes"], changed.json["result"]["note"]) == (
        45,
        "On site",
    )
    assert client.delete(f"{API}{entry_id}").status_code == 200
    assert client.get(f"{API}{entry_id}").status_code == 404
    assert client.delete(f"{API}{entry_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"minutes": "lots"}, 422, "minutes"),
        ({"minutes": [90]}, 422, "minutes"),
        ({"minutes": True}, 422, "minutes"),
        ({"minutes": 0}, 400, "minutes"),
        ({"minutes": 5000}, 400, "minutes"),
        ({"spent_on": "2999-01-01"}, 400, "spent_on"),
        ({"spent_on": "someday"}, 422, "spent_on"),
        ({"note": "x" * 5000}, 422, "note"),
        ({"note": "a\x00b"}, 400, "note"),
        ({"item_id": 999_999}, 404, None),
        ({"item_id": 2**40}, 422, "item_id"),
        ({"item_id": "1"}, 422, "item_id"),
        ({"item_id": None}, 422, "item_id"),
        ({"user_id": 1}, 422, "user_id"),
        ({"source": "import"}, 422, "source"),
    ],
)
def test_rest_refusals_are_4xx_json(client, world, login, body, status, field):
    login("Agent")
    payload = {"item_id": world.ticket_a.id, "minutes": 30, **body}
    response = client.post(API, json=payload)
    assert response.status_code == status, response.json
    if status == 422:
        assert field in response.json["message"]
    elif field:
        assert response.json["field"] == field and response.json["message"]
    assert _entries() == []


@pytest.mark.parametrize(
    "body", [None, [], "90", {"minutes": "x"}, {"spent_on": None}, {"item_id": 3}]
)
def test_rest_bad_corrections_change_nothing(client, world, login, body):
    agent = login("Agent")
    entry = time_service.log_time(world.ticket_a.id, agent, minutes=30)
    response = client.put(f"{API}{entry.id}", json=body)
    assert 400 <= response.status_code < 500, response.json
    assert _entries()[0].minutes == 30


def test_rest_someone_elses_entry_is_403_for_an_agent(client, world, login):
    entry = time_service.log_time(world.ticket_a.id, world.admin, minutes=30)
    login("Agent")
    assert client.get(f"{API}{entry.id}").status_code == 200
    response = client.put(f"{API}{entry.id}", json={"minutes": 5})
    assert response.status_code == 403 and response.json["message"]
    assert client.delete(f"{API}{entry.id}").status_code == 403
    assert _entries()[0].minutes == 30


@pytest.mark.parametrize("pk", ["999999", "abc", "9" * 40, "-1"])
def test_rest_unknown_entries_are_404(client, world, login, pk):
    login("Admin")
    assert client.get(f"{API}{pk}").status_code in (404, 405)
    assert client.put(f"{API}{pk}", json={"minutes": 5}).status_code in (404, 405)
    assert client.delete(f"{API}{pk}").status_code in (404, 405)


def test_rest_is_in_the_openapi_spec(client, login):
    login("Admin")
    spec = client.get("/api/v1/_openapi").json
    assert "/api/v1/timeentry/" in spec["paths"]


# ---- cost of the page ---------------------------------------------------------------


def test_item_page_query_count_does_not_grow_with_entries(app, client, world, login):
    agent = login("Agent")
    other = world.admin
    url = _show_url(world.ticket_a)
    time_service.log_time(world.ticket_a.id, agent, minutes=5)
    client.get(url)
    small = _count_queries(app, lambda: client.get(url))
    for n in range(19):
        time_service.log_time(
            world.ticket_a.id, other if n % 2 else agent, minutes=n + 1, note=f"#{n}"
        )
    large = _count_queries(app, lambda: client.get(url))
    assert large <= small, (small, large)
