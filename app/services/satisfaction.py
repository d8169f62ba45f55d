"""Satisfaction surveys: signed, single-use rating links and the ratings they record.

One survey mail carries one token (item, customer and a random nonce, signed with
SECRET_KEY); its five links differ only in ``?score=N``. The nonce is stored with
the rating under a unique constraint, so whichever link is used first wins and
the mail's other links stop working.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError, GoneError, InvalidInputError
from app.extensions import db
from app.models import Customer, Item, ItemEvent, SatisfactionRating
from app.models.satisfaction import MAX_SCORE, MIN_SCORE
from app.services.text import clean_text

#: Keeps survey tokens apart from every other use of SECRET_KEY.
TOKEN_SALT = "atrium-survey"
#: Longer tokens are refused before any signature work.
MAX_TOKEN_LENGTH = 512
MAX_COMMENT = 2000
SCORE_LABELS = {
    1: _l("Very poor"),
    2: _l("Poor"),
    3: _l("Okay"),
    4: _l("Good"),
    5: _l("Excellent"),
}
SCORES = tuple(range(MIN_SCORE, MAX_SCORE + 1))


@dataclass(frozen=True)
class SurveyToken:
    """What a verified rating link says: which item, whose answer, which mail."""

    item_id: int
    customer_id: int | None
    nonce: str


@dataclass(frozen=True)
class Survey:
    """What the public rating page may show: the item's number and title only."""

    number: str
    title: str
    #: The customer's language, when they chose one.
    language: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _invalid_link() -> InvalidInputError:
    return InvalidInputError(_l("This rating link is not valid."), field="token")


def _used_link() -> GoneError:
    return GoneError(_l("This rating link has already been used. Thank you!"))


def _gone_item() -> GoneError:
    return GoneError(_l("This request can no longer be rated."))


def make_token(item: Item, customer: Customer | None) -> str:
    """A fresh signed token for one survey mail about ``item`` to ``customer``."""
    payload = {
        "item": item.id,
        "customer": customer.id if customer is not None else None,
        "nonce": secrets.token_hex(16),
    }
    return _serializer().dumps(payload)


def survey_links(item: Item, customer: Customer | None) -> list[tuple[int, str]]:
    """The five rating links (score, URL) of one survey mail; they share one token."""
    token = make_token(item, customer)
    base = current_app.config["PUBLIC_URL"]
    return [(score, f"{base}/rate/{token}?score={score}") for score in SCORES]


def score_label(score: int) -> str:
    """The translated word for a score, such as "Good" for 4."""
    return str(SCORE_LABELS[score])


def survey_links_text(item: Item, customer: Customer | None) -> str:
    """The links block of the survey mail, best score first, in the current locale."""
    links = sorted(survey_links(item, customer), reverse=True)
    return "\n".join(
        f"{score} {'★' * score} {score_label(score)}: {url}" for score, url in links
    )


def _payload(data: Any) -> SurveyToken:
    if not isinstance(data, dict):
        raise _invalid_link()
    item_id, customer_id, nonce = (data.get(k) for k in ("item", "customer", "nonce"))
    valid = (
        type(item_id) is int
        and (customer_id is None or type(customer_id) is int)
        and isinstance(nonce, str)
        and 0 < len(nonce) <= 64
    )
    if not valid:
        raise _invalid_link()
    return SurveyToken(item_id=item_id, customer_id=customer_id, nonce=nonce)


def read_token(token: str) -> SurveyToken:
    """Verify a rating link's token: GoneError if expired, InvalidInputError if bad."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid_link()
    max_age = int(current_app.config["SURVEY_TOKEN_MAX_AGE"])
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise GoneError(_l("This rating link has expired.")) from None
    except BadData:
        raise _invalid_link() from None
    return _payload(data)


def parse_score(value: object) -> int:
    """A score from 1 to 5, from a form string or a number; InvalidInputError else."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 2:
            number = int(text)
    if number is None or not MIN_SCORE <= number <= MAX_SCORE:
        raise InvalidInputError(_l("Choose a rating from 1 to 5 stars."), field="score")
    return number


def clean_comment(comment: str | None) -> str:
    """The optional comment, normalised; InvalidInputError when too long or binary."""
    # Browsers send a textarea's line breaks as CRLF; count them as one character.
    text = (comment or "").replace("\r\n", "\n")
    if len(text) > MAX_COMMENT:
        raise InvalidInputError(
            _l("The comment may have at most %(max)s characters.", max=MAX_COMMENT),
            field="comment",
        )
    return clean_text(text, field="comment", max_length=MAX_COMMENT)


def _nonce_used(nonce: str) -> bool:
    query = db.select(SatisfactionRating.id).filter_by(token_nonce=nonce)
    return db.session.scalar(query) is not None


def _open_item(survey: SurveyToken) -> Item:
    """The surveyed item, refusing a link whose item is gone or that was used."""
    item = db.session.get(Item, survey.item_id)
    if item is None:
        raise _gone_item()
    if _nonce_used(survey.nonce):
        raise _used_link()
    return item


def open_survey(token: str) -> Survey:
    """What the rating page of ``token`` shows; raises when the link cannot be used."""
    survey = read_token(token)
    item = _open_item(survey)
    customer = (
        db.session.get(Customer, survey.customer_id) if survey.customer_id else None
    )
    languages = current_app.config["LANGUAGES"]
    language = getattr(customer, "language", None)
    return Survey(
        number=item.number,
        title=item.title,
        language=language if language in languages else None,
    )


def record_rating(token: str, score: object, comment: str | None) -> SatisfactionRating:
    """Store the answer to a survey link (once) and show it on the item."""
    try:
        return _record_rating(token, score, comment)
    except DomainError:
        db.session.rollback()
        raise


def _record_rating(
    token: str, score: object, comment: str | None
) -> SatisfactionRating:
    survey = read_token(token)
    value = parse_score(score)
    text = clean_comment(comment)
    item = _open_item(survey)
    customer_id = survey.customer_id
    if customer_id is not None and db.session.get(Customer, customer_id) is None:
        customer_id = None
    rating = SatisfactionRating(
        item_id=item.id,
        customer_id=customer_id,
        score=value,
        comment=text,
        token_nonce=survey.nonce,
    )
    db.session.add(rating)
    _insert_once(rating)
    _set_item_score(item, value)
    db.session.add(
        ItemEvent(
            item_id=item.id,
            actor_id=None,
            kind="rated",
            data={"score": value, "customer_id": customer_id},
        )
    )
    db.session.commit()
    return rating


def _insert_once(rating: SatisfactionRating) -> None:
    """Flush the rating; a concurrent use of the same link hits the unique nonce."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if _nonce_used(rating.token_nonce):
            raise _used_link() from None
        raise _gone_item() from None


def _set_item_score(item: Item, score: int) -> None:
    """Write the latest score without a version change (no edit conflict)."""
    db.session.execute(
        update(Item)
        .where(Item.id == item.id)
        .values(satisfaction_score=score)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(item, ["satisfaction_score"])


def latest_rating(item_id: int) -> SatisfactionRating | None:
    """The newest rating of an item, for the item page; None when never rated."""
    query = (
        db.select(SatisfactionRating)
        .filter_by(item_id=item_id)
        .order_by(SatisfactionRating.created_at.desc(), SatisfactionRating.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)
