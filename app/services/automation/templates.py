"""Ready-made rules from the source documents, opened in the editor as drafts.

A template fills in what it can from the desk's own data (the first ticket type,
the first team, the first SLA policy); what only the administrator can decide is
left empty, and the editor asks for it before the rule can be saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ItemType, SlaPolicy, Team


@dataclass(frozen=True)
class RuleTemplate:
    """A named starting point for a rule."""

    key: str
    name: Any
    description: Any


TEMPLATES: tuple[RuleTemplate, ...] = (
    RuleTemplate(
        "assign_by_type",
        _l("Assign new tickets of a type to a team member"),
        _l(
            "When a ticket of the chosen type is created, give it to the next "
            "available member of the department's team, in turn."
        ),
    ),
    RuleTemplate(
        "customer_project",
        _l("Put customers' tickets in their organization's project"),
        _l(
            "When a customer's ticket is created, move it to the organization's "
            "customer project, and create that project if it does not exist yet."
        ),
    ),
    RuleTemplate(
        "apply_sla",
        _l("Add every new ticket to an SLA"),
        _l("When any ticket is created, apply the chosen SLA policy."),
    ),
    RuleTemplate(
        "survey_when_done",
        _l("Send a satisfaction survey when a ticket is done"),
        _l("When a ticket's status changes to a done status, ask the requester."),
    ),
    RuleTemplate(
        "task_status_reply",
        _l("Tell the customer when a task's status changes"),
        _l("When a task with a requester changes status, reply with the new status."),
    ),
    RuleTemplate(
        "route_organization",
        _l("Route an organization's tickets to a team"),
        _l("When a ticket from the chosen organization is created, assign the team."),
    ),
    RuleTemplate(
        "reopen_on_reply",
        _l("Reopen when the customer replies"),
        _l(
            "When the customer replies to a ticket that is waiting or done, move it "
            "back to an open status."
        ),
    ),
    RuleTemplate(
        "close_waiting",
        _l("Close tickets left waiting for a week"),
        _l(
            "When a ticket has waited on the customer for 7 days without an "
            "update, tell the customer and close it."
        ),
    ),
    RuleTemplate(
        "escalate_breach",
        _l("Escalate a breached SLA"),
        _l("When a ticket breaches its SLA, raise its priority and add a note."),
    ),
)
TEMPLATES_BY_KEY = {template.key: template for template in TEMPLATES}


def _first_id(model: Any, *where: Any) -> int | None:
    return db.session.scalar(
        db.select(model.id).where(*where).order_by(model.id).limit(1)
    )


def _condition(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {
        "match": "all",
        "groups": [
            {"match": "all", "conditions": [{"field": field, "op": op, "value": value}]}
        ],
    }


def blank_draft() -> dict[str, Any]:
    """A new rule as the editor starts it."""
    return {
        "name": "",
        "description": "",
        "object": "ticket",
        "trigger": "created",
        "trigger_options": {},
        "conditions": {"match": "all", "groups": []},
        "actions": [],
        "position": 0,
        "enabled": True,
        "stop_processing": False,
    }


def draft(key: str) -> dict[str, Any]:
    """The template as an editor draft (the shape validation.clean_rule accepts)."""
    template = TEMPLATES_BY_KEY[key]
    ticket_type = _first_id(ItemType, ItemType.kind == "ticket")
    team = _first_id(Team)
    policy = _first_id(SlaPolicy, SlaPolicy.enabled.is_(True))
    return {
        **blank_draft(),
        "name": str(template.name),
        "description": str(template.description),
        **_SHAPES[key](ticket_type, team, policy),
    }


_SHAPES: dict[str, Any] = {
    "assign_by_type": lambda ticket_type, team, policy: {
        "conditions": _condition(
            "item_type", "in", [ticket_type] if ticket_type else []
        ),
        "actions": [{"type": "assign_round_robin", "team": team}],
    },
    "customer_project": lambda ticket_type, team, policy: {
        "conditions": _condition("organization", "is_set"),
        "actions": [{"type": "customer_project"}],
    },
    "apply_sla": lambda ticket_type, team, policy: {
        "actions": [{"type": "apply_sla", "policy": policy}],
    },
    "survey_when_done": lambda ticket_type, team, policy: {
        "trigger": "status_changed",
        "trigger_options": {"from": [], "to": ["category:done"]},
        "actions": [{"type": "send_survey"}],
    },
    "task_status_reply": lambda ticket_type, team, policy: {
        "object": "task",
        "trigger": "status_changed",
        "conditions": _condition("requester_domain", "is_set"),
        "actions": [
            {
                "type": "public_reply",
                "text": str(
                    _l(
                        "Hello {{ recipient.name }}, the status of {{ item.number }} "
                        '"{{ item.title }}" is now: {{ item.status }}.'
                    )
                ),
            }
        ],
    },
    "route_organization": lambda ticket_type, team, policy: {
        "conditions": _condition("organization", "in", []),
        "actions": [{"type": "set_team", "team": team}],
    },
    "reopen_on_reply": lambda ticket_type, team, policy: {
        "trigger": "customer_replied",
        "conditions": _condition("status_category", "in", ["waiting", "done"]),
        "actions": [{"type": "set_status", "status": "category:open"}],
    },
    "close_waiting": lambda ticket_type, team, policy: {
        "trigger": "time_based",
        "trigger_options": {"hours": 168, "statuses": ["category:waiting"]},
        "actions": [
            {
                "type": "public_reply",
                "text": str(
                    _l(
                        "We have not heard from you for a week, so we are closing "
                        "{{ item.number }}. Reply to this e-mail to reopen it."
                    )
                ),
            },
            {"type": "set_status", "status": "category:closed"},
        ],
    },
    "escalate_breach": lambda ticket_type, team, policy: {
        "trigger": "sla_breached",
        "trigger_options": {"target": "any"},
        "actions": [
            {"type": "set_priority", "priority": 5},
            {
                "type": "add_note",
                "text": str(_l("SLA breached: {{ item.number }} needs attention now.")),
            },
        ],
    },
}
