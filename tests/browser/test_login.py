"""A person signs in through a real browser, in English and in Russian."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def test_admin_signs_in_in_english(live_server, page, make_user):
    admin = make_user("Admin", username="browser-admin", first_name="Ada")
    page.goto(f"{live_server}/")
    assert "/login/" in page.url
    _sign_in(page, admin.username)
    assert page.locator("h1").inner_text() == "Welcome to Atrium, Ada"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Tools").is_visible()


def test_admin_signs_in_in_russian(live_server, page, make_user):
    admin = make_user("Admin", username="browser-admin-ru", first_name="Ада")
    page.goto(f"{live_server}/lang/ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    _sign_in(page, admin.username)
    assert page.locator("h1").inner_text() == "Добро пожаловать в Atrium, Ада"
    assert page.get_by_role("link", name="Инструменты").is_visible()
    page.screenshot(path=str(_screenshot_dir() / "home-ru.png"), full_page=True)


def test_language_switcher_in_the_navbar(live_server, page, make_user):
    user = make_user("Manager", username="browser-manager", first_name="Marta")
    page.goto(f"{live_server}/login/")
    _sign_in(page, user.username)
    page.locator(".atrium-language > a").click()
    page.locator("a[data-lang=it]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("link", name="Strumenti").is_visible()


def _screenshot_dir():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
