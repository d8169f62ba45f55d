"""Five languages: switcher, saved choice, browser default, catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from flask_babel import refresh

from app.extensions import db
from app.models import AtriumUser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
MENU_LABELS = {
    "en": "Background jobs",
    "ru": "Фоновые задачи",
    "it": "Attività in background",
    "pt": "Tarefas em segundo plano",
    "nb": "Bakgrunnsjobber",
}


@pytest.mark.parametrize("language", sorted(MENU_LABELS))
def test_every_language_renders_its_menu(client, login, language):
    login("Manager")
    response = client.get(f"/lang/{language}")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert MENU_LABELS[language] in page
    for other, label in MENU_LABELS.items():
        if other != language:
            assert f">{label}<" not in page.replace("\n", "").replace("  ", "")


def test_the_choice_is_saved_on_the_profile(client, login):
    user = login("Agent")
    client.get("/lang/it")
    db.session.expire_all()
    assert db.session.get(AtriumUser, user.id).language == "it"


def test_the_saved_choice_follows_the_user_to_a_new_session(app, login):
    user = login("Agent", language="nb")
    fresh = app.test_client()
    from tests.factories import PASSWORD

    fresh.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert MENU_LABELS["nb"] in fresh.get("/").get_data(as_text=True)


def test_anonymous_pages_follow_accept_language(client):
    page = client.get("/login/", headers={"Accept-Language": "pt-PT,pt;q=0.9"})
    assert '<html lang="pt">' in page.get_data(as_text=True)
    refresh()  # the test shares one app context (and so Babel's cache) across requests
    page = client.get("/login/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.get("/lang/xx").status_code == 404
    assert client.get("/lang/../../etc").status_code == 404


def test_a_huge_accept_language_header_is_harmless(client):
    header = ",".join(f"x{i};q=0.{i % 9}" for i in range(2000))[:10240]
    assert client.get("/login/", headers={"Accept-Language": header}).status_code == 200


@pytest.mark.parametrize("language", sorted(MENU_LABELS))
def test_every_language_has_a_complete_compiled_catalog(language):
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), f"{mo} is not compiled"
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        source = read_po(handle)
    missing = [m.id for m in source if m.id and not m.string]
    assert missing == []
    assert len([m for m in catalog if m.id]) == len([m for m in source if m.id])
    if language != "en":
        same = [m.id for m in source if m.id and m.string == m.id and " " in str(m.id)]
        assert same == [], f"untranslated copies of English in {language}: {same}"


def test_norwegian_covers_flask_appbuilder_strings():
    mo = TRANSLATIONS / "fab" / "nb" / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    assert catalog.get("Save").string == "Lagre"
