"""The automation engine: triggers, conditions, actions, the run log, loop guard."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AutomationRule, AutomationRun, Item, JobRun, Status
from app.services import automation
from app.services import items as item_service
from app.services.automation import context, engine
from app.services.messages import MessageDraft, post_message
from tests import factories
from tests.rule_conditions import when


def _rule(**fields) -> AutomationRule:
    fields.setdefault("name", "Rule")
    fields.setdefault("object", "ticket")
    fields.setdefault("trigger", "created")
    fields.setdefault("trigger_options", {})
    fields.setdefault("conditions", {})
    fields.setdefault("actions", [])
    rule = AutomationRule(**fields)
    db.session.add(rule)
    db.session.commit()
    automation.forget_rules()  # as the rule editor does after a save
    return rule


def _runs(item_id: int) -> list[AutomationRun]:
    return list(
        db.session.scalars(
            db.select(AutomationRun)
            .where(AutomationRun.item_id == item_id)
            .order_by(AutomationRun.id)
        )
    )


def _status(item_type, category: str) -> Status:
    return next(s for s in item_type.statuses if s.category == category)


@pytest.fixture
def team(agent, make_user):
    second = make_user("Agent")
    return factories.TeamFactory(members=[agent, second])


def test_created_rule_sets_fields_and_logs_the_run(agent, ticket_type):
    _rule(
        conditions=when("title", "contains", "printer"),
        actions=[
            {"type": "set_priority", "priority": 5},
            {"type": "set_assignee", "user": agent.id},
        ],
    )
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="The PRINTER is on fire",
        item_type_id=ticket_type.id,
    )
    db.session.expire_all()
    item = db.session.get(Item, item.id)
    assert (item.priority, item.assignee_id) == (5, agent.id)
    [run] = _runs(item.id)
    assert run.matched and run.error == ""
    assert {c["field"] for c in run.changes} == {"priority", "assignee_id"}


def test_non_matching_rule_is_logged_and_changes_nothing(agent, ticket_type):
    _rule(
        conditions=when("priority", "gte", 4),
        actions=[{"type": "set_priority", "priority": 1}],
    )
    item = item_service.create_item(
        agent, kind="ticket", title="Quiet", item_type_id=ticket_type.id, priority=3
    )
    db.session.expire_all()
    assert db.session.get(Item, item.id).priority == 3
    [run] = _runs(item.id)
    assert not run.matched and run.changes == []


def test_no_rules_means_no_job(agent, ticket_type):
    before = db.session.scalar(db.select(db.func.count(JobRun.id)))
    item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    after = db.session.scalar(db.select(db.func.count(JobRun.id)))
    assert after == before


def test_status_changed_to_category(agent, ticket_type):
    done = _status(ticket_type, "done")
    _rule(
        trigger="status_changed",
        trigger_options={"from": [], "to": ["category:done"]},
        actions=[{"type": "add_note", "text": "Closed {{ item.number }}"}],
    )
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    item_service.set_priority(item.id, 4, agent)
    assert _runs(item.id) == []
    item_service.change_status(item.id, done.id, agent)
    [run] = _runs(item.id)
    assert run.matched
    assert run.changes == [{"action": "add_note", "detail": f"Closed {item.number}"}]


def test_stop_processing_skips_later_rules(agent, ticket_type):
    _rule(
        name="first",
        position=1,
        stop_processing=True,
        actions=[{"type": "set_priority", "priority": 2}],
    )
    _rule(name="second", position=2, actions=[{"type": "set_priority", "priority": 4}])
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    db.session.expire_all()
    assert db.session.get(Item, item.id).priority == 2
    assert [r.rule_name for r in _runs(item.id) if r.depth == 0] == ["first"]


def test_rules_triggering_each_other_stop(agent, ticket_type):
    _rule(
        name="up", trigger="updated", actions=[{"type": "set_priority", "priority": 5}]
    )
    _rule(
        name="down",
        trigger="updated",
        actions=[{"type": "set_priority", "priority": 1}],
    )
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    item_service.set_priority(item.id, 4, agent)
    # The person's edit runs up (priority 5), whose edit runs down (priority 1)
    # one level deeper; down's edit triggers nobody, because each rule runs once
    # per chain. Back at the top, down matches but has nothing left to change.
    runs = [(r.rule_name, r.depth, bool(r.changes)) for r in _runs(item.id)]
    assert sorted(runs) == [("down", 0, False), ("down", 1, True), ("up", 0, True)]
    db.session.expire_all()
    assert db.session.get(Item, item.id).priority == 1


def test_chains_stop_at_max_depth(agent, ticket_type):
    rule = _rule(trigger="updated", actions=[{"type": "set_priority", "priority": 5}])
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    deep = context.RunState(depth=engine.MAX_DEPTH, chain=(rule.id,))
    with context.applying(deep):
        item_service.set_priority(item.id, 2, agent)
    [run] = _runs(item.id)
    assert run.error == engine.LOOP_ERROR and not run.matched
    db.session.expire_all()
    assert db.session.get(Item, item.id).priority == 2


def test_failed_action_is_logged_and_later_rules_still_run(agent, ticket_type):
    _rule(
        name="broken",
        position=1,
        actions=[{"type": "assign_round_robin", "team": None}],
    )
    _rule(name="fine", position=2, actions=[{"type": "set_priority", "priority": 4}])
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    runs = {r.rule_name: r for r in _runs(item.id)}
    assert "team" in runs["broken"].error
    assert runs["fine"].error == "" and runs["fine"].matched
    db.session.expire_all()
    assert db.session.get(Item, item.id).priority == 4


def test_round_robin_takes_turns(agent, ticket_type, team):
    _rule(actions=[{"type": "assign_round_robin", "team": team.id}])
    assignees = []
    for number in range(4):
        item = item_service.create_item(
            agent, kind="ticket", title=f"t{number}", item_type_id=ticket_type.id
        )
        db.session.expire_all()
        assignees.append(db.session.get(Item, item.id).assignee_id)
    first, second = sorted(m.id for m in team.members)
    assert assignees == [first, second, first, second]


def test_agent_reply_trigger(agent, ticket_type, make_customer_user):
    _user, customer = make_customer_user()
    _rule(trigger="agent_replied", actions=[{"type": "set_priority", "priority": 5}])
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="x",
        item_type_id=ticket_type.id,
        requester_id=customer.id,
    )
    post_message(item.id, agent, MessageDraft(body_text="internal", kind="internal"))
    assert _runs(item.id) == []
    post_message(item.id, agent, MessageDraft(body_text="Hello"))
    [run] = _runs(item.id)
    assert run.matched and run.trigger == "agent_replied"


def test_history_names_the_rule(agent, ticket_type, events):
    from app.views.history import describe_event

    _rule(name="Escalate <b>now</b>", actions=[{"type": "set_priority", "priority": 5}])
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    [change] = events(item.id, "priority")
    assert change.data["rule"] == "Escalate <b>now</b>"
    assert change.actor.is_system
    shown = str(describe_event(change.summary))
    assert "automation: Escalate &lt;b&gt;now&lt;/b&gt;" in shown


def test_old_runs_are_pruned(agent, ticket_type):
    import datetime as dt

    from app.jobs.maintenance import prune_automation_runs
    from app.models.base import utcnow

    _rule(actions=[{"type": "set_priority", "priority": 4}])
    item = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    _rule(
        name="later",
        trigger="updated",
        actions=[{"type": "set_priority", "priority": 2}],
    )
    item_service.set_priority(item.id, 5, agent)
    old, recent = _runs(item.id)[:2]
    old.created_at = utcnow() - dt.timedelta(days=40)
    db.session.commit()
    assert prune_automation_runs(30) == 1
    assert [r.id for r in _runs(item.id)][0] == recent.id


def test_a_deleted_rule_stops_at_once_in_this_process(agent, ticket_type):
    rule = _rule(actions=[{"type": "set_priority", "priority": 5}])
    first = item_service.create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id
    )
    db.session.delete(db.session.get(AutomationRule, rule.id))
    db.session.commit()
    automation.forget_rules()  # what the rule list does after a delete
    second = item_service.create_item(
        agent, kind="ticket", title="y", item_type_id=ticket_type.id
    )
    db.session.expire_all()
    assert db.session.get(Item, first.id).priority == 5
    assert db.session.get(Item, second.id).priority == 3
