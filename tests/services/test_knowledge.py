"""Knowledge base: saving, publishing and ranked full-text search on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.errors import InvalidInputError, NotFoundError
from app.extensions import db
from app.models import Article, ArticleTranslation
from app.services import knowledge
from app.services.knowledge_search import search_statement, search_terms


def _article(
    title: str,
    body: str,
    *,
    language: str = "en",
    visibility: str = "public",
    published: bool = True,
) -> int:
    article = knowledge.save_article(visibility=visibility)
    knowledge.save_translation(article.id, language, title, body)
    if published:
        knowledge.publish(article.id)
    return article.id


def _ids(query: str, *, language: str = "en", audience: str = "staff") -> list[int]:
    hits = knowledge.search_articles(query, language=language, audience=audience)
    return [hit.article_id for hit in hits]


def test_title_match_ranks_above_body_match():
    in_body = _article("Mail setup", "<p>Restart the printer spooler first.</p>")
    in_title = _article("Printer offline", "<p>Check the cable and the queue.</p>")

    hits = knowledge.search_articles("printer", language="en", audience="public")

    assert [hit.article_id for hit in hits] == [in_title, in_body]
    assert hits[0].rank > hits[1].rank
    assert hits[0].title == "Printer offline"
    assert "spooler" in hits[1].snippet


def test_reader_language_wins_and_other_languages_are_a_fallback():
    both = _article("Password reset", "<p>Open the password page.</p>")
    knowledge.save_translation(both, "it", "Reimpostare la password", "<p>Apri.</p>")
    english_only = _article("Password policy", "<p>Twelve characters.</p>")

    hits = knowledge.search_articles("password", language="it", audience="public")

    by_id = {hit.article_id: hit.title for hit in hits}
    assert by_id == {both: "Reimpostare la password", english_only: "Password policy"}


def test_a_translation_in_the_reader_language_hides_the_others():
    article = _article("Invoice download", "<p>Use the billing page.</p>")
    knowledge.save_translation(article, "nb", "Faktura", "<p>Bruk fakturasiden.</p>")

    assert _ids("invoice", language="nb") == []
    assert _ids("faktura", language="nb") == [article]
    assert _ids("invoice", language="ru") == [article]


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("public", {"public"}),
        ("customer", {"public", "customers"}),
        ("staff", {"public", "customers", "internal", "draft"}),
    ],
)
def test_visibility_per_audience(audience, expected):
    made = {
        name: _article(f"Router {name}", "<p>Router notes.</p>", visibility=name)
        for name in ("public", "customers", "internal")
    }
    made["draft"] = _article("Router draft", "<p>x</p>", published=False)

    found = set(_ids("router", audience=audience))

    assert found == {made[name] for name in expected}


def test_unpublished_articles_disappear_for_customers():
    article = _article("VPN client", "<p>Install it.</p>", visibility="customers")
    knowledge.unpublish(article)

    assert _ids("vpn", audience="customer") == []
    assert _ids("vpn", audience="staff") == [article]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"printer',
        "*",
        "printer*",
        "NEAR(",
        "NEAR(printer queue, 2)",
        "-",
        "-printer",
        "OR",
        "printer OR",
        "AND NOT",
        "title:printer",
        "'; drop table article; --",
        "^printer",
        "___",
        "printer " * 2000,
        "x" * 10_000,
        "🖨️ printer 🔥",
        "🖨️",
        "\x00printer",
        "",
        "   ",
    ],
)
def test_hostile_queries_return_a_list(query):
    _article("Printer offline", "<p>Check the queue.</p>")

    hits = knowledge.search_articles(query, language="en", audience="public")

    assert isinstance(hits, list)
    assert db.session.execute(text("SELECT count(*) FROM article")).scalar() == 1


def test_queries_without_words_return_nothing():
    _article("Printer offline", "<p>Check the queue.</p>")

    assert knowledge.search_articles("", language="en", audience="staff") == []
    assert knowledge.search_articles("* - \"'", language="en", audience="staff") == []


def test_query_terms_are_bounded():
    terms = search_terms("word " * 1000)

    assert len(terms) <= 16
    assert search_terms("a" * 10_000) == ["a" * 64]


def test_bodies_are_sanitized_and_searchable_as_text():
    article = _article(
        "Scanner",
        '<p onclick="x()">Use <b>duplex</b></p><script>alert(1)</script>'
        '<img src="https://evil.example/x.png" onerror="alert(2)">',
    )

    translation = db.session.execute(
        db.select(ArticleTranslation).filter_by(article_id=article)
    ).scalar_one()
    assert "script" not in translation.body_html
    assert "onerror" not in translation.body_html
    assert "onclick" not in translation.body_html
    assert translation.body_text == "Use duplex"
    assert _ids("duplex") == [article]
    assert _ids("alert") == []


def test_saving_a_translation_again_reindexes_it():
    article = _article("Old name", "<p>Old words.</p>")

    knowledge.save_translation(article, "en", "New name", "<p>Fresh words.</p>")

    assert _ids("old") == []
    assert _ids("fresh") == [article]


def test_deleted_articles_leave_the_index():
    article = _article("Temporary", "<p>Gone soon.</p>")

    knowledge.delete_article(article)

    assert db.session.get(Article, article) is None
    assert _ids("temporary") == []


def test_paging_and_limit():
    ids = [_article(f"Laptop {n}", "<p>Laptop laptop.</p>") for n in range(5)]

    first = knowledge.search_articles(
        "laptop", language="en", audience="staff", limit=2
    )
    rest = knowledge.search_articles(
        "laptop", language="en", audience="staff", limit=10, offset=2
    )

    assert len(first) == 2
    assert {h.article_id for h in first + rest} == set(ids)


def test_invalid_input_is_refused():
    article = knowledge.save_article(visibility="public")

    with pytest.raises(InvalidInputError):
        knowledge.save_article(visibility="everyone")
    with pytest.raises(InvalidInputError):
        knowledge.save_translation(article.id, "xx", "Title", "")
    with pytest.raises(InvalidInputError):
        knowledge.save_translation(article.id, "en", "   ", "")
    with pytest.raises(InvalidInputError):
        knowledge.publish(article.id)
    with pytest.raises(NotFoundError):
        knowledge.save_translation(999_999, "en", "Title", "")


def test_one_query_per_search():
    _article("Monitor flicker", "<p>Swap the cable.</p>")
    statements: list[str] = []

    from sqlalchemy import event

    def _count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        knowledge.search_articles("monitor", language="en", audience="public")
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)

    assert len(statements) == 1


def test_search_uses_the_full_text_index():
    for n in range(30):
        _article(f"Keyboard layout {n}", f"<p>Switch layout {n} of many.</p>")
    _article("Mouse", "<p>Clean it.</p>", language="it")
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE article_translation"))
    sql, params = search_statement(["keyboard"], knowledge.Audience.PUBLIC)
    params.update(language="en", limit=20, offset=0)

    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
        details = " ".join(str(row[-1]) for row in plan)
        assert "VIRTUAL TABLE INDEX" in details and "article_fts" in details
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(text("EXPLAIN " + sql), params).scalars().all()
        details = "\n".join(plan)
        assert "ix_article_translation_fts_en" in details
        assert "ix_article_translation_fts_simple" in details
        db.session.rollback()
