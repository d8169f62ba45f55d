"""Admin-defined custom fields and their typed values on items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, true

from app.errors import ForbiddenError, InvalidInputError
from app.extensions import db
from app.models import CustomField, CustomFieldValue, Item, ItemEvent, ItemType
from app.services.access import get_visible_item, is_staff
from app.services.text import clean_line, contains_pattern

FIELD_TYPES = ("text", "number", "date", "choice")
MAX_CHOICES = 200


def prepare_custom_field(field: CustomField) -> None:
    """Validate a custom field; choice fields need at least one option."""
    field.name = clean_line(field.name, field="name", max_length=100)
    if field.field_type not in FIELD_TYPES:
        raise InvalidInputError(field="field_type")
    if field.pending_choices is not None:
        field.choices = [
            clean_line(line, field="choices", max_length=200)
            for line in field.pending_choices.splitlines()
            if line.strip()
        ][:MAX_CHOICES]
    field.choices = list(dict.fromkeys(field.choices or []))
    if field.field_type == "choice" and not field.choices:
        raise InvalidInputError(_l("Add at least one choice."), field="choices")
    field.required = bool(field.required)
    field.position = field.position or 0


def fields_for_type(item_type_id: int) -> list[CustomField]:
    """The custom fields of an item type, in order."""
    return list(
        db.session.scalars(
            db.select(CustomField)
            .where(CustomField.item_type_id == item_type_id)
            .order_by(CustomField.position, CustomField.name)
        )
    )


def _typed(field: CustomField, raw: Any) -> dict[str, Any]:
    """The column and value a raw input becomes for ``field``."""
    empty = {"value_text": None, "value_number": None, "value_date": None}
    if raw in (None, ""):
        return empty
    try:
        if field.field_type == "number":
            return {**empty, "value_number": Decimal(str(raw))}
        if field.field_type == "date":
            value = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
            return {**empty, "value_date": value}
    except (InvalidOperation, ValueError):
        raise InvalidInputError(
            _l("%(field)s: not a valid value.", field=field.name), field=field.name
        ) from None
    text = clean_line(str(raw), field=field.name, max_length=1000)
    if field.field_type == "choice" and text not in field.choices:
        raise InvalidInputError(
            _l("%(field)s: choose one of the options.", field=field.name),
            field=field.name,
        )
    return {**empty, "value_text": text}


def set_custom_values(item: Item, values: dict[int, Any]) -> None:
    """Store an item's custom field values (field id -> raw value); flushes."""
    fields = {f.id: f for f in fields_for_type(item.item_type_id)}
    current = {v.field_id: v for v in item.custom_values}
    for field_id, raw in values.items():
        field = fields.get(int(field_id))
        if field is None:
            raise InvalidInputError(field="custom_fields")
        typed = _typed(field, raw)
        if all(v is None for v in typed.values()):
            if field.required:
                raise InvalidInputError(
                    _l("%(field)s is required.", field=field.name), field=field.name
                )
            if field.id in current:
                item.custom_values.remove(current[field.id])
            continue
        row = current.get(field.id) or CustomFieldValue(field_id=field.id)
        for column, value in typed.items():
            setattr(row, column, value)
        if field.id not in current:
            item.custom_values.append(row)
    db.session.flush()


def filter_condition(criteria: dict[int, str]) -> ColumnElement[bool]:
    """Items whose custom fields match every criterion (field id -> typed text)."""
    conditions = []
    fields = {
        f.id: f
        for f in db.session.scalars(
            db.select(CustomField).where(CustomField.id.in_(list(criteria)))
        )
    }
    for field_id, raw in criteria.items():
        field = fields.get(field_id)
        if field is None or not str(raw).strip():
            continue
        conditions.append(
            Item.custom_values.any(_value_matches(field, str(raw).strip()))
        )
    return and_(true(), *conditions)


def _value_matches(field: CustomField, raw: str) -> ColumnElement[bool]:
    same_field = CustomFieldValue.field_id == field.id
    if field.field_type == "text":
        pattern = contains_pattern(raw)
        return and_(same_field, CustomFieldValue.value_text.ilike(pattern, escape="\\"))
    try:
        typed = _typed(field, raw)
    except InvalidInputError:
        return false()
    column, value = next((c, v) for c, v in typed.items() if v is not None)
    return and_(same_field, getattr(CustomFieldValue, column) == value)


def filterable_fields(kind: str) -> list[CustomField]:
    """Custom fields of the enabled types of ``kind``, for the list filter bar."""
    return list(
        db.session.scalars(
            db.select(CustomField)
            .join(ItemType, ItemType.id == CustomField.item_type_id)
            .where(ItemType.kind == kind, ItemType.enabled.is_(True))
            .order_by(ItemType.position, CustomField.position, CustomField.name)
        )
    )


def save_item_custom_values(item_id: int, values: dict[int, Any], actor: Any) -> Item:
    """Store a visible item's custom field values and record the change."""
    item = get_visible_item(item_id, actor)
    if not is_staff(actor):
        raise ForbiddenError()
    try:
        set_custom_values(item, values)
    except InvalidInputError:
        db.session.rollback()
        raise
    db.session.add(
        ItemEvent(
            item_id=item.id,
            actor_id=getattr(actor, "id", None),
            kind="field",
            data={"field": "custom_fields"},
        )
    )
    db.session.commit()
    return item
