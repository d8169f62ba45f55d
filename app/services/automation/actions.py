"""Planning and applying a rule's actions.

Every action is first *planned*: field changes are collected (so a rule makes one
edit with one history entry) and side effects (mails, notes, followers) are queued
as callables. The preview shows the plan; a real run applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.extensions import db
from app.models import (
    AtriumUser,
    Item,
    ItemType,
    Organization,
    Project,
    SlaPolicy,
    Status,
    Team,
)
from app.services import assignment, items, notifications, sla
from app.services.email_templates import render_text
from app.services.messages import MessageDraft, post_message
from app.services.projects import create_project
from app.services.text import display_name
from app.services.workflows import enabled_types, status_in_category


class ActionError(DomainError):
    """An action cannot be carried out on this item (logged on the run)."""


#: Item column -> (label, model for naming ids).
FIELD_LABELS: dict[str, tuple[Any, Any]] = {
    "status_id": (_l("Status"), Status),
    "priority": (_l("Priority"), None),
    "item_type_id": (_l("Type"), ItemType),
    "assignee_id": (_l("Assignee"), AtriumUser),
    "team_id": (_l("Team"), Team),
    "project_id": (_l("Project"), Project),
}


@dataclass
class Plan:
    """What a rule's actions will do to one item."""

    item: Item
    dry_run: bool
    fields: dict[str, Any] = field(default_factory=dict)
    #: Side effects after the field edit: (action type, detail, callable). The
    #: detail is data (names, addresses, text), shown after the action's label.
    later: list[tuple[str, str, Callable[[], None]]] = field(default_factory=list)
    #: Descriptions of choices made while planning (who round-robin picked).
    notes: list[str] = field(default_factory=list)

    def current(self, column: str) -> Any:
        """The column's value once the planned field changes are made."""
        return self.fields.get(column, getattr(self.item, column))

    def field_changes(self) -> list[dict[str, Any]]:
        """Planned field edits that differ from now, with readable old/new values."""
        changes = []
        for column, new in self.fields.items():
            old = getattr(self.item, column)
            if old == new:
                continue
            label, model = FIELD_LABELS[column]
            changes.append(
                {
                    "field": column,
                    "label": str(label),
                    "old": name_of(model, old),
                    "new": name_of(model, new),
                }
            )
        return changes


def name_of(model: Any, value: Any) -> str:
    """A readable name for a column value ("—" for empty)."""
    if value is None:
        return "—"
    if model is None:
        return str(value)
    row = db.session.get(model, value)
    return display_name(row) if row is not None else f"#{value}"


def _system_user() -> AtriumUser:
    from app.services.users import get_system_user

    return get_system_user()


def _status_for(plan: Plan, target: str) -> int:
    kind, _sep, value = target.partition(":")
    type_id = plan.current("item_type_id")
    if kind == "category":
        status = status_in_category(type_id, value)
        if status is None:
            raise ActionError(_("The item's workflow has no status in this category."))
        return status.id
    status = db.session.get(Status, int(value))
    if status is None or status.item_type_id != type_id:
        raise ActionError(_("This status is not part of the item's workflow."))
    return status.id


def _plan_set_status(plan: Plan, action: dict[str, Any]) -> None:
    plan.fields["status_id"] = _status_for(plan, action["status"])


def _plan_set_priority(plan: Plan, action: dict[str, Any]) -> None:
    plan.fields["priority"] = int(action["priority"])


def _plan_set_type(plan: Plan, action: dict[str, Any]) -> None:
    item_type = db.session.get(ItemType, action["item_type"])
    if item_type is None or item_type.kind != plan.item.kind:
        raise ActionError(_("This type is for another kind of item."))
    plan.fields["item_type_id"] = item_type.id
    if "status_id" not in plan.fields:
        status = db.session.get(Status, plan.item.status_id)
        same = status_in_category(item_type.id, status.category) if status else None
        if same is not None:
            plan.fields["status_id"] = same.id


def _plan_set_assignee(plan: Plan, action: dict[str, Any]) -> None:
    plan.fields["assignee_id"] = action.get("user")


def _plan_set_team(plan: Plan, action: dict[str, Any]) -> None:
    plan.fields["team_id"] = action.get("team")


def _plan_set_project(plan: Plan, action: dict[str, Any]) -> None:
    plan.fields["project_id"] = action.get("project")


def _team_for(plan: Plan, action: dict[str, Any]) -> int:
    team_id = action.get("team") or plan.current("team_id")
    if not team_id:
        raise ActionError(_("The item has no team to assign within."))
    if action.get("team"):
        plan.fields["team_id"] = team_id
    return team_id


def _plan_round_robin(plan: Plan, action: dict[str, Any]) -> None:
    team_id = _team_for(plan, action)
    if plan.dry_run:
        chosen = assignment.peek_round_robin(team_id)
    else:
        chosen = assignment.next_round_robin(team_id)
    if chosen is None:
        raise ActionError(_("Nobody in the team is available."))
    plan.fields["assignee_id"] = chosen


def _plan_least_loaded(plan: Plan, action: dict[str, Any]) -> None:
    team_id = _team_for(plan, action)
    chosen = assignment.least_loaded(team_id)
    if chosen is None:
        raise ActionError(_("Nobody in the team is available."))
    plan.fields["assignee_id"] = chosen


def _plan_add_followers(plan: Plan, action: dict[str, Any]) -> None:
    current = {user.id for user in plan.item.followers}
    new = [uid for uid in action["users"] if uid not in current]
    if not new:
        return
    names = ", ".join(name_of(AtriumUser, uid) for uid in new)
    actor = _system_user()

    def follow() -> None:
        for uid in new:
            items.follow_item(plan.item.id, actor, user_id=uid)

    plan.later.append(("add_followers", names, follow))


def customer_project_for(organization: Organization) -> Project | None:
    """The organization's open customer project (the oldest), if there is one."""
    return db.session.scalar(
        db.select(Project)
        .where(Project.organization_id == organization.id, Project.archived.is_(False))
        .order_by(Project.id)
        .limit(1)
    )


def _plan_customer_project(plan: Plan, action: dict[str, Any]) -> None:
    organization = db.session.get(Organization, plan.current("organization_id") or 0)
    if organization is None:
        raise ActionError(_("The item has no organization."))
    project = customer_project_for(organization)
    if project is None and plan.dry_run:
        plan.notes.append(
            _("A project named %(name)s would be created.", name=organization.name)
        )
        return
    if project is None:
        project = create_project(organization.name, organization_id=organization.id)
    plan.fields["project_id"] = project.id


def _plan_apply_sla(plan: Plan, action: dict[str, Any]) -> None:
    policy = db.session.get(SlaPolicy, action["policy"])
    if policy is None:
        raise ActionError(_("The SLA policy no longer exists."))

    def apply() -> None:
        sla.apply_policy(plan.item.id, policy.id)
        db.session.commit()

    plan.later.append(("apply_sla", policy.name, apply))


@dataclass(frozen=True)
class _Address:
    email: str
    name: str = ""
    language: str | None = None


def _recipients(item: Item, action: dict[str, Any]) -> list[tuple[Any, bool]]:
    """(person, staff?) pairs the e-mail action sends to."""
    to = action["to"]
    if to == "requester":
        return [(item.requester, False)] if item.requester is not None else []
    if to == "assignee":
        return [(item.assignee, True)] if item.assignee is not None else []
    if to == "followers":
        return [(user, True) for user in item.followers] + [
            (customer, False) for customer in item.customer_followers
        ]
    return [(_Address(action["address"]), False)]


def _plan_send_email(plan: Plan, action: dict[str, Any]) -> None:
    people = _recipients(plan.item, action)
    if not people:
        raise ActionError(_("There is nobody to send this e-mail to."))
    addresses = ", ".join(person.email for person, _staff in people)

    def send() -> None:
        for person, staff in people:
            notifications.send_template(
                action["template"], person, plan.item, staff=staff
            )
        db.session.commit()

    plan.later.append(("send_email", addresses, send))


def text_context(item: Item) -> dict[str, Any]:
    """What an automatic note or reply may say with ``{{ ... }}``."""
    requester = item.requester
    return {
        "item": notifications.item_fields(item),
        "recipient": {
            "name": requester.name if requester is not None else "",
            "email": requester.email if requester is not None else "",
        },
    }


def _plan_message(plan: Plan, action: dict[str, Any], *, public: bool) -> None:
    if public and plan.item.requester is None:
        raise ActionError(_("The item has no requester to reply to."))
    kind = "public" if public else "internal"

    def post() -> None:
        text = render_text(action["text"], text_context(plan.item))
        post_message(
            plan.item.id, _system_user(), MessageDraft(body_text=text, kind=kind)
        )

    preview = render_text(action["text"], text_context(plan.item))
    plan.later.append((action["type"], preview[:300], post))


def _plan_send_survey(plan: Plan, action: dict[str, Any]) -> None:
    requester = plan.item.requester
    if requester is None:
        raise ActionError(_("The item has no requester to ask."))

    def send() -> None:
        notifications.satisfaction_survey(plan.item)
        db.session.commit()

    plan.later.append(("send_survey", requester.email, send))


def _task_type_id(action: dict[str, Any]) -> int:
    """The action's task type, else the first enabled one."""
    type_id = action.get("item_type")
    if type_id is None:
        types = enabled_types("task")
        if not types:
            raise ActionError(_("There is no enabled task type."))
        type_id = types[0].id
    return type_id


def _plan_convert(plan: Plan, action: dict[str, Any]) -> None:
    type_id = _task_type_id(action)
    name = name_of(ItemType, type_id)

    def convert() -> None:
        items.convert_item(plan.item.id, _system_user(), item_type_id=type_id)

    plan.later.append(("convert_to_task", name, convert))


PLANNERS: dict[str, Callable[[Plan, dict[str, Any]], None]] = {
    "set_status": _plan_set_status,
    "set_priority": _plan_set_priority,
    "set_type": _plan_set_type,
    "set_assignee": _plan_set_assignee,
    "set_team": _plan_set_team,
    "set_project": _plan_set_project,
    "assign_round_robin": _plan_round_robin,
    "assign_least_loaded": _plan_least_loaded,
    "add_followers": _plan_add_followers,
    "customer_project": _plan_customer_project,
    "apply_sla": _plan_apply_sla,
    "send_email": _plan_send_email,
    "add_note": lambda plan, action: _plan_message(plan, action, public=False),
    "public_reply": lambda plan, action: _plan_message(plan, action, public=True),
    "send_survey": _plan_send_survey,
    "convert_to_task": _plan_convert,
}


def plan_actions(item: Item, actions: list[dict[str, Any]], *, dry_run: bool) -> Plan:
    """Plan every action in order; raises ActionError at the first impossible one."""
    plan = Plan(item=item, dry_run=dry_run)
    for action in actions:
        PLANNERS[action["type"]](plan, action)
    return plan


def apply_plan(plan: Plan) -> list[dict[str, Any]]:
    """Carry out a plan: one edit for the fields, then the side effects in order.

    Returns the run's log: ``{"field", "old", "new"}`` per changed column and
    ``{"action", "detail"}`` per side effect.
    """
    log: list[dict[str, Any]] = [
        {key: change[key] for key in ("field", "old", "new")}
        for change in plan.field_changes()
    ]
    if log:
        items.update_item(
            plan.item.id,
            _system_user(),
            {change["field"]: plan.fields[change["field"]] for change in log},
        )
    for action_type, detail, effect in plan.later:
        effect()
        log.append({"action": action_type, "detail": detail})
    return log


def run_project_actions(
    project: Project, actions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Project rules: create the tasks they ask for."""
    log = []
    for action in actions:
        if action["type"] != "create_task":
            continue
        type_id = _task_type_id(action)
        task = items.create_item(
            _system_user(),
            kind="task",
            title=action["title"],
            item_type_id=type_id,
            project_id=project.id,
            organization_id=project.organization_id,
        )
        log.append({"action": "create_task", "detail": f"{task.number} {task.title}"})
    return log


def describe_project_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What project actions would do, as log entries, for the preview."""
    return [
        {"action": "create_task", "detail": action["title"]}
        for action in actions
        if action["type"] == "create_task"
    ]
