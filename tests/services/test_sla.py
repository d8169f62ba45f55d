"""SLA clocks: policy matching, due times on business calendars, pauses, breaches,
the periodic scan, and the display state computed from an item's columns."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from app.errors import InvalidInputError, NotFoundError
from app.extensions import db
from app.models import BusinessCalendar, Item, SlaPolicy
from app.services import items as item_service
from app.services import messages as message_service
from app.services import organizations as organization_service
from app.services import sla
from app.services import sla_policies as policy_service
from app.services.calendars import WorkingTime, business_time_between
from app.services.messages import MessageDraft
from app.services.sla_clock import reconcile
from app.services.workflows import status_in_category

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_HOURS = {day: [["09:00", "17:00"]] for day in WORKDAYS}
#: Friday 2026-11-20 16:00 in Oslo (UTC+1): one working hour left that week.
FRIDAY_4PM = dt.datetime(2026, 11, 20, 15, 0)
#: Monday 2026-11-23 10:00 in Oslo.
MONDAY_10AM = dt.datetime(2026, 11, 23, 9, 0)


class FrozenClock:
    """utcnow() of the services involved, set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: dt.datetime) -> None:
        self.now = start
        for module in (item_service, message_service, sla):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    return FrozenClock(monkeypatch, FRIDAY_4PM)


@pytest.fixture
def office() -> BusinessCalendar:
    """The default calendar: 09:00-17:00 on weekdays in Oslo."""
    calendar = BusinessCalendar(
        name="Oslo office",
        timezone="Europe/Oslo",
        weekly_hours=OFFICE_HOURS,
        holidays=[],
        is_default=True,
    )
    db.session.add(calendar)
    db.session.commit()
    return calendar


def make_policy(name: str, **fields) -> SlaPolicy:
    values = {
        "first_response_minutes": 120,
        "resolution_minutes": 8 * 60,
        "warning_minutes": 60,
        **fields,
    }
    policy = SlaPolicy(name=name, **values)
    db.session.add(policy)
    db.session.commit()
    return policy


def new_ticket(actor, item_type, **fields) -> Item:
    return item_service.create_item(
        actor, kind="ticket", title="Pump is noisy", item_type_id=item_type.id, **fields
    )


def fresh(item_id: int) -> Item:
    db.session.expire_all()
    return db.session.get(Item, item_id)


def move_to(item: Item, category: str, actor) -> Item:
    status = status_in_category(item.item_type_id, category)
    return item_service.change_status(item.id, status.id, actor)


# --- matching -------------------------------------------------------------------


def test_the_most_specific_enabled_policy_wins(ticket_type):
    acme = organization_service.create_organization("Acme")
    general = make_policy("Standard")
    for_acme = make_policy("Acme", organization_id=acme.id)
    urgent_acme = make_policy("Acme urgent", organization_id=acme.id, priority=5)
    make_policy("Acme urgent (off)", organization_id=acme.id, priority=5, position=-1)
    db.session.execute(
        update(SlaPolicy)
        .where(SlaPolicy.name == "Acme urgent (off)")
        .values(enabled=False)
    )

    def item(**fields):
        base = {"organization_id": None, "item_type_id": ticket_type.id, "priority": 3}
        return SimpleNamespace(**(base | fields))

    assert sla.match_policy(item()) == general
    assert sla.match_policy(item(organization_id=acme.id)) == for_acme
    assert sla.match_policy(item(organization_id=acme.id, priority=5)) == urgent_acme
    assert sla.match_policy(item(priority=5)) == general


def test_equally_specific_policies_go_by_position_then_id(ticket_type):
    make_policy("B", item_type_id=ticket_type.id, position=2)
    first = make_policy("A", priority=3, position=1)
    make_policy("C", priority=3, position=1)
    item = SimpleNamespace(
        organization_id=None, item_type_id=ticket_type.id, priority=3
    )
    assert sla.match_policy(item) == first


def test_no_enabled_policy_means_no_sla(agent, ticket_type, clock):
    make_policy("Off", enabled=False)
    ticket = fresh(new_ticket(agent, ticket_type).id)
    assert ticket.sla_policy_id is None
    assert ticket.sla_first_response_due is None
    assert ticket.sla_next_check_at is None
    assert sla.time_left(ticket, clock.now).state == "none"


def test_a_pinned_policy_is_not_rematched(agent, ticket_type, clock, office):
    make_policy("Standard")
    special = make_policy(
        "Special",
        resolution_minutes=30,
        first_response_minutes=None,
        warning_minutes=10,
    )
    make_policy("Urgent", priority=5)
    ticket = new_ticket(agent, ticket_type)
    sla.apply_policy(ticket.id, special.id)
    db.session.commit()
    item_service.set_priority(ticket.id, 5, agent)
    ticket = fresh(ticket.id)
    assert ticket.sla_policy_id == special.id and ticket.sla_policy_pinned
    assert ticket.sla_first_response_due is None
    assert ticket.sla_resolution_due == dt.datetime(2026, 11, 20, 15, 30)


def test_applying_a_missing_policy_is_refused(agent, ticket_type):
    ticket = new_ticket(agent, ticket_type)
    with pytest.raises(NotFoundError):
        sla.apply_policy(ticket.id, 999_999)


# --- due times ------------------------------------------------------------------


def test_due_times_count_office_hours_in_the_calendars_zone(
    agent, ticket_type, clock, office
):
    policy = make_policy("Standard")
    ticket = fresh(new_ticket(agent, ticket_type).id)
    assert ticket.sla_policy_id == policy.id
    # Friday 16:00 Oslo + 2 working hours = Monday 10:00 Oslo (09:00 UTC).
    assert ticket.sla_first_response_due == MONDAY_10AM
    # + 8 working hours = Monday 16:00 Oslo.
    assert ticket.sla_resolution_due == dt.datetime(2026, 11, 23, 15, 0)
    # The first warning (1 h before) is Friday 17:00 Oslo, the end of that day.
    assert ticket.sla_next_check_at == dt.datetime(2026, 11, 20, 16, 0)
    assert ticket.version == 1  # the SLA never bumps the edit version


def test_without_a_calendar_the_clock_runs_round_the_clock(agent, ticket_type, clock):
    make_policy("Standard")
    ticket = fresh(new_ticket(agent, ticket_type).id)
    assert ticket.sla_first_response_due == FRIDAY_4PM + dt.timedelta(hours=2)
    assert ticket.sla_resolution_due == FRIDAY_4PM + dt.timedelta(hours=8)


def test_the_policys_own_calendar_beats_the_default(agent, ticket_type, clock, office):
    lisbon = BusinessCalendar(
        name="Lisbon",
        timezone="Europe/Lisbon",
        weekly_hours={day: [["08:00", "20:00"]] for day in WORKDAYS},
        holidays=[],
    )
    db.session.add(lisbon)
    db.session.commit()
    make_policy("Lisbon", calendar_id=lisbon.id)
    ticket = fresh(new_ticket(agent, ticket_type).id)
    # Friday 15:00 Lisbon (UTC+0) + 2 h = 17:00 the same day.
    assert ticket.sla_first_response_due == dt.datetime(2026, 11, 20, 17, 0)


def test_changing_priority_type_or_organization_recomputes(
    agent, ticket_type, clock, office
):
    from app.services.workflows import create_item_type

    problem = create_item_type("ticket", "Problem")
    acme = organization_service.create_organization("Acme")
    make_policy("Standard", first_response_minutes=4 * 60)
    make_policy("Urgent", priority=5, first_response_minutes=60, warning_minutes=15)
    make_policy(
        "Problems",
        item_type_id=problem.id,
        first_response_minutes=30,
        warning_minutes=10,
    )
    make_policy("Acme", organization_id=acme.id, first_response_minutes=3 * 60)
    ticket = new_ticket(agent, ticket_type)
    clock.set(FRIDAY_4PM + dt.timedelta(minutes=10))

    def first_response_due() -> dt.datetime:
        return fresh(ticket.id).sla_first_response_due

    assert first_response_due() == dt.datetime(2026, 11, 23, 11, 0)  # 12:00 Oslo
    item_service.set_priority(ticket.id, 5, agent)
    assert first_response_due() == FRIDAY_4PM + dt.timedelta(hours=1)
    item_service.update_item(
        ticket.id, agent, {"priority": 3, "item_type_id": problem.id}
    )
    assert first_response_due() == FRIDAY_4PM + dt.timedelta(minutes=30)
    item_service.update_item(
        ticket.id, agent, {"item_type_id": ticket_type.id, "organization_id": acme.id}
    )
    assert first_response_due() == dt.datetime(2026, 11, 23, 10, 0)
    assert fresh(ticket.id).sla_policy.name == "Acme"


def test_waiting_pauses_the_clock_across_days(agent, ticket_type, clock, office):
    make_policy("Standard", first_response_minutes=None, resolution_minutes=8 * 60)
    clock.set(MONDAY_10AM)
    ticket = new_ticket(agent, ticket_type)
    # Without a pause: Monday 10:00 + 8 h = Tuesday 10:00 Oslo.
    assert fresh(ticket.id).sla_resolution_due == dt.datetime(2026, 11, 24, 9, 0)
    clock.set(dt.datetime(2026, 11, 23, 13, 0))  # Monday 14:00 Oslo
    move_to(ticket, "waiting", agent)
    paused = fresh(ticket.id)
    assert paused.sla_paused_at == dt.datetime(2026, 11, 23, 13, 0)
    assert paused.sla_next_check_at is None
    assert sla.time_left(paused, dt.datetime(2026, 11, 24, 12, 0)).state == "paused"
    clock.set(dt.datetime(2026, 11, 25, 10, 0))  # Wednesday 11:00 Oslo
    move_to(ticket, "open", agent)
    resumed = fresh(ticket.id)
    # Stopped for Mon 14-17, Tue 9-17, Wed 9-11: 13 working hours.
    assert resumed.sla_paused_seconds == 13 * 3600
    assert resumed.sla_paused_at is None
    # 4 h ran before the pause, 4 h are left from Wednesday 11:00: 15:00 Oslo.
    assert resumed.sla_resolution_due == dt.datetime(2026, 11, 25, 14, 0)
    assert resumed.sla_next_check_at == dt.datetime(2026, 11, 25, 13, 0)


def test_resolving_stops_the_clock_and_meets_the_targets(
    agent, ticket_type, clock, office
):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    clock.set(MONDAY_10AM - dt.timedelta(minutes=30))
    move_to(ticket, "done", agent)
    done = fresh(ticket.id)
    assert done.sla_paused_at == clock.now
    assert done.sla_next_check_at is None
    assert not done.sla_first_response_breached
    assert not done.sla_resolution_breached
    later = dt.datetime(2026, 12, 1)
    assert sla.time_left(done, later).state == "met"


def test_the_first_public_agent_reply_meets_the_first_response(
    agent, ticket_type, clock, office
):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    clock.set(FRIDAY_4PM + dt.timedelta(minutes=20))
    message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="Checking", kind="internal")
    )
    assert fresh(ticket.id).first_response_at is None
    clock.set(FRIDAY_4PM + dt.timedelta(minutes=30))
    message_service.post_message(ticket.id, agent, MessageDraft(body_text="On it"))
    replied = fresh(ticket.id)
    assert replied.first_response_at == clock.now
    assert not replied.sla_first_response_breached
    # Only the resolution is pending: its warning, Monday 15:00 Oslo.
    assert replied.sla_next_check_at == dt.datetime(2026, 11, 23, 14, 0)
    state = sla.time_left(replied, clock.now)
    assert (state.state, state.target) == ("ok", "resolution")


def test_a_late_reply_is_a_breach_that_a_later_pause_does_not_undo(
    agent, ticket_type, clock, office
):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    clock.set(MONDAY_10AM + dt.timedelta(minutes=30))  # due was 10:00 Oslo
    message_service.post_message(ticket.id, agent, MessageDraft(body_text="Sorry"))
    assert fresh(ticket.id).sla_first_response_breached
    move_to(ticket, "waiting", agent)
    clock.set(MONDAY_10AM + dt.timedelta(days=2))
    move_to(ticket, "open", agent)
    reopened = fresh(ticket.id)
    assert reopened.sla_first_response_breached
    assert sla.time_left(reopened, clock.now).state == "breached"


def test_resolving_late_is_a_breach(agent, ticket_type, clock, office):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    clock.set(dt.datetime(2026, 11, 23, 15, 5))  # 5 minutes after the due time
    move_to(ticket, "done", agent)
    done = fresh(ticket.id)
    assert done.sla_resolution_breached
    assert done.sla_first_response_breached  # resolving also answers, late here
    state = sla.time_left(done, dt.datetime(2026, 12, 1))
    assert state.state == "breached" and state.seconds_left < 0


def test_resolving_after_waiting_counts_from_the_pause(
    agent, ticket_type, clock, office
):
    make_policy("Standard", first_response_minutes=None, resolution_minutes=120)
    ticket = new_ticket(agent, ticket_type)
    clock.set(FRIDAY_4PM + dt.timedelta(minutes=30))
    move_to(ticket, "waiting", agent)
    clock.set(dt.datetime(2026, 11, 24, 12, 0))  # days later, still waiting
    move_to(ticket, "done", agent)
    assert not fresh(ticket.id).sla_resolution_breached


# --- property tests on the clock's arithmetic -------------------------------------

PROPERTY_CALENDAR = WorkingTime.of(
    BusinessCalendar(
        name="Property",
        timezone="Europe/Oslo",
        weekly_hours={
            day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in WORKDAYS
        },
        holidays=["2026-12-24", "2026-12-25"],
    )
)
CREATED = dt.datetime(2026, 11, 23, 7, 30)  # Monday 08:30 Oslo, before opening


def _resolution_due(target_minutes: int, pause: tuple[int, int] | None) -> dt.datetime:
    """Run a row through the clock: created, then (optionally) paused a..b."""
    policy = SlaPolicy(
        id=1,
        first_response_minutes=None,
        resolution_minutes=target_minutes,
        warning_minutes=0,
    )
    row = SimpleNamespace(
        id=1,
        created_at=CREATED,
        category="open",
        first_response_at=None,
        resolved_at=None,
        **sla.NO_SLA,
    )

    def step(category: str, now: dt.datetime) -> None:
        row.category = category
        values, _events = reconcile(row, policy, PROPERTY_CALENDAR, now)
        vars(row).update(values)

    step("open", CREATED)
    if pause is not None:
        start, length = pause
        step("waiting", CREATED + dt.timedelta(minutes=start))
        step("open", CREATED + dt.timedelta(minutes=start + length))
    return row.sla_resolution_due


targets = st.integers(min_value=1, max_value=40 * 60)
pauses = st.tuples(
    st.integers(min_value=0, max_value=30 * 24 * 60),
    st.integers(min_value=0, max_value=10 * 24 * 60),
)


@settings(max_examples=200, deadline=None)
@given(target=targets, pause=pauses)
def test_a_pause_never_brings_the_due_time_forward(target, pause):
    assert _resolution_due(target, pause) >= _resolution_due(target, None)


@settings(max_examples=200, deadline=None)
@given(target=targets, pause=pauses)
def test_a_pause_before_the_due_time_moves_it_by_the_business_time_paused(
    target, pause
):
    unpaused = _resolution_due(target, None)
    start = CREATED + dt.timedelta(minutes=pause[0])
    end = start + dt.timedelta(minutes=pause[1])
    if end >= unpaused:
        return
    paused = _resolution_due(target, pause)
    moved = business_time_between(PROPERTY_CALENDAR, unpaused, paused)
    assert moved == business_time_between(PROPERTY_CALENDAR, start, end)


@settings(max_examples=100, deadline=None)
@given(target=targets, start=st.integers(min_value=0, max_value=30 * 24 * 60))
def test_resuming_right_after_pausing_changes_nothing(target, start):
    assert _resolution_due(target, (start, 0)) == _resolution_due(target, None)


# --- the scan -------------------------------------------------------------------


def test_the_scan_warns_then_breaches_once_each(agent, ticket_type, clock, office):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    assert sla.scan(now=FRIDAY_4PM + dt.timedelta(minutes=59)) == []
    warning_time = dt.datetime(2026, 11, 20, 16, 0)
    assert sla.scan(now=warning_time) == [(ticket.id, "sla_warning", "first_response")]
    assert sla.scan(now=warning_time + dt.timedelta(minutes=5)) == []
    warned = fresh(ticket.id)
    assert warned.sla_first_response_warned and not warned.sla_first_response_breached
    assert warned.sla_next_check_at == MONDAY_10AM
    assert sla.time_left(warned, warning_time).state == "warning"
    after_due = MONDAY_10AM + dt.timedelta(minutes=1)
    assert sla.scan(now=after_due) == [(ticket.id, "sla_breached", "first_response")]
    assert sla.scan(now=after_due) == []
    breached = fresh(ticket.id)
    assert breached.sla_first_response_breached
    # Next: the resolution's warning, Monday 15:00 Oslo.
    assert breached.sla_next_check_at == dt.datetime(2026, 11, 23, 14, 0)
    assert breached.version == 1


def test_a_breach_due_with_its_warning_is_announced_alone(
    agent, ticket_type, clock, office
):
    make_policy("Standard", resolution_minutes=None)
    ticket = new_ticket(agent, ticket_type)
    events = sla.scan(now=dt.datetime(2026, 11, 24, 12, 0))
    assert events == [(ticket.id, "sla_breached", "first_response")]
    after = fresh(ticket.id)
    assert after.sla_first_response_warned and after.sla_next_check_at is None


def test_the_scan_skips_paused_and_resolved_items(agent, ticket_type, clock, office):
    make_policy("Standard")
    waiting = new_ticket(agent, ticket_type)
    done = new_ticket(agent, ticket_type)
    running = new_ticket(agent, ticket_type)
    move_to(waiting, "waiting", agent)
    move_to(done, "done", agent)
    events = sla.scan(now=dt.datetime(2026, 11, 30))
    assert {item_id for item_id, _trigger, _target in events} == {running.id}
    assert len(events) == 2  # both of its targets breached, nothing else
    assert not fresh(waiting.id).sla_resolution_breached


def test_a_refresh_before_the_scan_does_not_swallow_a_breach(
    agent, ticket_type, clock, office
):
    make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    clock.set(MONDAY_10AM + dt.timedelta(seconds=30))
    item_service.update_item(ticket.id, agent, {"title": "Pump is very noisy"})
    assert fresh(ticket.id).sla_next_check_at <= clock.now
    events = sla.scan(now=clock.now)
    assert (ticket.id, "sla_breached", "first_response") in events


def test_the_scan_reads_a_batch_at_a_time(agent, ticket_type, clock, office):
    make_policy("Standard")
    tickets = [new_ticket(agent, ticket_type) for _ in range(3)]
    later = dt.datetime(2026, 11, 20, 16, 30)
    first = sla.scan(now=later, limit=2)
    assert [item_id for item_id, *_rest in first] == [t.id for t in tickets[:2]]
    assert sla.more_due(later)
    assert [item_id for item_id, *_rest in sla.scan(now=later, limit=2)] == [
        tickets[2].id
    ]
    assert not sla.more_due(later)


def test_the_scan_finds_due_items_through_its_index():
    statement = sla.due_for_check(dt.datetime(2026, 11, 20), 1000)
    dialect = db.engine.dialect
    compiled = str(
        statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    )
    if dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(text("EXPLAIN " + compiled)).scalars().all()
    else:
        plan = [
            row[-1]
            for row in db.session.execute(text("EXPLAIN QUERY PLAN " + compiled))
        ]
    assert "ix_item_sla_next_check" in "\n".join(plan)
    db.session.rollback()


# --- back-fills, removal, display ----------------------------------------------


def test_refresh_items_back_fills_without_announcing(agent, ticket_type, clock, office):
    ticket = new_ticket(agent, ticket_type)
    assert fresh(ticket.id).sla_policy_id is None
    make_policy("Standard")
    count = sla.refresh_items([ticket.id], now=dt.datetime(2026, 11, 30))
    db.session.commit()
    assert count == 1
    filled = fresh(ticket.id)
    assert filled.sla_first_response_breached and filled.sla_resolution_breached
    assert filled.sla_next_check_at is None
    assert sla.scan(now=dt.datetime(2026, 11, 30)) == []


def test_a_deleted_policy_clears_the_clock(agent, ticket_type, clock, office):
    policy = make_policy("Standard")
    ticket = new_ticket(agent, ticket_type)
    db.session.delete(policy)
    db.session.commit()
    sla.refresh_item(ticket.id)
    db.session.commit()
    cleared = fresh(ticket.id)
    assert cleared.sla_policy_id is None
    assert cleared.sla_first_response_due is None
    assert cleared.sla_next_check_at is None


def _row(**fields) -> SimpleNamespace:
    base = {
        "sla_policy_id": 1,
        "sla_paused_at": None,
        "first_response_at": None,
        "resolved_at": None,
        "sla_first_response_due": dt.datetime(2026, 11, 23, 9, 0),
        "sla_resolution_due": dt.datetime(2026, 11, 24, 9, 0),
        "sla_first_response_warned": False,
        "sla_resolution_warned": False,
        "sla_first_response_breached": False,
        "sla_resolution_breached": False,
    }
    return SimpleNamespace(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "now", "expected"),
    [
        ({}, dt.datetime(2026, 11, 23, 8, 0), ("ok", "first_response", 3600)),
        (
            {"sla_first_response_warned": True},
            dt.datetime(2026, 11, 23, 8, 30),
            ("warning", "first_response", 1800),
        ),
        ({}, dt.datetime(2026, 11, 23, 10, 5), ("breached", "first_response", -3900)),
        (
            {"sla_paused_at": dt.datetime(2026, 11, 23, 8, 0)},
            dt.datetime(2026, 11, 23, 12, 0),
            ("paused", "first_response", 3600),
        ),
        (
            {"first_response_at": dt.datetime(2026, 11, 23, 8, 0)},
            dt.datetime(2026, 11, 23, 12, 0),
            ("ok", "resolution", 75600),
        ),
        (
            {
                "first_response_at": dt.datetime(2026, 11, 23, 8, 0),
                "resolved_at": dt.datetime(2026, 11, 23, 9, 0),
                "sla_paused_at": dt.datetime(2026, 11, 23, 9, 0),
            },
            dt.datetime(2026, 12, 1),
            ("met", "resolution", 86400),
        ),
        (
            {
                "first_response_at": dt.datetime(2026, 11, 23, 10, 0),
                "sla_first_response_breached": True,
            },
            dt.datetime(2026, 11, 23, 12, 0),
            ("breached", "first_response", -3600),
        ),
        ({"sla_policy_id": None}, dt.datetime(2026, 11, 23), ("none", None, None)),
    ],
)
def test_time_left_reads_only_the_columns(fields, now, expected):
    state = sla.time_left(_row(**fields), now)
    assert (state.state, state.target, state.seconds_left) == expected


# --- policies as typed in forms ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("4h", 240),
        ("90m", 90),
        ("1h 30m", 90),
        ("1d 2h", 600),
        ("2D4H", 1200),
        ("2:30", 150),
        ("", None),
        ("  ", None),
    ],
)
def test_durations_are_typed_in_business_hours(typed, minutes):
    assert policy_service.parse_duration(typed, field="x") == minutes
    if minutes is not None:
        again = policy_service.format_duration(minutes)
        assert policy_service.parse_duration(again, field="x") == minutes


@pytest.mark.parametrize(
    "typed", ["four hours", "90", "-1h", "0h", "1.5h", "h", "10000h", "1h 1h", "2:75"]
)
def test_bad_durations_are_refused(typed):
    with pytest.raises(InvalidInputError):
        policy_service.parse_duration(typed, field="x")


@pytest.mark.parametrize(
    "changes",
    [
        {"first_response_minutes": None, "resolution_minutes": None},
        {"resolution_minutes": 0},
        {"first_response_minutes": -5},
        {"warning_minutes": -1},
        {"warning_minutes": 120},
        {"priority": 6},
        {"name": "  "},
    ],
)
def test_bad_policies_are_refused(changes):
    fields = {
        "name": "Standard",
        "first_response_minutes": 120,
        "resolution_minutes": 480,
        "warning_minutes": 30,
        **changes,
    }
    with pytest.raises(InvalidInputError):
        policy_service.prepare_policy(SlaPolicy(**fields))


def test_policy_names_are_unique():
    make_policy("Standard")
    with pytest.raises(InvalidInputError):
        policy_service.prepare_policy(
            SlaPolicy(name="Standard", first_response_minutes=60, warning_minutes=0)
        )


# --- demo data --------------------------------------------------------------------


def test_demo_items_run_on_the_demo_policies():
    from app.services.demo import seed_demo

    seed_demo(password="demo-password-for-tests", items=40)
    policies = {p.name: p for p in db.session.scalars(db.select(SlaPolicy))}
    assert set(policies) == {"Standard SLA", "Priority SLA"}
    assert policies["Standard SLA"].resolution_minutes == 24 * 60
    calendar = db.session.scalar(
        db.select(BusinessCalendar).where(BusinessCalendar.is_default.is_(True))
    )
    assert calendar is not None and calendar.weekly_hours["mon"] == [["09:00", "17:00"]]
    from app.models.base import utcnow
    from app.services.demo_sla import SLA_ADOPTED_DAYS

    adopted = utcnow() - dt.timedelta(days=SLA_ADOPTED_DAYS)
    every = list(db.session.scalars(db.select(Item)))
    items = [item for item in every if item.created_at >= adopted]
    older = [item for item in every if item.created_at < adopted]
    assert items and older  # the demo history spans both sides of the adoption
    assert all(item.sla_policy_id is not None for item in items)
    assert all(item.sla_resolution_due > item.created_at for item in items)
    # Items from before the SLAs were adopted run on none.
    assert all(item.sla_policy_id is None for item in older)
    assert all(item.sla_resolution_due is None for item in older)
    urgent = [item for item in items if item.priority == 5]
    assert all(item.sla_policy_id == policies["Priority SLA"].id for item in urgent)
    # Deadlines that passed in the backdated history are settled, not announced.
    assert sla.scan() == []
