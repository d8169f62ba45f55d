"""Time in a real browser: an agent logs time on the item page, on a wide screen and
on a phone; an admin builds and tests a time entry rule in the rule editor."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AutomationRule, TimeEntry
from app.services import items as item_service
from app.services import time_entries as time_service
from app.services import workflows as workflow_service
from tests.browser.test_rule_editor import _no_horizontal_scroll, _shoot, _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def pump_ticket(make_user):
    agent = make_user("Agent", username="time-agent")
    ticket_type = workflow_service.create_item_type("ticket", "Repair")
    ticket = item_service.create_item(
        agent, kind="ticket", title="The pump is loud", item_type_id=ticket_type.id
    )
    return agent, ticket


def _entries() -> list[TimeEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(TimeEntry).order_by(TimeEntry.id)))


@pytest.mark.parametrize("width", [1280, 390])
def test_agent_logs_time_on_the_item_page(live_server, page, pump_ticket, width):
    agent, ticket = pump_ticket
    page.set_viewport_size({"width": width, "height": 844})
    _sign_in(page, live_server, agent.username)
    page.goto(f"{live_server}/tickets/show/{ticket.id}")
    panel = page.locator("#time")
    panel.get_by_label("Time spent").fill("lots")
    panel.get_by_label("Note").fill("Replaced the bearing")
    panel.get_by_role("button", name="Log time").click()
    page.wait_for_load_state("networkidle")
    minutes = page.locator("#time").get_by_label("Time spent")
    assert minutes.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{minutes.get_attribute('aria-describedby')}")
    assert "1h 30m" in error.inner_text()
    assert page.locator("#time").get_by_label("Note").input_value() == (
        "Replaced the bearing"
    )
    assert _entries() == []
    minutes.fill("1h 30m")
    page.locator("#time").get_by_role("button", name="Log time").click()
    page.wait_for_load_state("networkidle")
    panel = page.locator("#time")
    assert "Total: 1h 30m" in panel.inner_text()
    assert "Replaced the bearing" in panel.locator("tbody").inner_text()
    assert _no_horizontal_scroll(page)
    _shoot(page, f"time-panel-{width}.png")
    [entry] = _entries()
    assert (entry.minutes, entry.user_id, entry.billable) == (90, agent.id, True)


def test_admin_builds_and_tests_a_time_entry_rule(
    live_server, page, pump_ticket, make_user
):
    agent, ticket = pump_ticket
    time_service.log_time(ticket.id, agent, minutes=40, note="Diagnosis")
    admin = make_user("Admin", username="time-admin")
    _sign_in(page, live_server, admin.username)
    page.goto(f"{live_server}/automation/rules/new")
    page.get_by_label("Name", exact=True).fill("Work started")
    page.get_by_label("What the rule watches").select_option(label="Time entry")
    triggers = page.get_by_label("When it runs").locator("option").all_inner_texts()
    assert triggers == ["is created", "is updated"]
    page.get_by_role("button", name="Add a group of conditions").click()
    field = page.get_by_label("Field", exact=True)
    labels = field.locator("option").all_inner_texts()
    assert labels[1:5] == ["Minutes logged", "Billable", "Logged by", "Note"]
    field.select_option(label="Minutes logged")
    page.get_by_label("Comparison").select_option(label="≥")
    page.get_by_label("Value", exact=True).fill("30")
    page.get_by_role("button", name="Add an action").click()
    page.get_by_label("Action", exact=True).select_option(label="Set status")
    page.get_by_label("Status", exact=True).select_option("category:open")

    page.get_by_label("Item number", exact=False).fill(ticket.number)
    page.keyboard.press("Enter")
    result = page.locator("#rule-preview-result")
    result.get_by_text("The rule matches this item.").wait_for()
    assert "40" in result.locator("tbody tr").first.inner_text()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "/automation/rules/list/" in page.url
    db.session.expire_all()
    rule = db.session.scalars(db.select(AutomationRule)).one()
    assert (rule.object, rule.trigger) == ("timeentry", "created")
    assert rule.conditions["groups"][0]["conditions"] == [
        {"field": "minutes", "op": "gte", "value": 30}
    ]
