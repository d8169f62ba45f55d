"""An administrator builds, tests and saves an automation rule in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import AutomationRule
from app.services import items as item_service
from app.services import workflows as workflow_service
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


def _sign_in(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.fixture
def printer_ticket(make_user):
    admin = make_user("Admin", username="rule-admin")
    ticket_type = workflow_service.create_item_type("ticket", "Incident")
    ticket = item_service.create_item(
        admin, kind="ticket", title="The printer jams", item_type_id=ticket_type.id
    )
    return admin, ticket


def _build_printer_rule(page) -> None:
    page.get_by_label("Name", exact=True).fill("Printer tickets")
    assert page.get_by_label("What the rule watches").input_value() == "ticket"
    assert page.get_by_label("When it runs").input_value() == "created"
    page.get_by_role("button", name="Add a group of conditions").click()
    field = page.get_by_label("Field", exact=True)
    assert field.evaluate("node => node === document.activeElement")
    field.select_option(label="Title")
    assert page.get_by_label("Comparison").input_value() == "contains"
    page.get_by_label("Value", exact=True).focus()
    page.keyboard.type("printer")
    page.get_by_role("button", name="Add an action").click()
    action = page.get_by_label("Action", exact=True)
    assert action.evaluate("node => node === document.activeElement")
    action.select_option(label="Set priority")
    page.get_by_label("Priority", exact=True).select_option("5")


def test_admin_builds_tests_and_saves_a_rule(live_server, page, printer_ticket):
    admin, ticket = printer_ticket
    _sign_in(page, live_server, admin.username)
    page.goto(f"{live_server}/automation/rules/list/")
    page.get_by_role("link", name="New rule").click()
    page.wait_for_load_state("networkidle")
    _build_printer_rule(page)

    page.get_by_label("Item number", exact=False).fill(ticket.number)
    page.keyboard.press("Enter")
    result = page.locator("#rule-preview-result")
    result.get_by_text("The rule matches this item.").wait_for()
    rows = result.locator("tbody tr")
    assert rows.count() == 1
    assert "✓" in rows.first.inner_text()
    assert "The printer jams" in rows.first.inner_text()
    assert "→ 5" in result.locator(".atrium-preview-changes").inner_text()
    _shoot(page, "rule-editor-1280.png")

    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(page)
    _shoot(page, "rule-editor-390.png")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "/automation/rules/list/" in page.url
    assert "Printer tickets" in page.locator("table.table-bordered").inner_text()
    db.session.expire_all()
    rule = db.session.scalars(db.select(AutomationRule)).one()
    assert rule.name == "Printer tickets" and rule.enabled
    assert rule.conditions["groups"][0]["conditions"] == [
        {"field": "title", "op": "contains", "value": "printer"}
    ]
    assert rule.actions == [{"type": "set_priority", "priority": 5}]


def test_errors_point_at_the_widget(live_server, page, printer_ticket):
    admin, ticket = printer_ticket
    _sign_in(page, live_server, admin.username)
    page.goto(f"{live_server}/automation/rules/new")
    _build_printer_rule(page)
    page.get_by_label("Value", exact=True).fill("")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#rule-error-summary").is_visible()
    value = page.get_by_label("Value", exact=True)
    assert value.get_attribute("aria-invalid") == "true"
    assert value.evaluate("node => node === document.activeElement")
    described = value.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text() == "Enter a text to compare with."
    # The draft came back: the rest of the rule is still there.
    assert page.get_by_label("Name", exact=True).input_value() == "Printer tickets"
    assert page.get_by_label("Priority", exact=True).input_value() == "5"
    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(page)
    _shoot(page, "rule-editor-error-390.png")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(AutomationRule.id))) == 0


def test_trigger_options_and_templates(live_server, page, printer_ticket):
    admin, _ticket = printer_ticket
    _sign_in(page, live_server, admin.username)
    page.goto(f"{live_server}/automation/rules/templates")
    _shoot(page, "rule-templates-1280.png")
    page.locator("#template-close_waiting").get_by_role(
        "link", name="Use this template"
    ).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_label("When it runs").input_value() == "time_based"
    assert page.get_by_label("Hours without an update").input_value() == "168"
    assert page.locator("fieldset.atrium-rule-action").count() == 2
    _shoot(page, "rule-editor-template-1280.png")
    page.get_by_label("When it runs").select_option("status_changed")
    assert page.locator("#rule-trigger-options select[data-key=to]").count() == 1
    assert page.get_by_label("Hours without an update").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    assert _no_horizontal_scroll(page)
    _shoot(page, "rule-editor-template-390.png")
    # A project rule offers project triggers and actions only.
    page.get_by_label("What the rule watches").select_option("project")
    triggers = page.get_by_label("When it runs").locator("option")
    assert triggers.all_inner_texts() == ["is created", "is updated"]
    first_action = page.locator("fieldset.atrium-rule-action").first
    assert first_action.get_by_label("Action", exact=True).input_value() == ""
    assert "Create a task in the project" in first_action.inner_text()


def test_type_ahead_values_are_saved_and_shown_by_name(
    live_server, page, printer_ticket, make_user
):
    admin, _ticket = printer_ticket
    make_user("Agent", username="olga", first_name="Olga", last_name="Petrova")
    _sign_in(page, live_server, admin.username)
    page.goto(f"{live_server}/automation/rules/new")
    _build_printer_rule(page)
    page.get_by_role("button", name="Add a condition").click()
    rows = page.locator(".atrium-rule-row")
    rows.nth(1).get_by_label("Field", exact=True).select_option(label="Assignee")
    rows.nth(1).locator(".select2-search__field").click()
    page.keyboard.type("Olga")
    page.locator(".select2-results__option", has_text="Olga Petrova").click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    db.session.expire_all()
    rule = db.session.scalars(db.select(AutomationRule)).one()
    olga = rule.conditions["groups"][0]["conditions"][1]
    assert olga["field"] == "assignee" and len(olga["value"]) == 1
    page.goto(f"{live_server}/automation/rules/{rule.id}/edit")
    chosen = page.locator(".atrium-rule-row").nth(1).locator(".select2-selection")
    assert "Olga Petrova" in chosen.inner_text()
    _shoot(page, "rule-editor-lookup-1280.png")
