"""One village row through the whole workflow in a real Chromium, watching the
readiness figures move after each step."""

import json

import pytest

from indicators.models import ChecklistRow, RowStatus
from tests.browser import browser_login as _login
from tests.factories import build_world
from tests.indicators.conftest import PDF, TINY, campaign_use, image_bytes

FIGURES = ["missing", "submitted", "signed-off", "returned", "accepted"]


def _submit(page, button) -> None:
    """Click a form's button and wait for the page the POST redirects to."""
    with page.expect_navigation():
        button.click()


def _figures(page, base: str) -> dict:
    page.goto(f"{base}/indicators/readiness/")
    figures = {name: int(page.get_by_test_id(f"overall-{name}").inner_text()) for name in FIGURES}
    figures["percent"] = page.get_by_test_id("overall-percent").inner_text()
    figures["filed"] = page.get_by_test_id("overall-filed-percent").inner_text()
    return figures


def _expect(page, base, missing, submitted, signed_off, returned, accepted, percent, filed):
    assert _figures(page, base) == {
        "missing": missing, "submitted": submitted, "signed-off": signed_off, "returned": returned,
        "accepted": accepted, "percent": percent, "filed": filed,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_village_row_goes_from_upload_to_acceptance(live_server, browser, tmp_path):
    world = build_world()
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY, ensure_ascii=False), encoding="utf-8")
    campaign_use(world.campaign, "tiny", path)
    row = ChecklistRow.objects.get(campaign=world.campaign, village=world.villages[0])
    base = live_server.url
    row_url = f"{base}/indicators/rows/{row.pk}/"
    cadre, head, bureau = (_login(browser, base, name) for name in ("village_cadre", "township_head", "coordinator"))
    _expect(bureau, base, 8, 0, 0, 0, 0, "0%", "0%")

    # The cadre finds the row on the home page and uploads two files at once.
    cadre.goto(f"{base}/")
    cadre.get_by_test_id("owed").get_by_role("link", name="领导小组会议记录").click()
    cadre.wait_for_url(row_url)
    cadre.set_input_files("input[name=files]", [
        {"name": "会议记录.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "签到表.png", "mimeType": "image/png", "buffer": image_bytes("PNG")},
    ])
    cadre.fill("textarea[name=note]", "2026年第一次会议")
    _submit(cadre, cadre.get_by_role("button", name="上传并提交"))
    assert cadre.get_by_test_id("row-status").inner_text() == "已提交"
    assert "签到表.png" in cadre.get_by_test_id("row-files").inner_text()
    _expect(cadre, base, 7, 1, 0, 0, 0, "0%", "12%")

    # The township's head signs it off (乡级审核盖章).
    head.goto(row_url)
    _submit(head, head.get_by_test_id("sign-off"))
    assert head.get_by_test_id("row-status").inner_text() == "负责人已审核"
    _expect(head, base, 7, 0, 1, 0, 0, "0%", "12%")

    # The bureau returns it with a reason.
    bureau.goto(f"{base}/indicators/review/")
    bureau.get_by_test_id("checklist-rows").get_by_role("link", name="领导小组会议记录").click()
    bureau.wait_for_url(row_url)
    bureau.fill("textarea[name=reason]", "签到表缺少签字")
    _submit(bureau, bureau.get_by_test_id("return"))
    assert bureau.get_by_test_id("row-status").inner_text() == "已退回"
    _expect(bureau, base, 7, 0, 0, 1, 0, "0%", "12%")

    # The cadre sees the reason and submits again.
    cadre.goto(row_url)
    assert "签到表缺少签字" in cadre.get_by_test_id("return-reason").inner_text()
    cadre.set_input_files("input[name=files]", {"name": "签到表（签字）.jpg", "mimeType": "image/jpeg",
                                                "buffer": image_bytes("JPEG")})
    _submit(cadre, cadre.get_by_role("button", name="上传并提交"))
    assert cadre.get_by_test_id("row-status").inner_text() == "已提交"
    _expect(cadre, base, 7, 1, 0, 0, 0, "0%", "12%")

    # A returned row needs the head's sign-off again before the bureau can accept it.
    head.goto(row_url)
    _submit(head, head.get_by_test_id("sign-off"))
    _expect(head, base, 7, 0, 1, 0, 0, "0%", "12%")

    bureau.goto(row_url)
    _submit(bureau, bureau.get_by_test_id("accept"))
    assert bureau.get_by_test_id("row-status").inner_text() == "已验收"
    _expect(bureau, base, 7, 0, 0, 0, 1, "12%", "12%")
    row.refresh_from_db()
    assert row.status == RowStatus.ACCEPTED and row.files.count() == 3

    # The heatmap is drawn from the vendored ECharts, no CDN.
    bureau.goto(f"{base}/indicators/readiness/")
    bureau.wait_for_selector("#heatmap-villages canvas")
