"""Type-ahead searches for remote selects: small pages, always access-scoped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from app.extensions import db
from app.models import AtriumUser, Customer, Item, Organization, Project, Team
from app.services.access import (
    STAFF_ROLES,
    customer_scope,
    item_scope,
    organization_scope,
    staff_only_scope,
)
from app.services.text import contains_pattern

PAGE_SIZE = 20


def _page(query, columns: tuple, term: str, page: int) -> tuple[list[Any], bool]:
    if term:
        pattern = contains_pattern(term[:100])
        query = query.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    rows = db.session.scalars(
        query.limit(PAGE_SIZE + 1).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def search(kind: str, term: str, page: int, user: object) -> tuple[list[Any], bool]:
    """Objects of ``kind`` matching ``term`` that ``user`` may see, and "more?"."""
    term = (term or "").strip()
    if kind == "customers":
        query = db.select(Customer).where(customer_scope(user)).order_by(Customer.email)
        return _page(query, (Customer.email, Customer.name), term, page)
    if kind == "organizations":
        query = db.select(Organization).where(organization_scope(user))
        return _page(
            query.order_by(Organization.name), (Organization.name,), term, page
        )
    if kind == "projects":
        query = db.select(Project).where(
            staff_only_scope(user), Project.archived.is_(False)
        )
        return _page(query.order_by(Project.name), (Project.name,), term, page)
    if kind == "teams":
        query = db.select(Team).where(staff_only_scope(user)).order_by(Team.name)
        return _page(query, (Team.name,), term, page)
    if kind == "agents":
        return _page(
            _agents(user),
            (AtriumUser.username, AtriumUser.first_name, AtriumUser.last_name),
            term,
            page,
        )
    if kind == "items":
        query = db.select(Item).where(item_scope(user)).order_by(Item.id.desc())
        number = term.lstrip("TKtk-")
        if number.isdecimal() and number.isascii() and len(number) <= 12:
            query = query.where(Item.id == int(number))
            term = ""
        return _page(query, (Item.title,), term, page)
    raise KeyError(kind)


def _agents(user: object) -> Any:
    role_model = AtriumUser.roles.property.mapper.class_
    staff: ColumnElement[bool] = AtriumUser.roles.any(role_model.name.in_(STAFF_ROLES))
    return (
        db.select(AtriumUser)
        .where(staff_only_scope(user), staff, AtriumUser.active.is_(True))
        .order_by(AtriumUser.first_name, AtriumUser.last_name)
    )


LOOKUP_KINDS = ("customers", "organizations", "projects", "teams", "agents", "items")
