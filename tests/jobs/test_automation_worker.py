"""The source documents' automations, set up from the shipped templates and run
end to end by a real `flask worker` on a real Redis."""

from __future__ import annotations

import datetime as dt

import pytest

from app.extensions import db
from app.jobs import enqueue
from app.jobs.automation import run_time_rules
from app.models import AutomationRun, Item, Message, OutboundEmail, Project
from app.services import items as item_service
from app.services.automation import rules, templates
from app.services.messages import MessageDraft, post_message
from app.services.workflows import status_in_category
from tests import factories

pytestmark = pytest.mark.slow


def _from_template(key: str, **changes) -> None:
    draft = templates.draft(key)
    for path, value in changes.items():
        target = draft
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    rules.save_rule(None, draft)


def _ticket(agent, ticket_type, title: str, requester, **fields) -> Item:
    return item_service.create_item(
        agent,
        kind="ticket",
        title=title,
        item_type_id=ticket_type.id,
        requester_id=requester.id,
        **fields,
    )


def _backdate(item_id: int, **columns) -> None:
    db.session.execute(db.update(Item).where(Item.id == item_id).values(**columns))
    db.session.commit()


def test_seed_automations_run_in_a_real_worker(
    real_worker, agent, ticket_type, task_type, make_user, make_customer_user
):
    installers = factories.TeamFactory(name="Installers", members=[agent])
    organization = factories.OrganizationFactory(name="Aquaria Ltd")
    other_org = factories.OrganizationFactory(name="Pond World")
    customer_user, customer = make_customer_user(organization=organization)
    pond_customer = factories.CustomerFactory(organization=other_org)
    routed_team = factories.TeamFactory(name="Pond team", members=[make_user("Agent")])

    # "When a ticket of a type is created, assign it to a member of the team."
    _from_template("assign_by_type", **{"actions.0.team": installers.id})
    # "Create the customer's project if it does not exist."
    _from_template("customer_project")
    # "Routing rules per organization."
    _from_template(
        "route_organization",
        **{
            "conditions.groups.0.conditions.0.value": [other_org.id],
            "actions.0.team": routed_team.id,
        },
    )
    # "When done, send a satisfaction survey."
    _from_template("survey_when_done")
    # "When a task's status changes, reply to the customer."
    _from_template("task_status_reply")
    # Customer replies reopen a waiting ticket; a week of silence closes it.
    _from_template("reopen_on_reply")
    _from_template("close_waiting")

    waiting = status_in_category(ticket_type.id, "waiting")
    done = status_in_category(ticket_type.id, "done")
    ticket = _ticket(agent, ticket_type, "Pump is noisy", customer)
    routed = _ticket(agent, ticket_type, "Pond liner", pond_customer)
    task = item_service.create_item(
        agent,
        kind="task",
        title="Install the filter",
        item_type_id=task_type.id,
        requester_id=customer.id,
    )
    item_service.change_status(
        task.id, status_in_category(task_type.id, "open").id, agent
    )
    item_service.change_status(ticket.id, waiting.id, agent)
    post_message(ticket.id, customer_user, MessageDraft(body_text="Still noisy!"))
    resolved = _ticket(agent, ticket_type, "Light", customer)
    item_service.change_status(resolved.id, done.id, agent)
    quiet = _ticket(agent, ticket_type, "Quiet", customer, status_id=waiting.id)
    real_worker()
    # A week later (the creation rules above touched it too): the periodic job.
    _backdate(quiet.id, updated_at=dt.datetime(2020, 1, 1))
    enqueue(run_time_rules)
    real_worker()

    db.session.expire_all()
    runs = db.session.scalars(db.select(AutomationRun)).all()
    assert [r.error for r in runs if r.error] == []
    ticket = db.session.get(Item, ticket.id)
    assert ticket.assignee_id == agent.id and ticket.team_id == installers.id
    projects = db.session.scalars(db.select(Project).order_by(Project.id)).all()
    assert sorted(p.organization_id for p in projects) == sorted(
        [organization.id, other_org.id]
    )
    project = next(p for p in projects if p.organization_id == organization.id)
    assert ticket.project_id == project.id
    # The customer's reply moved the waiting ticket back to an open status.
    assert ticket.status.category == "open"
    assert db.session.get(Item, routed.id).team_id == routed_team.id
    survey = db.session.scalars(
        db.select(OutboundEmail).filter_by(item_id=resolved.id, event="satisfaction")
    ).all()
    assert [m.to_address for m in survey] == [customer.email]
    task_replies = db.session.scalars(
        db.select(Message).filter_by(item_id=task.id, kind="public")
    ).all()
    assert len(task_replies) == 1 and "Install the filter" in task_replies[0].body_text
    quiet = db.session.get(Item, quiet.id)
    assert quiet.status.category == "closed"
    assert (
        db.session.scalars(db.select(Message.body_text).filter_by(item_id=quiet.id))
        .one()
        .startswith("We have not heard from you")
    )


def test_sla_automations_run_in_a_real_worker(real_worker, agent, ticket_type):
    """ "Add every new ticket to the SLA", then "escalate a breach" from the scan."""
    from app.jobs.sla import scan_sla
    from app.models import SlaPolicy

    # Matches nothing by itself (another priority): only the rule applies it.
    policy = SlaPolicy(
        name="Sample SLA", priority=1, first_response_minutes=60, resolution_minutes=120
    )
    db.session.add(policy)
    db.session.commit()
    _from_template("apply_sla", **{"actions.0.policy": policy.id})
    _from_template("escalate_breach")
    ticket = item_service.create_item(
        agent, kind="ticket", title="Chiller alarm", item_type_id=ticket_type.id
    )
    # Opened two days ago: by the time the rule applies the SLA, it is overdue.
    two_days_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=2)
    _backdate(ticket.id, created_at=two_days_ago)
    real_worker()
    db.session.expire_all()
    ticket = db.session.get(Item, ticket.id)
    assert ticket.sla_policy_id == policy.id and ticket.sla_policy_pinned
    assert ticket.priority == 3  # not escalated yet: the scan announces breaches

    enqueue(scan_sla)
    real_worker()
    db.session.expire_all()
    ticket = db.session.get(Item, ticket.id)
    assert ticket.sla_first_response_breached and ticket.sla_resolution_breached
    assert ticket.priority == 5
    notes = db.session.scalars(
        db.select(Message.body_text).filter_by(item_id=ticket.id, kind="internal")
    ).all()
    # Two breaches (first response and resolution), one escalation each.
    assert len(notes) == 2 and all(n.startswith("SLA breached") for n in notes)
    runs = db.session.scalars(
        db.select(AutomationRun).filter_by(item_id=ticket.id, trigger="sla_breached")
    ).all()
    assert len(runs) == 2 and all(r.matched and not r.error for r in runs)
