"""What a rule may say: triggers, condition fields and operators, actions.

The rule editor is built from :func:`editor_schema`, and :mod:`.validation` checks a
submitted rule against the same tables, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    BusinessCalendar,
    Channel,
    CustomField,
    ItemType,
    Portfolio,
    RuleObject,
    SlaPolicy,
    Status,
    StatusCategory,
    Team,
    Trigger,
)
from app.services.email_templates import EVENT_LABELS, EmailEvent

ITEM_OBJECTS = (RuleObject.TICKET.value, RuleObject.TASK.value)
ENTRY = RuleObject.TIME_ENTRY.value
#: Objects whose rules act on an item (a time entry's rules act on its item).
ACTING_ON_ITEMS = (*ITEM_OBJECTS, ENTRY)
#: Objects the editor offers.
EDITABLE_OBJECTS = (*ITEM_OBJECTS, RuleObject.PROJECT.value, ENTRY)

OBJECT_LABELS = {
    RuleObject.TICKET.value: _l("Ticket"),
    RuleObject.TASK.value: _l("Task"),
    RuleObject.PROJECT.value: _l("Project"),
    RuleObject.TIME_ENTRY.value: _l("Time entry"),
}

TRIGGER_LABELS = {
    Trigger.CREATED.value: _l("is created"),
    Trigger.UPDATED.value: _l("is updated"),
    Trigger.STATUS_CHANGED.value: _l("changes status"),
    Trigger.CUSTOMER_REPLIED.value: _l("gets a customer reply"),
    Trigger.AGENT_REPLIED.value: _l("gets an agent reply"),
    Trigger.SLA_WARNING.value: _l("nears an SLA due time"),
    Trigger.SLA_BREACHED.value: _l("breaches an SLA"),
    Trigger.TIME_BASED.value: _l("has not been updated for a while"),
}

OBJECT_TRIGGERS = {
    RuleObject.TICKET.value: tuple(t.value for t in Trigger),
    RuleObject.TASK.value: tuple(t.value for t in Trigger),
    RuleObject.PROJECT.value: (Trigger.CREATED.value, Trigger.UPDATED.value),
    RuleObject.TIME_ENTRY.value: (Trigger.CREATED.value, Trigger.UPDATED.value),
}

SLA_TARGETS = {
    "any": _l("either target"),
    "first_response": _l("first response"),
    "resolution": _l("resolution"),
}

CATEGORY_LABELS = {
    StatusCategory.NEW.value: _l("New"),
    StatusCategory.OPEN.value: _l("Open"),
    StatusCategory.WAITING.value: _l("Waiting"),
    StatusCategory.DONE.value: _l("Done"),
    StatusCategory.CLOSED.value: _l("Closed"),
}

CHANNEL_LABELS = {
    Channel.EMAIL.value: _l("E-mail"),
    Channel.WEB_FORM.value: _l("Web form"),
    Channel.PORTAL.value: _l("Portal"),
    Channel.CHAT.value: _l("Chat"),
    Channel.PHONE.value: _l("Phone"),
    Channel.API.value: _l("API"),
    Channel.AGENT.value: _l("Agent"),
}

#: Operators per kind of value; the first is the editor's default.
OPERATORS: dict[str, tuple[str, ...]] = {
    "ref": ("in", "not_in", "is_set", "is_not_set"),
    "choice": ("in", "not_in"),
    "text": (
        "contains",
        "not_contains",
        "equals",
        "starts_with",
        "ends_with",
        "is_set",
        "is_not_set",
    ),
    "number": ("eq", "ne", "gt", "gte", "lt", "lte", "is_set", "is_not_set"),
    "date": ("before", "after", "is_set", "is_not_set"),
    "bool": ("is_true", "is_false"),
}
#: Operators that take no value.
VALUELESS = frozenset({"is_set", "is_not_set", "is_true", "is_false"})

OPERATOR_LABELS = {
    "in": _l("is one of"),
    "not_in": _l("is none of"),
    "is_set": _l("is set"),
    "is_not_set": _l("is empty"),
    "contains": _l("contains"),
    "not_contains": _l("does not contain"),
    "equals": _l("is exactly"),
    "starts_with": _l("starts with"),
    "ends_with": _l("ends with"),
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "before": _l("is before"),
    "after": _l("is after"),
    "is_true": _l("is yes"),
    "is_false": _l("is no"),
}


@dataclass(frozen=True)
class FieldSpec:
    """A field conditions can test: its kind and where its choices come from.

    ``source`` names either an inline option list (see :func:`options`) or, for
    big tables, a ``/lookup/<kind>`` type-ahead endpoint (``lookup:<kind>``).
    """

    key: str
    label: Any
    kind: str
    objects: tuple[str, ...]
    source: str = ""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "organization",
        _l("Organization"),
        "ref",
        (*ACTING_ON_ITEMS, "project"),
        "lookup:organizations",
    ),
    FieldSpec(
        "requester_domain", _l("Requester's e-mail domain"), "text", ITEM_OBJECTS
    ),
    FieldSpec("item_type", _l("Type"), "ref", ACTING_ON_ITEMS, "types"),
    FieldSpec("priority", _l("Priority"), "number", ITEM_OBJECTS),
    FieldSpec("channel", _l("Channel"), "choice", ITEM_OBJECTS, "channels"),
    FieldSpec("status", _l("Status"), "ref", ACTING_ON_ITEMS, "statuses"),
    FieldSpec(
        "status_category",
        _l("Status category"),
        "choice",
        ACTING_ON_ITEMS,
        "categories",
    ),
    FieldSpec("assignee", _l("Assignee"), "ref", ACTING_ON_ITEMS, "lookup:agents"),
    FieldSpec("team", _l("Team"), "ref", ACTING_ON_ITEMS, "teams"),
    FieldSpec("project", _l("Project"), "ref", ACTING_ON_ITEMS, "lookup:projects"),
    FieldSpec("title", _l("Title"), "text", ITEM_OBJECTS),
    FieldSpec("message_text", _l("Message text"), "text", ITEM_OBJECTS),
    FieldSpec("name", _l("Name"), "text", ("project",)),
    FieldSpec("portfolio", _l("Portfolio"), "ref", ("project",), "portfolios"),
    FieldSpec("archived", _l("Archived"), "bool", ("project",)),
    FieldSpec("minutes", _l("Minutes logged"), "number", (ENTRY,)),
    FieldSpec("billable", _l("Billable"), "bool", (ENTRY,)),
    FieldSpec("logged_by", _l("Logged by"), "ref", (ENTRY,), "lookup:agents"),
    FieldSpec("note", _l("Note"), "text", (ENTRY,)),
)
FIELDS_BY_KEY = {spec.key: spec for spec in FIELDS}
CUSTOM_PREFIX = "cf:"


@dataclass(frozen=True)
class ParamSpec:
    """One setting of an action, shown as the widget its kind calls for."""

    name: str
    label: Any
    kind: str  # ref, refs, status, priority, text, longtext, choice, email
    source: str = ""
    required: bool = True


@dataclass(frozen=True)
class ActionSpec:
    """An action type: which objects it applies to and what it needs."""

    key: str
    label: Any
    objects: tuple[str, ...]
    params: tuple[ParamSpec, ...] = ()


RECIPIENTS = {
    "requester": _l("the requester"),
    "followers": _l("the followers"),
    "assignee": _l("the assignee"),
    "address": _l("an address"),
}

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "set_status",
        _l("Set status"),
        ACTING_ON_ITEMS,
        (ParamSpec("status", _l("Status"), "status", "statuses"),),
    ),
    ActionSpec(
        "set_priority",
        _l("Set priority"),
        ITEM_OBJECTS,
        (ParamSpec("priority", _l("Priority"), "priority"),),
    ),
    ActionSpec(
        "set_type",
        _l("Set type"),
        ITEM_OBJECTS,
        (ParamSpec("item_type", _l("Type"), "ref", "types"),),
    ),
    ActionSpec(
        "set_assignee",
        _l("Assign to a person"),
        ACTING_ON_ITEMS,
        (ParamSpec("user", _l("Person"), "ref", "lookup:agents", required=False),),
    ),
    ActionSpec(
        "set_team",
        _l("Assign to a team"),
        ACTING_ON_ITEMS,
        (ParamSpec("team", _l("Team"), "ref", "teams", required=False),),
    ),
    ActionSpec(
        "set_project",
        _l("Move to a project"),
        ITEM_OBJECTS,
        (
            ParamSpec(
                "project", _l("Project"), "ref", "lookup:projects", required=False
            ),
        ),
    ),
    ActionSpec(
        "assign_round_robin",
        _l("Assign round-robin within a team"),
        ITEM_OBJECTS,
        (
            ParamSpec(
                "team", _l("Team (empty: the item's team)"), "ref", "teams", False
            ),
        ),
    ),
    ActionSpec(
        "assign_least_loaded",
        _l("Assign to the least busy member of a team"),
        ITEM_OBJECTS,
        (
            ParamSpec(
                "team", _l("Team (empty: the item's team)"), "ref", "teams", False
            ),
        ),
    ),
    ActionSpec(
        "add_followers",
        _l("Add followers"),
        ACTING_ON_ITEMS,
        (ParamSpec("users", _l("People"), "refs", "lookup:agents"),),
    ),
    ActionSpec(
        "customer_project",
        _l("Move to the organization's customer project (created if missing)"),
        ITEM_OBJECTS,
    ),
    ActionSpec(
        "apply_sla",
        _l("Apply an SLA policy"),
        ITEM_OBJECTS,
        (ParamSpec("policy", _l("SLA policy"), "ref", "sla_policies"),),
    ),
    ActionSpec(
        "send_email",
        _l("Send an e-mail template"),
        ACTING_ON_ITEMS,
        (
            ParamSpec("template", _l("Template"), "choice", "templates"),
            ParamSpec("to", _l("To"), "choice", "recipients"),
            ParamSpec("address", _l("Address"), "email", required=False),
        ),
    ),
    ActionSpec(
        "add_note",
        _l("Add an internal note"),
        ACTING_ON_ITEMS,
        (ParamSpec("text", _l("Text"), "longtext"),),
    ),
    ActionSpec(
        "public_reply",
        _l("Reply to the customer"),
        ACTING_ON_ITEMS,
        (ParamSpec("text", _l("Text"), "longtext"),),
    ),
    ActionSpec("send_survey", _l("Send a satisfaction survey"), ITEM_OBJECTS),
    ActionSpec(
        "convert_to_task",
        _l("Convert the ticket to a task"),
        (RuleObject.TICKET.value,),
        (ParamSpec("item_type", _l("Task type"), "ref", "task_types", False),),
    ),
    ActionSpec(
        "create_task",
        _l("Create a task in the project"),
        (RuleObject.PROJECT.value,),
        (
            ParamSpec("title", _l("Title"), "text"),
            ParamSpec("item_type", _l("Task type"), "ref", "task_types", False),
        ),
    ),
)
ACTIONS_BY_KEY = {spec.key: spec for spec in ACTIONS}


def _types(kind: str | None) -> list[tuple[Any, str]]:
    query = db.select(ItemType).order_by(ItemType.kind, ItemType.position, ItemType.id)
    if kind:
        query = query.where(ItemType.kind == kind)
    return [(t.id, t.name) for t in db.session.scalars(query)]


def _statuses(kind: str | None) -> list[tuple[Any, str]]:
    query = (
        db.select(Status, ItemType.name)
        .join(ItemType, Status.item_type_id == ItemType.id)
        .order_by(ItemType.position, ItemType.id, Status.position)
    )
    if kind:
        query = query.where(ItemType.kind == kind)
    return [
        (s.id, f"{type_name}: {s.name}") for s, type_name in db.session.execute(query)
    ]


def status_choices(kind: str | None) -> list[tuple[str, str]]:
    """Status targets for "set status": a category (any workflow) or one status."""
    categories = [
        (f"category:{key}", str(_l("First status in category: %(name)s", name=label)))
        for key, label in CATEGORY_LABELS.items()
    ]
    return categories + [(f"status:{sid}", label) for sid, label in _statuses(kind)]


def _named(model: Any, order: Any) -> list[tuple[Any, str]]:
    return [
        (row.id, row.name)
        for row in db.session.scalars(db.select(model).order_by(order))
    ]


_SOURCES: dict[str, Any] = {
    "types": _types,
    "task_types": lambda kind: _types(RuleObject.TASK.value),
    "statuses": _statuses,
    "categories": lambda kind: [(k, str(v)) for k, v in CATEGORY_LABELS.items()],
    "channels": lambda kind: [(k, str(v)) for k, v in CHANNEL_LABELS.items()],
    "teams": lambda kind: _named(Team, Team.name),
    "portfolios": lambda kind: _named(Portfolio, Portfolio.name),
    "sla_policies": lambda kind: _named(SlaPolicy, SlaPolicy.name),
    "calendars": lambda kind: _named(BusinessCalendar, BusinessCalendar.name),
    "templates": lambda kind: [(e.value, str(EVENT_LABELS[e])) for e in EmailEvent],
    "recipients": lambda kind: [(k, str(v)) for k, v in RECIPIENTS.items()],
}


def options(source: str, kind: str | None = None) -> list[tuple[Any, str]]:
    """The inline choices of ``source`` (ids or keys, labels) for one object kind."""
    return _SOURCES[source](kind)


def custom_fields(kind: str | None) -> list[CustomField]:
    """Custom fields of the object kind's types, for conditions."""
    query = (
        db.select(CustomField)
        .join(ItemType, CustomField.item_type_id == ItemType.id)
        .order_by(ItemType.position, CustomField.position, CustomField.id)
    )
    if kind:
        query = query.where(ItemType.kind == kind)
    return list(db.session.scalars(query))


def field_spec(key: str, kind: str | None = None) -> FieldSpec | None:
    """The spec of a built-in field or a ``cf:<id>`` custom field."""
    if key.startswith(CUSTOM_PREFIX):
        number = key[len(CUSTOM_PREFIX) :]
        known = number.isdecimal() and len(number) <= 12
        field = db.session.get(CustomField, int(number)) if known else None
        if field is None:
            return None
        field_kind = "choice" if field.field_type == "choice" else field.field_type
        return FieldSpec(
            key, field.name, field_kind, ITEM_OBJECTS, f"custom:{field.id}"
        )
    return FIELDS_BY_KEY.get(key)


def editor_schema() -> dict[str, Any]:
    """Everything the rule editor's widgets need, as JSON-ready data."""
    objects: dict[str, Any] = {}
    for obj in EDITABLE_OBJECTS:
        kind = obj if obj in ITEM_OBJECTS else None
        specs = [spec for spec in FIELDS if obj in spec.objects]
        if obj == ENTRY:  # the entry's own fields first, then its item's
            specs.sort(key=lambda spec: spec.objects != (ENTRY,))
        fields = [_field_json(spec, kind) for spec in specs]
        if kind:
            for field in custom_fields(kind):
                spec = field_spec(f"{CUSTOM_PREFIX}{field.id}", kind)
                entry = _field_json(spec, kind)
                entry["label"] = f"{field.item_type.name}: {field.name}"
                if field.field_type == "choice":
                    entry["options"] = [[c, c] for c in field.choices]
                fields.append(entry)
        objects[obj] = {
            "label": str(OBJECT_LABELS[obj]),
            "triggers": [
                {"key": t, "label": str(TRIGGER_LABELS[t])}
                for t in OBJECT_TRIGGERS[obj]
            ],
            "fields": fields,
            "actions": [
                {
                    "key": a.key,
                    "label": str(a.label),
                    "params": [_param_json(p, kind) for p in a.params],
                }
                for a in ACTIONS
                if obj in a.objects
            ],
            "statuses": [[k, v] for k, v in status_choices(kind)] if kind else [],
        }
    return {
        "objects": objects,
        "operators": {kind: list(ops) for kind, ops in OPERATORS.items()},
        "operator_labels": {op: str(label) for op, label in OPERATOR_LABELS.items()},
        "valueless": sorted(VALUELESS),
        "sla_targets": [[k, str(v)] for k, v in SLA_TARGETS.items()],
        "categories": [[k, str(v)] for k, v in CATEGORY_LABELS.items()],
    }


def _field_json(spec: FieldSpec, kind: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": spec.key,
        "label": str(spec.label),
        "kind": spec.kind,
    }
    if spec.source.startswith("lookup:"):
        entry["lookup"] = spec.source.split(":", 1)[1]
    elif spec.source and not spec.source.startswith("custom:"):
        entry["options"] = [[k, v] for k, v in options(spec.source, kind)]
    return entry


def _param_json(spec: ParamSpec, kind: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": spec.name,
        "label": str(spec.label),
        "kind": spec.kind,
        "required": spec.required,
    }
    if spec.source.startswith("lookup:"):
        entry["lookup"] = spec.source.split(":", 1)[1]
    elif spec.kind == "status":
        entry["options"] = [[k, v] for k, v in status_choices(kind)]
    elif spec.source:
        entry["options"] = [[k, v] for k, v in options(spec.source, kind)]
    return entry
