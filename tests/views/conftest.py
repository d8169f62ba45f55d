"""Two organizations with customers, staff and items, for permission tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.extensions import db
from app.models import Customer
from app.services import items as item_service
from app.services import organizations as organization_service
from app.services import projects as project_service
from app.services import workflows as workflow_service
from tests.factories import PASSWORD


@dataclass
class World:
    """Org A and org B, each with a customer account and items; a staff admin."""

    admin: object
    ticket_type: object
    task_type: object
    org_a: object
    org_b: object
    customer_a: Customer
    customer_a2: Customer
    customer_b: Customer
    user_a: object
    user_a2: object
    user_b: object
    ticket_a: object
    ticket_a2: object
    ticket_b: object
    task_a: object
    project_a: object


def _customer_account(make_user, email: str, username: str):
    user = make_user("Customer", username=username, email=email)
    customer = organization_service.get_or_create_customer(email, name=username)
    customer.user_id = user.id
    db.session.commit()
    return user, customer


@pytest.fixture
def world(make_user) -> World:
    admin = make_user("Admin", username="boss")
    ticket_type = workflow_service.create_item_type("ticket", "Question")
    task_type = workflow_service.create_item_type("task", "Task")
    org_a = organization_service.create_organization(
        "Aquaterra", domains=["aquaterra.ru"]
    )
    org_b = organization_service.create_organization(
        "Climatec", domains=["climatec.pt"]
    )
    user_a, customer_a = _customer_account(make_user, "ivan@aquaterra.ru", "ivan")
    user_a2, customer_a2 = _customer_account(make_user, "olga@aquaterra.ru", "olga")
    user_b, customer_b = _customer_account(make_user, "ana@climatec.pt", "ana")
    project_a = project_service.create_project("Nemo tank", organization_id=org_a.id)

    def ticket(requester, title):
        return item_service.create_item(
            admin,
            kind="ticket",
            title=title,
            item_type_id=ticket_type.id,
            requester_id=requester.id,
        )

    return World(
        admin=admin,
        ticket_type=ticket_type,
        task_type=task_type,
        org_a=org_a,
        org_b=org_b,
        customer_a=customer_a,
        customer_a2=customer_a2,
        customer_b=customer_b,
        user_a=user_a,
        user_a2=user_a2,
        user_b=user_b,
        ticket_a=ticket(customer_a, "Filter is noisy"),
        ticket_a2=ticket(customer_a2, "Lamp flickers"),
        ticket_b=ticket(customer_b, "Air conditioner leaks"),
        task_a=item_service.create_item(
            admin,
            kind="task",
            title="Install tank",
            item_type_id=task_type.id,
            project_id=project_a.id,
            organization_id=org_a.id,
        ),
        project_a=project_a,
    )


@pytest.fixture
def sign_in(client):
    """Sign the test client in as an existing user."""

    def _sign_in(user) -> None:
        client.get("/logout/")
        response = client.post(
            "/login/", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302

    return _sign_in
