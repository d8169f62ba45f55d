"""Hostile text typed into items, customers and organizations is shown inert."""

from __future__ import annotations

import re

import pytest

from app.services import items as item_service
from app.services import organizations as organization_service

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<svg onload=alert(3)>",
    '" jav&#x09;ascript:alert(4)"',
]


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert not re.search(r"<(img|svg)[^>]*\son\w+=", html, re.I)
    assert 'href="javascript:' not in html.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped_on_every_screen(client, world, login, payload):
    org = organization_service.create_organization(f"Org {payload}"[:190])
    customer = organization_service.get_or_create_customer(
        "mallory@evil-corp.ru", name=payload[:100]
    )
    ticket = item_service.create_item(
        world.admin,
        kind="ticket",
        title=payload,
        description=payload,
        item_type_id=world.ticket_type.id,
        requester_id=customer.id,
        organization_id=org.id,
    )
    login("Agent")
    for path in (
        "/tickets/list/",
        f"/tickets/show/{ticket.id}",
        f"/tickets/edit/{ticket.id}",
        "/customers/list/",
        "/organizations/list/",
        "/tree/customers/",
        f"/tree/level/organization/{org.id}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_inert(response.get_data(as_text=True))
    for path in ("/lookup/customers?q=mallory", "/lookup/organizations?q=Org"):
        response = client.get(path)
        # Data, not markup: JSON that select2 inserts as text, never sniffed as HTML.
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.json["results"]
