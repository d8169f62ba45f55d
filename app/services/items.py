"""Items: create, edit, change status, assign, follow, archive — each with history."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, DomainError, ForbiddenError, InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    Channel,
    Customer,
    Item,
    ItemEvent,
    ItemKind,
    Status,
)
from app.models.base import utcnow
from app.services import automation, item_fields, notifications, sla
from app.services.access import customer_of, get_visible_item, is_staff
from app.services.automation import context as automation_context
from app.services.text import display_name
from app.services.workflows import default_status, enabled_types, status_in_category

F = TypeVar("F", bound=Callable[..., Any])

#: Relationship -> foreign key column, for values FAB forms set as objects.
RELATIONS = {
    "item_type": "item_type_id",
    "status": "status_id",
    "requester": "requester_id",
    "organization": "organization_id",
    "project": "project_id",
    "parent": "parent_id",
    "assignee": "assignee_id",
    "team": "team_id",
}
#: Columns staff may set when creating or editing an item.
STAFF_FIELDS = frozenset(
    {
        "title",
        "description",
        "item_type_id",
        "status_id",
        "priority",
        "requester_id",
        "organization_id",
        "project_id",
        "parent_id",
        "assignee_id",
        "team_id",
        "channel",
        "due_at",
        "planned_start",
        "planned_end",
        "points",
        "estimate_minutes",
        "resolution",
        "archived",
    }
)
#: Columns a customer may set on a new item; everything else is ignored.
CUSTOMER_FIELDS = frozenset({"title", "description", "item_type_id"})
#: What a customer's new item gets, whatever they sent.
CUSTOMER_DEFAULTS: dict[str, Any] = {
    "priority": 3,
    "status_id": None,
    "assignee_id": None,
    "team_id": None,
    "project_id": None,
    "parent_id": None,
    "due_at": None,
    "planned_start": None,
    "planned_end": None,
    "points": None,
    "estimate_minutes": None,
    "resolution": "",
    "archived": False,
}
#: History event kind per tracked column (others are "field").
EVENT_KINDS = {
    "status_id": "status",
    "assignee_id": "assignee",
    "team_id": "team",
    "priority": "priority",
    "project_id": "project",
    "archived": "archived",
    "item_type_id": "type",
}
HISTORY_COLUMNS = STAFF_FIELDS - {"description", "resolution"}


def rollback_on_error(func: F) -> F:
    """Discard half-made changes when a service refuses them."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise

    return wrapper  # type: ignore[return-value]


def _sync_foreign_keys(item: Item) -> None:
    """Copy relationships a form has set (even to None) onto their key columns.

    The relationship's pending change is then dropped, so from here on the columns
    alone decide: a service may still change one without the flush overwriting it,
    and a relationship that was merely loaded never undoes a new column value.
    """
    state = inspect(item)
    for relation, column in RELATIONS.items():
        added = state.attrs[relation].history.added
        related = added[0] if added else None
        if not added or (related is not None and related.id is None):
            continue
        setattr(item, column, related.id if related is not None else None)
        set_committed_value(item, relation, related)


def _apply_status_times(item: Item, status: Status, now) -> None:
    if status.is_resolved:
        item.resolved_at = item.resolved_at or now
        item.first_response_at = item.first_response_at or now
    else:
        item.resolved_at = None
    item.closed_at = (item.closed_at or now) if status.category == "closed" else None


def _record(item: Item, actor: AtriumUser | None, kind: str, **data: Any) -> None:
    state = automation_context.current()
    if state is not None and state.rule_name:
        data["rule"] = state.rule_name
    db.session.add(
        ItemEvent(
            item_id=item.id, actor_id=getattr(actor, "id", None), kind=kind, data=data
        )
    )


def _restrict_to_customer(item: Item, actor: AtriumUser | None) -> None:
    """A customer's new item is theirs and their organization's, with defaults."""
    customer = customer_of(actor)
    if customer is None:
        raise ForbiddenError()
    for column, value in CUSTOMER_DEFAULTS.items():
        setattr(item, column, value)
    for relation in RELATIONS:
        if relation != "item_type":
            item.__dict__.pop(relation, None)
    item.requester_id = customer.id
    item.organization_id = customer.organization_id
    if item.channel not in (Channel.PORTAL.value, Channel.API.value):
        item.channel = Channel.PORTAL.value


@rollback_on_error
def prepare_new_item(item: Item, actor: AtriumUser | None) -> None:
    """Fill defaults, enforce the actor's limits, validate and record creation."""
    _sync_foreign_keys(item)
    item.priority = 3 if item.priority is None else item.priority
    item.channel = item.channel or Channel.AGENT.value
    item.description = item.description or ""
    item.resolution = item.resolution or ""
    item.archived = bool(item.archived)
    if not item.kind and item.item_type is not None:
        item.kind = item.item_type.kind
    if not is_staff(actor):
        if item.kind != ItemKind.TICKET.value:
            raise ForbiddenError()
        _restrict_to_customer(item, actor)
    elif item.requester_id and not item.organization_id:
        requester = db.session.get(Customer, item.requester_id)
        if requester is not None:
            item.organization_id = requester.organization_id
    item_fields.check_basic_fields(item)
    item_type, status = item_fields.check_type_and_status(item)
    if not item_type.enabled:
        raise InvalidInputError(_l("This type is turned off."), field="item_type")
    status = status or default_status(item_type.id)
    item.status_id = status.id
    item_fields.check_people(item)
    item_fields.check_parent(item)
    item_fields.check_required(item, item_type)
    now = utcnow()
    item.created_at = item.updated_at = now
    _apply_status_times(item, status, now)
    item.created_by_id = getattr(actor, "id", None)
    db.session.add(item)
    db.session.flush()
    _record(item, actor, "created", number=item.number, type=item_type.name)


def create_item(actor: AtriumUser | None, *, kind: str, **fields: Any) -> Item:
    """Create a ticket or task from plain values (REST, channels, demo data)."""
    if kind not in {k.value for k in ItemKind}:
        raise InvalidInputError(field="kind")
    allowed = STAFF_FIELDS if is_staff(actor) else CUSTOMER_FIELDS | {"channel"}
    item = Item(kind=kind, **{k: v for k, v in fields.items() if k in allowed})
    prepare_new_item(item, actor)
    db.session.commit()
    after_save(item, actor, created=True)
    return item


def after_save(item: Item, actor: AtriumUser | None, *, created: bool) -> None:
    """Once a new or edited item is committed: mails, SLA clock, automation rules."""
    changes, item.recorded_changes = item.recorded_changes, {}
    if not created and not changes:
        return
    if created:
        notifications.item_created(item, actor=actor)
    else:
        notifications.item_changed(item, changes, actor=actor)
    if created or sla.CLOCK_COLUMNS & set(changes):
        sla.refresh_item(
            item.id, rematch=created or bool(sla.MATCH_COLUMNS & set(changes))
        )
    db.session.commit()
    automation.item_saved(item, created=created, changes=changes)


def _old_row(item: Item) -> dict[str, Any]:
    with db.session.no_autoflush:
        row = (
            db.session.execute(
                db.select(Item.__table__).where(Item.__table__.c.id == item.id)
            )
            .mappings()
            .one()
        )
    return dict(row)


@rollback_on_error
def record_edit(
    item: Item, actor: AtriumUser | None, expected_version: int | None = None
) -> None:
    """Validate an edited item and write one history event per changed field."""
    # Nothing is flushed before the caller commits: the changes are compared with
    # the stored row, a concurrent edit surfaces as one StaleDataError at commit,
    # and the version goes up by exactly one.
    with db.session.no_autoflush:
        if not is_staff(actor):
            raise ForbiddenError()
        old = _old_row(item)
        if expected_version is not None and int(expected_version) != old["version"]:
            raise ConflictError()
        item_fields.check_basic_fields(item)
        _sync_foreign_keys(item)
        if item.item_type_id != old["item_type_id"] and item.status_id in (
            old["status_id"],
            None,
        ):
            _with_status_for_type(item)
        changes = {
            c: (old[c], getattr(item, c))
            for c in STAFF_FIELDS
            if old[c] != getattr(item, c)
        }
        if not changes:
            return
        item_type, status = item_fields.check_type_and_status(item)
        if status is None:
            raise InvalidInputError(field="status")
        if "item_type_id" in changes and not item_type.enabled:
            raise InvalidInputError(_l("This type is turned off."), field="item_type")
        item_fields.check_people(item)
        item_fields.check_parent(item)
        item_fields.check_required(item, item_type)
    now = utcnow()
    if "status_id" in changes or "item_type_id" in changes:
        _apply_status_times(item, status, now)
    item.updated_at = now
    item.recorded_changes = changes
    _record_changes(item, actor, changes)


def _record_changes(
    item: Item, actor: AtriumUser | None, changes: dict[str, tuple[Any, Any]]
) -> None:
    for column, (before, after) in sorted(changes.items()):
        if column in HISTORY_COLUMNS:
            _record(
                item,
                actor,
                EVENT_KINDS.get(column, "field"),
                field=column,
                old=_jsonable(before),
                new=_jsonable(after),
                old_label=_label(column, before),
                new_label=_label(column, after),
            )
        else:
            _record(item, actor, "field", field=column)


def _with_status_for_type(item: Item) -> Item:
    """After a type change, a status of the old workflow becomes the new default."""
    status = db.session.get(Status, item.status_id) if item.status_id else None
    if status is None or status.item_type_id != item.item_type_id:
        if item.item_type_id:
            status = default_status(item.item_type_id)
            item.status_id = status.id
            set_committed_value(item, "status", status)
    return item


def _label(column: str, value: Any) -> str | None:
    """The name behind a foreign key, kept in the history as it was then."""
    relation = next((r for r, c in RELATIONS.items() if c == column), None)
    if relation is None or value is None:
        return None
    model = Item.__mapper__.relationships[relation].mapper.class_
    related = db.session.get(model, value)
    return display_name(related) if related is not None else None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _commit_or_conflict() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError() from None


def update_item(
    item_id: int,
    actor: AtriumUser | None,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Item:
    """Apply ``changes`` (column -> value) to a visible item, with history."""
    item = get_visible_item(item_id, actor)
    unknown = set(changes) - STAFF_FIELDS
    if unknown:
        raise InvalidInputError(field=sorted(unknown)[0])
    for column, value in changes.items():
        setattr(item, column, value)
    record_edit(item, actor, expected_version)
    _commit_or_conflict()
    after_save(item, actor, created=False)
    return item


def change_status(
    item_id: int,
    status_id: int,
    actor: AtriumUser | None,
    *,
    expected_version: int | None = None,
) -> Item:
    """Move an item to another status of its own workflow."""
    return update_item(
        item_id, actor, {"status_id": status_id}, expected_version=expected_version
    )


def assign_item(
    item_id: int,
    actor: AtriumUser | None,
    *,
    assignee_id: int | None,
    team_id: int | None,
) -> Item:
    """Give an item to a person and/or a team (None clears)."""
    return update_item(item_id, actor, {"assignee_id": assignee_id, "team_id": team_id})


def set_priority(item_id: int, priority: int, actor: AtriumUser | None) -> Item:
    """Set an item's priority, 1 (lowest) to 5 (highest)."""
    return update_item(item_id, actor, {"priority": priority})


def move_to_project(
    item_id: int, project_id: int | None, actor: AtriumUser | None
) -> Item:
    """Put an item into a project (None takes it out)."""
    return update_item(item_id, actor, {"project_id": project_id})


def archive_item(
    item_id: int, actor: AtriumUser | None, *, archived: bool = True
) -> Item:
    """Hide an item from default views (or bring it back)."""
    return update_item(item_id, actor, {"archived": archived})


def convert_item(
    item_id: int, actor: AtriumUser | None, *, item_type_id: int | None = None
) -> Item:
    """Turn a ticket into a task (or back), keeping its id, conversation and files.

    The new type defaults to the first enabled one of the other kind; the status
    becomes the new workflow's first status in the same category.
    """
    item = get_visible_item(item_id, actor)
    if not is_staff(actor):
        raise ForbiddenError()
    target = ItemKind.TASK.value if item.kind == ItemKind.TICKET.value else "ticket"
    if item_type_id is None:
        types = enabled_types(target)
        if not types:
            raise InvalidInputError(
                _l("There is no enabled type to convert to."), field="item_type"
            )
        item_type_id = types[0].id
    old_number, old_category = item.number, item.status.category
    item.kind = target
    item.item_type_id = item_type_id
    status = status_in_category(item_type_id, old_category)
    item.status_id = status.id if status is not None else None
    record_edit(item, actor)
    _record(item, actor, "converted", old=old_number, new=item.number)
    _commit_or_conflict()
    after_save(item, actor, created=False)
    return item


def follow_item(item_id: int, actor: AtriumUser, *, user_id: int | None = None) -> Item:
    """Add a user (default: the actor) to an item's followers."""
    item = get_visible_item(item_id, actor)
    target = db.session.get(AtriumUser, user_id or actor.id)
    if target is None or (target.id != actor.id and not is_staff(actor)):
        raise InvalidInputError(field="user")
    if target not in item.followers:
        item.followers.append(target)
        _record(item, actor, "followed", user=target.username)
        db.session.commit()
    return item


def unfollow_item(
    item_id: int, actor: AtriumUser, *, user_id: int | None = None
) -> Item:
    """Remove a user (default: the actor) from an item's followers."""
    item = get_visible_item(item_id, actor)
    target = db.session.get(AtriumUser, user_id or actor.id)
    if target is not None and target in item.followers:
        if target.id != actor.id and not is_staff(actor):
            raise ForbiddenError()
        item.followers.remove(target)
        _record(item, actor, "unfollowed", user=target.username)
        db.session.commit()
    return item


def archive_items(item_ids: list[int], actor: AtriumUser | None) -> int:
    """Archive every listed item the actor may see; returns how many changed."""
    changed = 0
    for item_id in item_ids:
        try:
            archive_item(item_id, actor)
        except DomainError:
            continue
        changed += 1
    return changed
