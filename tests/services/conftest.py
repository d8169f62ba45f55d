"""Fixtures for service tests: item types, staff and customer accounts, a ticket."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.extensions import db
from app.models import AtriumUser, Customer, Item, ItemEvent, ItemType, Organization
from app.services import items as item_service
from app.services.workflows import create_item_type
from tests import factories


@pytest.fixture
def ticket_type() -> ItemType:
    return create_item_type("ticket", "Question")


@pytest.fixture
def task_type() -> ItemType:
    return create_item_type("task", "Work package", icon="fa-check")


@pytest.fixture
def agent(make_user) -> AtriumUser:
    return make_user("Agent")


@pytest.fixture
def make_customer_user(make_user) -> Callable[..., tuple[AtriumUser, Customer]]:
    """A portal account: a Customer-role user linked to a Customer row."""

    def _make(
        organization: Organization | None = None, **fields: object
    ) -> tuple[AtriumUser, Customer]:
        user = make_user("Customer", **fields)
        customer = factories.CustomerFactory(
            email=user.email, organization=organization, user=user
        )
        return user, customer

    return _make


@pytest.fixture
def requester(make_customer_user) -> Customer:
    """Ivan of Aquaterra, a customer with a portal account."""
    org = factories.OrganizationFactory(name="Aquaterra")
    _user, customer = make_customer_user(org, email="ivan@aquaterra.ru")
    return customer


@pytest.fixture
def ticket(agent, ticket_type, requester) -> Item:
    """Ivan's ticket, entered by an agent."""
    return item_service.create_item(
        agent,
        kind="ticket",
        title="Pump is noisy",
        item_type_id=ticket_type.id,
        requester_id=requester.id,
    )


@pytest.fixture
def events() -> Callable[..., list[ItemEvent]]:
    """The history of an item, oldest first, optionally of one kind."""

    def _events(item_id: int, kind: str | None = None) -> list[ItemEvent]:
        query = db.select(ItemEvent).where(ItemEvent.item_id == item_id)
        if kind is not None:
            query = query.where(ItemEvent.kind == kind)
        return list(db.session.scalars(query.order_by(ItemEvent.id)))

    return _events


@pytest.fixture
def sink(app, smtp_sink, monkeypatch):
    """The session's SMTP sink, with outgoing mail pointed at it."""
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_sink.port)
    return smtp_sink
