"""Role × screen/resource × action: who may open what; denied pages show no data."""

from __future__ import annotations

import pytest

ROLES = ("Admin", "Manager", "Agent", "Customer", None)
ALLOW, DENY = "allow", "deny"

DESK_PAGES = [
    "/tickets/list/",
    "/tickets/add",
    "/tasks/list/",
    "/customers/list/",
    "/organizations/list/",
    "/projects/list/",
    "/projects/archived/list/",
    "/portfolios/list/",
    "/tree/customers/",
    "/tree/portfolios/",
    "/lookup/customers?q=a",
    "/jobrunmodelview/list/",
]
CONFIG_PAGES = [
    "/itemtypes/list/",
    "/statuses/list/",
    "/teams/list/",
    "/customfields/list/",
    "/settings/portal/form",
    "/users/list/",
    "/roles/list/",
]
PAGE_RULES = {
    "Admin": {**dict.fromkeys(DESK_PAGES, ALLOW), **dict.fromkeys(CONFIG_PAGES, ALLOW)},
    "Manager": {
        **dict.fromkeys(DESK_PAGES, ALLOW),
        **dict.fromkeys(CONFIG_PAGES, DENY),
    },
    "Agent": {**dict.fromkeys(DESK_PAGES, ALLOW), **dict.fromkeys(CONFIG_PAGES, DENY)},
    "Customer": dict.fromkeys(DESK_PAGES + CONFIG_PAGES, DENY),
    None: dict.fromkeys(DESK_PAGES + CONFIG_PAGES, DENY),
}

API_READS = [
    "ticket",
    "task",
    "customer",
    "organization",
    "project",
    "portfolio",
    "team",
    "itemtype",
    "status",
]
API_RULES = {
    "Admin": dict.fromkeys(API_READS, 200),
    "Manager": dict.fromkeys(API_READS, 200),
    "Agent": dict.fromkeys(API_READS, 200),
    "Customer": {
        **dict.fromkeys(API_READS, 403),
        "ticket": 200,
        "customer": 200,
        "organization": 200,
        "itemtype": 200,
    },
    None: dict.fromkeys(API_READS, 401),
}


def _sign_in_as(role, login):
    if role is not None:
        user = login(role)
        if role == "Customer":
            from app.extensions import db
            from app.models import Customer

            db.session.add(
                Customer(
                    email=user.email, name="c", user_id=user.id, phone="", notes=""
                )
            )
            db.session.commit()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", DESK_PAGES + CONFIG_PAGES)
def test_page_access(client, login, role, path):
    _sign_in_as(role, login)
    response = client.get(path)
    if PAGE_RULES[role][path] == ALLOW:
        assert response.status_code == 200, (role, path, response.status_code)
    else:
        assert response.status_code in (302, 401, 403), (
            role,
            path,
            response.status_code,
        )
        if response.status_code == 302:
            assert "/login" in response.headers["Location"] or response.headers[
                "Location"
            ].endswith("/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", API_READS)
def test_api_read_access(client, login, role, resource):
    _sign_in_as(role, login)
    response = client.get(f"/api/v1/{resource}/")
    assert response.status_code == API_RULES[role][resource], (role, resource)


@pytest.mark.parametrize("role", ["Manager", "Agent", "Customer"])
@pytest.mark.parametrize(
    "resource,payload",
    [
        (
            "itemtype",
            {
                "kind": "ticket",
                "name": "Sneaky",
                "icon": "fa-x",
                "color": "#000000",
                "enabled": True,
                "position": 1,
            },
        ),
        ("status", {"name": "Sneaky", "category": "open", "color": "#000000"}),
        ("team", {"name": "Sneaky team", "description": ""}),
    ],
)
def test_only_admins_change_configuration(client, login, role, resource, payload):
    _sign_in_as(role, login)
    response = client.post(f"/api/v1/{resource}/", json=payload)
    assert response.status_code == 403
    listing = client.get(f"/api/v1/{resource}/")
    names = (
        [row.get("name") for row in listing.json.get("result", [])]
        if (listing.status_code == 200)
        else []
    )
    assert "Sneaky" not in names and "Sneaky team" not in names


@pytest.mark.parametrize("role", ["Manager", "Agent"])
def test_staff_cannot_manage_users_or_roles(client, login, role):
    _sign_in_as(role, login)
    assert client.get("/users/add").status_code in (302, 403)
    assert client.post("/roles/add", data={"name": "Admin2"}).status_code in (302, 403)
    from app.extensions import db
    from app.models import AtriumUser

    role_model = AtriumUser.roles.property.mapper.class_
    assert db.session.scalar(db.select(role_model).filter_by(name="Admin2")) is None


def test_customers_cannot_update_or_delete_tickets_through_the_api(
    client, world, sign_in
):
    sign_in(world.user_a)
    ticket = world.ticket_a
    assert (
        client.put(f"/api/v1/ticket/{ticket.id}", json={"title": "x"}).status_code
        == 403
    )
    assert client.delete(f"/api/v1/ticket/{ticket.id}").status_code == 403


def test_the_last_admin_cannot_be_removed_through_role_pages(client, login):
    login("Agent")
    assert client.post("/users/delete/1").status_code in (302, 403, 404, 405)
