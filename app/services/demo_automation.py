"""Demo automation rules: the source documents' examples, switched on."""

from __future__ import annotations

from app.extensions import db
from app.models import AutomationRule
from app.services.automation import rules, templates

#: Templates the demo desk runs (the others stay one click away on the
#: templates page).
DEMO_RULES = (
    "assign_by_type",
    "customer_project",
    "survey_when_done",
    "reopen_on_reply",
    "escalate_breach",
)


def seed_demo_rules() -> int:
    """Create the demo rules once, after the demo items (they must not fire on them)."""
    if db.session.scalar(db.select(AutomationRule.id).limit(1)) is not None:
        return 0
    for position, key in enumerate(DEMO_RULES, start=1):
        draft = templates.draft(key)
        draft["position"] = position * 10
        rules.save_rule(None, draft)
    return len(DEMO_RULES)
