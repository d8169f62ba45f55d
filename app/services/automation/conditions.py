"""Evaluating a rule's conditions against an item or a project (pure, no writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.models import Item, Message, MessageKind, Project, TimeEntry
from app.services.automation.catalog import CUSTOM_PREFIX

#: Condition fields read straight from an item's column -> that column.
ITEM_COLUMNS = {
    "organization": "organization_id",
    "item_type": "item_type_id",
    "priority": "priority",
    "channel": "channel",
    "status": "status_id",
    "assignee": "assignee_id",
    "team": "team_id",
    "project": "project_id",
    "title": "title",
}
#: Condition fields a time entry answers itself -> its column.
ENTRY_COLUMNS = {
    "minutes": "minutes",
    "billable": "billable",
    "logged_by": "user_id",
    "note": "note",
}


@dataclass
class Subject:
    """What a rule looks at: an item or a project, plus the event's message text."""

    item: Item | None = None
    project: Project | None = None
    message_text: str | None = None
    #: A time entry rule looks at the entry and at the item it was logged on.
    entry: TimeEntry | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The plain columns most conditions read, once: rules then only look up.
        if self.item is not None:
            self._cache.update(
                {
                    key: getattr(self.item, column)
                    for key, column in ITEM_COLUMNS.items()
                }
            )

    def value(self, key: str) -> Any:
        """The current value of condition field ``key`` (None when unset)."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        if self.entry is not None and key in ENTRY_COLUMNS:
            self._cache[key] = getattr(self.entry, ENTRY_COLUMNS[key])
        elif self.item is not None:
            self._cache[key] = self._item_value(key)
        else:
            self._cache[key] = self._project_value(key)
        return self._cache[key]

    def folded(self, key: str) -> str:
        """The value as case-folded text, for text comparisons (computed once)."""
        folded_key = "\0" + key
        try:
            return self._cache[folded_key]
        except KeyError:
            text = str(self.value(key) or "").casefold()
            self._cache[folded_key] = text
            return text

    def _project_value(self, key: str) -> Any:
        project = self.project
        return {
            "organization": project.organization_id,
            "name": project.name,
            "portfolio": project.portfolio_id,
            "archived": project.archived,
        }.get(key)

    def _item_value(self, key: str) -> Any:
        item = self.item
        if key.startswith(CUSTOM_PREFIX):
            return _custom_value(item, key)
        if key == "requester_domain":
            email = item.requester.email if item.requester is not None else ""
            return email.rpartition("@")[2] or None
        if key == "status_category":
            return item.status.category if item.status is not None else None
        if key == "message_text":
            return self._message_text()
        return getattr(item, ITEM_COLUMNS.get(key, key), None)

    def _message_text(self) -> str:
        if self.message_text is not None:
            return self.message_text
        first = db.session.scalar(
            db.select(Message.body_text)
            .where(
                Message.item_id == self.item.id,
                Message.kind == MessageKind.PUBLIC.value,
            )
            .order_by(Message.id)
            .limit(1)
        )
        return "\n".join(part for part in (self.item.description, first) if part)


def _custom_value(item: Item, key: str) -> Any:
    number = key[len(CUSTOM_PREFIX) :]
    for value in item.custom_values:
        if str(value.field_id) == number:
            if value.value_number is not None:
                return float(value.value_number)
            if value.value_date is not None:
                return value.value_date.isoformat()
            return value.value_text
    return None


@dataclass(frozen=True)
class ConditionResult:
    """One condition row and how it came out."""

    field: str
    op: str
    value: Any
    actual: Any
    matched: bool


def _is_set(actual: Any) -> bool:
    return actual is not None and actual != ""


def _text_test(op: str, actual: Any, expected: Any) -> bool:
    have = str(actual or "").casefold()
    want = str(expected or "").casefold()
    return {
        "contains": want in have,
        "not_contains": want not in have,
        "equals": have == want,
        "starts_with": have.startswith(want),
        "ends_with": have.endswith(want),
    }[op]


def _number_test(op: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return op == "ne"
    have, want = float(actual), float(expected)
    return {
        "eq": have == want,
        "ne": have != want,
        "gt": have > want,
        "gte": have >= want,
        "lt": have < want,
        "lte": have <= want,
    }[op]


def _date_test(op: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    have = actual.isoformat() if isinstance(actual, dt.date) else str(actual)
    return have < expected if op == "before" else have > expected


def test(op: str, actual: Any, expected: Any) -> bool:
    """Whether ``actual`` passes operator ``op`` against the stored ``expected``."""
    if op == "is_set":
        return _is_set(actual)
    if op == "is_not_set":
        return not _is_set(actual)
    if op in ("is_true", "is_false"):
        return bool(actual) is (op == "is_true")
    if op in ("in", "not_in"):
        inside = actual is not None and str(actual) in {str(v) for v in expected}
        return inside if op == "in" else not inside
    if op in ("before", "after"):
        return _date_test(op, actual, expected)
    if op in ("eq", "ne", "gt", "gte", "lt", "lte"):
        return _number_test(op, actual, expected)
    return _text_test(op, actual, expected)


def _combine(mode: str, results: list[bool]) -> bool:
    return any(results) if mode == "any" else all(results)


def evaluate(
    conditions: dict[str, Any], subject: Subject
) -> tuple[bool, list[list[ConditionResult]]]:
    """Whether the conditions hold, and each row's outcome (for the preview).

    A rule without conditions always matches.
    """
    group_results: list[bool] = []
    details: list[list[ConditionResult]] = []
    for group in conditions.get("groups") or []:
        rows = []
        for row in group.get("conditions") or []:
            actual = subject.value(row["field"])
            rows.append(
                ConditionResult(
                    row["field"],
                    row["op"],
                    row.get("value"),
                    actual,
                    test(row["op"], actual, row.get("value")),
                )
            )
        details.append(rows)
        group_results.append(
            _combine(group.get("match", "all"), [r.matched for r in rows])
        )
    if not group_results:
        return True, details
    return _combine(conditions.get("match", "all"), group_results), details


Predicate = Callable[[Subject], bool]


def _compile_row(row: dict[str, Any]) -> Predicate:
    """One condition as a function, with its expected value prepared once."""
    key, op, expected = row["field"], row["op"], row.get("value")
    if op in ("in", "not_in"):
        # Ids are stored as numbers, choices as text: accept either form, so the
        # test is one set lookup without converting the value.
        texts = {str(v) for v in expected or []}
        wanted = frozenset(texts | {int(t) for t in texts if t.isdecimal()})
        if op == "in":
            return lambda s: (v := s.value(key)) is not None and v in wanted
        return lambda s: (v := s.value(key)) is None or v not in wanted
    if op in ("contains", "not_contains", "equals", "starts_with", "ends_with"):
        want = str(expected or "").casefold()
        text_tests: dict[str, Callable[[str], bool]] = {
            "contains": lambda have: want in have,
            "not_contains": lambda have: want not in have,
            "equals": lambda have: have == want,
            "starts_with": lambda have: have.startswith(want),
            "ends_with": lambda have: have.endswith(want),
        }
        check = text_tests[op]
        return lambda s: check(s.folded(key))
    return lambda s: test(op, s.value(key), expected)


def _all_or_any(mode: str, predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    wanted = mode == "any"  # the outcome that decides the group at once

    def check(subject: Subject) -> bool:
        for predicate in predicates:
            if predicate(subject) is wanted:
                return wanted
        return not wanted

    return check


def compile_conditions(conditions: dict[str, Any]) -> Predicate:
    """The whole condition tree as one function (same answer as :func:`evaluate`)."""
    groups = [
        _all_or_any(
            group.get("match", "all"),
            [_compile_row(row) for row in group.get("conditions") or []],
        )
        for group in conditions.get("groups") or []
    ]
    if not groups:
        return lambda s: True
    return _all_or_any(conditions.get("match", "all"), groups)
