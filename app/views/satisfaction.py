"""GET/POST /rate/<token>: the public page behind a satisfaction survey's links.

No login: the signed token in the link is the only credential. The page shows the
item's number and title and nothing else, is never cached, and sends no Referer,
so the token cannot reach anyone else.
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.errors import DomainError, GoneError
from app.services import satisfaction
from app.services.satisfaction import Survey

rating_bp = Blueprint("satisfaction", __name__)

TEMPLATE = "atrium/rate.html"
#: Errors shown next to the form (the link itself is fine).
FORM_FIELDS = frozenset({"score", "comment"})


def _nonce() -> str:
    """A per-response nonce for the page's inline stylesheet (CSP)."""
    if "atrium_rate_nonce" not in g:
        g.atrium_rate_nonce = secrets.token_urlsafe(16)
    return g.atrium_rate_nonce


def _render(status: int, survey: Survey | None = None, **context: Any) -> Response:
    """The page in the customer's language when known, else the browser's."""
    language = survey.language if survey is not None else None
    with force_locale(language) if language else nullcontext():
        page = render_template(
            TEMPLATE,
            survey=survey,
            scores=[
                (score, satisfaction.score_label(score))
                for score in satisfaction.SCORES
            ],
            app_name=current_app.config["APP_NAME"],
            csp_nonce=_nonce(),
            max_comment=satisfaction.MAX_COMMENT,
            **context,
        )
    return Response(page, status=status, mimetype="text/html")


def _refused(error: DomainError) -> Response:
    """A friendly page for a link that is not valid (400) or no longer works (410)."""
    status = 410 if isinstance(error, GoneError) else 400
    return _render(status, error=str(error.message))


def _preselected(value: str | None) -> int | None:
    """The score of the clicked link; a garbled one just preselects nothing."""
    try:
        return satisfaction.parse_score(value)
    except DomainError:
        return None


@rating_bp.get("/rate/<token>")
def rate(token: str) -> Response:
    """The rating form with the link's score preselected."""
    try:
        survey = satisfaction.open_survey(token)
    except DomainError as error:
        return _refused(error)
    score = _preselected(request.args.get("score"))
    return _render(200, survey, score=score, comment="")


@rating_bp.post("/rate/<token>")
def submit(token: str) -> Response:
    """Save the rating once, then thank the customer."""
    try:
        survey = satisfaction.open_survey(token)
    except DomainError as error:
        return _refused(error)
    score, comment = request.form.get("score"), request.form.get("comment", "")
    try:
        satisfaction.record_rating(token, score, comment)
    except DomainError as error:
        if error.field not in FORM_FIELDS:
            return _refused(error)
        return _render(
            400,
            survey,
            score=_preselected(score),
            comment=comment,
            form_error=str(error.message),
            error_field=error.field,
        )
    return _render(200, survey, done=True)


@rating_bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Response:
    """A form without a valid CSRF token (cookies off, or a forged post)."""
    message = _("The form has expired. Open the link in the e-mail again, please.")
    return _render(400, error=message)


@rating_bp.after_request
def private_headers(response: Response) -> Response:
    """Never cached, never framed, no Referer: the URL holds the survey token."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; "
        f"style-src 'nonce-{_nonce()}'; "
        "form-action 'self'; "
        "frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    return response
