"""Data for the tree pages: one level at a time, bounded, access-scoped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func

from app.extensions import db
from app.models import Item, Organization, Portfolio, Project
from app.models.workflows import RESOLVED_CATEGORIES, Status
from app.services.access import item_scope, organization_scope
from app.services.text import contains_pattern

LEVEL_LIMIT = 50


@dataclass(frozen=True)
class Level:
    """One expanded level: folders, projects and items, and whether more exist."""

    folders: list[Any]
    projects: list[Any]
    items: list[Item]
    more_items: bool
    open_counts: dict[int, int]


def organizations_page(
    term: str, page: int, user: object
) -> tuple[list[Any], bool, dict]:
    """A page of organizations with the number of unresolved items of each."""
    query = db.select(Organization).where(organization_scope(user))
    if term:
        query = query.where(
            Organization.name.ilike(contains_pattern(term[:100]), escape="\\")
        )
    rows = db.session.scalars(
        query.order_by(Organization.name)
        .limit(LEVEL_LIMIT + 1)
        .offset((max(page, 1) - 1) * LEVEL_LIMIT)
    ).all()
    organizations = list(rows[:LEVEL_LIMIT])
    counts = _open_counts(Item.organization_id, [o.id for o in organizations], user)
    return organizations, len(rows) > LEVEL_LIMIT, counts


def _open_counts(column, ids: list[int], user: object) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(column, func.count(Item.id))
        .join(Status, Status.id == Item.status_id)
        .where(
            column.in_(ids),
            item_scope(user),
            Item.archived.is_(False),
            Status.category.not_in(RESOLVED_CATEGORIES),
        )
        .group_by(column)
    )
    return dict(rows.all())


def _items(condition, user: object) -> tuple[list[Item], bool]:
    rows = db.session.scalars(
        db.select(Item)
        .where(condition, item_scope(user), Item.archived.is_(False))
        .order_by(Item.id.desc())
        .limit(LEVEL_LIMIT + 1)
    ).all()
    return list(rows[:LEVEL_LIMIT]), len(rows) > LEVEL_LIMIT


def _projects(condition, user: object) -> tuple[list[Project], dict[int, int]]:
    projects = list(
        db.session.scalars(
            db.select(Project)
            .where(condition, Project.archived.is_(False))
            .order_by(Project.name)
            .limit(LEVEL_LIMIT)
        )
    )
    return projects, _open_counts(Item.project_id, [p.id for p in projects], user)


def organization_level(organization_id: int, user: object) -> Level:
    """An organization's projects and its items outside any project."""
    projects, counts = _projects(Project.organization_id == organization_id, user)
    items, more = _items(
        (Item.organization_id == organization_id) & Item.project_id.is_(None), user
    )
    return Level([], projects, items, more, counts)


def portfolio_level(portfolio_id: int | None, user: object) -> Level:
    """A portfolio's folders and projects (None: the top level)."""
    folders = list(
        db.session.scalars(
            db.select(Portfolio)
            .where(
                Portfolio.parent_id.is_(portfolio_id)
                if portfolio_id is None
                else Portfolio.parent_id == portfolio_id
            )
            .order_by(Portfolio.position, Portfolio.name)
            .limit(LEVEL_LIMIT)
        )
    )
    condition = (
        Project.portfolio_id.is_(None)
        if portfolio_id is None
        else Project.portfolio_id == portfolio_id
    )
    projects, counts = _projects(condition, user)
    return Level(folders, projects, [], False, counts)


def project_level(project_id: int, user: object) -> Level:
    """A project's top-level items."""
    items, more = _items(
        (Item.project_id == project_id) & Item.parent_id.is_(None), user
    )
    return Level([], [], items, more, {})


def item_level(item_id: int, user: object) -> Level:
    """An item's sub-items."""
    items, more = _items(Item.parent_id == item_id, user)
    return Level([], [], items, more, {})
