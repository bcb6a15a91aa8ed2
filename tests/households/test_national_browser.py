"""The bureau uploads a national export in a real Chromium and a village records an exemption."""

import pytest

from tests.browser import page_login
from tests.factories import build_world
from tests.households.national_builders import planted_export


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_takes_an_export_in_and_lets_the_village_exempt_a_hit(live_server, page, tmp_path):
    build_world()
    page_login(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/households/national/upload/")
    page.set_input_files("input[name=files]", [str(path) for path in planted_export(tmp_path).files()])
    page.fill("input[name=taken_on]", "2026-06-30")
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/households/national/snapshots/*/")
    sheets = page.get_by_test_id("sheets").inner_text()
    assert "监测对象信息表（人员）" in sheets and "已外出务工信息表" in sheets and "行政村信息表" in sheets
    page.context.clear_cookies()

    page_login(page, live_server.url, "village_cadre")
    page.goto(f"{live_server.url}/households/national/hits/?rule=4.05")
    row = page.get_by_test_id("hits").locator("tr", has_text="户编号990101001000013")
    row.locator("select[name=status]").select_option("exempt")
    row.locator("input[name=reason]").fill("经县级审定，提前消除有文件依据")
    row.get_by_role("button", name="保存").click()
    page.wait_for_url("**/national/hits/?rule=4.05")
    assert "已记录" in page.content()
    page.goto(f"{live_server.url}/households/national/hits/?status=exempt")
    assert "经县级审定，提前消除有文件依据" in page.get_by_test_id("hits").inner_text()
