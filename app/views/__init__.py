"""Screens and APIs; `register_views` adds them all to the AppBuilder."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.services.jobruns import count_stale_pending_jobs

DESK = ("Desk", _l("Desk"), "fa-life-ring")
CONFIGURATION = ("Configuration", _l("Configuration"), "fa-cogs")
TOOLS = ("Tools", _l("Tools"), "fa-wrench")


def _add(appbuilder: AppBuilder, view, name: str, label, icon: str, menu) -> None:
    category, category_label, category_icon = menu
    appbuilder.add_view(
        view,
        name,
        label=label,
        icon=icon,
        category=category,
        category_label=category_label,
        category_icon=category_icon,
    )


def register_views(appbuilder: AppBuilder) -> None:
    """Register every view, menu entry and blueprint of Atrium."""
    from app.services.custom_fields import filterable_fields
    from app.views import (
        automation,
        automation_log,
        calendars,
        configuration,
        directory,
        items,
        mail,
        planning,
        sla,
        trees,
    )
    from app.views.api import register_apis
    from app.views.conversations import ConversationView
    from app.views.custom_fields import ItemCustomFieldsView
    from app.views.health import health_bp
    from app.views.jobs import JobRunModelView
    from app.views.lookups import LookupView
    from app.views.satisfaction import rating_bp
    from app.views.time_entries import TimeEntryView

    for view in (
        items.ItemEventModelView,
        directory.OrganizationItemsView,
        directory.OrganizationProjectsView,
        planning.ProjectItemsView,
        LookupView,
        trees.TreeFragmentView,
        ItemCustomFieldsView,
        ConversationView,
        TimeEntryView,
        automation.AutomationRuleEditorView,
    ):
        appbuilder.add_view_no_menu(view)
    desk = [
        (items.TicketModelView, "Tickets", _l("Tickets"), "fa-ticket"),
        (items.TaskModelView, "Tasks", _l("Tasks"), "fa-check-square-o"),
        (directory.CustomerModelView, "Customers", _l("Customers"), "fa-user"),
        (
            directory.OrganizationModelView,
            "Organizations",
            _l("Organizations"),
            "fa-building",
        ),
        (planning.ProjectModelView, "Projects", _l("Projects"), "fa-folder-open"),
        (planning.PortfolioModelView, "Portfolios", _l("Portfolios"), "fa-briefcase"),
        (trees.ByCustomerView, "By customer", _l("By customer"), "fa-sitemap"),
        (trees.ByPortfolioView, "By portfolio", _l("By portfolio"), "fa-sitemap"),
        (
            planning.ArchivedProjectModelView,
            "Archived projects",
            _l("Archived projects"),
            "fa-archive",
        ),
    ]
    for view, name, label, icon in desk:
        _add(appbuilder, view, name, label, icon, DESK)
    config = [
        (configuration.ItemTypeModelView, "Item types", _l("Item types"), "fa-tags"),
        (
            configuration.StatusModelView,
            "Statuses and workflows",
            _l("Statuses and workflows"),
            "fa-random",
        ),
        (configuration.TeamModelView, "Teams", _l("Teams"), "fa-users"),
        (
            configuration.CustomFieldModelView,
            "Custom fields",
            _l("Custom fields"),
            "fa-list-alt",
        ),
        (
            configuration.PortalSettingsView,
            "Customer portal",
            _l("Customer portal"),
            "fa-globe",
        ),
    ]
    config += mail.CONFIGURATION_VIEWS
    config.append(
        (
            calendars.BusinessCalendarModelView,
            "Business calendars",
            _l("Business calendars"),
            "fa-calendar",
        )
    )
    config += sla.CONFIGURATION_VIEWS
    config += automation.CONFIGURATION_VIEWS
    for view, name, label, icon in config:
        _add(appbuilder, view, name, label, icon, CONFIGURATION)
    for view, name, label, icon in mail.TOOLS_VIEWS + automation_log.TOOLS_VIEWS:
        _add(appbuilder, view, name, label, icon, TOOLS)
    _add(
        appbuilder,
        JobRunModelView,
        "Background jobs",
        _l("Background jobs"),
        "fa-tasks",
        TOOLS,
    )
    register_apis(appbuilder)
    appbuilder.add_api(sla.SlaPolicyRestApi)
    app = current_app._get_current_object()
    app.register_blueprint(health_bp)
    app.register_blueprint(rating_bp)
    app.context_processor(_layout_context)
    app.jinja_env.filters["atrium_datetime"] = _format_datetime
    app.register_error_handler(413, _too_large)
    app.before_request(_refuse_impossible_ids)
    app.jinja_env.globals["atrium_custom_fields"] = filterable_fields


def _layout_context() -> dict:
    from flask import g
    from flask_babel import get_locale

    context = {"current_locale": str(get_locale() or "en")}
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        context["queue_banner"] = count_stale_pending_jobs()
    return context


def _format_datetime(value) -> str:
    from flask_babel import format_datetime

    return format_datetime(value, "short") if value else ""


def _refuse_impossible_ids():
    """404 for an id in the URL no row can have, before the database sees it.

    PostgreSQL refuses to compare an INTEGER column with a larger number (an
    error, not "no rows"), so ``/tickets/show/99999999999`` must not get there.
    """
    from flask import jsonify, request
    from flask_babel import gettext as _

    from app.services.access import MAX_ID

    for name, value in (request.view_args or {}).items():
        if name != "pk" and name != "id" and not name.endswith("_id"):
            continue
        text = str(value)
        if text.isdecimal() and (len(text) > 10 or int(text) > MAX_ID):
            if request.path.startswith("/api/"):
                return jsonify(message=_("Not found.")), 404
            from flask import abort

            abort(404)
    return None


def _too_large(error):
    """An upload over the request limit: a clear message, JSON for the API."""
    from flask import jsonify, render_template, request
    from flask_babel import gettext as _

    limit = current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024)
    message = _(
        "The upload is too large: each file may have at most %(limit)s MB.", limit=limit
    )
    if request.path.startswith("/api/"):
        return jsonify(message=message), 413
    appbuilder = current_app.appbuilder
    page = render_template(
        "atrium/too_large.html",
        message=message,
        appbuilder=appbuilder,
        base_template=appbuilder.base_template,
    )
    return page, 413
