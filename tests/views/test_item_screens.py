"""Agents working tickets and tasks in the generated screens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Item, ItemEvent
from app.services import items as item_service


def _form(world, **overrides):
    data = {
        "item_type": str(world.ticket_type.id),
        "title": "Pump makes noise",
        "description": "Since Monday",
        "requester": str(world.customer_a.id),
        "priority": "4",
    }
    data.update(overrides)
    return data


def test_agent_creates_a_ticket_in_the_form(client, world, login):
    agent = login("Agent")
    response = client.post("/tickets/add", data=_form(world))
    assert response.status_code == 302
    item = db.session.scalar(db.select(Item).filter_by(title="Pump makes noise"))
    assert item.kind == "ticket"
    assert item.organization_id == world.org_a.id
    assert item.priority == 4
    assert item.status.is_default
    assert item.created_by_id == agent.id
    events = db.session.scalars(db.select(ItemEvent).filter_by(item_id=item.id)).all()
    assert [e.kind for e in events] == ["created"]
    assert events[0].actor_id == agent.id


def test_a_bad_form_shows_an_error_and_saves_nothing(client, world, login):
    login("Agent")
    before = db.session.scalar(db.select(db.func.count(Item.id)))
    response = client.post(
        "/tickets/add", data=_form(world, title="", priority="9"), follow_redirects=True
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Item.id))) == before


def test_a_task_type_cannot_be_used_for_a_ticket(client, world, login):
    login("Agent")
    client.post(
        "/tickets/add",
        data=_form(world, item_type=str(world.task_type.id)),
        follow_redirects=True,
    )
    assert (
        db.session.scalar(db.select(Item).filter_by(title="Pump makes noise")) is None
    )


def test_editing_records_history_and_checks_the_workflow(client, world, login):
    login("Agent")
    ticket = world.ticket_a
    open_status = next(s for s in world.ticket_type.statuses if s.category == "open")
    edit = client.get(f"/tickets/edit/{ticket.id}").get_data(as_text=True)
    version = re.search(r'name="expected_version"[^>]*value="(\d+)"', edit).group(1)
    response = client.post(
        f"/tickets/edit/{ticket.id}",
        data={
            **_form(world, title=ticket.title),
            "status": str(open_status.id),
            "expected_version": version,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Item, ticket.id)
    assert item.status_id == open_status.id
    kinds = {
        e.kind
        for e in db.session.scalars(db.select(ItemEvent).filter_by(item_id=ticket.id))
    }
    assert {"status", "priority"} <= kinds
    page = client.get(f"/tickets/show/{ticket.id}").get_data(as_text=True)
    assert "History" in page


def test_a_stale_form_is_refused_and_nothing_is_overwritten(client, world, login):
    login("Agent")
    ticket = world.ticket_a
    stale = ticket.version
    item_service.set_priority(ticket.id, 5, world.admin)
    response = client.post(
        f"/tickets/edit/{ticket.id}",
        data={
            **_form(world, title="Overwritten"),
            "status": str(ticket.status_id),
            "expected_version": str(stale),
        },
        follow_redirects=True,
    )
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(Item, ticket.id)
    assert item.title == "Filter is noisy" and item.priority == 5


def test_archive_action_hides_nothing_it_should_not(client, world, login):
    login("Agent")
    response = client.post(
        "/tickets/action_post",
        data={"action": "archive", "rowid": [str(world.ticket_a.id)]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, world.ticket_a.id).archived is True
    assert db.session.get(Item, world.ticket_b.id).archived is False


def test_items_cannot_be_deleted(client, world, login):
    login("Admin")
    assert client.get(f"/tickets/delete/{world.ticket_a.id}").status_code == 404
    assert db.session.get(Item, world.ticket_a.id) is not None


def test_tree_pages_open_level_by_level(client, world, login):
    login("Agent")
    page = client.get("/tree/customers/").get_data(as_text=True)
    assert "Aquaterra" in page and "Climatec" in page
    level = client.get(f"/tree/level/organization/{world.org_a.id}").get_data(
        as_text=True
    )
    assert "Nemo tank" in level
    assert "Filter is noisy" in level
    project = client.get(f"/tree/level/project/{world.project_a.id}").get_data(
        as_text=True
    )
    assert "Install tank" in project
    assert client.get("/tree/level/bogus/1").status_code == 404


def test_remote_lookup_searches_and_pages(client, world, login):
    login("Agent")
    response = client.get("/lookup/customers?q=olga")
    assert response.status_code == 200
    assert [row["text"] for row in response.json["results"]] == [
        "olga <olga@aquaterra.ru>"
    ]
    assert client.get("/lookup/nothing").status_code == 404
    assert client.get("/lookup/customers?q=%25").json["results"] == []
    for odd in ("T-²", "K-" + "9" * 5000, "T-١٢"):  # digits int() rejects or overflows
        assert client.get("/lookup/items", query_string={"q": odd}).status_code == 200


def test_the_add_form_never_embeds_a_whole_table(client, world, login):
    login("Agent")
    page = client.get("/tickets/add").get_data(as_text=True)
    assert 'data-endpoint="/lookup/customers"' in page
    assert "ana@climatec.pt" not in page
    listing = client.get("/tickets/list/").get_data(as_text=True)
    assert "ana@climatec.pt" not in listing and "olga@aquaterra.ru" not in listing


def test_team_members_are_picked_among_staff_only(client, world, login):
    login("Admin")
    page = client.get("/teams/add").get_data(as_text=True)
    assert world.admin.get_full_name() in page
    assert world.user_a.get_full_name() not in page


def _count_queries(app, func) -> int:
    statements: list[str] = []

    def record(*args, **kwargs):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():  # a fresh session, as a real request has
            func()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


@pytest.mark.parametrize(
    "path",
    ["/tickets/list/", "/api/v1/ticket/", "/customers/list/", "/organizations/list/"],
)
def test_query_count_does_not_grow_with_rows(app, client, world, login, path):
    login("Admin")
    client.get(path)
    small = _count_queries(app, lambda: client.get(path))
    for n in range(40):
        item_service.create_item(
            world.admin,
            kind="ticket",
            title=f"More {n}",
            item_type_id=world.ticket_type.id,
            requester_id=(world.customer_a if n % 2 else world.customer_b).id,
            assignee_id=world.admin.id,
        )
    large = _count_queries(app, lambda: client.get(path))
    assert large <= small + 2, (small, large)


def test_counts_stop_at_the_cap(app, client, world, login, monkeypatch):
    from app.views import datamodel

    for n in range(3):
        item_service.create_item(
            world.admin,
            kind="ticket",
            title=f"Extra {n}",
            item_type_id=world.ticket_type.id,
        )
    monkeypatch.setattr(datamodel, "COUNT_CAP", 2)
    login("Admin")
    page = client.get("/tickets/list/").get_data(as_text=True)
    assert "Filter is noisy" in page  # every row of the page is still listed
    response = client.get("/api/v1/ticket/")
    assert response.json["count"] == 3  # six tickets, counted up to COUNT_CAP + 1
    assert len(response.json["result"]) == 6
