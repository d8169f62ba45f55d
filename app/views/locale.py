"""The navbar language switch: remembered in the session and on the user's profile."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request, session
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import refresh
from werkzeug.wrappers import Response

from app.services.users import set_user_language


def switch_language(locale: str) -> Response:
    """Switch the UI to ``locale`` and go back to the page the user came from."""
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = locale
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        set_user_language(user.id, locale)
    refresh()
    return redirect(get_safe_redirect(_same_site_referrer()))


def _same_site_referrer() -> str:
    referrer = request.referrer or ""
    host_url = request.host_url
    if referrer.startswith(host_url):
        return "/" + referrer[len(host_url) :]
    return ""
