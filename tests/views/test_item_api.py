"""The REST API: JWT login, OpenAPI, item writes through services, 409 and 422."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from app.extensions import db
from app.models import Item, ItemEvent
from tests.factories import PASSWORD


def test_openapi_spec_is_valid_and_lists_every_resource(client, login):
    login("Admin")
    response = client.get("/api/v1/_openapi")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    paths = spec["paths"]
    for resource in (
        "ticket",
        "task",
        "customer",
        "organization",
        "team",
        "portfolio",
        "project",
        "itemtype",
        "status",
    ):
        assert f"/api/v1/{resource}/" in paths


def test_jwt_login_then_list(client, world):
    response = client.post(
        "/api/v1/security/login",
        json={
            "username": world.admin.username,
            "password": PASSWORD,
            "provider": "db",
            "refresh": True,
        },
    )
    assert response.status_code == 200
    token = response.json["access_token"]
    listing = client.get(
        "/api/v1/ticket/", headers={"Authorization": f"Bearer {token}"}
    )
    assert listing.status_code == 200
    assert listing.json["count"] == 3


def test_a_tampered_jwt_is_refused(client, world):
    response = client.post(
        "/api/v1/security/login",
        json={"username": world.admin.username, "password": PASSWORD, "provider": "db"},
    )
    header, payload, signature = response.json["access_token"].split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    listing = client.get(
        "/api/v1/ticket/", headers={"Authorization": f"Bearer {forged}"}
    )
    assert listing.status_code in (401, 422)


def test_agent_creates_and_updates_a_ticket(client, world, sign_in):
    sign_in(world.admin)
    created = client.post(
        "/api/v1/ticket/",
        json={
            "title": "Chiller alarm",
            "item_type_id": world.ticket_type.id,
            "requester_id": world.customer_b.id,
            "priority": 5,
        },
    )
    assert created.status_code == 201, created.json
    item_id = created.json["id"]
    assert created.json["result"]["number"] == f"T-{item_id}"
    assert created.json["result"]["organization_id"] == world.org_b.id
    open_status = next(s for s in world.ticket_type.statuses if s.category == "open")
    updated = client.put(
        f"/api/v1/ticket/{item_id}",
        json={
            "status_id": open_status.id,
            "version": created.json["result"]["version"],
        },
    )
    assert updated.status_code == 200, updated.json
    assert updated.json["result"]["status"] == open_status.name
    kinds = {
        e.kind
        for e in db.session.scalars(db.select(ItemEvent).filter_by(item_id=item_id))
    }
    assert kinds == {"created", "status"}


def test_a_stale_version_is_409_and_changes_nothing(client, world, sign_in):
    sign_in(world.admin)
    ticket = world.ticket_a
    stale = ticket.version
    assert (
        client.put(
            f"/api/v1/ticket/{ticket.id}", json={"priority": 5, "version": stale}
        ).status_code
        == 200
    )
    conflict = client.put(
        f"/api/v1/ticket/{ticket.id}", json={"title": "Lost update", "version": stale}
    )
    assert conflict.status_code == 409
    db.session.expire_all()
    assert db.session.get(Item, ticket.id).title == "Filter is noisy"


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "x", "item_type_id": "1"},
        {"title": ["x"], "item_type_id": 1},
        {"title": None, "item_type_id": 1},
        {"title": "x", "item_type_id": 1, "priority": 9},
        {"title": "x" * 1_000_000, "item_type_id": 1},
        {"item_type_id": 1},
        [],
    ],
)
def test_bad_payloads_are_4xx_and_store_nothing(client, world, sign_in, payload):
    sign_in(world.admin)
    before = db.session.scalar(db.select(db.func.count(Item.id)))
    response = client.post("/api/v1/ticket/", json=payload)
    assert 400 <= response.status_code < 500
    assert db.session.scalar(db.select(db.func.count(Item.id))) == before


def test_a_nul_byte_in_the_title_is_refused(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        "/api/v1/ticket/",
        json={"title": "bad\x00title", "item_type_id": world.ticket_type.id},
    )
    assert response.status_code == 400
    assert response.json["field"] == "title"


def test_a_status_from_another_workflow_is_refused(client, world, sign_in):
    sign_in(world.admin)
    foreign = world.task_type.statuses[1]
    response = client.put(
        f"/api/v1/ticket/{world.ticket_a.id}", json={"status_id": foreign.id}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Item, world.ticket_a.id).status.is_default


def test_delete_archives_instead(client, world, sign_in):
    sign_in(world.admin)
    assert client.delete(f"/api/v1/ticket/{world.ticket_a.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Item, world.ticket_a.id).archived is True


def test_a_task_id_is_404_on_the_ticket_resource(client, world, sign_in):
    sign_in(world.admin)
    assert client.get(f"/api/v1/ticket/{world.task_a.id}").status_code == 404
    assert (
        client.put(
            f"/api/v1/ticket/{world.task_a.id}", json={"priority": 1}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/project/", {"name": "Pond", "organization": 999999}, "organization"),
        (
            "/api/v1/organization/",
            {"name": "Pond Ltd", "default_team": 999999},
            "default_team",
        ),
        (
            "/api/v1/customer/",
            {"email": "a@b.example", "organization": 999999},
            "organization",
        ),
    ],
)
def test_unknown_related_ids_are_refused(client, login, path, payload, field):
    from app.models import Organization, Project

    login("Admin")
    before = (
        db.session.scalar(db.select(db.func.count(Organization.id))),
        db.session.scalar(db.select(db.func.count(Project.id))),
    )
    response = client.post(path, json=payload)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_data(as_text=True)
    after = (
        db.session.scalar(db.select(db.func.count(Organization.id))),
        db.session.scalar(db.select(db.func.count(Project.id))),
    )
    assert after == before


def test_unknown_related_id_on_update_is_refused(client, login):
    from tests import factories

    login("Admin")
    project = factories.ProjectFactory(name="Pond")
    response = client.put(
        f"/api/v1/project/{project.id}", json={"organization": 424242}
    )
    assert response.status_code in (400, 422)  # FAB's edit schema answers 422
    db.session.expire_all()
    assert db.session.get(type(project), project.id).organization_id is None
