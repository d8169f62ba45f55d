"""Full-text search over article translations: SQLite FTS5 or PostgreSQL tsvector.

The index objects are created by migration 0008_knowledge, outside the model metadata.
SQLite keeps an FTS5 table whose rowid is ``article_translation.id`` (kept in sync here,
not by triggers); PostgreSQL has one partial GIN expression index per text search
configuration, and the queries below repeat those expressions exactly.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy import text

from app.extensions import db
from app.models import ArticleStatus, ArticleTranslation, ArticleVisibility
from app.models.knowledge import PG_TEXT_SEARCH_CONFIGS, SQLITE_FTS_TABLE

#: Bounds on what a search looks at: characters read, and terms kept.
MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_TERM_CHARS = 64
#: bm25 column weights (title, body) and the words a snippet shows.
_TITLE_WEIGHT, _BODY_WEIGHT = 10.0, 1.0
_SNIPPET_WORDS = 24
#: Letters and digits only: FTS5 operators and quotes never reach MATCH.
_TERM = re.compile(r"[^\W_]+")


class Audience(enum.StrEnum):
    """Who is reading: decides visibility and whether drafts show."""

    PUBLIC = "public"
    CUSTOMER = "customer"
    STAFF = "staff"


@dataclass(frozen=True)
class SearchHit:
    """One article in a result list, in the translation that matched."""

    article_id: int
    title: str
    snippet: str
    rank: float


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def index_translation(translation: ArticleTranslation) -> None:
    """Write (or rewrite) a flushed translation's search entry; SQLite only."""
    if _dialect() != "sqlite":
        return  # PostgreSQL indexes the columns themselves.
    unindex_translations([translation.id])
    db.session.execute(
        text(
            f"INSERT INTO {SQLITE_FTS_TABLE} (rowid, title, body) "
            "VALUES (:id, :title, :body)"
        ),
        {
            "id": translation.id,
            "title": translation.title,
            "body": translation.body_text,
        },
    )


def unindex_translations(translation_ids: list[int]) -> None:
    """Drop the search entries of these translations; SQLite only."""
    if _dialect() != "sqlite" or not translation_ids:
        return
    for translation_id in translation_ids:
        db.session.execute(
            text(f"DELETE FROM {SQLITE_FTS_TABLE} WHERE rowid = :id"),
            {"id": translation_id},
        )


def search_terms(query: str | None) -> list[str]:
    """The words of a user's query, bounded; syntax characters are dropped."""
    words = _TERM.findall((query or "")[:MAX_QUERY_CHARS])
    return [word[:MAX_TERM_CHARS] for word in words[:MAX_TERMS]]


def _audience_filter(audience: Audience) -> str:
    published = f"a.status = '{ArticleStatus.PUBLISHED.value}'"
    if audience is Audience.STAFF:
        return "1 = 1"
    if audience is Audience.CUSTOMER:
        readable = (ArticleVisibility.PUBLIC.value, ArticleVisibility.CUSTOMERS.value)
        return f"{published} AND a.visibility IN ('{readable[0]}', '{readable[1]}')"
    return f"{published} AND a.visibility = '{ArticleVisibility.PUBLIC.value}'"


#: The reader's language, or any translation of an article that lacks it.
_LANGUAGE_FILTER = (
    "(t.language = :language OR NOT EXISTS (SELECT 1 FROM article_translation o "
    "WHERE o.article_id = t.article_id AND o.language = :language))"
)
#: One hit per article (its best-ranked candidate translation), best first.
_BEST_PER_ARTICLE = """
ranked AS (
  SELECT m.*, row_number() OVER (
    PARTITION BY m.article_id ORDER BY m.rank DESC, m.translation_id) AS n
  FROM matches m
)
"""


def _sqlite_sql(audience: Audience) -> str:
    return f"""
WITH matches AS (
  SELECT t.id AS translation_id, t.article_id, t.title,
         snippet({SQLITE_FTS_TABLE}, 1, '', '', '…', {_SNIPPET_WORDS}) AS snippet,
         -bm25({SQLITE_FTS_TABLE}, {_TITLE_WEIGHT}, {_BODY_WEIGHT}) AS rank
  FROM {SQLITE_FTS_TABLE}
  JOIN article_translation t ON t.id = {SQLITE_FTS_TABLE}.rowid
  JOIN article a ON a.id = t.article_id
  WHERE {SQLITE_FTS_TABLE} MATCH :match
    AND {_audience_filter(audience)} AND {_LANGUAGE_FILTER}
), {_BEST_PER_ARTICLE}
SELECT article_id, title, snippet, rank FROM ranked WHERE n = 1
ORDER BY rank DESC, article_id LIMIT :limit OFFSET :offset
"""


def pg_vector(config: str) -> str:
    """The tsvector expression of migration 0008's index for ``config``."""
    return (
        f"setweight(to_tsvector('{config}'::regconfig, title), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, body_text), 'B')"
    )


def _pg_branch(config: str, language_predicate: str) -> str:
    tsquery = f"plainto_tsquery('{config}'::regconfig, :query)"
    return (
        f"SELECT id, article_id, language, title, body_text, '{config}' AS config, "
        f"ts_rank({pg_vector(config)}, {tsquery}) AS rank "
        f"FROM article_translation WHERE {language_predicate} "
        f"AND {pg_vector(config)} @@ {tsquery}"
    )


def _pg_branches() -> str:
    branches = [
        _pg_branch(config, f"language = '{language}'")
        for language, config in PG_TEXT_SEARCH_CONFIGS.items()
    ]
    known = ", ".join(f"'{language}'" for language in PG_TEXT_SEARCH_CONFIGS)
    branches.append(_pg_branch("simple", f"language NOT IN ({known})"))
    return "\n  UNION ALL ".join(branches)


def _postgresql_sql(audience: Audience) -> str:
    return f"""
WITH matches AS (
  SELECT t.id AS translation_id, t.article_id, t.title, t.body_text, t.config, t.rank
  FROM ({_pg_branches()}) t
  JOIN article a ON a.id = t.article_id
  WHERE {_audience_filter(audience)} AND {_LANGUAGE_FILTER}
), {_BEST_PER_ARTICLE},
page AS (
  SELECT * FROM ranked WHERE n = 1
  ORDER BY rank DESC, article_id LIMIT :limit OFFSET :offset
)
SELECT article_id, title,
       ts_headline(config::regconfig, body_text,
                   plainto_tsquery(config::regconfig, :query),
                   'StartSel="", StopSel="", MaxWords={_SNIPPET_WORDS}, MinWords=8')
         AS snippet,
       rank
FROM page ORDER BY rank DESC, article_id
"""


def search_statement(terms: list[str], audience: Audience) -> tuple[str, dict]:
    """The one SQL statement (and its parameters, minus paging) for a search."""
    if _dialect() == "postgresql":
        return _postgresql_sql(audience), {"query": " ".join(terms)}
    # Every term becomes a quoted FTS5 string: no operator can be smuggled in.
    return _sqlite_sql(audience), {"match": " ".join(f'"{t}"' for t in terms)}


def search(
    query: str, *, language: str, audience: Audience, limit: int, offset: int
) -> list[SearchHit]:
    """Ranked hits for ``query``; [] when it has no searchable words."""
    terms = search_terms(query)
    if not terms:
        return []
    sql, params = search_statement(terms, audience)
    params.update(language=language, limit=limit, offset=offset)
    rows = db.session.execute(text(sql), params)
    return [
        SearchHit(row.article_id, row.title, row.snippet or "", float(row.rank))
        for row in rows
    ]
