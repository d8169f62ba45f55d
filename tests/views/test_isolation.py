"""Two organizations: a customer sees only what they should, through every door."""

from __future__ import annotations

import prison
import pytest

from app.extensions import db
from app.models import Item
from app.services.settings import PORTAL_VISIBILITY, set_setting


def _ids(client, resource: str) -> set[int]:
    response = client.get(f"/api/v1/{resource}/?q={prison.dumps({'page_size': 100})}")
    assert response.status_code == 200
    return {row["id"] for row in response.json["result"]}


def test_customer_sees_their_organizations_tickets_only(client, world, sign_in):
    sign_in(world.user_a)
    assert _ids(client, "ticket") == {world.ticket_a.id, world.ticket_a2.id}


def test_another_organizations_ticket_is_404(client, world, sign_in):
    sign_in(world.user_a)
    assert client.get(f"/api/v1/ticket/{world.ticket_b.id}").status_code == 404
    assert client.get(f"/api/v1/ticket/{world.ticket_a.id}").status_code == 200


def test_customers_and_organizations_are_isolated(client, world, sign_in):
    sign_in(world.user_a)
    assert _ids(client, "customer") == {world.customer_a.id, world.customer_a2.id}
    assert _ids(client, "organization") == {world.org_a.id}
    assert client.get(f"/api/v1/customer/{world.customer_b.id}").status_code == 404
    assert client.get(f"/api/v1/organization/{world.org_b.id}").status_code == 404


@pytest.mark.parametrize(
    "visibility,expected",
    [
        ("own", {"ticket_a"}),
        ("organization", {"ticket_a", "ticket_a2"}),
        ("all", {"ticket_a", "ticket_a2", "ticket_b"}),
    ],
)
def test_portal_visibility_setting(client, world, sign_in, visibility, expected):
    set_setting(PORTAL_VISIBILITY, visibility)
    sign_in(world.user_a)
    assert _ids(client, "ticket") == {getattr(world, name).id for name in expected}


def test_list_equals_the_set_of_gettable_ids(client, world, sign_in):
    for user in (world.user_a, world.user_b, world.admin):
        sign_in(user)
        listed = _ids(client, "ticket")
        all_ids = db.session.scalars(db.select(Item.id).where(Item.kind == "ticket"))
        gettable = {
            i for i in all_ids if client.get(f"/api/v1/ticket/{i}").status_code == 200
        }
        assert listed == gettable


def test_mass_assignment_is_ignored_for_customers(client, world, sign_in):
    sign_in(world.user_a)
    response = client.post(
        "/api/v1/ticket/",
        json={
            "title": "Please help",
            "item_type_id": world.ticket_type.id,
            "organization_id": world.org_b.id,
            "requester_id": world.customer_b.id,
            "priority": 5,
            "assignee_id": world.admin.id,
            "status_id": world.ticket_type.statuses[-1].id,
        },
    )
    assert response.status_code == 201, response.json
    item = db.session.get(Item, response.json["id"])
    assert item.organization_id == world.org_a.id
    assert item.requester_id == world.customer_a.id
    assert item.priority == 3
    assert item.assignee_id is None
    assert item.status.is_default
    assert item.channel == "portal"


def test_unknown_fields_are_rejected(client, world, sign_in):
    sign_in(world.user_a)
    before = db.session.scalar(db.select(db.func.count(Item.id)))
    response = client.post(
        "/api/v1/ticket/",
        json={"title": "x", "item_type_id": world.ticket_type.id, "sla_id": 3},
    )
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Item.id))) == before


def test_customers_cannot_read_tasks_or_projects(client, world, sign_in):
    sign_in(world.user_a)
    assert client.get(f"/api/v1/task/{world.task_a.id}").status_code == 403
    assert client.get(f"/api/v1/project/{world.project_a.id}").status_code == 403


def test_info_and_related_offer_no_other_organization(client, world, sign_in):
    sign_in(world.user_a)
    info = client.get("/api/v1/ticket/_info")
    assert info.status_code == 200
    assert "Climatec" not in info.get_data(as_text=True)
    assert "ana@climatec.pt" not in info.get_data(as_text=True)
    related = client.get("/api/v1/customer/related/organization")
    assert related.status_code in (200, 403, 404)
    assert "Climatec" not in related.get_data(as_text=True)


def test_filtering_on_a_column_outside_search_columns_is_refused(
    client, world, sign_in
):
    sign_in(world.user_a)
    query = prison.dumps(
        {"filters": [{"col": "organization_id", "opr": "eq", "value": world.org_b.id}]}
    )
    response = client.get(f"/api/v1/ticket/?q={query}")
    assert response.status_code == 400


def test_search_metacharacters_return_no_extra_rows(client, world, sign_in):
    sign_in(world.user_a)
    for term in ("' OR 1=1--", "%", "_", "\\"):
        query = prison.dumps(
            {"filters": [{"col": "title", "opr": "ct", "value": term}]}
        )
        response = client.get(f"/api/v1/ticket/?q={query}")
        assert response.status_code == 200
        ids = {row["id"] for row in response.json["result"]}
        assert ids <= {world.ticket_a.id, world.ticket_a2.id}
        assert world.ticket_b.id not in ids


@pytest.mark.parametrize("page_size", [-1, 0, 100000])
def test_page_size_is_clamped(client, world, sign_in, page_size):
    sign_in(world.admin)
    response = client.get(f"/api/v1/ticket/?q={prison.dumps({'page_size': page_size})}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert len(response.json["result"]) <= 100


def test_ordering_by_a_secret_column_is_refused(client, world, sign_in):
    sign_in(world.admin)
    query = prison.dumps({"order_column": "password", "order_direction": "asc"})
    assert client.get(f"/api/v1/ticket/?q={query}").status_code == 400


def test_staff_screens_list_every_organization(client, world, sign_in):
    sign_in(world.admin)
    page = client.get("/tickets/list/").get_data(as_text=True)
    assert "Filter is noisy" in page and "Air conditioner leaks" in page
