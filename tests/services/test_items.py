"""Creating and changing items: validation, customer limits, history, versions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from app.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from app.extensions import db
from app.models import Item, ItemEvent, Status
from app.services.items import (
    archive_item,
    assign_item,
    change_status,
    create_item,
    follow_item,
    move_to_project,
    prepare_new_item,
    record_edit,
    set_priority,
    unfollow_item,
    update_item,
)
from app.services.workflows import create_item_type
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    ProjectFactory,
    TeamFactory,
)


def _change(event: ItemEvent) -> dict:
    """The field, old and new value of a change event (labels checked apart)."""
    return {key: event.data[key] for key in ("field", "old", "new")}


def _item_count() -> int:
    return db.session.scalar(db.select(db.func.count(Item.id)))


def _reload(item_id: int) -> Item:
    db.session.expire_all()
    return db.session.get(Item, item_id)


def _status(item_type, category: str) -> Status:
    return next(s for s in item_type.statuses if s.category == category)


@pytest.fixture
def ticket(agent, ticket_type) -> Item:
    return create_item(
        agent, kind="ticket", title="Printer", item_type_id=ticket_type.id
    )


# --- create_item by staff ---------------------------------------------------------


def test_create_ticket_fills_number_status_organization_and_history(
    agent, ticket_type, events
):
    org = OrganizationFactory()
    requester = CustomerFactory(organization=org)
    item = create_item(
        agent,
        kind="ticket",
        title="  Printer   on fire ",
        description="Smoke\r\neverywhere",
        item_type_id=ticket_type.id,
        requester_id=requester.id,
    )
    stored = _reload(item.id)
    assert stored.number == f"T-{stored.id}"
    assert stored.title == "Printer on fire"
    assert stored.description == "Smoke\neverywhere"
    assert stored.status_id == ticket_type.statuses[0].id
    assert stored.status.is_default
    assert stored.priority == 3
    assert stored.channel == "agent"
    assert stored.organization_id == org.id
    assert stored.created_by_id == agent.id
    assert stored.resolved_at is None and stored.closed_at is None
    [created] = events(item.id)
    assert created.kind == "created"
    assert created.actor_id == agent.id
    assert created.data == {"number": stored.number, "type": "Question"}


def test_create_task_is_numbered_with_k(agent, task_type):
    item = create_item(agent, kind="task", title="Plan", item_type_id=task_type.id)
    stored = _reload(item.id)
    assert stored.kind == "task"
    assert stored.number == f"K-{stored.id}"
    assert stored.status.name == "New"


def test_create_item_keeps_an_explicit_organization_and_status(agent, ticket_type):
    requester = CustomerFactory(organization=OrganizationFactory())
    other_org = OrganizationFactory()
    status = _status(ticket_type, "open")
    item = create_item(
        agent,
        kind="ticket",
        title="Explicit",
        item_type_id=ticket_type.id,
        requester_id=requester.id,
        organization_id=other_org.id,
        status_id=status.id,
        priority=5,
    )
    stored = _reload(item.id)
    assert (stored.organization_id, stored.status_id, stored.priority) == (
        other_org.id,
        status.id,
        5,
    )


def test_create_item_in_a_done_status_is_resolved_from_the_start(agent, ticket_type):
    item = create_item(
        agent,
        kind="ticket",
        title="Already fixed",
        item_type_id=ticket_type.id,
        status_id=_status(ticket_type, "done").id,
    )
    stored = _reload(item.id)
    assert stored.resolved_at is not None
    assert stored.first_response_at is not None
    assert stored.closed_at is None


def test_create_item_refuses_an_unknown_kind(agent, ticket_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="bug", title="x", item_type_id=ticket_type.id)
    assert excinfo.value.field == "kind"
    assert _item_count() == 0


def test_create_item_refuses_a_type_of_the_other_kind(agent, task_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="ticket", title="x", item_type_id=task_type.id)
    assert excinfo.value.field == "item_type"
    assert _item_count() == 0


@pytest.mark.parametrize("item_type_id", [None, 999_999])
def test_create_item_refuses_a_missing_type(agent, item_type_id):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="ticket", title="x", item_type_id=item_type_id)
    assert excinfo.value.field == "item_type"
    assert _item_count() == 0


def test_create_item_refuses_a_disabled_type(agent, ticket_type):
    ticket_type.enabled = False
    db.session.commit()
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="ticket", title="x", item_type_id=ticket_type.id)
    assert excinfo.value.field == "item_type"
    assert _item_count() == 0


def test_create_item_refuses_a_status_of_another_workflow(agent, ticket_type):
    other_type = create_item_type("ticket", "Wish")
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            item_type_id=ticket_type.id,
            status_id=other_type.statuses[1].id,
        )
    assert excinfo.value.field == "status"
    assert _item_count() == 0


def test_create_item_refuses_a_status_that_does_not_exist(agent, ticket_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent, kind="ticket", title="x", item_type_id=ticket_type.id, status_id=999
        )
    assert excinfo.value.field == "status"
    assert _item_count() == 0


@pytest.mark.parametrize("priority", [0, 6, -1, 100, "3", 2.5, True])
def test_create_item_refuses_a_priority_outside_one_to_five(
    agent, ticket_type, priority
):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            item_type_id=ticket_type.id,
            priority=priority,
        )
    assert excinfo.value.field == "priority"
    assert _item_count() == 0


@pytest.mark.parametrize("priority", [1, 5])
def test_create_item_accepts_the_priority_bounds(agent, ticket_type, priority):
    item = create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id, priority=priority
    )
    assert _reload(item.id).priority == priority


@pytest.mark.parametrize(
    "title", ["Printer\x00", "", "   ", "\u200b\u202e", "x" * 301, "x" * 10**6]
)
def test_create_item_refuses_a_bad_title(agent, ticket_type, title):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="ticket", title=title, item_type_id=ticket_type.id)
    assert excinfo.value.field == "title"
    assert _item_count() == 0


def test_create_item_strips_invisible_and_direction_characters(agent, ticket_type):
    item = create_item(
        agent,
        kind="ticket",
        title="Pri\u200bnter\u2060 \u202eon fire\u202c\ufeff\u2066!\u2069",
        item_type_id=ticket_type.id,
    )
    assert _reload(item.id).title == "Printer on fire!"


def test_create_item_refuses_a_nul_in_the_description(agent, ticket_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            description="a\x00b",
            item_type_id=ticket_type.id,
        )
    assert excinfo.value.field == "description"
    assert _item_count() == 0


def test_create_item_refuses_a_planned_end_before_the_start(agent, task_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="task",
            title="Plan",
            item_type_id=task_type.id,
            planned_start=dt.date(2026, 3, 10),
            planned_end=dt.date(2026, 3, 9),
        )
    assert excinfo.value.field == "planned_end"
    assert _item_count() == 0


def test_create_item_accepts_a_one_day_plan(agent, task_type):
    day = dt.date(2026, 3, 10)
    item = create_item(
        agent,
        kind="task",
        title="Plan",
        item_type_id=task_type.id,
        planned_start=day,
        planned_end=day,
    )
    stored = _reload(item.id)
    assert (stored.planned_start, stored.planned_end) == (day, day)


@pytest.mark.parametrize("field", ["points", "estimate_minutes"])
@pytest.mark.parametrize("value", [-1, 1_000_001])
def test_create_item_refuses_numbers_out_of_range(agent, task_type, field, value):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent, kind="task", title="x", item_type_id=task_type.id, **{field: value}
        )
    assert excinfo.value.field == field


def test_create_item_refuses_an_unknown_channel(agent, ticket_type):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent, kind="ticket", title="x", item_type_id=ticket_type.id, channel="fax"
        )
    assert excinfo.value.field == "channel"


def test_create_item_refuses_a_customer_as_assignee(
    agent, ticket_type, make_customer_user
):
    customer_user, _ = make_customer_user()
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            item_type_id=ticket_type.id,
            assignee_id=customer_user.id,
        )
    assert excinfo.value.field == "assignee"
    assert _item_count() == 0


def test_create_item_refuses_an_inactive_or_missing_assignee(
    agent, ticket_type, make_user
):
    retired = make_user("Agent", active=False)
    for assignee_id in (retired.id, 999_999):
        with pytest.raises(InvalidInputError) as excinfo:
            create_item(
                agent,
                kind="ticket",
                title="x",
                item_type_id=ticket_type.id,
                assignee_id=assignee_id,
            )
        assert excinfo.value.field == "assignee"
    assert _item_count() == 0


@pytest.mark.parametrize("role", ["Admin", "Manager", "Agent"])
def test_create_item_accepts_staff_as_assignee(agent, ticket_type, make_user, role):
    assignee = make_user(role)
    team = TeamFactory()
    item = create_item(
        agent,
        kind="ticket",
        title="x",
        item_type_id=ticket_type.id,
        assignee_id=assignee.id,
        team_id=team.id,
    )
    stored = _reload(item.id)
    assert (stored.assignee_id, stored.team_id) == (assignee.id, team.id)


@pytest.mark.parametrize(
    "field", ["requester_id", "team_id", "project_id", "organization_id", "parent_id"]
)
def test_create_item_refuses_references_to_missing_rows(agent, ticket_type, field):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            item_type_id=ticket_type.id,
            **{field: 999_999},
        )
    assert excinfo.value.field == field.removesuffix("_id")
    assert _item_count() == 0


def test_create_item_enforces_the_required_fields_of_the_type(agent):
    item_type = create_item_type(
        "ticket", "Incident", required_fields=["description", "requester", "due_at"]
    )
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(agent, kind="ticket", title="x", item_type_id=item_type.id)
    assert excinfo.value.field == "description"
    with pytest.raises(InvalidInputError) as excinfo:
        create_item(
            agent,
            kind="ticket",
            title="x",
            description="Down",
            requester_id=CustomerFactory().id,
            item_type_id=item_type.id,
        )
    assert excinfo.value.field == "due_at"
    assert _item_count() == 0
    item = create_item(
        agent,
        kind="ticket",
        title="x",
        description="Down",
        requester_id=CustomerFactory().id,
        due_at=dt.datetime(2026, 5, 1, 12, 0),
        item_type_id=item_type.id,
    )
    assert _reload(item.id).due_at == dt.datetime(2026, 5, 1, 12, 0)


def test_update_item_enforces_the_required_fields_of_the_type(agent):
    item_type = create_item_type("ticket", "Incident", required_fields=["requester"])
    requester = CustomerFactory()
    item = create_item(
        agent,
        kind="ticket",
        title="x",
        requester_id=requester.id,
        item_type_id=item_type.id,
    )
    with pytest.raises(InvalidInputError) as excinfo:
        update_item(item.id, agent, {"requester_id": None})
    assert excinfo.value.field == "requester"
    assert _reload(item.id).requester_id == requester.id


def test_staff_form_takes_the_organization_of_the_requester(agent, ticket_type):
    org = OrganizationFactory()
    requester = CustomerFactory(organization=org)
    item = Item(
        kind="ticket",
        title="From the form",
        item_type=ticket_type,
        requester=requester,
        organization=None,
        assignee=None,
        status=None,
    )
    prepare_new_item(item, agent)
    db.session.commit()
    stored = _reload(item.id)
    assert stored.organization_id == org.id
    assert stored.requester_id == requester.id
    assert stored.status_id == ticket_type.statuses[0].id


def test_edit_form_clearing_a_relation_is_recorded(agent, ticket_type, events):
    team = TeamFactory()
    item = create_item(
        agent, kind="ticket", title="x", item_type_id=ticket_type.id, team_id=team.id
    )
    loaded = _reload(item.id)
    loaded.team = None
    record_edit(loaded, agent)
    db.session.commit()
    assert _reload(item.id).team_id is None
    [event] = events(item.id, "team")
    assert _change(event) == {"field": "team_id", "old": team.id, "new": None}


def test_edit_form_clearing_a_required_relation_is_refused(agent):
    item_type = create_item_type("ticket", "Incident", required_fields=["requester"])
    requester = CustomerFactory()
    item = create_item(
        agent,
        kind="ticket",
        title="x",
        requester_id=requester.id,
        item_type_id=item_type.id,
    )
    loaded = _reload(item.id)
    loaded.requester = None
    with pytest.raises(InvalidInputError) as excinfo:
        record_edit(loaded, agent)
    assert excinfo.value.field == "requester"
    assert _reload(item.id).requester_id == requester.id


def test_edit_form_changing_the_type_keeps_the_form_status_consistent(
    agent, ticket, ticket_type
):
    wish = create_item_type("ticket", "Wish")
    loaded = _reload(ticket.id)
    form_status, new_type = loaded.status, db.session.get(type(wish), wish.id)
    loaded.item_type = new_type
    loaded.status = form_status
    record_edit(loaded, agent)
    db.session.commit()
    stored = _reload(ticket.id)
    assert (stored.item_type_id, stored.status_id) == (wish.id, wish.statuses[0].id)


def test_services_work_on_items_with_loaded_relations(agent, ticket, ticket_type):
    team = TeamFactory()
    loaded = _reload(ticket.id)
    assert loaded.status.category == "new" and loaded.team is None
    change_status(ticket.id, _status(ticket_type, "open").id, agent)
    assign_item(ticket.id, agent, assignee_id=agent.id, team_id=team.id)
    stored = _reload(ticket.id)
    assert stored.status.category == "open"
    assert (stored.assignee_id, stored.team_id) == (agent.id, team.id)
    assert stored.assignee == agent and stored.team == team
    assign_item(ticket.id, agent, assignee_id=None, team_id=None)
    stored = db.session.get(Item, ticket.id)
    assert (stored.assignee_id, stored.team_id) == (None, None)


# --- create_item by a customer ----------------------------------------------------


def test_customer_create_ignores_mass_assigned_fields(
    agent, ticket_type, task_type, make_customer_user, events
):
    org = OrganizationFactory()
    user, customer = make_customer_user(organization=org)
    other_org = OrganizationFactory()
    other_customer = CustomerFactory(organization=other_org)
    parent = create_item(agent, kind="ticket", title="p", item_type_id=ticket_type.id)
    item = create_item(
        user,
        kind="ticket",
        title="Help",
        description="Please",
        item_type_id=ticket_type.id,
        priority=5,
        assignee_id=agent.id,
        team_id=TeamFactory().id,
        status_id=_status(ticket_type, "closed").id,
        organization_id=other_org.id,
        requester_id=other_customer.id,
        project_id=ProjectFactory().id,
        parent_id=parent.id,
        resolution="Done already",
        archived=True,
        channel="email",
    )
    stored = _reload(item.id)
    assert stored.title == "Help" and stored.description == "Please"
    assert stored.priority == 3
    assert stored.assignee_id is None
    assert stored.team_id is None
    assert stored.status_id == ticket_type.statuses[0].id
    assert stored.requester_id == customer.id
    assert stored.organization_id == org.id
    assert stored.project_id is None and stored.parent_id is None
    assert stored.resolution == "" and stored.archived is False
    assert stored.closed_at is None and stored.resolved_at is None
    assert stored.channel == "portal"
    assert stored.created_by_id == user.id
    [created] = events(item.id)
    assert created.actor_id == user.id


def test_customer_form_cannot_set_relationship_objects(
    agent, ticket_type, make_customer_user
):
    user, customer = make_customer_user(organization=OrganizationFactory())
    other = CustomerFactory(organization=OrganizationFactory())
    item = Item(
        kind="ticket",
        title="Help",
        item_type=ticket_type,
        requester=other,
        organization=other.organization,
        assignee=agent,
        team=TeamFactory(),
        status=_status(ticket_type, "closed"),
    )
    prepare_new_item(item, user)
    db.session.commit()
    stored = _reload(item.id)
    assert stored.requester_id == customer.id
    assert stored.organization_id == customer.organization_id
    assert stored.assignee_id is None and stored.team_id is None
    assert stored.status_id == ticket_type.statuses[0].id


def test_customer_without_a_customer_record_cannot_create(ticket_type, make_user):
    user = make_user("Customer")
    with pytest.raises(ForbiddenError):
        create_item(user, kind="ticket", title="Help", item_type_id=ticket_type.id)
    assert _item_count() == 0


def test_anonymous_actor_cannot_create(ticket_type):
    with pytest.raises(ForbiddenError):
        create_item(None, kind="ticket", title="Help", item_type_id=ticket_type.id)
    assert _item_count() == 0


def test_customer_cannot_edit_an_item(ticket_type, make_customer_user):
    user, _ = make_customer_user()
    item = create_item(user, kind="ticket", title="Mine", item_type_id=ticket_type.id)
    with pytest.raises(ForbiddenError):
        update_item(item.id, user, {"priority": 5, "title": "Urgent!"})
    stored = _reload(item.id)
    assert (stored.priority, stored.title) == (3, "Mine")


# --- change_status ----------------------------------------------------------------


def test_change_status_refuses_a_status_of_another_workflow(agent, ticket, events):
    other_type = create_item_type("ticket", "Wish")
    before = _reload(ticket.id).status_id
    with pytest.raises(InvalidInputError) as excinfo:
        change_status(ticket.id, other_type.statuses[3].id, agent)
    assert excinfo.value.field == "status"
    assert _reload(ticket.id).status_id == before
    assert events(ticket.id, "status") == []


@pytest.mark.parametrize("status_id", [999_999, None])
def test_change_status_refuses_a_status_that_does_not_exist(agent, ticket, status_id):
    before = _reload(ticket.id).status_id
    with pytest.raises(InvalidInputError) as excinfo:
        change_status(ticket.id, status_id, agent)
    assert excinfo.value.field == "status"
    assert _reload(ticket.id).status_id == before


def test_change_status_to_done_resolves_and_records(agent, ticket, ticket_type, events):
    new_id = _reload(ticket.id).status_id
    done = _status(ticket_type, "done")
    change_status(ticket.id, done.id, agent)
    stored = _reload(ticket.id)
    assert stored.status_id == done.id
    assert stored.is_resolved
    assert stored.resolved_at is not None
    assert stored.first_response_at == stored.resolved_at
    assert stored.closed_at is None
    [event] = events(ticket.id, "status")
    assert event.actor_id == agent.id
    assert _change(event) == {"field": "status_id", "old": new_id, "new": done.id}


def test_change_status_keeps_an_earlier_first_response(agent, ticket, ticket_type):
    earlier = dt.datetime(2026, 1, 1, 9, 0)
    db.session.execute(
        update(Item).where(Item.id == ticket.id).values(first_response_at=earlier)
    )
    db.session.commit()
    change_status(ticket.id, _status(ticket_type, "done").id, agent)
    stored = _reload(ticket.id)
    assert stored.first_response_at == earlier
    assert stored.resolved_at > earlier


def test_change_status_to_closed_and_back_to_open(agent, ticket, ticket_type, events):
    closed = _status(ticket_type, "closed")
    change_status(ticket.id, closed.id, agent)
    stored = _reload(ticket.id)
    assert stored.closed_at is not None
    assert stored.resolved_at is not None
    reopened = _status(ticket_type, "open")
    change_status(ticket.id, reopened.id, agent)
    stored = _reload(ticket.id)
    assert stored.status_id == reopened.id
    assert stored.resolved_at is None
    assert stored.closed_at is None
    assert [(e.data["old"], e.data["new"]) for e in events(ticket.id, "status")] == [
        (ticket_type.statuses[0].id, closed.id),
        (closed.id, reopened.id),
    ]


def test_change_status_from_closed_to_done_clears_only_closed_at(
    agent, ticket, ticket_type
):
    change_status(ticket.id, _status(ticket_type, "closed").id, agent)
    resolved_at = _reload(ticket.id).resolved_at
    change_status(ticket.id, _status(ticket_type, "done").id, agent)
    stored = _reload(ticket.id)
    assert stored.closed_at is None
    assert stored.resolved_at == resolved_at


def test_change_status_to_the_same_status_records_nothing(agent, ticket, events):
    stored = _reload(ticket.id)
    change_status(ticket.id, stored.status_id, agent)
    assert _reload(ticket.id).version == stored.version
    assert events(ticket.id, "status") == []


def test_changing_the_type_moves_to_the_new_default_status(
    agent, ticket, ticket_type, events
):
    wish = create_item_type("ticket", "Wish")
    change_status(ticket.id, _status(ticket_type, "open").id, agent)
    update_item(ticket.id, agent, {"item_type_id": wish.id})
    stored = _reload(ticket.id)
    assert stored.item_type_id == wish.id
    assert stored.status_id == wish.statuses[0].id
    assert [e.data["new"] for e in events(ticket.id, "type")] == [wish.id]
    assert events(ticket.id, "status")[-1].data["new"] == wish.statuses[0].id


def test_changing_the_type_to_the_other_kind_is_refused(agent, ticket, task_type):
    with pytest.raises(InvalidInputError) as excinfo:
        update_item(ticket.id, agent, {"item_type_id": task_type.id})
    assert excinfo.value.field == "item_type"
    assert _reload(ticket.id).item_type.kind == "ticket"


# --- assign, priority, project, archive, follow -----------------------------------


def test_assign_item_records_assignee_and_team(agent, ticket, make_user, events):
    assignee = make_user("Agent")
    team = TeamFactory()
    assign_item(ticket.id, agent, assignee_id=assignee.id, team_id=team.id)
    stored = _reload(ticket.id)
    assert (stored.assignee_id, stored.team_id) == (assignee.id, team.id)
    [person] = events(ticket.id, "assignee")
    [group] = events(ticket.id, "team")
    assert person.actor_id == group.actor_id == agent.id
    assert _change(person) == {"field": "assignee_id", "old": None, "new": assignee.id}
    assert _change(group) == {"field": "team_id", "old": None, "new": team.id}
    assign_item(ticket.id, agent, assignee_id=None, team_id=team.id)
    assert _reload(ticket.id).assignee_id is None
    assert events(ticket.id, "assignee")[-1].data["new"] is None
    assert len(events(ticket.id, "team")) == 1


def test_assign_item_refuses_a_customer(agent, ticket, make_customer_user, events):
    customer_user, _ = make_customer_user()
    with pytest.raises(InvalidInputError):
        assign_item(ticket.id, agent, assignee_id=customer_user.id, team_id=None)
    assert _reload(ticket.id).assignee_id is None
    assert events(ticket.id, "assignee") == []


def test_set_priority_records_the_change(agent, ticket, events):
    set_priority(ticket.id, 5, agent)
    assert _reload(ticket.id).priority == 5
    [event] = events(ticket.id, "priority")
    assert event.actor_id == agent.id
    assert _change(event) == {"field": "priority", "old": 3, "new": 5}


@pytest.mark.parametrize("priority", [0, 6])
def test_set_priority_refuses_out_of_range(agent, ticket, events, priority):
    with pytest.raises(InvalidInputError):
        set_priority(ticket.id, priority, agent)
    assert _reload(ticket.id).priority == 3
    assert events(ticket.id, "priority") == []


def test_move_to_project_records_the_change(agent, ticket, events):
    project = ProjectFactory()
    move_to_project(ticket.id, project.id, agent)
    assert _reload(ticket.id).project_id == project.id
    move_to_project(ticket.id, None, agent)
    assert _reload(ticket.id).project_id is None
    moves = events(ticket.id, "project")
    assert [(e.data["old"], e.data["new"]) for e in moves] == [
        (None, project.id),
        (project.id, None),
    ]
    assert {e.actor_id for e in moves} == {agent.id}


def test_move_to_a_missing_project_is_refused(agent, ticket, events):
    with pytest.raises(InvalidInputError) as excinfo:
        move_to_project(ticket.id, 999_999, agent)
    assert excinfo.value.field == "project"
    assert _reload(ticket.id).project_id is None
    assert events(ticket.id, "project") == []


def test_archive_item_and_back(agent, ticket, events):
    archive_item(ticket.id, agent)
    assert _reload(ticket.id).archived is True
    archive_item(ticket.id, agent, archived=False)
    assert _reload(ticket.id).archived is False
    changes = events(ticket.id, "archived")
    assert [(e.data["old"], e.data["new"]) for e in changes] == [
        (False, True),
        (True, False),
    ]
    assert {e.actor_id for e in changes} == {agent.id}


def test_follow_and_unfollow(agent, ticket, events):
    follow_item(ticket.id, agent)
    follow_item(ticket.id, agent)
    assert [u.id for u in _reload(ticket.id).followers] == [agent.id]
    [followed] = events(ticket.id, "followed")
    assert followed.actor_id == agent.id
    assert followed.data == {"user": agent.username}
    unfollow_item(ticket.id, agent)
    unfollow_item(ticket.id, agent)
    assert _reload(ticket.id).followers == []
    [unfollowed] = events(ticket.id, "unfollowed")
    assert unfollowed.actor_id == agent.id


def test_staff_can_add_and_remove_another_follower(agent, ticket, make_user, events):
    colleague = make_user("Agent")
    follow_item(ticket.id, agent, user_id=colleague.id)
    assert [u.id for u in _reload(ticket.id).followers] == [colleague.id]
    assert events(ticket.id, "followed")[0].data == {"user": colleague.username}
    unfollow_item(ticket.id, agent, user_id=colleague.id)
    assert _reload(ticket.id).followers == []
    assert events(ticket.id, "unfollowed")[0].actor_id == agent.id


def test_customer_follows_their_own_item_but_nobody_else(
    agent, ticket_type, make_customer_user, events
):
    user, _ = make_customer_user()
    item = create_item(user, kind="ticket", title="Mine", item_type_id=ticket_type.id)
    follow_item(item.id, user)
    assert [u.id for u in _reload(item.id).followers] == [user.id]
    with pytest.raises(InvalidInputError):
        follow_item(item.id, user, user_id=agent.id)
    follow_item(item.id, agent)
    with pytest.raises(ForbiddenError):
        unfollow_item(item.id, user, user_id=agent.id)
    assert {u.id for u in _reload(item.id).followers} == {user.id, agent.id}
    assert len(events(item.id, "followed")) == 2


def test_customer_cannot_follow_an_item_they_cannot_see(ticket, make_customer_user):
    user, _ = make_customer_user()
    with pytest.raises(NotFoundError):
        follow_item(ticket.id, user)
    assert _reload(ticket.id).followers == []


# --- parents ----------------------------------------------------------------------


def test_parent_cycle_is_refused(agent, task_type, events):
    a = create_item(agent, kind="task", title="a", item_type_id=task_type.id)
    b = create_item(
        agent, kind="task", title="b", item_type_id=task_type.id, parent_id=a.id
    )
    with pytest.raises(InvalidInputError) as excinfo:
        update_item(a.id, agent, {"parent_id": b.id})
    assert excinfo.value.field == "parent"
    assert _reload(a.id).parent_id is None
    assert _reload(b.id).parent_id == a.id
    assert events(a.id, "field") == []


def test_longer_parent_cycle_is_refused(agent, task_type):
    a = create_item(agent, kind="task", title="a", item_type_id=task_type.id)
    b = create_item(
        agent, kind="task", title="b", item_type_id=task_type.id, parent_id=a.id
    )
    c = create_item(
        agent, kind="task", title="c", item_type_id=task_type.id, parent_id=b.id
    )
    with pytest.raises(InvalidInputError):
        update_item(a.id, agent, {"parent_id": c.id})
    assert _reload(a.id).parent_id is None


def test_item_cannot_be_its_own_parent(agent, task_type):
    a = create_item(agent, kind="task", title="a", item_type_id=task_type.id)
    with pytest.raises(InvalidInputError) as excinfo:
        update_item(a.id, agent, {"parent_id": a.id})
    assert excinfo.value.field == "parent"
    assert _reload(a.id).parent_id is None


def test_valid_parent_is_recorded(agent, task_type, events):
    a = create_item(agent, kind="task", title="a", item_type_id=task_type.id)
    b = create_item(agent, kind="task", title="b", item_type_id=task_type.id)
    update_item(b.id, agent, {"parent_id": a.id})
    assert _reload(b.id).parent_id == a.id
    [event] = events(b.id, "field")
    assert _change(event) == {"field": "parent_id", "old": None, "new": a.id}


# --- versions and rollback --------------------------------------------------------


def test_update_with_a_stale_expected_version_conflicts(agent, ticket, events):
    version = _reload(ticket.id).version
    set_priority(ticket.id, 4, agent)
    with pytest.raises(ConflictError):
        update_item(
            ticket.id,
            agent,
            {"title": "Mine now", "priority": 1},
            expected_version=version,
        )
    stored = _reload(ticket.id)
    assert (stored.title, stored.priority) == ("Printer", 4)
    assert stored.version == version + 1
    assert [e.data["new"] for e in events(ticket.id, "priority")] == [4]


def test_update_with_the_current_version_succeeds(agent, ticket, events):
    version = _reload(ticket.id).version
    update_item(ticket.id, agent, {"title": "Scanner"}, expected_version=version)
    stored = _reload(ticket.id)
    assert stored.title == "Scanner"
    assert stored.version == version + 1
    [event] = events(ticket.id, "field")
    assert _change(event) == {"field": "title", "old": "Printer", "new": "Scanner"}


def test_update_of_a_row_changed_behind_our_back_conflicts(agent, ticket):
    loaded = db.session.get(Item, ticket.id)
    assert loaded.title == "Printer"
    db.session.execute(
        update(Item)
        .where(Item.id == ticket.id)
        .values(title="Elsewhere", version=Item.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(ConflictError):
        update_item(ticket.id, agent, {"priority": 5})
    stored = _reload(ticket.id)
    assert (stored.title, stored.priority) == ("Printer", 3)


def test_a_refused_change_leaves_the_database_unchanged(agent, ticket, events):
    before = _reload(ticket.id)
    snapshot = (before.title, before.priority, before.version, before.updated_at)
    with pytest.raises(InvalidInputError):
        update_item(ticket.id, agent, {"title": "Renamed", "priority": 9})
    stored = _reload(ticket.id)
    assert (stored.title, stored.priority, stored.version, stored.updated_at) == (
        snapshot
    )
    assert [e.kind for e in events(ticket.id)] == ["created"]
    # The session is usable again after the refusal.
    set_priority(ticket.id, 2, agent)
    assert _reload(ticket.id).priority == 2


@pytest.mark.parametrize("column", ["version", "created_by_id", "kind", "bogus"])
def test_update_refuses_columns_outside_the_staff_fields(agent, ticket, column):
    with pytest.raises(InvalidInputError) as excinfo:
        update_item(ticket.id, agent, {column: 1})
    assert excinfo.value.field == column
    assert db.session.scalar(db.select(db.func.count(ItemEvent.id))) == 1


def test_update_of_a_missing_item_is_not_found(agent):
    with pytest.raises(NotFoundError):
        update_item(999_999, agent, {"priority": 2})


def test_customers_cannot_create_tasks(task_type, make_customer_user):
    from app.errors import ForbiddenError
    from app.services.items import create_item

    user, _customer = make_customer_user(OrganizationFactory())
    with pytest.raises(ForbiddenError):
        create_item(user, kind="task", title="Sneaky task", item_type_id=task_type.id)


def test_history_keeps_the_names_of_changed_relations(ticket_type, agent, events):
    from app.services.items import create_item

    team = TeamFactory(name="Repair lab")
    ticket = create_item(
        agent, kind="ticket", title="PLC board", item_type_id=ticket_type.id
    )
    assign_item(ticket.id, agent, assignee_id=agent.id, team_id=team.id)
    [team_event] = [e for e in events(ticket.id, "team")]
    assert team_event.data["new_label"] == "Repair lab"
    assert team_event.data["old_label"] is None
    [person] = events(ticket.id, "assignee")
    assert person.data["new_label"] == agent.get_full_name()
