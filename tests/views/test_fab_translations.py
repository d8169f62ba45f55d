"""Flask-AppBuilder's own strings are translated in every language we offer.

FAB's package catalogs are incomplete; ``translations/fab/<lang>`` fills the
gaps and Flask-Babel merges it over FAB's catalog (see BABEL_TRANSLATION_DIRECTORIES).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import flask_appbuilder
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

FAB_PACKAGE = Path(flask_appbuilder.__file__).resolve().parent
FAB_CATALOGS = FAB_PACKAGE / "translations"
OUR_FAB_CATALOGS = Path(__file__).resolve().parents[2] / "translations" / "fab"
LANGUAGES = ["ru", "it", "pt", "nb"]
EXTRACT_CONFIG = """\
[python: **.py]
[jinja2: **/templates/**.html]
extensions = jinja2.ext.do
"""


@pytest.fixture(scope="module")
def fab_msgids(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every msgid in FAB's Python code and Jinja templates, extracted once."""
    workdir = tmp_path_factory.mktemp("fab_extract")
    config = workdir / "babel.cfg"
    config.write_text(EXTRACT_CONFIG)
    pot = workdir / "fab.pot"
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "-q",
        "extract",
        "-k",
        "lazy_gettext",
        "-k",
        "_l",
        "-F",
        str(config),
        "-o",
        str(pot),
        str(FAB_PACKAGE),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with pot.open("rb") as handle:
        msgids = [str(message.id) for message in read_po(handle) if message.id]
    # Python and templates both made it in (a template-only and a Python-only id).
    assert len(msgids) > 100
    assert "Detail" in msgids and "Database Error" in msgids
    return msgids


def _translated(catalog: Catalog) -> set[str]:
    return {
        str(message.id)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def _fab_package_translated(language: str) -> set[str]:
    """Ids FAB translates itself: non-fuzzy in its .po and present in its .mo."""
    folder = FAB_CATALOGS / language / "LC_MESSAGES"
    if not folder.is_dir():
        return set()
    with (folder / "messages.po").open("rb") as handle:
        source = _translated(read_po(handle))
    with (folder / "messages.mo").open("rb") as handle:
        compiled = _translated(read_mo(handle))
    return source & compiled


def _our_translated(language: str) -> set[str]:
    mo = OUR_FAB_CATALOGS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), f"{mo} is not compiled (flask translate compile)"
    with mo.open("rb") as handle:
        return _translated(read_mo(handle))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_fab_string_is_translated(fab_msgids, language):
    translated = _fab_package_translated(language) | _our_translated(language)
    missing = [msgid for msgid in fab_msgids if msgid not in translated]
    assert missing == [], (
        f"{len(missing)} FAB strings lack a {language} translation; add them to "
        f"translations/fab/{language}/LC_MESSAGES/messages.po: {missing}"
    )


def test_show_page_detail_tab_is_in_russian(client, world, login):
    login("Agent")
    assert client.get("/lang/ru").status_code == 302
    page = client.get(f"/tickets/show/{world.ticket_a.id}").get_data(as_text=True)
    assert 'data-toggle="tab">Подробности</a>' in page
    assert ">Detail<" not in page
