"""Item types and their default workflows."""

from __future__ import annotations

import pytest

from app.errors import InvalidInputError
from app.extensions import db
from app.models import ItemType, Status
from app.services.workflows import (
    DEFAULT_WORKFLOW,
    create_item_type,
    default_status,
    enabled_types,
    prepare_item_type,
    prepare_status,
)


def _type_count() -> int:
    return db.session.scalar(db.select(db.func.count(ItemType.id)))


def test_create_item_type_makes_the_default_workflow():
    item_type = create_item_type("ticket", "  Problem ", required_fields=["requester"])
    db.session.expire_all()
    stored = db.session.get(ItemType, item_type.id)
    assert stored.name == "Problem"
    assert stored.kind == "ticket"
    assert stored.required_fields == ["requester"]
    assert [(s.name, s.category, s.position) for s in stored.statuses] == [
        ("New", "new", 0),
        ("Open", "open", 1),
        ("Waiting for customer", "waiting", 2),
        ("Resolved", "done", 3),
        ("Closed", "closed", 4),
    ]
    assert [s.is_default for s in stored.statuses] == [True] + [False] * 4
    assert len(DEFAULT_WORKFLOW) == 5


def test_create_item_type_with_a_custom_workflow_defaults_to_its_first_status():
    item_type = create_item_type(
        "task",
        "Chore",
        workflow=(("Todo", "open", "#111111"), ("Done", "done", "#222222")),
    )
    assert [s.name for s in item_type.statuses] == ["Todo", "Done"]
    assert default_status(item_type.id).name == "Todo"


def test_each_type_has_its_own_statuses():
    first = create_item_type("ticket", "Question")
    second = create_item_type("ticket", "Wish")
    first_ids = {s.id for s in first.statuses}
    second_ids = {s.id for s in second.statuses}
    assert len(first_ids) == len(second_ids) == 5
    assert not first_ids & second_ids


@pytest.mark.parametrize(
    "required", [["title"], ["requester", "password"], ["status_id"], ["Requester"]]
)
def test_prepare_item_type_rejects_unknown_required_fields(required):
    with pytest.raises(InvalidInputError) as excinfo:
        create_item_type("ticket", "Question", required_fields=required)
    assert excinfo.value.field == "required_fields"
    assert _type_count() == 0


@pytest.mark.parametrize(
    "color",
    ["", "red", "#fff", "#1f6f8", "#1f6f8bb", "#gggggg", "1f6f8b#", "#1f6f8b\n"],
)
def test_prepare_item_type_rejects_bad_colors(color):
    item_type = ItemType(
        kind="ticket", name="Question", color=color, required_fields=[]
    )
    with pytest.raises(InvalidInputError) as excinfo:
        prepare_item_type(item_type)
    assert excinfo.value.field == "color"


@pytest.mark.parametrize("kind", ["", "Ticket", "bug", None])
def test_prepare_item_type_rejects_an_unknown_kind(kind):
    item_type = ItemType(kind=kind, name="Question", color="#1f6f8b")
    with pytest.raises(InvalidInputError) as excinfo:
        prepare_item_type(item_type)
    assert excinfo.value.field == "kind"


def test_prepare_item_type_accepts_a_valid_type_and_cleans_the_name():
    item_type = ItemType(
        kind="task",
        name="Bug\u200b fix",
        color="#ABCDEF",
        required_fields=["planned_start", "points"],
    )
    prepare_item_type(item_type)
    assert item_type.name == "Bug fix"


def test_default_status_prefers_the_flagged_status():
    item_type = create_item_type("ticket", "Question")
    open_status = item_type.statuses[1]
    open_status.is_default = True
    prepare_status(open_status)
    db.session.commit()
    db.session.expire_all()
    assert default_status(item_type.id).id == open_status.id
    flags = db.session.scalars(
        db.select(Status.is_default).where(Status.item_type_id == item_type.id)
    ).all()
    assert sum(flags) == 1


def test_default_status_of_a_type_without_statuses_is_refused():
    item_type = create_item_type("ticket", "Empty", workflow=())
    with pytest.raises(InvalidInputError) as excinfo:
        default_status(item_type.id)
    assert excinfo.value.field == "item_type"


def test_enabled_types_lists_only_enabled_types_of_the_kind():
    question = create_item_type("ticket", "Question")
    wish = create_item_type("ticket", "Wish")
    create_item_type("task", "Chore")
    wish.enabled = False
    db.session.commit()
    assert enabled_types("ticket") == [question]
