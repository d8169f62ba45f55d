"""Screens and APIs; `register_views` adds them all to the AppBuilder."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.services.jobruns import count_stale_pending_jobs


def register_views(appbuilder: AppBuilder) -> None:
    """Register every view, menu entry and blueprint of Atrium."""
    from app.views.health import health_bp
    from app.views.jobs import JobRunModelView

    appbuilder.add_view(
        JobRunModelView,
        "Background jobs",
        label=_l("Background jobs"),
        icon="fa-tasks",
        category="Tools",
        category_label=_l("Tools"),
        category_icon="fa-wrench",
    )
    app = current_app._get_current_object()
    app.register_blueprint(health_bp)
    app.context_processor(_layout_context)


def _layout_context() -> dict:
    from flask import g
    from flask_babel import get_locale

    context = {"current_locale": str(get_locale() or "en")}
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        context["queue_banner"] = count_stale_pending_jobs()
    return context
