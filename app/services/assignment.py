"""Automatic assignment within a team: round-robin and least-loaded."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.errors import ConflictError
from app.extensions import db
from app.models import AtriumUser, Item, Status, Team, team_member
from app.models.workflows import RESOLVED_CATEGORIES

#: Compare-and-swap attempts before round-robin gives up under contention.
MAX_ATTEMPTS = 50


def eligible_members(team_id: int) -> list[int]:
    """Ids of the team's members who can take work: active, available, not system."""
    return list(
        db.session.scalars(
            select(AtriumUser.id)
            .join(team_member, team_member.c.user_id == AtriumUser.id)
            .where(
                team_member.c.team_id == team_id,
                AtriumUser.active.is_(True),
                AtriumUser.available.is_(True),
                AtriumUser.is_system.is_(False),
            )
            .order_by(AtriumUser.id)
        )
    )


def _after(members: list[int], cursor: int) -> int:
    """The first member after ``cursor`` in id order, wrapping around."""
    return next((member for member in members if member > cursor), members[0])


def peek_round_robin(team_id: int) -> int | None:
    """Who round-robin would pick next, without moving the cursor."""
    members = eligible_members(team_id)
    cursor = db.session.scalar(
        select(Team.round_robin_cursor).where(Team.id == team_id)
    )
    if not members or cursor is None:
        return None
    return _after(members, cursor)


def next_round_robin(team_id: int) -> int | None:
    """Pick the next available member after the last one picked, and commit the cursor.

    The cursor is the id of the member who got the previous item, stored in the
    team's row and moved with a compare-and-swap UPDATE: concurrent workers (or a
    restart) never give two items to one person out of turn.
    """
    for _attempt in range(MAX_ATTEMPTS):
        members = eligible_members(team_id)
        cursor = db.session.scalar(
            select(Team.round_robin_cursor).where(Team.id == team_id)
        )
        if not members or cursor is None:
            db.session.rollback()
            return None
        chosen = _after(members, cursor)
        moved = db.session.execute(
            update(Team)
            .where(Team.id == team_id, Team.round_robin_cursor == cursor)
            .values(round_robin_cursor=chosen)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if moved == 1:
            return chosen
    raise ConflictError()


def open_counts(team_id: int) -> dict[int, int]:
    """Open (unresolved, not archived) items per eligible member, in one query."""
    members = eligible_members(team_id)
    if not members:
        return {}
    rows = db.session.execute(
        select(Item.assignee_id, func.count(Item.id))
        .join(Status, Item.status_id == Status.id)
        .where(
            Item.assignee_id.in_(members),
            Item.archived.is_(False),
            Status.category.not_in(RESOLVED_CATEGORIES),
        )
        .group_by(Item.assignee_id)
    ).all()
    counts = dict.fromkeys(members, 0)
    counts.update({assignee: count for assignee, count in rows})
    return counts


def least_loaded(team_id: int) -> int | None:
    """The eligible member with the fewest open items (lowest id on a tie)."""
    counts = open_counts(team_id)
    if not counts:
        return None
    return min(counts, key=lambda member: (counts[member], member))
