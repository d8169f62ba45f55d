"""Logging time: reading durations, checking values, who may change what, totals."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import ForbiddenError, InvalidInputError, NotFoundError
from app.extensions import db
from app.models import TimeEntry
from app.models.base import utcnow
from app.services import items as item_service
from app.services import time_entries as time_service


@pytest.fixture
def item(agent, ticket_type):
    return item_service.create_item(
        agent, kind="ticket", title="Pump is loud", item_type_id=ticket_type.id
    )


def _count() -> int:
    return db.session.scalar(db.select(db.func.count(TimeEntry.id)))


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        (" 90 ", 90),
        ("90m", 90),
        ("90 min", 90),
        ("45 minutes", 45),
        ("1h", 60),
        ("2 hours", 120),
        ("1h 30m", 90),
        ("1H30M", 90),
        ("1h30", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("0.25h", 15),
        ("1:30", 90),
        ("0:05", 5),
        ("12:00", 720),
        (90, 90),
        (90.0, 90),
    ],
)
def test_durations_people_type_are_read(text, minutes):
    assert time_service.parse_minutes(text) == minutes


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "abc",
        "1h 30m 10s",
        "-5",
        "1:75",
        "1.5h 20m",
        "1.555h",
        "h",
        "m",
        "٣٠",  # digits, but not the ASCII ones people type here
        "9" * 50,
        "1e3",
        "90; drop table",
        90.5,
        float("nan"),
        True,
        None,
        [90],
        {"minutes": 90},
    ],
)
def test_garbage_durations_are_refused_with_a_clear_message(garbage):
    with pytest.raises(InvalidInputError) as refused:
        time_service.parse_minutes(garbage)
    assert refused.value.field == "minutes"
    assert "1h 30m" in str(refused.value.message)


def test_an_agent_logs_time_with_defaults(agent, item):
    entry = time_service.log_time(item.id, agent, minutes="1h 15m", note=" Pump ")
    assert (entry.minutes, entry.user_id, entry.item_id) == (75, agent.id, item.id)
    assert entry.spent_on == utcnow().date()
    assert entry.billable is True and entry.note == "Pump"
    assert entry.source == "manual"


@pytest.mark.parametrize("minutes", [0, -10, 24 * 60 + 1, "25h", "0:00"])
def test_out_of_range_minutes_are_refused(agent, item, minutes):
    with pytest.raises(InvalidInputError) as refused:
        time_service.log_time(item.id, agent, minutes=minutes)
    assert refused.value.field == "minutes"
    assert _count() == 0


def test_a_whole_day_is_the_most_one_entry_holds(agent, item):
    assert time_service.log_time(item.id, agent, minutes="24:00").minutes == 1440


def test_future_dates_are_refused(agent, item):
    later = utcnow().date() + dt.timedelta(days=2)
    with pytest.raises(InvalidInputError) as refused:
        time_service.log_time(item.id, agent, minutes=30, spent_on=later)
    assert refused.value.field == "spent_on"
    with pytest.raises(InvalidInputError):
        time_service.log_time(item.id, agent, minutes=30, spent_on=later.isoformat())
    assert _count() == 0


def test_past_dates_and_date_strings_are_kept(agent, item):
    entry = time_service.log_time(item.id, agent, minutes=30, spent_on="2024-03-01")
    assert entry.spent_on == dt.date(2024, 3, 1)
    stamp = dt.datetime(2024, 3, 2, 23, 59)
    assert time_service.log_time(
        item.id, agent, minutes=5, spent_on=stamp
    ).spent_on == dt.date(2024, 3, 2)


@pytest.mark.parametrize("spent_on", ["yesterday", "2024-13-01", "01/02/2024"])
def test_unreadable_dates_are_refused(agent, item, spent_on):
    with pytest.raises(InvalidInputError) as refused:
        time_service.log_time(item.id, agent, minutes=30, spent_on=spent_on)
    assert refused.value.field == "spent_on"


def test_long_notes_and_nul_are_refused(agent, item):
    for note in ("x" * (time_service.MAX_NOTE + 1), "a\x00b"):
        with pytest.raises(InvalidInputError) as refused:
            time_service.log_time(item.id, agent, minutes=30, note=note)
        assert refused.value.field == "note"
    assert _count() == 0


def test_customers_and_anonymous_cannot_log_time(make_customer_user, item):
    user, _customer = make_customer_user()
    for actor in (user, None):
        with pytest.raises(ForbiddenError):
            time_service.log_time(item.id, actor, minutes=30)
    assert _count() == 0


def test_customers_cannot_read_entries(agent, make_customer_user, item):
    entry = time_service.log_time(item.id, agent, minutes=30)
    user, _customer = make_customer_user()
    with pytest.raises(NotFoundError):
        time_service.get_entry(entry.id, user)
    with pytest.raises(NotFoundError):
        time_service.update_entry(entry.id, user, {"minutes": 1})
    with pytest.raises(NotFoundError):
        time_service.delete_entry(entry.id, user)


@pytest.mark.parametrize("item_id", [0, 999_999, 2**40, "abc"])
def test_unknown_items_and_entries_are_not_found(agent, item_id):
    with pytest.raises(NotFoundError):
        time_service.log_time(item_id, agent, minutes=30)
    with pytest.raises(NotFoundError):
        time_service.get_entry(item_id, agent)


def test_the_author_corrects_an_entry(agent, item):
    entry = time_service.log_time(item.id, agent, minutes=30)
    changes = {"minutes": "1:00", "billable": False, "note": "Travel"}
    changed = time_service.update_entry(
        entry.id, agent, {**changes, "spent_on": "2024-01-02"}
    )
    assert (changed.minutes, changed.billable, changed.note) == (60, False, "Travel")
    assert changed.spent_on == dt.date(2024, 1, 2)


def test_a_refused_correction_changes_nothing(agent, item):
    entry = time_service.log_time(item.id, agent, minutes=30, note="kept")
    with pytest.raises(InvalidInputError):
        time_service.update_entry(entry.id, agent, {"note": "new", "minutes": "lots"})
    with pytest.raises(InvalidInputError) as refused:
        time_service.update_entry(entry.id, agent, {"user_id": 1})
    assert refused.value.field == "user_id"
    db.session.expire_all()
    stored = db.session.get(TimeEntry, entry.id)
    assert (stored.minutes, stored.note) == (30, "kept")


def test_another_agent_may_not_change_an_entry(agent, make_user, item):
    entry = time_service.log_time(item.id, agent, minutes=30)
    other = make_user("Agent")
    assert time_service.may_change(entry, other) is False
    with pytest.raises(ForbiddenError):
        time_service.update_entry(entry.id, other, {"minutes": 5})
    with pytest.raises(ForbiddenError):
        time_service.delete_entry(entry.id, other)
    assert db.session.get(TimeEntry, entry.id).minutes == 30


@pytest.mark.parametrize("role", ["Manager", "Admin"])
def test_managers_and_admins_change_anyones_entry(agent, make_user, item, role):
    entry = time_service.log_time(item.id, agent, minutes=30)
    boss = make_user(role)
    assert time_service.may_change(entry, boss) is True
    assert time_service.update_entry(entry.id, boss, {"minutes": 45}).minutes == 45
    time_service.delete_entry(entry.id, boss)
    assert _count() == 0


def test_the_author_deletes_their_entry(agent, item):
    entry = time_service.log_time(item.id, agent, minutes=30)
    assert time_service.may_change(entry, agent) is True
    time_service.delete_entry(entry.id, agent)
    assert _count() == 0


def test_totals_and_entries_newest_first(agent, make_user, item, ticket_type):
    other = make_user("Agent")
    time_service.log_time(item.id, agent, minutes=90, spent_on="2024-01-01")
    time_service.log_time(item.id, other, minutes=30, billable=False)
    time_service.log_time(item.id, agent, minutes=15, spent_on="2024-01-03")
    elsewhere = item_service.create_item(
        agent, kind="ticket", title="Other", item_type_id=ticket_type.id
    )
    time_service.log_time(elsewhere.id, agent, minutes=600)
    totals = time_service.item_totals(item.id)
    assert totals == time_service.TimeTotals(135, 105, 3)
    assert time_service.item_totals(999_999) == time_service.TimeTotals(0, 0, 0)
    entries = time_service.item_entries(item.id)
    assert [e.minutes for e in entries] == [30, 15, 90]
    assert [e.minutes for e in time_service.item_entries(item.id, limit=2)] == [30, 15]
    assert time_service.latest_entry(item.id).minutes == 15
    assert time_service.latest_entry(999_999) is None
