"""Customers, organizations and projects through their forms and the API."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Customer, Organization, Project


def test_organization_form_saves_domains_and_refuses_twins(client, world, login):
    login("Manager")
    response = client.post(
        "/organizations/add",
        data={
            "name": "Nordlys AS",
            "domain_list": "Nordlys.no, nordlys.no\nservice.nordlys.no",
        },
    )
    assert response.status_code == 302
    org = db.session.scalar(db.select(Organization).filter_by(name="Nordlys AS"))
    assert org.domain_names == "nordlys.no, service.nordlys.no"
    client.post("/organizations/add", data={"name": "ＮＯＲＤＬＹＳ as"})
    assert (
        db.session.scalar(
            db.select(db.func.count(Organization.id)).where(
                Organization.name_key == "nordlys as"
            )
        )
        == 1
    )


def test_customer_form_refuses_a_bad_address(client, world, login):
    login("Agent")
    client.post("/customers/add", data={"name": "Bad", "email": "not an address"})
    assert db.session.scalar(db.select(Customer).filter_by(name="Bad")) is None
    client.post("/customers/add", data={"name": "Good", "email": "Pia@Aquaterra.RU"})
    good = db.session.scalar(db.select(Customer).filter_by(name="Good"))
    assert good.email == "pia@aquaterra.ru"
    assert good.organization_id == world.org_a.id


def test_project_api_refuses_an_end_before_the_start(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        "/api/v1/project/",
        json={
            "name": "Backwards",
            "planned_start": "2026-12-10",
            "planned_end": "2026-12-01",
        },
    )
    assert response.status_code == 400
    assert response.json["field"] == "planned_end"
    assert db.session.scalar(db.select(Project).filter_by(name="Backwards")) is None


RESOURCES = [
    "ticket",
    "task",
    "customer",
    "organization",
    "team",
    "portfolio",
    "project",
    "itemtype",
    "status",
]
JUNK = [
    {},
    {"name": None, "title": None},
    {"name": ["x"], "title": {"a": 1}, "email": 5},
    {"name": "x" * 100_000, "title": "y" * 100_000, "email": "a@b.c" * 1000},
    {"name": "\x00", "title": "\x00", "kind": "\x00", "category": "bogus"},
    {"parent": 999999, "organization": 999999, "portfolio": -1, "item_type": "x"},
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_junk_never_causes_a_server_error(client, world, sign_in, resource):
    sign_in(world.admin)
    for payload in JUNK:
        created = client.post(f"/api/v1/{resource}/", json=payload)
        assert created.status_code < 500, (resource, payload, created.json)
        updated = client.put(f"/api/v1/{resource}/1", json=payload)
        assert updated.status_code < 500, (resource, payload, updated.json)
    assert client.post(f"/api/v1/{resource}/", data="{not json").status_code < 500
