"""Satisfaction surveys: signed single-use links, stored ratings, the survey mail."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.errors import GoneError, InvalidInputError
from app.extensions import db
from app.models import Item, OutboundEmail, SatisfactionRating
from app.services import items as item_service
from app.services import notifications
from app.services import satisfaction as service

THIRTY_ONE_DAYS = 31 * 24 * 3600


@pytest.fixture
def token(ticket, requester) -> str:
    return _new_token(ticket, requester)


def _token_of(url: str) -> str:
    return urlsplit(url).path.removeprefix("/rate/")


def _new_token(item: Item, customer) -> str:
    return _token_of(service.survey_links(item, customer)[0][1])


def _ratings() -> list[SatisfactionRating]:
    return list(db.session.scalars(db.select(SatisfactionRating)))


def _fresh(item: Item) -> Item:
    db.session.expire_all()
    return db.session.get(Item, item.id)


def test_five_links_share_one_signed_token(app, ticket, requester):
    links = service.survey_links(ticket, requester)
    assert [score for score, _url in links] == [1, 2, 3, 4, 5]
    tokens = {_token_of(url) for _score, url in links}
    assert len(tokens) == 1
    for score, url in links:
        assert url.startswith(app.config["PUBLIC_URL"] + "/rate/")
        assert url.endswith(f"?score={score}")
    survey = service.read_token(tokens.pop())
    assert survey.item_id == ticket.id
    assert survey.customer_id == requester.id
    assert re.fullmatch(r"[0-9a-f]{32}", survey.nonce)


def test_each_survey_mail_gets_its_own_nonce(ticket, requester):
    first = service.read_token(_token_of(service.survey_links(ticket, requester)[0][1]))
    second = service.read_token(
        _token_of(service.survey_links(ticket, requester)[0][1])
    )
    assert first.nonce != second.nonce


def _flip(token: str, index: int) -> str:
    char = "A" if token[index] != "A" else "B"
    return token[:index] + char + token[index + 1 :]


@pytest.mark.parametrize("where", [0, 5, -3])
def test_a_tampered_token_is_invalid(token, where):
    with pytest.raises(InvalidInputError) as caught:
        service.read_token(_flip(token, where % len(token)))
    assert caught.value.status_code == 400


def test_tokens_signed_with_another_key_or_salt_are_invalid(app, ticket):
    payload = {"item": ticket.id, "customer": None, "nonce": "ab" * 16}
    foreign = URLSafeTimedSerializer("another-secret-key", salt=service.TOKEN_SALT)
    other_use = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other-salt")
    for token in (foreign.dumps(payload), other_use.dumps(payload), "", "x" * 600):
        with pytest.raises(InvalidInputError):
            service.read_token(token)


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "a", "dict"],
        {"item": "1", "customer": None, "nonce": "ab"},
        {"item": 1, "customer": "2", "nonce": "ab"},
        {"item": 1, "customer": None, "nonce": ""},
        {"item": 1, "customer": None, "nonce": "x" * 65},
        {"item": True, "customer": None, "nonce": "ab"},
    ],
)
def test_a_signed_but_malformed_payload_is_invalid(app, payload):
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=service.TOKEN_SALT
    )
    with pytest.raises(InvalidInputError):
        service.read_token(serializer.dumps(payload))


def test_an_expired_token_is_gone(ticket, requester, monkeypatch):
    monkeypatch.setattr(
        TimestampSigner,
        "get_timestamp",
        lambda self: int(time.time()) - THIRTY_ONE_DAYS,
    )
    old = _token_of(service.survey_links(ticket, requester)[0][1])
    monkeypatch.undo()
    with pytest.raises(GoneError) as caught:
        service.read_token(old)
    assert caught.value.status_code == 410
    with pytest.raises(GoneError):
        service.record_rating(old, 5, "")
    assert _ratings() == []


def test_max_age_comes_from_the_config(app, token, monkeypatch):
    assert app.config["SURVEY_TOKEN_MAX_AGE"] == 30 * 24 * 3600
    monkeypatch.setitem(app.config, "SURVEY_TOKEN_MAX_AGE", -1)
    with pytest.raises(GoneError):
        service.read_token(token)


def test_a_rating_is_stored_on_the_item_without_a_version_bump(
    ticket, requester, token, events
):
    version, updated_at = ticket.version, ticket.updated_at
    rating = service.record_rating(token, "4", "  Quick and friendly.\r\nThanks  ")
    assert rating.score == 4
    assert rating.comment == "Quick and friendly.\nThanks"
    assert rating.customer_id == requester.id
    assert rating.item_id == ticket.id
    item = _fresh(ticket)
    assert item.satisfaction_score == 4
    assert item.version == version
    assert item.updated_at == updated_at
    (event,) = events(ticket.id, "rated")
    assert event.data["score"] == 4 and event.actor_id is None
    assert service.latest_rating(ticket.id).id == rating.id


def test_an_agent_edit_opened_before_the_rating_still_saves(ticket, token, agent):
    form_version = ticket.version
    service.record_rating(token, 5, "")
    item_service.update_item(
        ticket.id,
        agent,
        {"title": "Pump is noisy (fixed)"},
        expected_version=form_version,
    )
    item = _fresh(ticket)
    assert item.title == "Pump is noisy (fixed)"
    assert item.satisfaction_score == 5


def test_a_link_works_once(ticket, requester):
    links = dict(service.survey_links(ticket, requester))
    service.record_rating(_token_of(links[5]), 5, "")
    for score in (5, 1):
        with pytest.raises(GoneError) as caught:
            service.record_rating(_token_of(links[score]), score, "again")
        assert "already been used" in str(caught.value.message)
    with pytest.raises(GoneError):
        service.open_survey(_token_of(links[3]))
    assert [r.score for r in _ratings()] == [5]
    assert _fresh(ticket).satisfaction_score == 5


def test_a_concurrent_second_use_is_refused_by_the_unique_nonce(
    token, ticket, monkeypatch
):
    service.record_rating(token, 2, "")
    real = service._nonce_used
    calls = []

    def not_yet(nonce: str) -> bool:
        # The other request checked before the first one committed.
        calls.append(nonce)
        return False if len(calls) == 1 else real(nonce)

    monkeypatch.setattr(service, "_nonce_used", not_yet)
    with pytest.raises(GoneError) as caught:
        service.record_rating(token, 5, "")
    assert "already been used" in str(caught.value.message)
    assert [r.score for r in _ratings()] == [2]
    assert _fresh(ticket).satisfaction_score == 2


def test_two_threads_using_one_link_store_one_rating(app, token, ticket):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def use(score: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                service.record_rating(token, score, "")
                outcomes.append("saved")
            except GoneError:
                outcomes.append("gone")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=use, args=(s,)) for s in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["gone", "saved"]
    assert len(_ratings()) == 1


@pytest.mark.parametrize(
    "score", [0, 6, -1, "0", "6", "abc", "", None, "3.5", "٣", "1e0", True, 4.0, "99"]
)
def test_a_score_outside_one_to_five_is_refused(token, ticket, score):
    with pytest.raises(InvalidInputError) as caught:
        service.record_rating(token, score, "")
    assert caught.value.field == "score"
    assert _ratings() == []
    assert _fresh(ticket).satisfaction_score is None
    # The link is not used up by a refused answer.
    assert service.record_rating(token, " 3 ", "").score == 3


@pytest.mark.parametrize("comment", ["x" * 2001, "bad\x00byte"])
def test_a_bad_comment_is_refused(token, comment):
    with pytest.raises(InvalidInputError) as caught:
        service.record_rating(token, 3, comment)
    assert caught.value.field == "comment"
    assert _ratings() == []


def test_a_long_comment_with_browser_line_breaks_fits(token):
    comment = ("y" * 9 + "\r\n") * 200  # 2000 characters once CRLF counts as one
    assert len(service.record_rating(token, 3, comment).comment) == 1999


def test_hostile_comment_is_stored_as_text(token):
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    assert service.record_rating(token, 1, payload).comment == payload


def test_a_deleted_item_cannot_be_rated(token, ticket):
    db.session.delete(db.session.get(Item, ticket.id))
    db.session.commit()
    with pytest.raises(GoneError):
        service.open_survey(token)
    with pytest.raises(GoneError):
        service.record_rating(token, 4, "")


def test_a_rating_survives_its_customer(token, requester):
    db.session.delete(requester)
    db.session.commit()
    assert service.record_rating(token, 4, "").customer_id is None


def test_latest_rating_is_the_newest(ticket, requester):
    assert service.latest_rating(ticket.id) is None
    first, second = _new_token(ticket, requester), _new_token(ticket, requester)
    service.record_rating(first, 2, "meh")
    newest = service.record_rating(second, 5, "better now")
    assert service.latest_rating(ticket.id).id == newest.id
    assert _fresh(ticket).satisfaction_score == 5


def test_open_survey_shows_only_number_title_and_language(token, ticket, requester):
    requester.language = "it"
    db.session.commit()
    survey = service.open_survey(token)
    assert (survey.number, survey.title, survey.language) == (
        ticket.number,
        "Pump is noisy",
        "it",
    )


def _survey_mail() -> OutboundEmail:
    query = db.select(OutboundEmail).filter_by(event="satisfaction")
    (mail,) = db.session.scalars(query)
    return mail


def test_the_survey_mail_has_five_working_links(app, client, ticket, requester):
    assert notifications.satisfaction_survey(ticket) is True
    db.session.commit()
    mail = _survey_mail()
    assert mail.to_address == "ivan@aquaterra.ru"
    lines = re.findall(r"^(\d) (★+) (.+): (\S+)$", mail.body_text, re.M)
    assert [(int(n), len(s), label) for n, s, label, _url in lines] == [
        (5, 5, "Excellent"),
        (4, 4, "Good"),
        (3, 3, "Okay"),
        (2, 2, "Poor"),
        (1, 1, "Very poor"),
    ]
    for number, _stars, _label, url in lines:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == app.config["PUBLIC_URL"]
        page = client.get(f"{parts.path}?{parts.query}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert re.search(rf'value="{number}" checked', html)
        assert ticket.number in html
    path = urlsplit(lines[1][3]).path
    assert client.post(path, data={"score": "4"}).status_code == 200
    assert _fresh(ticket).satisfaction_score == 4
    assert client.get(urlsplit(lines[0][3]).path).status_code == 410


def test_no_requester_no_survey(agent, ticket_type):
    item = item_service.create_item(
        agent, kind="ticket", title="Internal", item_type_id=ticket_type.id
    )
    assert notifications.satisfaction_survey(item) is False
    assert db.session.scalars(db.select(OutboundEmail)).all() == []


def test_muted_means_no_survey(ticket):
    with notifications.muted():
        assert notifications.satisfaction_survey(ticket) is False
