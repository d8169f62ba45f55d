"""Item types and their workflows."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import ItemKind, ItemType, Status, StatusCategory
from app.services.text import clean_line

#: The workflow a new item type starts with: (name, category, color).
DEFAULT_WORKFLOW = (
    ("New", StatusCategory.NEW, "#5b8def"),
    ("Open", StatusCategory.OPEN, "#1f6f8b"),
    ("Waiting for customer", StatusCategory.WAITING, "#f0a500"),
    ("Resolved", StatusCategory.DONE, "#3c763d"),
    ("Closed", StatusCategory.CLOSED, "#777777"),
)
#: Built-in fields an administrator may make required for a type.
REQUIRABLE_FIELDS = (
    "description",
    "requester",
    "organization",
    "project",
    "assignee",
    "team",
    "due_at",
    "planned_start",
    "planned_end",
    "points",
    "estimate_minutes",
)


def create_item_type(
    kind: str,
    name: str,
    *,
    icon: str = "fa-ticket",
    color: str = "#1f6f8b",
    workflow: tuple[tuple[str, str, str], ...] = DEFAULT_WORKFLOW,
    required_fields: list[str] | None = None,
) -> ItemType:
    """Create a type with its own ordered workflow; the first status is the default."""
    item_type = ItemType(kind=kind, name=name, icon=icon, color=color)
    item_type.required_fields = list(required_fields or [])
    prepare_item_type(item_type)
    item_type.statuses.extend(_workflow_statuses(workflow))
    db.session.add(item_type)
    db.session.commit()
    return item_type


def _workflow_statuses(workflow: tuple[tuple[str, str, str], ...]) -> list[Status]:
    """Statuses for ``workflow`` in order; the first is the default."""
    return [
        Status(
            name=name,
            category=str(category),
            color=color,
            position=position,
            is_default=position == 0,
        )
        for position, (name, category, color) in enumerate(workflow)
    ]


def prepare_item_type(item_type: ItemType) -> None:
    """Validate an item type's fields before it is saved."""
    if item_type.kind not in {k.value for k in ItemKind}:
        raise InvalidInputError(field="kind")
    item_type.name = clean_line(item_type.name, field="name", max_length=100)
    unknown = set(item_type.required_fields or []) - set(REQUIRABLE_FIELDS)
    if unknown:
        raise InvalidInputError(
            _l(
                "Unknown required fields: %(fields)s", fields=", ".join(sorted(unknown))
            ),
            field="required_fields",
        )
    _check_color(item_type.color)


def prepare_status(status: Status) -> None:
    """Validate a workflow status; exactly one default status per type."""
    status.name = clean_line(status.name, field="name", max_length=100)
    if status.category not in {c.value for c in StatusCategory}:
        raise InvalidInputError(field="category")
    _check_color(status.color)
    if status.is_default and status.item_type_id:
        db.session.execute(
            db.update(Status)
            .where(
                Status.item_type_id == status.item_type_id,
                Status.id != (status.id or 0),
            )
            .values(is_default=False)
        )


_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def _check_color(color: str) -> None:
    if not _COLOR_RE.fullmatch(color or ""):
        raise InvalidInputError(_l("Use a color such as #1f6f8b."), field="color")


def default_status(item_type_id: int) -> Status:
    """The status new items of this type start in."""
    status = db.session.scalar(
        db.select(Status)
        .where(Status.item_type_id == item_type_id)
        .order_by(Status.is_default.desc(), Status.position)
        .limit(1)
    )
    if status is None:
        raise InvalidInputError(
            _l("This item type has no workflow statuses yet."), field="item_type"
        )
    return status


def status_in_category(item_type_id: int, category: str) -> Status | None:
    """The first status of the type's workflow in ``category``, if it has one."""
    return db.session.scalar(
        db.select(Status)
        .where(Status.item_type_id == item_type_id, Status.category == category)
        .order_by(Status.is_default.desc(), Status.position)
        .limit(1)
    )


def enabled_types(kind: str) -> list[ItemType]:
    """Enabled types of ``kind`` in their configured order."""
    return list(
        db.session.scalars(
            db.select(ItemType)
            .where(ItemType.kind == kind, ItemType.enabled.is_(True))
            .order_by(ItemType.position, ItemType.name)
        )
    )


def ensure_workflow(item_type_id: int) -> None:
    """Give a type created without statuses the default workflow."""
    item_type = db.session.get(ItemType, item_type_id)
    if item_type is None or item_type.statuses:
        return
    item_type.statuses.extend(_workflow_statuses(DEFAULT_WORKFLOW))
    db.session.commit()
