"""Round-robin and least-loaded assignment within a team."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from app.extensions import db
from app.models import Team
from app.services import assignment
from app.services import items as item_service
from tests import factories


@pytest.fixture
def members(make_user):
    return [make_user("Agent") for _ in range(3)]


@pytest.fixture
def team(members):
    return factories.TeamFactory(members=members)


def test_round_robin_cycles_in_id_order(team, members):
    ids = sorted(m.id for m in members)
    picks = [assignment.next_round_robin(team.id) for _ in range(7)]
    assert picks == [*ids, *ids, ids[0]]


def test_round_robin_skips_unavailable_inactive_and_system(team, members, make_user):
    ids = sorted(m.id for m in members)
    away = db.session.get(type(members[0]), ids[1])
    away.available = False
    gone = db.session.get(type(members[0]), ids[2])
    gone.active = False
    db.session.commit()
    assert [assignment.next_round_robin(team.id) for _ in range(3)] == [ids[0]] * 3
    away.available = True
    db.session.commit()
    assert assignment.next_round_robin(team.id) == ids[1]


def test_round_robin_with_nobody_available(make_user):
    empty = factories.TeamFactory(members=[])
    assert assignment.next_round_robin(empty.id) is None
    assert assignment.least_loaded(empty.id) is None


def test_cursor_is_stored_in_the_database(team, members):
    team_id, ids = team.id, sorted(m.id for m in members)
    first = assignment.next_round_robin(team_id)
    db.session.expunge_all()  # a restart: nothing remembered in memory
    assert db.session.get(Team, team_id).round_robin_cursor == first == ids[0]
    assert assignment.peek_round_robin(team_id) == ids[1]
    assert assignment.next_round_robin(team_id) == ids[1]


def test_a_member_leaving_keeps_the_turn_order(team, members):
    ids = sorted(m.id for m in members)
    assert assignment.next_round_robin(team.id) == ids[0]
    team.members.remove(db.session.get(type(members[0]), ids[1]))
    db.session.commit()
    assert assignment.next_round_robin(team.id) == ids[2]
    assert assignment.next_round_robin(team.id) == ids[0]


def test_least_loaded_counts_open_items_only(team, members, ticket_type, agent):
    ids = sorted(m.id for m in members)
    done = next(s for s in ticket_type.statuses if s.category == "done")
    for _ in range(2):
        item_service.create_item(
            agent,
            kind="ticket",
            title="a",
            item_type_id=ticket_type.id,
            assignee_id=ids[0],
        )
    item_service.create_item(
        agent, kind="ticket", title="b", item_type_id=ticket_type.id, assignee_id=ids[1]
    )
    for _ in range(3):  # resolved work does not count
        item_service.create_item(
            agent,
            kind="ticket",
            title="c",
            item_type_id=ticket_type.id,
            assignee_id=ids[2],
            status_id=done.id,
        )
    assert assignment.open_counts(team.id) == {ids[0]: 2, ids[1]: 1, ids[2]: 0}
    assert assignment.least_loaded(team.id) == ids[2]


def test_concurrent_round_robin_is_fair(app, team, members):
    """Twelve workers at once: each member gets exactly four items."""
    team_id = team.id
    picks: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(2):
                    picks.append(assignment.next_round_robin(team_id))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(Counter(picks).values()) == [4, 4, 4]
