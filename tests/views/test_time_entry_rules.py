"""Rules on time entries in the rule editor: choices, saving, and the preview."""

from __future__ import annotations

import json

from app.extensions import db
from app.models import AutomationRule, AutomationRun, Item, TimeEntry
from app.services import time_entries as time_service
from tests.views.test_automation_screens import NEW, PREVIEW, _editor_data


def _draft(agent_id: int, **changes) -> dict:
    """A time entry rule as the editor's JavaScript posts it."""
    draft = {
        "name": "Time logged on a new ticket",
        "description": "",
        "object": "timeentry",
        "trigger": "created",
        "trigger_options": {},
        "conditions": {
            "match": "all",
            "groups": [
                {
                    "match": "all",
                    "conditions": [
                        {"field": "minutes", "op": "gte", "value": "15"},
                        {"field": "billable", "op": "is_true", "value": None},
                        {"field": "logged_by", "op": "in", "value": [str(agent_id)]},
                        {"field": "note", "op": "contains", "value": "pump"},
                        {"field": "status_category", "op": "in", "value": ["new"]},
                    ],
                }
            ],
        },
        "actions": [{"type": "set_status", "status": "category:open"}],
        "position": "1",
        "enabled": True,
        "stop_processing": False,
    }
    draft.update(changes)
    return draft


def _preview(client, draft: dict, item: str):
    return client.post(PREVIEW, data={"rule": json.dumps(draft), "item": item})


def _footprint() -> tuple[int, ...]:
    count = db.func.count
    return (
        db.session.scalar(db.select(count(TimeEntry.id))),
        db.session.scalar(db.select(count(AutomationRun.id))),
        db.session.scalar(db.select(db.func.sum(Item.version))),
    )


def test_the_editor_offers_time_entries(client, world, login):
    login("Admin")
    data = _editor_data(client.get(NEW).get_data(as_text=True))
    entry = data["schema"]["objects"]["timeentry"]
    assert entry["label"] == "Time entry"
    assert [t["key"] for t in entry["triggers"]] == ["created", "updated"]
    fields = {f["key"]: f for f in entry["fields"]}
    assert fields["minutes"]["kind"] == "number"
    assert fields["billable"]["kind"] == "bool"
    assert fields["logged_by"]["lookup"] == "agents"
    assert fields["note"]["kind"] == "text"
    for item_field in ("status", "status_category", "assignee", "team", "item_type"):
        assert item_field in fields
    assert "priority" not in fields  # only tickets and tasks have it
    actions = {a["key"] for a in entry["actions"]}
    assert {"set_status", "set_assignee", "add_note", "send_email"} <= actions
    assert "set_priority" not in actions and "create_task" not in actions
    status = next(a for a in entry["actions"] if a["key"] == "set_status")
    assert status["params"][0]["options"]  # categories and statuses to pick


def test_admin_saves_a_time_entry_rule_and_opens_it_again(client, world, login):
    login("Admin")
    response = client.post(NEW, data={"rule": json.dumps(_draft(world.admin.id))})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rule = db.session.scalars(db.select(AutomationRule)).one()
    assert (rule.object, rule.trigger) == ("timeentry", "created")
    rows = rule.conditions["groups"][0]["conditions"]
    assert rows[0] == {"field": "minutes", "op": "gte", "value": 15}
    assert rows[2] == {"field": "logged_by", "op": "in", "value": [world.admin.id]}
    page = client.get(f"/automation/rules/{rule.id}/edit").get_data(as_text=True)
    data = _editor_data(page)
    assert data["draft"]["object"] == "timeentry"
    assert data["labels"]["agents"] == {str(world.admin.id): str(world.admin)}
    assert '<option value="timeentry" selected>' in page


def test_item_fields_that_time_entries_lack_are_refused(client, world, login):
    login("Admin")
    draft = _draft(world.admin.id)
    draft["conditions"]["groups"][0]["conditions"] = [
        {"field": "priority", "op": "eq", "value": "3"}
    ]
    response = client.post(NEW, data={"rule": json.dumps(draft)})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(AutomationRule.id))) == 0
    draft = _draft(world.admin.id, actions=[{"type": "set_priority", "priority": "5"}])
    assert client.post(NEW, data={"rule": json.dumps(draft)}).status_code == 400


def test_preview_uses_the_items_latest_entry(client, world, login, make_user):
    agent = make_user("Agent")
    time_service.log_time(world.ticket_a.id, world.admin, minutes=5, note="call")
    time_service.log_time(world.ticket_a.id, agent, minutes=45, note="New pump")
    login("Admin")
    before = _footprint()
    response = _preview(client, _draft(agent.id), world.ticket_a.number)
    assert response.status_code == 200, response.json
    result = response.json
    assert result["matched"] is True and result["error"] == ""
    [lines] = result["groups"]
    actual = {line["field"]: line["actual"] for line in lines}
    assert actual["Minutes logged"] == "45"
    assert actual["Billable"] == "yes"
    assert actual["Logged by"] == str(agent)
    assert actual["Note"] == "New pump"
    assert any(change.startswith("Status") for change in result["changes"])
    assert _footprint() == before
    db.session.expire_all()
    assert db.session.get(Item, world.ticket_a.id).status.category == "new"


def test_preview_against_a_task_and_a_plain_number(client, world, login, make_user):
    agent = make_user("Agent")
    time_service.log_time(world.task_a.id, agent, minutes=5, billable=False)
    login("Admin")
    for ref in (world.task_a.number, str(world.task_a.id)):
        response = _preview(client, _draft(agent.id), ref)
        assert response.status_code == 200
        assert response.json["matched"] is False
        misses = [line for line in response.json["groups"][0] if not line["matched"]]
        assert {line["field"] for line in misses} >= {"Minutes logged", "Billable"}


def test_preview_of_an_item_without_time_says_so(client, world, login):
    login("Admin")
    response = _preview(client, _draft(world.admin.id), world.ticket_a.number)
    assert response.status_code == 404
    assert response.json == {
        "message": f"No time has been logged on {world.ticket_a.number} yet.",
        "field": "item",
    }
    response = _preview(client, _draft(world.admin.id), "T-999999")
    assert response.status_code == 404
    assert response.json["message"] == "No item or project with this number."
