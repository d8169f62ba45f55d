"""Atrium's security manager, role definitions and request-level security hooks."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_appbuilder.security.sqla.manager import SecurityManager

from app.models.users import AtriumUser
from app.views.users import AtriumUserDBModelView, AtriumUserInfoEditView


class AtriumSecurityManager(SecurityManager):
    """FAB's SQLA security manager with Atrium's user model and profile views."""

    user_model = AtriumUser
    userdbmodelview = AtriumUserDBModelView
    userinfoeditview = AtriumUserInfoEditView

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


def init_security_hooks(app: Flask) -> None:
    """Install the locale selector, the language view and security headers."""
    from app.views.locale import switch_language

    app.extensions["babel"].locale_selector = select_locale
    app.view_functions["LocaleView.index"] = switch_language
    app.after_request(_security_headers)
