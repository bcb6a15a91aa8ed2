"""A village cadre in a real Chromium (Debian's, driven by Playwright)."""

import pytest

from tests.browser import page_login
from tests.factories import PASSWORD, build_world, make_household


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
    assert "组织架构" not in page.locator("nav").text_content()

    units.get_by_role("link", name=own.name).click()
    page.wait_for_url(f"{live_server.url}/org/villages/{own.pk}/")
    assert own.name in page.get_by_test_id("village-name").inner_text()
    assert "第一组" in page.content()

    response = page.goto(f"{live_server.url}/org/villages/{other.pk}/")
    assert response.status == 404
    assert other.name not in page.content()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_runs_our_scripts_and_refuses_an_injected_one(live_server, page):
    """The Content Security Policy: every page's own scripts (htmx, ECharts) run
    without a violation, and a script injected into the page does not run."""
    build_world()
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/", "/indicators/readiness/", "/households/", "/households/screening/", "/jobs/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof htmx") == "object"
    assert not violations, violations

    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
    }""")
    page.wait_for_timeout(100)
    assert page.evaluate("window.injected === undefined")
    assert any("script-src" in text for text in violations)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_household_page_fetches_its_change_list_once_it_scrolls_into_view(live_server, page):
    world = build_world()
    household = make_household(world.villages[0], number="0001", seq=1)
    page_login(page, live_server.url, "village_cadre")
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto(f"{live_server.url}/households/{household.pk}/")
    page.get_by_role("heading", name="修改记录").scroll_into_view_if_needed()
    history = page.get_by_test_id("history")
    history.wait_for()
    assert "新建户信息" in history.inner_text()
