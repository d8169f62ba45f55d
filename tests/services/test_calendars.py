"""Business-time arithmetic: weekends, holidays, DST and pauses across days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InvalidInputError
from app.models import BusinessCalendar
from app.services.calendars import (
    WorkingTime,
    add_business_time,
    business_time_between,
    parse_holidays,
    parse_intervals,
    prepare_calendar,
)

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in WORKDAYS}


def working(zone: str = "Europe/Oslo", holidays=(), hours=None) -> WorkingTime:
    calendar = BusinessCalendar(
        name="Office",
        timezone=zone,
        weekly_hours=hours or OFFICE,
        holidays=list(holidays),
    )
    return WorkingTime.of(calendar)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args)


def test_friday_afternoon_plus_four_hours_is_monday_morning():
    oslo = working()
    # Friday 2026-11-20 15:00 Oslo = 14:00 UTC; two hours left that day.
    due = add_business_time(oslo, utc(2026, 11, 20, 14, 0), dt.timedelta(hours=4))
    assert due == utc(2026, 11, 23, 10, 0)  # Monday 11:00 Oslo


def test_lunch_break_and_evening_are_skipped():
    oslo = working()
    due = add_business_time(oslo, utc(2026, 11, 24, 10, 30), dt.timedelta(hours=2))
    assert due == utc(2026, 11, 24, 13, 30)  # 11:30 → 12:00, then 13:00 → 14:30 Oslo


def test_holidays_are_skipped():
    oslo = working(holidays=["2026-12-24", "2026-12-25"])
    start = utc(2026, 12, 23, 15, 0)  # Wednesday 16:00 Oslo, one hour left
    due = add_business_time(oslo, start, dt.timedelta(hours=2))
    assert due == utc(2026, 12, 28, 9, 0)  # Monday 10:00 Oslo


def test_daylight_saving_change_keeps_local_hours():
    oslo = working()
    # Friday 2026-03-27 16:00 Oslo (UTC+1); Monday 03-30 is summer time (UTC+2).
    due = add_business_time(oslo, utc(2026, 3, 27, 15, 0), dt.timedelta(hours=2))
    assert due == utc(2026, 3, 30, 8, 0)  # Monday 10:00 Oslo in summer time


def test_time_outside_hours_starts_at_the_next_opening():
    oslo = working()
    due = add_business_time(oslo, utc(2026, 11, 21, 12, 0), dt.timedelta(minutes=30))
    assert due == utc(2026, 11, 23, 8, 30)  # Saturday → Monday 09:30 Oslo


def test_round_the_clock_calendar_is_plain_time():
    always = working(
        "UTC", hours={d: [["00:00", "24:00"]] for d in OFFICE | {"sat": 1, "sun": 1}}
    )
    start = utc(2026, 11, 21, 23, 0)
    assert add_business_time(always, start, dt.timedelta(hours=5)) == utc(
        2026, 11, 22, 4, 0
    )


def test_a_calendar_without_hours_is_refused_not_looped():
    empty = WorkingTime.of(BusinessCalendar(name="x", timezone="UTC", weekly_hours={}))
    with pytest.raises(InvalidInputError):
        add_business_time(empty, utc(2026, 1, 1), dt.timedelta(minutes=1))


moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 1, 1)
)
durations = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20))
zones = st.sampled_from(["Europe/Oslo", "Europe/Moscow", "America/Sao_Paulo", "UTC"])
holiday_sets = st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2028, 1, 1)), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=moments, duration=durations, zone=zones, holidays=holiday_sets)
def test_adding_then_measuring_gives_the_duration_back(start, duration, zone, holidays):
    calendar = working(zone, [d.isoformat() for d in holidays])
    due = add_business_time(calendar, start, duration)
    assert due >= start
    assert business_time_between(calendar, start, due) == duration


@settings(max_examples=100, deadline=None)
@given(start=moments, first=durations, second=durations, zone=zones)
def test_business_time_adds_up(start, first, second, zone):
    calendar = working(zone)
    middle = add_business_time(calendar, start, first)
    end = add_business_time(calendar, middle, second)
    assert end == add_business_time(calendar, start, first + second) or second == (
        dt.timedelta(0)
    )
    assert business_time_between(calendar, start, end) == first + second


@settings(max_examples=100, deadline=None)
@given(start=moments, duration=durations, holidays=holiday_sets)
def test_a_due_time_never_lands_on_a_holiday_or_weekend(start, duration, holidays):
    calendar = working("Europe/Oslo", [d.isoformat() for d in holidays])
    if duration == dt.timedelta(0):
        return
    due = add_business_time(calendar, start, duration)
    local = due.replace(tzinfo=dt.UTC).astimezone(calendar.zone)
    # A due time is inside working hours or exactly at the end of a period.
    assert local.date() not in calendar.holidays or local.time() == dt.time(0, 0)
    assert local.weekday() < 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-17:00", [["09:00", "17:00"]]),
        ("13:00-17:00, 8:30-12:00", [["08:30", "12:00"], ["13:00", "17:00"]]),
        ("00:00-24:00", [["00:00", "24:00"]]),
        ("", []),
    ],
)
def test_typed_hours_are_read(text, expected):
    assert parse_intervals(text, field="hours_mon") == expected


@pytest.mark.parametrize(
    "text", ["9-17", "17:00-09:00", "09:00-12:00, 11:00-13:00", "25:00-26:00", "x"]
)
def test_bad_hours_are_refused(text):
    with pytest.raises(InvalidInputError):
        parse_intervals(text, field="hours_mon")


def test_holidays_are_read_with_comments_and_bad_ones_refused():
    assert parse_holidays("2026-12-25 Christmas\n\n2026-01-01") == [
        "2026-01-01",
        "2026-12-25",
    ]
    with pytest.raises(InvalidInputError):
        parse_holidays("25.12.2026")


def test_prepare_calendar_checks_everything(app):
    calendar = BusinessCalendar(name=" Oslo office ", timezone="Europe/Oslo")
    calendar.hours_mon = "09:00-17:00"
    calendar.holidays_text = "2026-12-25"
    prepare_calendar(calendar)
    assert calendar.name == "Oslo office"
    assert calendar.weekly_hours["mon"] == [["09:00", "17:00"]]
    assert calendar.weekly_hours["sun"] == []
    assert calendar.holidays == ["2026-12-25"]
    assert calendar.hours_mon == "09:00-17:00"
    bad_zone = BusinessCalendar(name="x", timezone="Mars/Olympus")
    bad_zone.hours_mon = "09:00-17:00"
    with pytest.raises(InvalidInputError):
        prepare_calendar(bad_zone)
    no_hours = BusinessCalendar(name="y", timezone="UTC")
    with pytest.raises(InvalidInputError):
        prepare_calendar(no_hours)
