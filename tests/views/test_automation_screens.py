"""Configuration → Automation rules (list, editor, templates, preview) and the log."""

from __future__ import annotations

import copy
import html
import json
import re

import pytest
from flask import render_template

from app.extensions import db
from app.models import (
    AutomationRule,
    AutomationRun,
    Item,
    ItemEvent,
    Message,
    OutboundEmail,
    SlaPolicy,
)
from app.services.automation import engine
from app.services.automation import templates as rule_templates
from app.views.automation_log import automation_panel
from tests import factories
from tests.rule_conditions import when, when_all
from tests.views.test_item_screens import _count_queries

NEW = "/automation/rules/new"
PREVIEW = "/automation/rules/preview"
LIST = "/automation/rules/list/"
TEMPLATES = "/automation/rules/templates"
LOG = "/automation/log/list/"
HOSTILE = "<script>alert(1)</script>"


def _draft(**changes) -> dict:
    """A rule as the editor's JavaScript posts it."""
    draft = {
        "name": "Printer tickets",
        "description": "Urgent hardware",
        "object": "ticket",
        "trigger": "created",
        "trigger_options": {},
        "conditions": when("title", "contains", "printer"),
        "actions": [{"type": "set_priority", "priority": "5"}],
        "position": "3",
        "enabled": True,
        "stop_processing": False,
    }
    draft.update(changes)
    return draft


def _post(client, url: str, draft) -> object:
    raw = draft if isinstance(draft, str) else json.dumps(draft)
    return client.post(url, data={"rule": raw})


def _rule_count() -> int:
    return db.session.scalar(db.select(db.func.count(AutomationRule.id)))


def _editor_data(page: str) -> dict:
    """The JSON the editor page hands to its script."""
    found = re.search(
        r'<script type="application/json" id="rule-editor-data">(.*?)</script>',
        page,
        re.S,
    )
    return json.loads(found.group(1))


def _only_rule() -> AutomationRule:
    db.session.expire_all()
    return db.session.scalars(db.select(AutomationRule)).one()


def test_admin_creates_a_rule_in_the_editor(client, world, login):
    login("Admin")
    page = client.get(NEW)
    assert page.status_code == 200
    data = _editor_data(page.get_data(as_text=True))
    assert set(data["schema"]["objects"]) == {"ticket", "task", "project", "timeentry"}
    assert data["draft"]["object"] == "ticket" and data["error"] is None
    response = _post(client, NEW, _draft())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(LIST)
    rule = _only_rule()
    assert (rule.name, rule.description, rule.object, rule.trigger) == (
        "Printer tickets",
        "Urgent hardware",
        "ticket",
        "created",
    )
    assert rule.conditions == {
        "match": "all",
        "groups": [
            {
                "match": "all",
                "conditions": [
                    {"field": "title", "op": "contains", "value": "printer"}
                ],
            }
        ],
    }
    assert rule.actions == [{"type": "set_priority", "priority": 5}]
    assert (rule.position, rule.enabled, rule.stop_processing) == (3, True, False)
    assert rule.trigger_options == {}


def test_editing_keeps_the_id_and_shows_the_stored_rule(client, world, login):
    login("Admin")
    _post(client, NEW, _draft())
    rule_id = _only_rule().id
    page = client.get(f"/automation/rules/{rule_id}/edit").get_data(as_text=True)
    data = _editor_data(page)
    assert data["draft"]["name"] == "Printer tickets"
    assert data["draft"]["actions"] == [{"type": "set_priority", "priority": 5}]
    assert 'value="Printer tickets"' in page
    response = _post(
        client,
        f"/automation/rules/{rule_id}/edit",
        _draft(name="Printers, renamed", stop_processing=True),
    )
    assert response.status_code == 302
    rule = _only_rule()
    assert (rule.id, rule.name, rule.stop_processing) == (
        rule_id,
        "Printers, renamed",
        True,
    )


def test_fab_list_links_open_the_editor(client, world, login):
    login("Admin")
    _post(client, NEW, _draft())
    rule_id = _only_rule().id
    add = client.get("/automation/rules/add")
    assert add.status_code == 302 and add.headers["Location"].endswith(NEW)
    edit = client.get(f"/automation/rules/edit/{rule_id}")
    assert edit.headers["Location"].endswith(f"/automation/rules/{rule_id}/edit")
    assert client.get("/automation/rules/edit/abc").status_code == 404
    assert client.get("/automation/rules/999999/edit").status_code == 404


def test_fab_forms_cannot_store_raw_json(client, world, login):
    login("Admin")
    _post(client, NEW, _draft())
    rule = _only_rule()
    raw = {"name": "Raw", "actions": '[{"type": "rm"}]', "object": "invoice"}
    assert client.post("/automation/rules/add", data=raw).status_code == 302
    assert client.post(f"/automation/rules/edit/{rule.id}", data=raw).status_code == 302
    assert _rule_count() == 1
    assert _only_rule().name == "Printer tickets"
    assert client.get(f"/automation/rules/show/{rule.id}").status_code in (302, 403)


def _another_workflow_status(world) -> dict:
    status = world.task_type.statuses[0]
    return _draft(actions=[{"type": "set_status", "status": f"status:{status.id}"}])


def _with_condition(**row) -> dict:
    draft = _draft()
    draft["conditions"]["groups"][0]["conditions"][0].update(row)
    return draft


INVALID = {
    "unknown field": (
        lambda world: _with_condition(field="password"),
        "conditions.0.0.field",
        "Choose a field.",
    ),
    "missing value": (
        lambda world: _with_condition(value=""),
        "conditions.0.0.value",
        "Enter a text to compare with.",
    ),
    "bad priority": (
        lambda world: _draft(actions=[{"type": "set_priority", "priority": "9"}]),
        "actions.0.priority",
        "Choose a priority from 1 to 5.",
    ),
    "status of another workflow": (
        _another_workflow_status,
        "actions.0.status",
        "Choose a status of this kind of item.",
    ),
    "missing name": (lambda world: _draft(name="  "), "name", "Give the rule a name."),
    "time-based without hours": (
        lambda world: _draft(
            trigger="time_based", trigger_options={"statuses": ["category:waiting"]}
        ),
        "trigger_options.hours",
        "Enter a whole number of hours",
    ),
    "no actions": (lambda world: _draft(actions=[]), "actions", "Add at least one"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_drafts_are_shown_again_with_the_message(client, world, login, case):
    build, field, message = INVALID[case]
    login("Admin")
    draft = build(world)
    response = _post(client, NEW, draft)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert html.escape(message, quote=False) in page
    assert 'id="rule-error-summary"' in page
    data = _editor_data(page)
    assert data["error"]["field"] == field
    assert data["draft"] == draft  # the admin's work comes back as posted
    assert _rule_count() == 0


def test_invalid_edit_changes_nothing(client, world, login):
    login("Admin")
    _post(client, NEW, _draft())
    rule = _only_rule()
    response = _post(client, f"/automation/rules/{rule.id}/edit", _draft(name=""))
    assert response.status_code == 400
    assert _only_rule().name == "Printer tickets"


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "",
        "[1, 2]",
        '"a string"',
        "null",
        "[" * 100_000,
        json.dumps(_draft(name="x" * 300_000)),
    ],
    ids=["broken", "empty", "list", "string", "null", "deep", "huge"],
)
def test_unreadable_or_huge_posts_are_refused(client, world, login, raw):
    login("Admin")
    response = _post(client, NEW, raw)
    assert response.status_code in (400, 413)
    assert _rule_count() == 0
    if response.status_code == 400:
        page = response.get_data(as_text=True)
        assert 'id="rule-error-summary"' in page
        assert _editor_data(page)["draft"]["object"] == "ticket"


def test_a_post_without_the_rule_field_is_refused(client, world, login):
    login("Admin")
    assert client.post(NEW, data={}).status_code == 400
    assert _rule_count() == 0


GARBAGE = [
    {"conditions": "x"},
    {"conditions": {"groups": [None, 5, {"conditions": "x"}]}},
    {"conditions": {"groups": [{"conditions": [None, [], {"field": []}]}]}},
    {"actions": [None]},
    {"actions": "set_priority"},
    {"actions": [{"type": ["set_priority"]}]},
    {"object": []},
    {"object": {"a": 1}},
    {"trigger": None},
    {"trigger_options": [1]},
    {"trigger": "status_changed", "trigger_options": {"to": "status:1"}},
    {"trigger": "time_based", "trigger_options": {"hours": [], "statuses": {}}},
    {"name": {"a": 1}},
    {"name": "\x00"},
    {"position": None},
    {"position": "1e9"},
    {"position": []},
    {"description": ["x"]},
    # Digits int() cannot read, and numbers JSON cannot hold.
    {"position": "²"},
    {"position": "--5"},
    {"position": "9" * 5000},
    {"trigger": "time_based", "trigger_options": {"hours": "²", "statuses": []}},
    {"trigger": "time_based", "trigger_options": {"hours": "9" * 5000}},
]


def _one_condition(**row) -> dict:
    return {"conditions": {"groups": [{"conditions": [row]}]}}


GARBAGE += [
    _one_condition(field="cf:²", op="in"),
    _one_condition(field="cf:" + "9" * 5000),
    _one_condition(field="item_type", op="in", value=["²"]),
    *(
        _one_condition(field="priority", op="eq", value=number)
        for number in ("NaN", "inf", "-Infinity", "1e999")
    ),
]


@pytest.mark.parametrize("changes", GARBAGE)
def test_garbage_never_gives_a_server_error(client, world, login, changes):
    login("Admin")
    response = _post(client, NEW, _draft(**changes))
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        _editor_data(response.get_data(as_text=True))
        assert _rule_count() == 0
    preview = client.post(
        PREVIEW,
        data={
            "rule": json.dumps(_draft(**changes)),
            "item": world.ticket_a.number,
        },
    )
    assert preview.status_code in (200, 400)


@pytest.mark.parametrize("number", ["NaN", "inf", "-Infinity", "1e999"])
def test_numbers_json_cannot_hold_are_refused(client, world, login, number):
    login("Admin")
    draft = _draft(**_one_condition(field="priority", op="eq", value=number))
    response = _post(client, NEW, draft)
    assert response.status_code == 400
    data = _editor_data(response.get_data(as_text=True))
    assert data["error"]["field"] == "conditions.0.0.value"
    assert _rule_count() == 0


def test_templates_page_lists_every_template(client, world, login):
    login("Admin")
    page = client.get(TEMPLATES).get_data(as_text=True)
    for template in rule_templates.TEMPLATES:
        # Lazy strings are trusted markup in Jinja (they are ours, not user data).
        assert f"<h2>{template.name}</h2>" in page
        assert f"<p>{template.description}</p>" in page
        assert f"{NEW}?template={template.key}" in page


def test_unknown_template_is_not_found(client, world, login):
    login("Admin")
    assert client.get(f"{NEW}?template=nope").status_code == 404


@pytest.fixture
def desk_defaults(world, make_user):
    """What templates fill in: a team with a member and an enabled SLA policy."""
    team = factories.TeamFactory(members=[make_user("Agent")])
    policy = SlaPolicy(name="Standard", first_response_minutes=240)
    db.session.add(policy)
    db.session.commit()
    return team, policy


#: Templates whose defaults leave a choice to the administrator: the widget to fill.
NEEDS_A_CHOICE = {"route_organization": "conditions.0.0.value"}


@pytest.mark.parametrize("key", [t.key for t in rule_templates.TEMPLATES])
def test_each_template_opens_in_the_editor_and_saves(
    client, world, login, desk_defaults, key
):
    login("Admin")
    page = client.get(f"{NEW}?template={key}")
    assert page.status_code == 200
    draft = _editor_data(page.get_data(as_text=True))["draft"]
    assert draft["name"] == str(rule_templates.TEMPLATES_BY_KEY[key].name)
    assert _rule_count() == 0  # opening a template saves nothing
    response = _post(client, NEW, draft)
    if key in NEEDS_A_CHOICE:
        assert response.status_code == 400
        assert (
            _editor_data(response.get_data(as_text=True))["error"]["field"]
            == (NEEDS_A_CHOICE[key])
        )
        assert _rule_count() == 0
        draft["conditions"]["groups"][0]["conditions"][0]["value"] = [
            str(world.org_a.id)
        ]
        response = _post(client, NEW, draft)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert _only_rule().name == draft["name"]


def test_a_template_without_its_choice_asks_for_it(client, world, login):
    """No SLA policy on the desk yet: "apply an SLA" must be given one."""
    login("Admin")
    page = client.get(f"{NEW}?template=apply_sla").get_data(as_text=True)
    response = _post(client, NEW, _editor_data(page)["draft"])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _editor_data(page)["error"]["field"] == "actions.0.policy"
    assert "This setting is required." in page
    assert _rule_count() == 0


def _footprint(item_id: int) -> tuple:
    db.session.expire_all()
    item = db.session.get(Item, item_id)

    def count(model) -> int:
        return db.session.scalar(db.select(db.func.count(model.id)))

    return (
        item.version,
        item.priority,
        item.status_id,
        item.team_id,
        count(AutomationRule),
        count(AutomationRun),
        count(ItemEvent),
        count(Message),
        count(OutboundEmail),
    )


def _preview(client, draft, item: str):
    return client.post(PREVIEW, data={"rule": json.dumps(draft), "item": item})


def test_preview_shows_a_match_and_the_changes_without_writing(client, world, login):
    login("Admin")
    ticket = world.ticket_a  # "Filter is noisy", priority 3
    before = _footprint(ticket.id)
    draft = _draft(
        conditions=when_all(
            ("title", "contains", "noisy"),
            ("item_type", "in", [str(world.ticket_type.id)]),
        ),
        actions=[
            {"type": "set_priority", "priority": "5"},
            {"type": "add_note", "text": "Looked at {{ item.number }}"},
            {"type": "public_reply", "text": "We are on it."},
        ],
    )
    response = _preview(client, draft, ticket.number)
    assert response.status_code == 200
    result = response.json
    assert result["matched"] is True and result["error"] == ""
    [lines] = result["groups"]
    assert [line["matched"] for line in lines] == [True, True]
    assert lines[0]["actual"] == "Filter is noisy"
    assert lines[1]["actual"] == "Question"
    assert any(
        change.startswith("Priority") and change.endswith("→ 5")
        for change in result["changes"]
    ), result["changes"]
    assert any(ticket.number in change for change in result["changes"])
    assert _footprint(ticket.id) == before


def test_preview_of_a_rule_that_does_not_match(client, world, login):
    login("Admin")
    response = _preview(client, _draft(), world.ticket_a.number.lower())
    assert response.status_code == 200
    assert response.json["matched"] is False
    [[line]] = response.json["groups"]
    assert line["matched"] is False and line["expected"] == "printer"


def test_preview_of_a_project_rule(client, world, login):
    login("Admin")
    before = _footprint(world.task_a.id)
    draft = _draft(
        object="project",
        conditions=when("name", "contains", "tank"),
        actions=[{"type": "create_task", "title": "Kick-off"}],
    )
    response = _preview(client, draft, str(world.project_a.id))
    assert response.status_code == 200
    assert response.json["matched"] is True
    assert response.json["changes"]
    assert _footprint(world.task_a.id) == before


@pytest.mark.parametrize(
    "item", ["T-999999", "", "abc", "K-1; drop", "x" * 500, "T-²", "9" * 5000]
)
def test_preview_of_an_unknown_item(client, world, login, item):
    login("Admin")
    response = _preview(client, _draft(), item)
    assert response.status_code == 404
    assert response.json["field"] == "item" and response.json["message"]


def test_preview_of_a_task_number_for_a_ticket_rule(client, world, login):
    login("Admin")
    assert _preview(client, _draft(), world.task_a.number).status_code == 404


def test_preview_shows_validation_errors_like_save(client, world, login):
    login("Admin")
    response = _preview(client, _with_condition(field="password"), "T-1")
    assert response.status_code == 400
    assert response.json == {
        "message": "Choose a field.",
        "field": "conditions.0.0.field",
    }
    response = client.post(PREVIEW, data={"rule": "{oops", "item": "T-1"})
    assert response.status_code == 400 and response.json["field"] == "rule"


ADMIN_ONLY_GETS = [
    LIST,
    NEW,
    f"{NEW}?template=apply_sla",
    TEMPLATES,
    "/automation/rules/add",
    "/automation/rules/{rule_id}/edit",
    "/automation/rules/edit/{rule_id}",
]


def _rule_in_db(world) -> AutomationRule:
    rule = AutomationRule(
        name="Existing",
        object="ticket",
        trigger="created",
        trigger_options={},
        conditions={},
        actions=[{"type": "set_priority", "priority": 4}],
        enabled=True,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def _denied(response) -> bool:
    return response.status_code in (302, 401, 403)


@pytest.mark.parametrize("role", ["Manager", "Agent", "Customer", None])
def test_only_admins_reach_the_rules(client, world, login, role):
    rule = _rule_in_db(world)
    if role is not None:
        login(role)
    for path in ADMIN_ONLY_GETS:
        response = client.get(path.format(rule_id=rule.id))
        assert _denied(response), (path, response.status_code)
        assert "Existing" not in response.get_data(as_text=True)
    assert _denied(_post(client, NEW, _draft()))
    assert _denied(_post(client, f"/automation/rules/{rule.id}/edit", _draft()))
    preview = _preview(client, _draft(), world.ticket_a.number)
    assert _denied(preview)
    assert b"matched" not in preview.data
    for name in ("disable", "delete_rules"):
        client.post(
            "/automation/rules/action_post", data={"action": name, "rowid": rule.id}
        )
    assert _denied(client.post(f"/automation/rules/delete/{rule.id}"))
    db.session.expire_all()
    assert _rule_count() == 1
    rule = _only_rule()
    assert (rule.name, rule.enabled) == ("Existing", True)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("Admin", True), ("Manager", True), ("Agent", False), ("Customer", False)],
)
def test_admins_and_managers_read_the_log(client, world, login, role, allowed):
    login(role)
    response = client.get(LOG)
    assert (response.status_code == 200) is allowed
    if not allowed:
        assert _denied(response)


def test_rule_list_shows_translated_labels_and_switches_rules(client, world, login):
    login("Admin")
    rule = _rule_in_db(world)
    page = client.get(LIST).get_data(as_text=True)
    assert "Existing" in page and "is created" in page and "Ticket" in page
    assert TEMPLATES in page and NEW in page
    client.post(
        "/automation/rules/action_post",
        data={"action": "disable", "rowid": [rule.id, 999999]},
    )
    assert _only_rule().enabled is False
    client.post(
        "/automation/rules/action_post", data={"action": "enable", "rowid": rule.id}
    )
    assert _only_rule().enabled is True
    search = client.get(f"{LIST}?_flt_0_trigger=created").get_data(as_text=True)
    assert "Existing" in search
    client.post(
        "/automation/rules/action_post",
        data={"action": "delete_rules", "rowid": rule.id},
    )
    assert _rule_count() == 0


def _run(rule, item, **fields) -> AutomationRun:
    run = AutomationRun(
        rule_id=rule.id if rule else None,
        rule_name=fields.pop("rule_name", rule.name if rule else ""),
        item_id=item.id,
        trigger=fields.pop("trigger", "created"),
        matched=fields.pop("matched", True),
        changes=fields.pop("changes", []),
        error=fields.pop("error", ""),
        depth=fields.pop("depth", 0),
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_log_shows_runs_readably(client, world, login):
    rule = _rule_in_db(world)
    _run(
        rule,
        world.ticket_a,
        changes=[
            {"field": "priority", "old": "3", "new": "4"},
            {"action": "add_note", "detail": "<b>bold</b>"},
        ],
    )
    _run(rule, world.task_a, rule_name="", matched=False, error=engine.LOOP_ERROR)
    login("Manager")
    page = client.get(LOG).get_data(as_text=True)
    assert "The rules kept triggering each other, so the chain was stopped." in page
    assert engine.LOOP_ERROR not in page
    assert f'href="/tickets/show/{world.ticket_a.id}"' in page
    assert f'href="/tasks/show/{world.task_a.id}"' in page
    assert "Priority: 3 → 4<br>" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert page.count(">Existing<") >= 2  # the loop row names its last rule


def test_log_filters(client, world, login):
    rule = _rule_in_db(world)
    other = _rule_in_db(world)
    other.name = "Other rule"
    db.session.commit()
    _run(rule, world.ticket_a, matched=True)
    _run(other, world.ticket_a2, matched=False, error="Boom")
    login("Admin")

    def listed(query: str) -> str:
        return client.get(f"{LOG}?{query}").get_data(as_text=True)

    assert "Boom" in listed("_flt_0_error=yes")
    assert "Boom" not in listed("_flt_0_error=no")
    assert world.ticket_a.title not in listed("_flt_0_error=yes")
    assert "Boom" in listed(f"_flt_0_rule={other.id}")
    assert "Boom" not in listed(f"_flt_0_rule={rule.id}")
    assert "Boom" not in listed("_flt_0_matched=y")


def test_log_query_count_does_not_grow(app, client, world, login):
    rule = _rule_in_db(world)
    login("Admin")
    _run(rule, world.ticket_a)
    client.get(LOG)
    small = _count_queries(app, lambda: client.get(LOG))
    for item in (world.ticket_a2, world.ticket_b, world.task_a) * 10:
        _run(rule, item, changes=[{"field": "priority", "old": "1", "new": "2"}])
    large = _count_queries(app, lambda: client.get(LOG))
    assert large <= small + 2, (small, large)


def test_hostile_rule_names_are_escaped_everywhere(client, world, login):
    login("Admin")
    _post(client, NEW, _draft(name=HOSTILE, description=HOSTILE))
    rule = _only_rule()
    assert rule.name == HOSTILE
    _run(rule, world.ticket_a, error=HOSTILE)
    for path in (LIST, f"/automation/rules/{rule.id}/edit", LOG):
        page = client.get(path).get_data(as_text=True)
        assert HOSTILE not in page, path
        assert "alert(1)" in page, path
    response = _post(client, NEW, _draft(name=HOSTILE, actions=[]))
    assert HOSTILE not in response.get_data(as_text=True)


def test_item_panel_lists_runs(app, world):
    rule = _rule_in_db(world)
    rule.name = HOSTILE
    db.session.commit()
    _run(rule, world.ticket_a, changes=[{"field": "priority", "old": "3", "new": "5"}])
    _run(rule, world.ticket_a, rule_name="", matched=False, error=engine.LOOP_ERROR)
    runs = db.session.scalars(
        db.select(AutomationRun).order_by(AutomationRun.id.desc())
    ).all()
    with app.test_request_context("/"):
        page = render_template(
            "atrium/_item_automation.html", automation_runs=automation_panel(runs)
        )
        assert HOSTILE not in page and html.escape(HOSTILE) in page
        assert "Priority: 3 → 5" in page
        assert "The rules kept triggering each other" in page
        assert page.index("Did not match") < page.index("Matched")  # newest first
        hidden = render_template("atrium/_item_automation.html", automation_runs=None)
        assert hidden.strip() == ""
        assert render_template("atrium/_item_automation.html").strip() == ""
        empty = render_template("atrium/_item_automation.html", automation_runs=[])
        assert "No automation rule has looked at this item yet." in empty


def test_the_posted_draft_is_not_changed_by_rendering(client, world, login):
    """What the page hands back is exactly the admin's draft (no silent fixes)."""
    login("Admin")
    draft = _with_condition(op="gt")
    response = _post(client, NEW, copy.deepcopy(draft))
    assert _editor_data(response.get_data(as_text=True))["draft"] == draft


def test_editor_posts_need_the_csrf_token(build_app, world, make_user):
    app = build_app(WTF_CSRF_ENABLED=True)
    admin = make_user("Admin")
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    client.post(
        "/login/",
        data={
            "username": admin.username,
            "password": factories.PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    editor = client.get(NEW).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', editor).group(1)
    rule = json.dumps(_draft())
    assert client.post(NEW, data={"rule": rule}).status_code == 400
    item = world.ticket_a.number
    assert client.post(PREVIEW, data={"rule": rule, "item": item}).status_code == 400
    assert _rule_count() == 0
    preview = client.post(
        PREVIEW, data={"rule": rule, "item": item, "csrf_token": token}
    )
    assert preview.status_code == 200
    saved = client.post(NEW, data={"rule": rule, "csrf_token": token})
    assert saved.status_code == 302 and _rule_count() == 1
