"""A village cadre in a real Chromium (Debian's, driven by Playwright)."""

import os
import shutil

import pytest

from tests.factories import PASSWORD, build_world

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_cadre_their_village_and_nothing_else(live_server, page):
    world = build_world()
    own, other = world.villages[0], world.villages[2]
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "village_cadre")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "请输入一个正确的" in page.content()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    units = page.get_by_test_id("my-units")
    assert own.name in units.inner_text()
    assert "村干部（村党支部书记）" in units.inner_text()
    assert "组织架构" not in page.locator("nav").inner_text()

    units.get_by_role("link", name=own.name).click()
    page.wait_for_url(f"{live_server.url}/org/villages/{own.pk}/")
    assert own.name in page.get_by_test_id("village-name").inner_text()
    assert "第一组" in page.content()

    response = page.goto(f"{live_server.url}/org/villages/{other.pk}/")
    assert response.status == 404
    assert other.name not in page.content()
