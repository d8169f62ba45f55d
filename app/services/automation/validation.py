"""Check a rule submitted by the editor (or the API) and bring it to stored form.

Every message names the place of the problem (``conditions.1.2.value``) so the
editor can point at the widget; nothing is stored until the whole rule is valid.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    CustomField,
    ItemType,
    Organization,
    Portfolio,
    Project,
    SlaPolicy,
    Status,
    StatusCategory,
    Team,
    Trigger,
)
from app.services.automation import catalog
from app.services.email_templates import check_text
from app.services.organizations import normalize_email
from app.services.text import clean_line, clean_text

MAX_GROUPS = 10
MAX_CONDITIONS = 30
MAX_ACTIONS = 20
MAX_TEXT = 10_000
MAX_HOURS = 24 * 365

#: Model behind each reference source, to check that a chosen id exists.
REF_MODELS: dict[str, Any] = {
    "lookup:organizations": Organization,
    "lookup:agents": AtriumUser,
    "lookup:projects": Project,
    "types": ItemType,
    "task_types": ItemType,
    "statuses": Status,
    "teams": Team,
    "portfolios": Portfolio,
    "sla_policies": SlaPolicy,
}


def _fail(message: Any, place: str) -> InvalidInputError:
    return InvalidInputError(message, field=place)


def _as_id(value: Any, place: str) -> int:
    text = str(value).strip()
    if not text.isdecimal() or len(text) > 12:
        raise _fail(_l("Choose a value."), place)
    return int(text)


def _existing(source: str, value: Any, place: str) -> int:
    ident = _as_id(value, place)
    model = REF_MODELS[source]
    row = db.session.get(model, ident)
    if row is None:
        raise _fail(_l("This choice no longer exists."), place)
    if source == "task_types" and row.kind != "task":
        raise _fail(_l("Choose a task type."), place)
    return ident


def clean_status_target(value: Any, place: str) -> str:
    """``status:<id>`` or ``category:<category>``, checked."""
    text = str(value or "")
    prefix, _, rest = text.partition(":")
    if prefix == "category" and rest in {c.value for c in StatusCategory}:
        return text
    if prefix == "status":
        return f"status:{_existing('statuses', rest, place)}"
    raise _fail(_l("Choose a status."), place)


def _status_targets(values: Any, place: str) -> list[str]:
    if values in (None, ""):
        return []
    if not isinstance(values, list) or len(values) > 200:
        raise _fail(_l("Choose statuses from the list."), place)
    return [clean_status_target(v, f"{place}.{i}") for i, v in enumerate(values)]


def clean_trigger_options(trigger: str, options: Any) -> dict[str, Any]:
    """The options a trigger understands; anything else is dropped."""
    options = options if isinstance(options, dict) else {}
    if trigger == Trigger.STATUS_CHANGED.value:
        return {
            "from": _status_targets(options.get("from"), "trigger_options.from"),
            "to": _status_targets(options.get("to"), "trigger_options.to"),
        }
    if trigger in (Trigger.SLA_WARNING.value, Trigger.SLA_BREACHED.value):
        target = options.get("target") or "any"
        if target not in catalog.SLA_TARGETS:
            raise _fail(_l("Choose which SLA target."), "trigger_options.target")
        return {"target": target}
    if trigger == Trigger.TIME_BASED.value:
        hours = str(options.get("hours", "")).strip()
        if not hours.isdecimal() or len(hours) > 6 or not 1 <= int(hours) <= MAX_HOURS:
            raise _fail(
                _l("Enter a whole number of hours from 1 to %(most)d.", most=MAX_HOURS),
                "trigger_options.hours",
            )
        statuses = _status_targets(options.get("statuses"), "trigger_options.statuses")
        if not statuses:
            raise _fail(
                _l("Choose the statuses the item must be in."),
                "trigger_options.statuses",
            )
        return {"hours": int(hours), "statuses": statuses}
    return {}


def _value_refs(spec: catalog.FieldSpec, value: Any, place: str) -> Any:
    values = value if isinstance(value, list) else [value]
    if not values or values == [""] or len(values) > 200:
        raise _fail(_l("Choose at least one value."), place)
    return [_existing(spec.source, v, f"{place}.{i}") for i, v in enumerate(values)]


def _value_choices(spec: catalog.FieldSpec, value: Any, place: str) -> Any:
    values = value if isinstance(value, list) else [value]
    allowed = _choice_keys(spec)
    if not values or any(str(v) not in allowed for v in values):
        raise _fail(_l("Choose values from the list."), place)
    return [str(v) for v in values]


def _value_number(spec: catalog.FieldSpec, value: Any, place: str) -> Any:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise _fail(_l("Enter a number."), place) from None
    if not math.isfinite(number):  # NaN and infinity are not valid JSON
        raise _fail(_l("Enter a number."), place)
    return number


def _value_date(spec: catalog.FieldSpec, value: Any, place: str) -> Any:
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise _fail(_l("Enter a date as YYYY-MM-DD."), place) from None


def _value_text(spec: catalog.FieldSpec, value: Any, place: str) -> Any:
    text = clean_line(str(value or ""), field=place, max_length=500, required=False)
    if not text:
        raise _fail(_l("Enter a text to compare with."), place)
    return text


_VALUE_CLEANERS = {
    "ref": _value_refs,
    "choice": _value_choices,
    "number": _value_number,
    "date": _value_date,
    "text": _value_text,
}


def _clean_value(spec: catalog.FieldSpec, op: str, value: Any, place: str) -> Any:
    if op in catalog.VALUELESS:
        return None
    return _VALUE_CLEANERS[spec.kind](spec, value, place)


def _choice_keys(spec: catalog.FieldSpec) -> set[str]:
    if spec.source.startswith("custom:"):
        custom = db.session.get(CustomField, int(spec.source.split(":", 1)[1]))
        return set(custom.choices or []) if custom else set()
    return {str(key) for key, _label in catalog.options(spec.source)}


def clean_conditions(obj: str, conditions: Any) -> dict[str, Any]:
    """``{"match", "groups": [{"match", "conditions": [...]}]}`` with checked rows."""
    conditions = conditions if isinstance(conditions, dict) else {}
    groups = conditions.get("groups") or []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise _fail(_l("Too many condition groups."), "conditions")
    cleaned_groups = []
    total = 0
    for g_index, group in enumerate(groups):
        group = group if isinstance(group, dict) else {}
        rows = group.get("conditions") or []
        if not isinstance(rows, list):
            raise _fail(_l("Conditions are malformed."), f"conditions.{g_index}")
        total += len(rows)
        if total > MAX_CONDITIONS:
            raise _fail(_l("Too many conditions."), "conditions")
        cleaned_rows = [
            _clean_condition(obj, row, f"conditions.{g_index}.{r_index}")
            for r_index, row in enumerate(rows)
        ]
        if cleaned_rows:
            cleaned_groups.append(
                {"match": _match_mode(group.get("match")), "conditions": cleaned_rows}
            )
    return {"match": _match_mode(conditions.get("match")), "groups": cleaned_groups}


def _match_mode(value: Any) -> str:
    return "any" if value == "any" else "all"


def _clean_condition(obj: str, row: Any, place: str) -> dict[str, Any]:
    row = row if isinstance(row, dict) else {}
    key = str(row.get("field") or "")
    spec = catalog.field_spec(key)
    if spec is None or obj not in spec.objects:
        raise _fail(_l("Choose a field."), f"{place}.field")
    op = str(row.get("op") or "")
    if op not in catalog.OPERATORS[spec.kind]:
        raise _fail(_l("Choose how to compare."), f"{place}.op")
    value = _clean_value(spec, op, row.get("value"), f"{place}.value")
    if key == "status" and isinstance(value, list):
        _check_status_kind(
            obj, [(f"{place}.value.{i}", f"status:{v}") for i, v in enumerate(value)]
        )
    return {"field": key, "op": op, "value": value}


def _check_status_kind(obj: str, targets: list[tuple[str, Any]]) -> None:
    """Statuses an item rule names must belong to that kind's workflows."""
    wanted = {
        place: int(str(target).removeprefix("status:"))
        for place, target in targets
        if str(target).startswith("status:")
    }
    if not wanted or obj not in catalog.ITEM_OBJECTS:
        return
    known = set(
        db.session.scalars(
            db.select(Status.id)
            .join(ItemType, Status.item_type_id == ItemType.id)
            .where(ItemType.kind == obj, Status.id.in_(set(wanted.values())))
        )
    )
    for place, status_id in wanted.items():
        if status_id not in known:
            raise _fail(_l("Choose a status of this kind of item."), place)


def _param_refs(param: catalog.ParamSpec, value: Any, place: str) -> Any:
    values = value if isinstance(value, list) else [value]
    if len(values) > 50:
        raise _fail(_l("Choose at most 50."), place)
    return [_existing(param.source, v, f"{place}.{i}") for i, v in enumerate(values)]


def _param_priority(param: catalog.ParamSpec, value: Any, place: str) -> Any:
    text = str(value).strip()
    if text not in {"1", "2", "3", "4", "5"}:
        raise _fail(_l("Choose a priority from 1 to 5."), place)
    return int(text)


def _param_choice(param: catalog.ParamSpec, value: Any, place: str) -> Any:
    if str(value) not in {str(k) for k, _ in catalog.options(param.source)}:
        raise _fail(_l("Choose a value from the list."), place)
    return str(value)


def _email(value: Any, place: str) -> str:
    try:
        return normalize_email(str(value))
    except InvalidInputError:
        raise _fail(_l("Enter a valid e-mail address."), place) from None


def _param_longtext(param: catalog.ParamSpec, value: Any, place: str) -> Any:
    text = clean_text(str(value), field=place, max_length=MAX_TEXT)
    if not text.strip():
        raise _fail(_l("This setting is required."), place)
    check_text(text, field=place)
    return text


_PARAM_CLEANERS = {
    "ref": lambda param, value, place: _existing(param.source, value, place),
    "refs": _param_refs,
    "status": lambda param, value, place: clean_status_target(value, place),
    "priority": _param_priority,
    "choice": _param_choice,
    "email": lambda param, value, place: _email(value, place),
    "text": lambda param, value, place: clean_line(
        str(value), field=place, max_length=200
    ),
    "longtext": _param_longtext,
}


def _clean_param(param: catalog.ParamSpec, value: Any, place: str) -> Any:
    if value in (None, "", []):
        if param.required:
            raise _fail(_l("This setting is required."), place)
        return None
    return _PARAM_CLEANERS[param.kind](param, value, place)


def clean_actions(obj: str, actions: Any) -> list[dict[str, Any]]:
    """Checked actions, each ``{"type": key, <param>: value, ...}``."""
    if not isinstance(actions, list) or not actions:
        raise _fail(_l("Add at least one action."), "actions")
    if len(actions) > MAX_ACTIONS:
        raise _fail(_l("Too many actions."), "actions")
    cleaned = []
    for index, action in enumerate(actions):
        action = action if isinstance(action, dict) else {}
        spec = catalog.ACTIONS_BY_KEY.get(str(action.get("type") or ""))
        if spec is None or obj not in spec.objects:
            raise _fail(_l("Choose an action."), f"actions.{index}.type")
        entry: dict[str, Any] = {"type": spec.key}
        for param in spec.params:
            entry[param.name] = _clean_param(
                param, action.get(param.name), f"actions.{index}.{param.name}"
            )
        if (
            spec.key == "send_email"
            and entry["to"] == "address"
            and not entry["address"]
        ):
            raise _fail(_l("Enter the address to send to."), f"actions.{index}.address")
        if spec.key == "set_status":
            _check_status_kind(obj, [(f"actions.{index}.status", entry["status"])])
        cleaned.append(entry)
    return cleaned


def clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    """A whole rule from the editor, checked; raises InvalidInputError."""
    name = clean_line(
        str(data.get("name") or ""), field="name", max_length=200, required=False
    )
    if not name:
        raise _fail(_l("Give the rule a name."), "name")
    obj = str(data.get("object") or "")
    if obj not in catalog.EDITABLE_OBJECTS:
        raise _fail(_l("Choose what the rule watches."), "object")
    trigger = str(data.get("trigger") or "")
    if trigger not in catalog.OBJECT_TRIGGERS[obj]:
        raise _fail(_l("Choose when the rule runs."), "trigger")
    position = str(data.get("position", "0")).strip() or "0"
    digits = position.removeprefix("-")
    if not digits.isdecimal() or len(digits) > 7 or abs(int(position)) > 1_000_000:
        raise _fail(_l("Enter a whole number."), "position")
    options = clean_trigger_options(trigger, data.get("trigger_options"))
    _check_status_kind(
        obj,
        [
            (f"trigger_options.{key}.{index}", target)
            for key in ("from", "to", "statuses")
            for index, target in enumerate(options.get(key, []))
        ],
    )
    return {
        "name": name,
        "description": clean_text(
            str(data.get("description") or ""), field="description", max_length=2000
        ),
        "object": obj,
        "trigger": trigger,
        "trigger_options": options,
        "conditions": clean_conditions(obj, data.get("conditions")),
        "actions": clean_actions(obj, data.get("actions")),
        "position": int(position),
        "enabled": bool(data.get("enabled")),
        "stop_processing": bool(data.get("stop_processing")),
    }
