"""Permissions and roles: materialise ROLE_PERMISSIONS into FAB's tables."""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.services.access import ALL_ROLES, role_grants

logger = logging.getLogger(__name__)


def sync_permissions_and_roles() -> dict[str, int]:
    """Create every view permission, then give each role exactly its grants."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for role_name in (*ALL_ROLES, current_app.config["AUTH_ROLE_PUBLIC"]):
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    all_pvms = db.session.scalars(db.select(sm.permissionview_model)).all()
    counts = {}
    for role_name in ALL_ROLES:
        role = sm.find_role(role_name)
        granted = [
            pvm
            for pvm in all_pvms
            if role_grants(role_name, pvm.permission.name, pvm.view_menu.name)
        ]
        role.permissions = granted
        counts[role_name] = len(granted)
    db.session.commit()
    logger.info("Roles synchronised: %s", counts)
    return counts
