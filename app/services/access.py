"""The access-control layer: role definitions and who may see which rows.

Every list, show page, REST resource, search, export, chart and download asks this
module; nothing else decides visibility.
"""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import ColumnElement, true

from app.models import JobRun

ROLE_ADMIN = "Admin"
ROLE_MANAGER = "Manager"
ROLE_AGENT = "Agent"
ROLE_CUSTOMER = "Customer"
STAFF_ROLES = (ROLE_ADMIN, ROLE_MANAGER, ROLE_AGENT)
ALL_ROLES = (ROLE_ADMIN, ROLE_MANAGER, ROLE_AGENT, ROLE_CUSTOMER)

#: What every signed-in person may do with their own account.
SELF_SERVICE = (
    ("can_userinfo|resetmypassword|userinfoedit", "AtriumUserDBModelView"),
    ("can_this_form_(get|post)", "ResetMyPasswordView|AtriumUserInfoEditView"),
)
#: Reading the background jobs screen (rows are scoped by services.access).
JOB_READER = (
    ("can_(list|show)", "JobRunModelView"),
    ("menu_access", "Background jobs|Tools"),
)

#: Role -> (permission regex, view regex) pairs; Admin always gets everything.
ROLE_PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    ROLE_MANAGER: SELF_SERVICE + JOB_READER,
    ROLE_AGENT: SELF_SERVICE + JOB_READER,
    ROLE_CUSTOMER: SELF_SERVICE,
}


def role_grants(role: str, permission: str, view: str) -> bool:
    """Whether ``role`` is granted ``permission`` on ``view`` by ROLE_PERMISSIONS."""
    if role == ROLE_ADMIN:
        return True
    for perm_pattern, view_pattern in ROLE_PERMISSIONS.get(role, ()):
        if re.fullmatch(perm_pattern, permission) and re.fullmatch(view_pattern, view):
            return True
    return False


def current_user_roles() -> set[str]:
    """Role names of the signed-in user (empty for anonymous visitors)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in user.roles}


def job_run_scope(user: object | None = None) -> ColumnElement[bool]:
    """Job records ``user`` may see: all for Admin and Manager, else their own."""
    user = user if user is not None else getattr(g, "user", None)
    roles = {role.name for role in getattr(user, "roles", [])}
    if roles & {ROLE_ADMIN, ROLE_MANAGER}:
        return true()
    user_id = getattr(user, "id", None)
    return JobRun.requested_by_id == user_id if user_id else JobRun.id.is_(None)
