"""Checking and cleaning the fields of an item (shared by every way to save one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    Channel,
    Customer,
    Item,
    ItemType,
    Organization,
    Project,
    Status,
    Team,
)
from app.services.access import STAFF_ROLES
from app.services.text import clean_line, clean_text

MAX_PARENT_DEPTH = 50


def check_basic_fields(item: Item) -> None:
    """Title, description, priority, numbers, dates and channel."""
    item.title = clean_line(item.title, field="title", max_length=300)
    item.description = clean_text(item.description, field="description")
    item.resolution = clean_text(item.resolution, field="resolution")
    priority = item.priority
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidInputError(_l("Priority goes from 1 to 5."), field="priority")
    if not 1 <= priority <= 5:
        raise InvalidInputError(_l("Priority goes from 1 to 5."), field="priority")
    for field in ("points", "estimate_minutes"):
        value = getattr(item, field)
        if value is not None and not 0 <= value <= 1_000_000:
            raise InvalidInputError(field=field)
    if (
        item.planned_start
        and item.planned_end
        and item.planned_end < item.planned_start
    ):
        raise InvalidInputError(
            _l("The planned end cannot be before the planned start."),
            field="planned_end",
        )
    if item.channel not in {c.value for c in Channel}:
        raise InvalidInputError(field="channel")


def check_type_and_status(item: Item) -> tuple[ItemType, Status | None]:
    """The type must exist and match the kind; the status must be in its workflow."""
    item_type = (
        db.session.get(ItemType, item.item_type_id) if item.item_type_id else None
    )
    if item_type is None or item_type.kind != item.kind:
        raise InvalidInputError(_l("Choose a type of this kind."), field="item_type")
    status = db.session.get(Status, item.status_id) if item.status_id else None
    if item.status_id and status is None:
        raise InvalidInputError(field="status")
    if status is not None and status.item_type_id != item_type.id:
        raise InvalidInputError(
            _l(
                "This status is not part of the %(type)s workflow.", type=item_type.name
            ),
            field="status",
        )
    return item_type, status


def check_people(item: Item) -> None:
    """Referenced rows must exist; the assignee must be active staff."""
    references = (
        ("requester", Customer, item.requester_id),
        ("organization", Organization, item.organization_id),
        ("project", Project, item.project_id),
        ("team", Team, item.team_id),
    )
    for field, model, row_id in references:
        if row_id and db.session.get(model, row_id) is None:
            raise InvalidInputError(field=field)
    if item.assignee_id:
        assignee = db.session.get(AtriumUser, item.assignee_id)
        roles = {role.name for role in assignee.roles} if assignee else set()
        if assignee is None or not assignee.active or not roles & set(STAFF_ROLES):
            raise InvalidInputError(
                _l("Items can only be assigned to active agents."), field="assignee"
            )


def check_parent(item: Item) -> None:
    """A parent must exist and must not be the item itself or one of its subtasks."""
    parent_id = item.parent_id
    depth = 0
    while parent_id is not None:
        if item.id is not None and parent_id == item.id:
            raise InvalidInputError(
                _l("An item cannot be its own parent or sub-item."), field="parent"
            )
        depth += 1
        if depth > MAX_PARENT_DEPTH:
            raise InvalidInputError(field="parent")
        parent_id = db.session.scalar(
            db.select(Item.parent_id).where(Item.id == parent_id)
        )
        if (
            parent_id is None
            and depth == 1
            and db.session.get(Item, item.parent_id) is None
        ):
            raise InvalidInputError(field="parent")


def check_required(item: Item, item_type: ItemType) -> None:
    """The type's required built-in fields must be filled in."""
    columns = {
        "requester": "requester_id",
        "organization": "organization_id",
        "project": "project_id",
        "assignee": "assignee_id",
        "team": "team_id",
    }
    missing = [
        name
        for name in item_type.required_fields or []
        if getattr(item, columns.get(name, name), None) in (None, "")
    ]
    if missing:
        raise InvalidInputError(
            _l("Required for this type: %(fields)s", fields=", ".join(missing)),
            field=missing[0],
        )
