"""Each action type, conditions on every kind of field, and the preview."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.models import (
    AutomationRule,
    AutomationRun,
    CustomField,
    Item,
    Message,
    OutboundEmail,
    Project,
)
from app.services import items as item_service
from app.services.automation import conditions, engine, rules
from app.services.custom_fields import save_item_custom_values
from app.services.messages import MessageDraft, post_message
from tests import factories
from tests.rule_conditions import when, when_all


def _rule(actions, **fields) -> AutomationRule:
    data = {
        "name": fields.pop("name", "Rule"),
        "object": fields.pop("object", "ticket"),
        "trigger": fields.pop("trigger", "created"),
        "trigger_options": fields.pop("trigger_options", {}),
        "conditions": fields.pop("conditions", {"match": "all", "groups": []}),
        "actions": actions,
        "enabled": True,
        **fields,
    }
    return rules.save_rule(None, data)


def _reload(item_id: int) -> Item:
    db.session.expire_all()
    return db.session.get(Item, item_id)


def _last_run() -> AutomationRun:
    return db.session.scalars(
        db.select(AutomationRun).order_by(AutomationRun.id.desc()).limit(1)
    ).one()


@pytest.fixture
def organization():
    return factories.OrganizationFactory(name="Aquaria Ltd", domain_list=["aquaria.ca"])


@pytest.fixture
def customer(organization):
    return factories.CustomerFactory(
        email="olga@aquaria.ca", name="Olga", organization=organization
    )


def _ticket(agent, ticket_type, **fields) -> Item:
    fields.setdefault("title", "Pump is noisy")
    return item_service.create_item(
        agent, kind="ticket", item_type_id=ticket_type.id, **fields
    )


def test_customer_project_is_created_once_and_reused(agent, ticket_type, customer):
    _rule([{"type": "customer_project"}], conditions=when("organization", "is_set"))
    first = _ticket(agent, ticket_type, requester_id=customer.id)
    second = _ticket(agent, ticket_type, requester_id=customer.id)
    projects = db.session.scalars(db.select(Project)).all()
    assert [p.name for p in projects] == ["Aquaria Ltd"]
    assert projects[0].organization_id == customer.organization_id
    assert (
        _reload(first.id).project_id == _reload(second.id).project_id == projects[0].id
    )


def test_customer_project_without_organization_is_an_error(agent, ticket_type):
    _rule([{"type": "customer_project"}])
    item = _ticket(agent, ticket_type)
    assert _last_run().error == "The item has no organization."
    assert _reload(item.id).project_id is None


def test_public_reply_mails_the_requester(agent, ticket_type, customer):
    _rule(
        [
            {
                "type": "public_reply",
                "text": "Hi {{ recipient.name }}, {{ item.number }} is in.",
            }
        ]
    )
    item = _ticket(agent, ticket_type, requester_id=customer.id)
    [message] = db.session.scalars(db.select(Message).filter_by(item_id=item.id)).all()
    assert message.is_public and message.body_text == f"Hi Olga, {item.number} is in."
    assert message.author_user.is_system
    mails = db.session.scalars(
        db.select(OutboundEmail).filter_by(item_id=item.id, event="public_reply")
    ).all()
    assert [m.to_address for m in mails] == ["olga@aquaria.ca"]
    # An automatic reply is not the agent's first response.
    assert _reload(item.id).first_response_at is None


def test_internal_note_and_followers(agent, ticket_type, make_user):
    boss = make_user("Manager")
    _rule(
        [
            {"type": "add_note", "text": "Watch {{ item.title }}"},
            {"type": "add_followers", "users": [boss.id]},
        ]
    )
    item = _ticket(agent, ticket_type)
    [note] = db.session.scalars(db.select(Message).filter_by(item_id=item.id)).all()
    assert note.kind == "internal" and note.body_text == "Watch Pump is noisy"
    assert [u.id for u in _reload(item.id).followers] == [boss.id]


def test_send_email_to_an_address(agent, ticket_type):
    _rule(
        [
            {
                "type": "send_email",
                "template": "status_changed",
                "to": "address",
                "address": "Ops@Example.COM",
            }
        ]
    )
    item = _ticket(agent, ticket_type)
    [mail] = db.session.scalars(
        db.select(OutboundEmail).filter_by(item_id=item.id)
    ).all()
    assert mail.to_address == "ops@example.com" and item.number in mail.subject


def test_send_survey_needs_a_requester(agent, ticket_type, customer):
    _rule([{"type": "send_survey"}])
    with_requester = _ticket(agent, ticket_type, requester_id=customer.id)
    assert (
        db.session.scalars(
            db.select(OutboundEmail).filter_by(
                item_id=with_requester.id, event="satisfaction"
            )
        )
        .one()
        .to_address
        == "olga@aquaria.ca"
    )
    _ticket(agent, ticket_type)
    assert "requester" in _last_run().error


def test_convert_to_task_keeps_the_item(agent, ticket_type, task_type, customer):
    _rule([{"type": "convert_to_task", "item_type": task_type.id}])
    item = _ticket(agent, ticket_type, requester_id=customer.id)
    converted = _reload(item.id)
    assert converted.kind == "task" and converted.item_type_id == task_type.id
    assert converted.status.item_type_id == task_type.id
    assert converted.number == f"K-{item.id}"


def test_set_status_by_category_and_a_foreign_status(agent, ticket_type):
    from app.services.workflows import create_item_type

    _rule([{"type": "set_status", "status": "category:waiting"}], name="by category")
    item = _ticket(agent, ticket_type)
    assert _reload(item.id).status.category == "waiting"
    foreign = create_item_type("ticket", "Wish").statuses[0]
    _rule([{"type": "set_status", "status": f"status:{foreign.id}"}], name="foreign")
    other = _ticket(agent, ticket_type)
    assert "workflow" in _last_run().error
    assert _reload(other.id).status.item_type_id == ticket_type.id


def test_least_loaded_assignment(agent, ticket_type, make_user):
    busy, free = make_user("Agent"), make_user("Agent")
    team = factories.TeamFactory(members=[busy, free])
    _ticket(agent, ticket_type, assignee_id=busy.id)
    _rule([{"type": "assign_least_loaded", "team": team.id}])
    item = _ticket(agent, ticket_type)
    assert (_reload(item.id).assignee_id, _reload(item.id).team_id) == (
        free.id,
        team.id,
    )


def _holds(tree, subject) -> bool:
    return conditions.evaluate(tree, subject)[0]


def test_conditions_on_domain_channel_and_any_group(agent, ticket_type, customer):
    subject = conditions.Subject(
        item=_ticket(agent, ticket_type, requester_id=customer.id)
    )
    assert _holds(when("requester_domain", "equals", "AQUARIA.ca"), subject)
    assert not _holds(when("channel", "in", ["email"]), subject)
    either = {
        "match": "any",
        "groups": [
            {
                "match": "all",
                "conditions": [{"field": "channel", "op": "in", "value": ["email"]}],
            },
            {
                "match": "all",
                "conditions": [{"field": "priority", "op": "lte", "value": 3}],
            },
        ],
    }
    assert _holds(either, subject)
    assert not _holds({**either, "match": "all"}, subject)


def test_conditions_on_custom_fields(agent, ticket_type):
    field = CustomField(
        item_type_id=ticket_type.id, name="Tank litres", field_type="number"
    )
    db.session.add(field)
    db.session.commit()
    item = _ticket(agent, ticket_type)
    save_item_custom_values(item.id, {field.id: "450"}, agent)
    subject = conditions.Subject(item=_reload(item.id))
    assert _holds(when(f"cf:{field.id}", "gt", 400), subject)
    assert not _holds(when(f"cf:{field.id}", "lt", 400), subject)


def test_message_text_of_a_customer_reply(agent, ticket_type, make_customer_user):
    user, customer = make_customer_user()
    _rule(
        [{"type": "set_priority", "priority": 5}],
        trigger="customer_replied",
        conditions=when("message_text", "contains", "urgent"),
    )
    item = _ticket(agent, ticket_type, requester_id=customer.id)
    post_message(item.id, user, MessageDraft(body_text="Thanks, no rush"))
    assert _reload(item.id).priority == 3
    post_message(item.id, user, MessageDraft(body_text="Now it is URGENT"))
    assert _reload(item.id).priority == 5


def test_time_based_rule_fires_once_per_quiet_period(agent, ticket_type):
    waiting = next(s for s in ticket_type.statuses if s.category == "waiting")
    _rule(
        [{"type": "add_note", "text": "Still waiting"}],
        trigger="time_based",
        trigger_options={"hours": 48, "statuses": ["category:waiting"]},
    )
    old = _ticket(agent, ticket_type, status_id=waiting.id)
    fresh = _ticket(agent, ticket_type, status_id=waiting.id)
    open_old = _ticket(agent, ticket_type)
    three_days_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3)
    db.session.execute(
        db.update(Item)
        .where(Item.id.in_([old.id, open_old.id]))
        .values(updated_at=three_days_ago)
    )
    db.session.commit()
    assert engine.run_time_rules() == 1
    notes = db.session.scalars(db.select(Message.item_id)).all()
    assert notes == [old.id]
    # The note bumped the item's last update: the next run finds nothing.
    assert engine.run_time_rules() == 0
    assert fresh.id not in notes


def test_project_rule_creates_a_task(agent, task_type):
    _rule(
        [
            {
                "type": "create_task",
                "title": "Kick-off meeting",
                "item_type": task_type.id,
            }
        ],
        object="project",
    )
    project = factories.ProjectFactory(name="Pond for Olga")
    from app.services.projects import project_saved

    project_saved(project, created=True)
    [task] = db.session.scalars(db.select(Item).filter_by(project_id=project.id)).all()
    assert (task.kind, task.title) == ("task", "Kick-off meeting")


def test_preview_writes_nothing(agent, ticket_type, customer, make_user):
    team = factories.TeamFactory(members=[make_user("Agent")])
    item = _ticket(agent, ticket_type, requester_id=customer.id)
    before = (
        _reload(item.id).version,
        db.session.get(type(team), team.id).round_robin_cursor,
    )
    draft = {
        "name": "draft",
        "object": "ticket",
        "trigger": "created",
        "conditions": when("priority", "gte", 3),
        "actions": [
            {"type": "set_priority", "priority": 5},
            {"type": "assign_round_robin", "team": team.id},
            {"type": "customer_project"},
            {"type": "public_reply", "text": "Hello {{ recipient.name }}"},
        ],
    }
    result = rules.try_rule(draft, item.number, agent)
    assert result.matched and result.error == ""
    assert [line.matched for group in result.groups for line in group] == [True]
    assert any(change.startswith("Priority: 3 → 5") for change in result.changes)
    assert any("Hello Olga" in change for change in result.changes)
    assert any("Aquaria Ltd" in change for change in result.changes)
    after = (
        _reload(item.id).version,
        db.session.get(type(team), team.id).round_robin_cursor,
    )
    assert after == before
    assert db.session.scalar(db.select(db.func.count(Project.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_logging_time_moves_the_item_status(agent, ticket_type):
    """The repair firm's case: time logged on a new ticket means work started."""
    from app.services.time_entries import log_time, update_entry

    _rule(
        [{"type": "set_status", "status": "category:open"}],
        object="timeentry",
        conditions=when_all(("status_category", "in", ["new"]), ("minutes", "gte", 15)),
    )
    item = _ticket(agent, ticket_type)
    short = log_time(item.id, agent, minutes=5)
    assert _reload(item.id).status.category == "new"
    update_entry(short.id, agent, {"minutes": 45})  # an edit is not "created"
    assert _reload(item.id).status.category == "new"
    log_time(item.id, agent, minutes=30, note="Replaced the pump")
    assert _reload(item.id).status.category == "open"
    run = _last_run()
    assert run.item_id == item.id and run.matched and run.trigger == "created"


def test_compiled_conditions_agree_with_the_reference(agent, ticket_type, customer):
    """The worker's compiled predicates give the same answers as `evaluate`."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    item = _ticket(agent, ticket_type, requester_id=customer.id, priority=4)
    rows = st.sampled_from(
        [
            {"field": "priority", "op": "gte", "value": 4},
            {"field": "priority", "op": "lt", "value": 2},
            {"field": "title", "op": "contains", "value": "PUMP"},
            {"field": "title", "op": "starts_with", "value": "noisy"},
            {"field": "item_type", "op": "in", "value": [ticket_type.id]},
            {"field": "item_type", "op": "not_in", "value": [ticket_type.id]},
            {
                "field": "organization",
                "op": "in",
                "value": [str(customer.organization_id)],
            },
            {"field": "assignee", "op": "is_not_set", "value": None},
            {"field": "channel", "op": "in", "value": ["email", "phone"]},
            {"field": "requester_domain", "op": "ends_with", "value": ".ca"},
        ]
    )
    modes = st.sampled_from(["all", "any"])
    groups = st.lists(
        st.fixed_dictionaries(
            {"match": modes, "conditions": st.lists(rows, max_size=4)}
        ),
        max_size=3,
    )
    trees = st.fixed_dictionaries({"match": modes, "groups": groups})

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(trees)
    def agree(tree):
        subject = conditions.Subject(item=item)
        expected = _holds(tree, subject)
        assert (
            conditions.compile_conditions(tree)(conditions.Subject(item=item))
            is expected
        )

    agree()
