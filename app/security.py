"""Atrium's security manager, role definitions and request-level security hooks."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_login import current_user
from sqlalchemy import select

from app.models.users import AtriumUser
from app.views.users import AtriumUserDBModelView, AtriumUserInfoEditView


class AtriumSecurityManager(SecurityManager):
    """FAB's SQLA security manager with Atrium's user model and profile views."""

    user_model = AtriumUser
    userdbmodelview = AtriumUserDBModelView
    userinfoeditview = AtriumUserInfoEditView

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        """Answer from the user's permission set, loaded once per request."""
        return (permission_name, view_name) in self._permissions_of(user)

    def _permissions_of(self, user) -> frozenset[tuple[str, str]]:
        cache = g.setdefault("_atrium_permissions", {}) if has_app_context() else {}
        role_ids = tuple(sorted(role.id for role in self.get_user_roles(user)))
        if role_ids not in cache:
            pvm = self.permissionview_model
            link = assoc_permissionview_role
            rows = self.session.execute(
                select(self.permission_model.name, self.viewmenu_model.name)
                .select_from(pvm)
                .join(
                    self.permission_model, pvm.permission_id == self.permission_model.id
                )
                .join(self.viewmenu_model, pvm.view_menu_id == self.viewmenu_model.id)
                .join(link, link.c.permission_view_id == pvm.id)
                .where(link.c.role_id.in_(role_ids))
            )
            cache[role_ids] = frozenset((perm, view) for perm, view in rows)
        return cache[role_ids]

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        """Menu entries the user may see, from the same cached permission set."""
        if user is None:
            user = current_user
        granted = self._permissions_of(user)
        names = view_menus_name or [view for _perm, view in granted]
        return {name for name in names if (permission_name, name) in granted}

    def auth_user_db(self, username, password):
        """Refuse system accounts before FAB checks the password."""
        user = super().auth_user_db(username, password)
        if user is not None and getattr(user, "is_system", False):
            return None
        return user


def select_locale() -> str:
    """The UI language: ?_l_, saved choice, session, browser, then default."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    requested = request.args.get("_l_")
    if requested in languages:
        return requested
    user = getattr(g, "user", None)
    saved = getattr(user, "language", None) if user is not None else None
    if saved in languages and getattr(user, "is_authenticated", False):
        return saved
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or default


def select_timezone() -> str:
    """The signed-in user's time zone, else the configured default."""
    user = getattr(g, "user", None) if has_request_context() else None
    zone = getattr(user, "timezone", None) if user is not None else None
    return zone or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault(
        "Content-Security-Policy", "frame-ancestors 'self'; object-src 'none'"
    )
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if request.endpoint and request.endpoint.startswith("AuthDBView"):
        response.headers["Cache-Control"] = "no-store"
    return response


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _reject_cross_site_api_writes() -> Response | None:
    """Cookie-authenticated API writes must come from our own pages.

    FAB exempts its APIs from CSRF tokens; a request carrying a bearer token is not
    at risk, but one riding on the session cookie is, so its Origin (or Referer)
    must be this site.
    """
    if request.method not in UNSAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.headers.get("Authorization"):
        return None
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return None
    if urlsplit(source).netloc != request.host:
        return current_app.response_class(
            '{"message": "Cross-site request refused"}',
            status=403,
            mimetype="application/json",
        )
    return None


def init_security_hooks(app: Flask) -> None:
    """Install the locale selector, the language view and security headers."""
    from app.views.locale import switch_language

    app.extensions["babel"].locale_selector = select_locale
    app.extensions["babel"].timezone_selector = select_timezone
    app.view_functions["LocaleView.index"] = switch_language
    app.before_request(_reject_cross_site_api_writes)
    app.after_request(_security_headers)
