"""Knowledge base: categories, articles and their per-language translations."""

from __future__ import annotations

import datetime as dt
import enum

from flask_appbuilder import Model
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class ArticleVisibility(enum.StrEnum):
    """Who may read an article once it is published."""

    PUBLIC = "public"
    CUSTOMERS = "customers"
    INTERNAL = "internal"


class ArticleStatus(enum.StrEnum):
    """Drafts are seen by staff only."""

    DRAFT = "draft"
    PUBLISHED = "published"


#: PostgreSQL text search configurations by language code; others use "simple".
PG_TEXT_SEARCH_CONFIGS = {
    "en": "english",
    "ru": "russian",
    "it": "italian",
    "pt": "portuguese",
    "nb": "norwegian",
}
#: The SQLite FTS5 table (and its shadow tables) kept in sync by the service.
SQLITE_FTS_TABLE = "article_fts"
#: Partial expression indexes on article_translation, one per PostgreSQL config.
PG_FTS_INDEX_PREFIX = "ix_article_translation_fts"


def is_search_schema_object(name: str | None, type_: str) -> bool:
    """True for the full-text objects the migrations create outside the metadata."""
    if not name:
        return False
    if type_ == "table":
        return name == SQLITE_FTS_TABLE or name.startswith(SQLITE_FTS_TABLE + "_")
    return type_ == "index" and name.startswith(PG_FTS_INDEX_PREFIX)


def include_schema_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook: autogenerate ignores the full-text objects."""
    return not (reflected and is_search_schema_object(name, type_))


class ArticleCategory(Model):
    """A node of the knowledge-base tree."""

    __tablename__ = "article_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(150), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_category.id", ondelete="SET NULL"), nullable=True
    )

    parent = relationship("ArticleCategory", remote_side=[id])

    def __repr__(self) -> str:
        return self.name


class Article(Model):
    """One knowledge-base article; its text lives in its translations."""

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_category.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    )
    visibility: Mapped[str] = mapped_column(
        String(10), nullable=False, default=ArticleVisibility.INTERNAL.value
    )
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, default=ArticleStatus.DRAFT.value
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    #: The resolved ticket this article was published from, if any.
    source_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("item.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    category = relationship("ArticleCategory")
    source_item = relationship("Item")
    translations = relationship(
        "ArticleTranslation",
        back_populates="article",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED.value


class ArticleTranslation(Model):
    """An article's title and body in one language."""

    __tablename__ = "article_translation"
    __table_args__ = (
        UniqueConstraint(
            "article_id", "language", name="uq_article_translation_language"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), nullable=False
    )
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    #: Sanitized HTML (services/richtext.sanitize_html).
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Visible text of ``body_html``, the searched form.
    body_text: Mapped[str] = mapped_column(Text, nullable=False, default="")

    article = relationship("Article", back_populates="translations")
