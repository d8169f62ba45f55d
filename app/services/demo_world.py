"""The demo world: users, teams, item types, organizations, customers and projects.

Every step finds what an earlier, interrupted run already made, so a second run
completes the world instead of failing on a duplicate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    ItemType,
    Organization,
    Portfolio,
    Project,
    Status,
    Team,
)
from app.models.base import utcnow
from app.services.access import ROLE_CUSTOMER
from app.services.demo_content import (
    CUSTOMER_ACCOUNT,
    ITEM_TYPES,
    ORGANIZATIONS,
    PROJECTS,
    SCENARIO_TEAMS,
    STAFF,
    TEAMS,
)
from app.services.organizations import create_organization, get_or_create_customer
from app.services.projects import create_portfolio, create_project
from app.services.text import unique_key
from app.services.workflows import create_item_type, ensure_workflow

#: Staff demo accounts get addresses here (reserved: mail to it goes nowhere).
STAFF_DOMAIN = "atrium.example"


@dataclass(frozen=True)
class TypeInfo:
    """An item type and its workflow as (status id, category) pairs, in order."""

    id: int
    kind: str
    name: str
    statuses: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class OrgInfo:
    """A demo organization with its scenario, language and customers."""

    id: int
    scenario: str
    language: str
    customer_ids: tuple[int, ...]


@dataclass(frozen=True)
class TeamInfo:
    """A team's id and its members' ids."""

    id: int
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class World:
    """The rows demo items are made of."""

    users: dict[str, AtriumUser]
    teams: dict[str, TeamInfo]
    types: dict[str, TypeInfo]
    orgs: tuple[OrgInfo, ...]
    #: Scenario -> (project id, archived) pairs.
    projects: dict[str, tuple[tuple[int, bool], ...]]
    portal_customer_id: int

    @property
    def portal_user(self) -> AtriumUser:
        """The customer account that signs in to the portal."""
        return self.users[CUSTOMER_ACCOUNT[0]]

    def user(self, user_id: int) -> AtriumUser:
        """A demo user by id."""
        return next(u for u in self.users.values() if u.id == user_id)


def build_world(password: str) -> World:
    """Create (or complete) everything but the items; users get ``password``."""
    users = _ensure_users(password)
    teams = _ensure_teams(users)
    types = _ensure_item_types()
    orgs = _ensure_organizations(teams)
    return World(
        users=users,
        teams=teams,
        types=types,
        orgs=orgs,
        projects=_ensure_projects(),
        portal_customer_id=_link_portal_account(users[CUSTOMER_ACCOUNT[0]]),
    )


def type_infos() -> list[TypeInfo]:
    """Every item type that has a workflow, with its statuses in order."""
    statuses: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = db.session.execute(
        select(Status.item_type_id, Status.id, Status.category).order_by(
            Status.item_type_id, Status.position, Status.id
        )
    )
    for type_id, status_id, category in rows:
        statuses[type_id].append((status_id, category))
    types = db.session.execute(
        select(ItemType.id, ItemType.kind, ItemType.name).order_by(ItemType.id)
    )
    return [
        TypeInfo(type_id, kind, name, tuple(statuses[type_id]))
        for type_id, kind, name in types
        if statuses[type_id]
    ]


def _ensure_user(
    username: str, first: str, last: str, role_name: str, password_hash: str, email: str
) -> AtriumUser:
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is not None:
        return user
    role = sm.find_role(role_name)
    if role is None:
        raise InvalidInputError(_l("Run flask setup first: a role is missing."))
    user = sm.add_user(
        username, first, last, email, [role], hashed_password=password_hash
    )
    if not user:
        raise RuntimeError(f"Could not create the demo user {username!r}")
    return user


def _hash_password(password: str) -> str:
    """Hash the shared demo password once, as FAB's add_user would (scrypt is slow)."""
    config = current_app.config
    return generate_password_hash(
        password,
        method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def _ensure_users(password: str) -> dict[str, AtriumUser]:
    users = {}
    password_hash = _hash_password(password)
    for spec in STAFF:
        email = f"{spec.username}@{STAFF_DOMAIN}"
        user = _ensure_user(*spec[:4], password_hash, email)
        user.language, user.timezone = spec.language, spec.timezone
        users[spec.username] = user
    username, first, last, email = CUSTOMER_ACCOUNT
    users[username] = _ensure_user(
        username, first, last, ROLE_CUSTOMER, password_hash, email
    )
    db.session.commit()
    return users


def _ensure_teams(users: dict[str, AtriumUser]) -> dict[str, TeamInfo]:
    teams = {}
    for name, description in TEAMS:
        team = db.session.scalar(select(Team).filter_by(name=name))
        if team is None:
            team = Team(name=name, description=description)
            db.session.add(team)
        wanted = [users[spec.username] for spec in STAFF if name in spec.teams]
        team.members.extend(user for user in wanted if user not in team.members)
        teams[name] = team
    db.session.commit()
    return {
        name: TeamInfo(team.id, tuple(user.id for user in team.members))
        for name, team in teams.items()
    }


def _ensure_item_types() -> dict[str, TypeInfo]:
    for position, spec in enumerate(ITEM_TYPES):
        item_type = db.session.scalar(
            select(ItemType).filter_by(kind=spec.kind, name=spec.name)
        )
        if item_type is None:
            item_type = create_item_type(
                spec.kind,
                spec.name,
                icon=spec.icon,
                color=spec.color,
                workflow=spec.workflow,
                required_fields=list(spec.required),
            )
            item_type.position = position
            db.session.commit()
        ensure_workflow(item_type.id)
    return {info.name: info for info in type_infos()}


def _ensure_organizations(teams: dict[str, TeamInfo]) -> tuple[OrgInfo, ...]:
    infos = []
    for spec in ORGANIZATIONS:
        organization = db.session.scalar(
            select(Organization).filter_by(name_key=unique_key(spec.name))
        ) or create_organization(spec.name, domains=[spec.domain], notes=spec.notes)
        organization.default_team_id = teams[SCENARIO_TEAMS[spec.scenario]].id
        db.session.commit()
        customer_ids = tuple(
            get_or_create_customer(
                f"{local}@{spec.domain}", name=name, language=spec.language
            ).id
            for name, local in spec.customers
        )
        infos.append(
            OrgInfo(organization.id, spec.scenario, spec.language, customer_ids)
        )
    return tuple(infos)


def _link_portal_account(user: AtriumUser) -> int:
    customer = get_or_create_customer(CUSTOMER_ACCOUNT[3])
    if customer.user_id is None:
        customer.user_id = user.id
        db.session.commit()
    return customer.id


def _ensure_projects() -> dict[str, tuple[tuple[int, bool], ...]]:
    today = utcnow().date()
    names = {"year": today.year, "last_year": today.year - 1}
    org_ids = dict(db.session.execute(select(Organization.name, Organization.id)).all())
    projects: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for spec in PROJECTS:
        name = spec.name.format(**names)
        project = db.session.scalar(select(Project).filter_by(name=name))
        if project is None:
            project = create_project(
                name,
                portfolio_id=_ensure_folder(spec.path, names),
                organization_id=org_ids.get(spec.organization),
                planned_start=today + dt.timedelta(days=spec.start),
                planned_end=today + dt.timedelta(days=spec.end),
                archived=spec.archived,
            )
        projects[spec.scenario].append((project.id, project.archived))
    return {scenario: tuple(rows) for scenario, rows in projects.items()}


def _ensure_folder(path: tuple[str, ...], names: dict[str, int]) -> int:
    parent = None
    for raw_name in path:
        name = raw_name.format(**names)
        in_parent = (
            Portfolio.parent_id.is_(None)
            if parent is None
            else Portfolio.parent_id == parent.id
        )
        folder = db.session.scalar(
            select(Portfolio).where(Portfolio.name == name, in_parent)
        )
        parent = folder or create_portfolio(name, parent=parent)
    return parent.id
