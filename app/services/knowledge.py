"""Knowledge base: saving articles and translations, publishing, and searching."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError, NotFoundError
from app.extensions import db
from app.models import (
    Article,
    ArticleCategory,
    ArticleStatus,
    ArticleTranslation,
    ArticleVisibility,
    Item,
)
from app.models.base import utcnow
from app.services import knowledge_search
from app.services.knowledge_search import Audience, SearchHit
from app.services.richtext import html_to_plain, sanitize_html

__all__ = [
    "Audience",
    "SearchHit",
    "delete_article",
    "delete_translation",
    "publish",
    "save_article",
    "save_translation",
    "search_articles",
    "unpublish",
]

#: The longest title a translation keeps (the column's length).
MAX_TITLE = 300

_UNSET = object()


def _article_not_found() -> NotFoundError:
    return NotFoundError(_l("This article does not exist."))


def _get_article(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None:
        raise _article_not_found()
    return article


def _check_visibility(visibility: str) -> str:
    if visibility not in {v.value for v in ArticleVisibility}:
        raise InvalidInputError(
            _l("Choose who may read the article."), field="visibility"
        )
    return visibility


def _check_reference(model: type, object_id: int | None, field: str) -> int | None:
    if object_id is not None and db.session.get(model, object_id) is None:
        raise InvalidInputError(_l("The selected value does not exist."), field=field)
    return object_id


def save_article(
    article_id: int | None = None,
    *,
    visibility: str = ArticleVisibility.INTERNAL.value,
    category_id: int | None = None,
    source_item_id: object = _UNSET,
    created_by_id: int | None = None,
) -> Article:
    """Create an article (a draft) or change an existing one's category/visibility."""
    if article_id is None:
        article = Article(status=ArticleStatus.DRAFT.value, created_by_id=created_by_id)
        db.session.add(article)
    else:
        article = _get_article(article_id)
    article.visibility = _check_visibility(visibility)
    article.category_id = _check_reference(ArticleCategory, category_id, "category_id")
    if source_item_id is not _UNSET:
        article.source_item_id = _check_reference(
            Item, source_item_id, "source_item_id"
        )
    article.updated_at = utcnow()
    db.session.commit()
    return article


def _check_language(language: str) -> str:
    code = (language or "").strip().lower()
    if code not in current_app.config["LANGUAGES"]:
        raise InvalidInputError(
            _l("Choose one of the offered languages."), field="language"
        )
    return code


def _check_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInputError(_l("Enter a title."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInputError(
            _l("The title is too long (at most 300 characters)."), field="title"
        )
    return title


def save_translation(
    article_id: int, language: str, title: str, body_html: str
) -> ArticleTranslation:
    """Create or replace an article's text in one language; the search index follows."""
    article = _get_article(article_id)
    language, title = _check_language(language), _check_title(title)
    translation = db.session.execute(
        db.select(ArticleTranslation).filter_by(
            article_id=article.id, language=language
        )
    ).scalar_one_or_none()
    if translation is None:
        translation = ArticleTranslation(article_id=article.id, language=language)
        db.session.add(translation)
    translation.title = title
    translation.body_html = sanitize_html(body_html)
    translation.body_text = html_to_plain(translation.body_html)
    article.updated_at = utcnow()
    db.session.flush()
    knowledge_search.index_translation(translation)
    db.session.commit()
    return translation


def delete_translation(article_id: int, language: str) -> None:
    """Remove an article's text in one language, and its search entry."""
    translation = db.session.execute(
        db.select(ArticleTranslation).filter_by(
            article_id=article_id, language=language
        )
    ).scalar_one_or_none()
    if translation is None:
        raise _article_not_found()
    knowledge_search.unindex_translations([translation.id])
    db.session.delete(translation)
    db.session.commit()


def delete_article(article_id: int) -> None:
    """Remove an article with all its translations and their search entries."""
    article = _get_article(article_id)
    knowledge_search.unindex_translations([t.id for t in article.translations])
    db.session.delete(article)
    db.session.commit()


def _set_status(article_id: int, status: ArticleStatus) -> Article:
    article = _get_article(article_id)
    article.status = status.value
    article.updated_at = utcnow()
    db.session.commit()
    return article


def publish(article_id: int) -> Article:
    """Make an article readable by its audience; it needs at least one translation."""
    if not _get_article(article_id).translations:
        raise InvalidInputError(_l("Write the article before publishing it."))
    return _set_status(article_id, ArticleStatus.PUBLISHED)


def unpublish(article_id: int) -> Article:
    """Turn an article back into a draft only staff can see."""
    return _set_status(article_id, ArticleStatus.DRAFT)


def search_articles(
    query: str,
    *,
    language: str,
    audience: Audience | str,
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """Articles matching ``query`` that ``audience`` may read, best first."""
    return knowledge_search.search(
        query,
        language=(language or "").lower(),
        audience=Audience(audience),
        limit=max(1, min(int(limit), 100)),
        offset=max(0, int(offset)),
    )
