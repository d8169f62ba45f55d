"""The public rating page: anonymous, single use, friendly errors, inert comments."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import render_template
from itsdangerous import TimestampSigner

from app.extensions import db
from app.models import Item, SatisfactionRating
from app.services import satisfaction as service

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<svg onload=alert(3)>",
    '" jav&#x09;ascript:alert(4)"',
    "</textarea><script>alert(5)</script>",
]


class _Tags(HTMLParser):
    """Every start tag with its attributes, as the browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _assert_inert(html: str) -> None:
    for tag, attrs in _tags(html):
        assert tag != "script"
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for value in attrs.values():
            assert "javascript:" not in (value or "").lower()


@pytest.fixture
def link(world) -> str:
    """The path of a fresh survey link about ticket A, without the score."""
    _score, url = service.survey_links(world.ticket_a, world.customer_a)[0]
    return urlsplit(url).path


def _ratings() -> list[SatisfactionRating]:
    return list(db.session.scalars(db.select(SatisfactionRating)))


def _score_of(item) -> int | None:
    db.session.expire_all()
    return db.session.get(Item, item.id).satisfaction_score


def _checked(html: str) -> list[str]:
    return [
        attrs["value"]
        for tag, attrs in _tags(html)
        if tag == "input" and attrs.get("name") == "score" and "checked" in attrs
    ]


def test_anonymous_get_shows_the_form_with_the_score_preselected(client, world, link):
    ticket = world.ticket_a
    response = client.get(f"{link}?score=4")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ticket.number in html and ticket.title in html
    assert _checked(html) == ["4"]
    assert [a["value"] for t, a in _tags(html) if a.get("name") == "score"] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert any(a.get("name") == "csrf_token" for _t, a in _tags(html))
    assert any(t == "textarea" and a.get("name") == "comment" for t, a in _tags(html))
    assert 'name="viewport"' in html


@pytest.mark.parametrize("score", ["", "0", "9", "abc", "4.5"])
def test_a_garbled_score_in_the_link_preselects_nothing(client, link, score):
    response = client.get(f"{link}?score={score}")
    assert response.status_code == 200
    assert _checked(response.get_data(as_text=True)) == []


def test_the_page_is_private(client, link):
    for response in (client.get(link), client.get(link + "x")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        html = response.get_data(as_text=True)
        # Nothing is loaded from anywhere: no scripts, images or stylesheets.
        assert not [t for t, _a in _tags(html) if t in ("script", "img", "link")]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        assert f'<style nonce="{nonce}">' in html


def test_the_page_shows_nothing_internal(client, world, link):
    ticket = db.session.get(Item, world.ticket_a.id)
    ticket.description = "Root password is hunter2"
    ticket.resolution = "Internal: blame the vendor"
    db.session.commit()
    html = client.get(link).get_data(as_text=True)
    for secret in (
        "hunter2",
        "blame the vendor",
        world.org_a.name,
        world.customer_a.email,
        world.admin.username,
        "Question",
    ):
        assert secret not in html


def test_posting_saves_the_rating_and_thanks(client, world, link):
    response = client.post(link, data={"score": "5", "comment": "Great help"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thank you" in html
    (rating,) = _ratings()
    assert (rating.score, rating.comment) == (5, "Great help")
    assert rating.customer_id == world.customer_a.id
    assert _score_of(world.ticket_a) == 5


def test_a_link_is_single_use(client, world, link):
    assert client.post(link, data={"score": "2"}).status_code == 200
    again = client.post(link, data={"score": "5", "comment": "changed my mind"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(f"{link}?score=5").status_code == 410
    assert [r.score for r in _ratings()] == [2]
    assert _score_of(world.ticket_a) == 2


@pytest.mark.parametrize("where", [8, -5])
def test_a_tampered_link_gets_a_friendly_400(client, link, where):
    index = where % len(link)
    char = "A" if link[index] != "A" else "B"
    tampered = link[:index] + char + link[index + 1 :]
    for response in (client.get(tampered), client.post(tampered, data={"score": 3})):
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "This rating link is not valid." in html
        assert "<form" not in html
    assert _ratings() == []


def test_garbage_tokens_never_give_500(client):
    for token in ("x", "a.b.c", "%00", "x" * 2000, "..", "eyJ9.e30.AAAA"):
        response = client.get(f"/rate/{token}")
        assert response.status_code in (400, 404), token


def test_an_expired_link_gets_a_410_page(client, world, monkeypatch):
    def a_month_ago(_signer) -> int:
        return int(time.time()) - 31 * 24 * 3600

    monkeypatch.setattr(TimestampSigner, "get_timestamp", a_month_ago)
    _score, url = service.survey_links(world.ticket_a, world.customer_a)[0]
    monkeypatch.undo()
    path = urlsplit(url).path
    for response in (client.get(path), client.post(path, data={"score": "4"})):
        assert response.status_code == 410
        assert "This rating link has expired." in response.get_data(as_text=True)
    assert _ratings() == []


@pytest.mark.parametrize("score", ["0", "6", "-1", "abc", "", "3.5", None])
def test_a_bad_score_is_refused_with_the_form_again(client, world, link, score):
    data = {"comment": "kept"} if score is None else {"score": score, "comment": "kept"}
    response = client.post(link, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose a rating from 1 to 5 stars." in html
    assert ">kept</textarea>" in html
    assert _ratings() == []
    assert _score_of(world.ticket_a) is None
    # The link still works afterwards.
    assert client.post(link, data={"score": "3"}).status_code == 200


def test_a_too_long_comment_is_refused(client, link):
    response = client.post(link, data={"score": "3", "comment": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2000 characters" in response.get_data(as_text=True)
    assert _ratings() == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_comments_are_inert_on_the_page(client, link, payload):
    # A refused score shows the comment again, inside the textarea.
    response = client.post(link, data={"score": "9", "comment": payload})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    _assert_inert(html)
    (textarea,) = re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)
    assert "<" not in textarea


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_comments_are_inert_in_the_item_partial(app, world, link, payload):
    rating = service.record_rating(link.removeprefix("/rate/"), 1, f"A\n{payload}")
    with app.test_request_context("/"):
        html = render_template("atrium/_item_rating.html", satisfaction_rating=rating)
    _assert_inert(html)
    assert "1 of 5" in html
    assert "<br>" in html  # line breaks kept, as markup we made
    assert payload not in html or "<" not in payload


def test_the_item_partial_is_empty_without_a_rating(app):
    with app.test_request_context("/"):
        html = render_template("atrium/_item_rating.html", satisfaction_rating=None)
    assert html.strip() == ""


def test_the_rest_api_shows_the_score(client, world, login, link):
    service.record_rating(link.removeprefix("/rate/"), 4, "")
    login("Admin")
    response = client.get(f"/api/v1/ticket/{world.ticket_a.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["result"]["satisfaction_score"] == 4


@pytest.fixture
def csrf_client(build_app):
    """A client of the app with CSRF protection on, as in production."""
    return build_app(WTF_CSRF_ENABLED=True).test_client()


def test_csrf_is_enforced_on_post(csrf_client, world, link):
    refused = csrf_client.post(link, data={"score": "5"})
    assert refused.status_code == 400
    assert refused.headers["Cache-Control"] == "no-store"
    assert "The form has expired" in refused.get_data(as_text=True)
    assert _ratings() == []
    page = csrf_client.get(link).get_data(as_text=True)
    (token,) = [a["value"] for _t, a in _tags(page) if a.get("name") == "csrf_token"]
    saved = csrf_client.post(link, data={"score": "5", "csrf_token": token})
    assert saved.status_code == 200
    assert len(_ratings()) == 1


def test_a_signed_in_agent_may_open_the_link_too(client, login, link):
    login("Agent")
    assert client.get(link).status_code == 200


def test_the_page_speaks_the_customers_language(client, world, link):
    world.customer_a.language = "ru"
    db.session.commit()
    html = client.get(link, headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert '<html lang="ru">' in html


def test_without_a_language_the_browser_decides(client, link):
    html = client.get(link, headers={"Accept-Language": "pt"}).get_data(as_text=True)
    assert '<html lang="pt">' in html
