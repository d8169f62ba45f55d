"""Rule validation: every malformed draft is refused with the widget to blame."""

from __future__ import annotations

import pytest

from app.errors import InvalidInputError
from app.services.automation import catalog, templates, validation


@pytest.fixture
def base(ticket_type):
    return {
        "name": "Printer tickets",
        "object": "ticket",
        "trigger": "created",
        "conditions": {
            "match": "all",
            "groups": [
                {
                    "match": "any",
                    "conditions": [
                        {"field": "title", "op": "contains", "value": " printer "},
                        {
                            "field": "item_type",
                            "op": "in",
                            "value": [str(ticket_type.id)],
                        },
                    ],
                }
            ],
        },
        "actions": [{"type": "set_priority", "priority": "5"}],
        "enabled": True,
    }


def test_a_good_rule_is_normalised(base, ticket_type):
    cleaned = validation.clean_rule(base)
    [group] = cleaned["conditions"]["groups"]
    assert group["match"] == "any"
    assert group["conditions"][0]["value"] == "printer"
    assert group["conditions"][1]["value"] == [ticket_type.id]
    assert cleaned["actions"] == [{"type": "set_priority", "priority": 5}]
    assert cleaned["trigger_options"] == {} and cleaned["stop_processing"] is False


def _broken(base, path, value):
    target = base
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return base


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("name", "  ", "name"),
        ("object", "invoice", "object"),
        ("trigger", "exploded", "trigger"),
        ("conditions.groups.0.conditions.0.field", "password", "conditions.0.0.field"),
        ("conditions.groups.0.conditions.0.op", "gt", "conditions.0.0.op"),
        ("conditions.groups.0.conditions.0.value", "", "conditions.0.0.value"),
        (
            "conditions.groups.0.conditions.1.value",
            ["999999"],
            "conditions.0.1.value.0",
        ),
        (
            "conditions.groups.0.conditions.1.value",
            ["1; drop"],
            "conditions.0.1.value.0",
        ),
        ("actions", [], "actions"),
        ("actions.0.type", "rm_rf", "actions.0.type"),
        ("actions.0.priority", "9", "actions.0.priority"),
        ("position", "first", "position"),
    ],
)
def test_bad_drafts_name_the_widget(base, path, value, field):
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(_broken(base, path, value))
    assert caught.value.field == field


def test_status_and_time_options(base, ticket_type):
    base["trigger"] = "time_based"
    base["trigger_options"] = {"hours": "0", "statuses": ["category:waiting"]}
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "trigger_options.hours"
    base["trigger_options"] = {"hours": "24", "statuses": []}
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "trigger_options.statuses"
    base["trigger_options"] = {"hours": "24", "statuses": ["category:nap"]}
    with pytest.raises(InvalidInputError):
        validation.clean_rule(base)
    status = ticket_type.statuses[0]
    base["trigger_options"] = {"hours": "24", "statuses": [f"status:{status.id}"]}
    assert validation.clean_rule(base)["trigger_options"] == {
        "hours": 24,
        "statuses": [f"status:{status.id}"],
    }


def test_text_templates_must_render(base):
    base["actions"] = [{"type": "add_note", "text": "{{ item.number "}]
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "actions.0.text"
    base["actions"] = [{"type": "add_note", "text": "{{ ''.__class__ }}"}]
    with pytest.raises(InvalidInputError):
        validation.clean_rule(base)


def test_send_email_to_an_address_needs_one(base):
    base["actions"] = [{"type": "send_email", "template": "resolved", "to": "address"}]
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "actions.0.address"
    base["actions"][0]["address"] = "not an address"
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "actions.0.address"


def test_actions_must_suit_the_object(base):
    base["object"] = "project"
    base["conditions"] = {}
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "actions.0.type"


def test_garbage_shapes_never_crash(base):
    for garbage in (None, 5, "x", [1], {"groups": "x"}, {"groups": [5, None]}):
        base["conditions"] = garbage
        try:
            validation.clean_rule(base)
        except InvalidInputError:
            pass
    base["conditions"] = {"groups": [{"conditions": [None]}]}
    with pytest.raises(InvalidInputError):
        validation.clean_rule(base)


def test_too_many_conditions(base):
    row = {"field": "priority", "op": "eq", "value": 1}
    base["conditions"] = {"groups": [{"conditions": [row] * 31}]}
    with pytest.raises(InvalidInputError) as caught:
        validation.clean_rule(base)
    assert caught.value.field == "conditions"


def test_editor_schema_lists_every_trigger_and_action(ticket_type, task_type):
    schema = catalog.editor_schema()
    ticket = schema["objects"]["ticket"]
    assert {t["key"] for t in ticket["triggers"]} == set(
        catalog.OBJECT_TRIGGERS["ticket"]
    )
    assert "convert_to_task" in {a["key"] for a in ticket["actions"]}
    assert "convert_to_task" not in {
        a["key"] for a in schema["objects"]["task"]["actions"]
    }
    assert {a["key"] for a in schema["objects"]["project"]["actions"]} == {
        "create_task"
    }
    types = next(f for f in ticket["fields"] if f["key"] == "item_type")
    assert [ticket_type.id, "Question"] in types["options"]


@pytest.mark.parametrize("key", [t.key for t in templates.TEMPLATES])
def test_every_template_is_a_valid_rule_once_choices_are_made(
    key, ticket_type, task_type, make_user
):
    from app.extensions import db
    from app.models import SlaPolicy
    from tests import factories

    team = factories.TeamFactory(members=[make_user("Agent")])
    organization = factories.OrganizationFactory()
    db.session.add(SlaPolicy(name="Sample SLA", first_response_minutes=240))
    db.session.commit()
    draft = templates.draft(key)
    for group in draft["conditions"]["groups"]:
        for row in group["conditions"]:
            if row["field"] == "organization" and row["op"] == "in":
                row["value"] = [organization.id]
    cleaned = validation.clean_rule(draft)
    assert cleaned["name"] and cleaned["actions"]
    if key in ("assign_by_type", "route_organization"):
        assert cleaned["actions"][0]["team"] == team.id  # the desk's team, filled in
