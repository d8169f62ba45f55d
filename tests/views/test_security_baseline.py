"""Security baseline: login rate limit, CSRF, cookies, headers, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.factories import PASSWORD

EVIL_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "\\\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "https://evil.example/x",
]


@pytest.fixture
def limited_app(build_app) -> Flask:
    """The app with the production login rate limit."""
    return build_app(AUTH_RATE_LIMITED=True, RATELIMIT_ENABLED=True)


@pytest.fixture
def csrf_app(build_app) -> Flask:
    """The app with CSRF protection on, as in production."""
    return build_app(WTF_CSRF_ENABLED=True)


def test_eleven_bad_logins_are_rate_limited(limited_app):
    client = limited_app.test_client()
    codes = [
        client.post("/login/", data={"username": "x", "password": "y"}).status_code
        for _ in range(11)
    ]
    assert codes[-1] == 429
    assert 429 not in codes[:10]


def test_a_spoofed_forwarded_for_does_not_reset_the_limit(limited_app):
    client = limited_app.test_client()
    codes = [
        client.post(
            "/login/",
            data={"username": "x", "password": "y"},
            headers={"X-Forwarded-For": f"10.0.0.{attempt}"},
        ).status_code
        for attempt in range(11)
    ]
    assert codes[-1] == 429


def test_form_post_without_csrf_token_is_refused(csrf_app, make_user):
    user = make_user("Admin")
    client = csrf_app.test_client()
    response = client.post(
        "/login/", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert not _logged_in(client)


def _same_site(location: str) -> bool:
    """A redirect target a browser resolves on our own host."""
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http")
        and parts.netloc in ("", "localhost")
        and not location.startswith(("//", "/\\"))
        and "javascript" not in location.lower()
    )


def _logged_in(client) -> bool:
    return client.get("/jobrunmodelview/list/").status_code == 200


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("Agent")
    response = client.post(
        "/login/", data={"username": user.username, "password": PASSWORD}
    )
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


@pytest.mark.parametrize("path", ["/login/", "/health", "/jobrunmodelview/list/"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_login_page_is_not_cached(client):
    assert client.get("/login/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user("Agent")
    response = client.post(
        "/login/",
        query_string={"next": target},
        data={"username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert _same_site(response.headers["Location"])


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/lang/ru", headers={"Referer": target})
    assert response.status_code == 302
    assert _same_site(response.headers["Location"])


def test_system_account_cannot_sign_in(client):
    from app.services.users import get_system_user

    user = get_system_user()
    user.active = True
    response = client.post("/login/", data={"username": user.username, "password": ""})
    assert not _logged_in(client)
    assert response.status_code in (200, 302)


def test_cookie_api_write_from_another_site_is_refused(client, make_user):
    from app.extensions import db
    from app.models import Organization

    user = make_user("Admin")
    client.post("/login/", data={"username": user.username, "password": PASSWORD})
    response = client.post(
        "/api/v1/organization/",
        json={"name": "Planted by evil.example", "notes": ""},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert (
        db.session.scalar(
            db.select(Organization).filter_by(name="Planted by evil.example")
        )
        is None
    )
    same_site = client.post(
        "/api/v1/organization/",
        json={"name": "Made here", "notes": ""},
        headers={"Origin": "http://localhost"},
    )
    assert same_site.status_code == 201
