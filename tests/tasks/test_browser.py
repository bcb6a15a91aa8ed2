"""A list from assignment to acceptance in a real Chromium, watching the bureau's board change colour."""

import pytest

from tests.browser import browser_login as _login
from tests.factories import build_world
from tests.tasks.conftest import DROPOUT_HEADER, dropout_rows, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _click(page, locator) -> None:
    """Click a form's button and wait for the page the POST redirects to."""
    with page.expect_navigation():
        locator.click()


def _board_cell(page, base: str) -> tuple[str, str]:
    page.goto(f"{base}/tasks/board/")
    cell = page.locator("[data-testid=board] td[data-status]")
    assert cell.count() == 1
    return cell.get_attribute("data-status"), cell.get_attribute("class")


def _upload_list(page, name: str, header: list[str], rows: list[list]) -> None:
    page.set_input_files("[data-testid=list-form] input[name=file]", {
        "name": name, "mimeType": XLSX, "buffer": xlsx_bytes(header, rows),
    })
    _click(page, page.get_by_role("button", name="上传名单"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_department_list_goes_from_assignment_to_acceptance(live_server, browser):
    build_world()
    base = live_server.url
    bureau, staff, head = (_login(browser, base, name) for name in ("coordinator", "department_staff", "department_head"))

    # The bureau loads the 2021 plan and assigns the education dropout list to 教育局.
    bureau.goto(f"{base}/tasks/plan/")
    _click(bureau, bureau.get_by_test_id("plan-load"))
    bureau.get_by_role("link", name="疑似辍学学生和未享受资助困难学生名册").click()
    form = bureau.get_by_test_id("assign-form")
    assert form.get_by_label("教育局").is_checked() and not form.get_by_label("卫生健康局").is_checked()
    _click(bureau, form.get_by_role("button", name="分派"))
    assert _board_cell(bureau, base) == ("assigned", "text-center text-bg-secondary")

    # Staff find it on the home page; a list without the ID-number column is refused, naming it.
    staff.goto(f"{base}/")
    staff.get_by_test_id("owed-tasks").get_by_role("link", name="疑似辍学学生和未享受资助困难学生名册").click()
    staff.wait_for_url(f"{base}/tasks/assignments/*/")
    without_id = [h for h in DROPOUT_HEADER if h != "身份证号"]
    _upload_list(staff, "辍学名单.xlsx", without_id, [[c for i, c in enumerate(r) if i != 1] for r in dropout_rows()])
    assert "名单缺少必填列 「身份证号」" in staff.locator(".alert-danger").inner_text()
    _upload_list(staff, "辍学名单（补列）.xlsx", DROPOUT_HEADER, dropout_rows(2))
    assert staff.get_by_test_id("list-count").inner_text() == "共2行"
    assert "****" in staff.get_by_test_id("list-rows").inner_text()  # ID numbers masked on the page
    assert _board_cell(bureau, base)[0] == "in_progress"
    _click(staff, staff.get_by_test_id("submit"))
    assert _board_cell(bureau, base) == ("submitted", "text-center text-bg-warning")

    # The head signs it off from the one page of everything waiting for them.
    head.goto(f"{base}/tasks/sign-off/")
    head.get_by_test_id("queue").get_by_role("link", name="疑似辍学学生").click()
    _click(head, head.get_by_test_id("sign-off"))
    assert _board_cell(bureau, base) == ("signed_off", "text-center text-bg-primary")

    # The bureau returns it with a reason; the board turns red.
    bureau.get_by_test_id("board").locator("td[data-status] a").click()
    bureau.fill("[data-testid=return-form] textarea[name=reason]", "请补充劝返情况")
    _click(bureau, bureau.get_by_test_id("return-form").get_by_role("button", name="退回"))
    assert _board_cell(bureau, base) == ("returned", "text-center text-bg-danger")

    # It comes back: staff see the reason, upload the corrected list and resubmit; the head signs again.
    staff.reload()
    assert "请补充劝返情况" in staff.get_by_test_id("return-reason").inner_text()
    _upload_list(staff, "辍学名单（补充劝返）.xlsx", DROPOUT_HEADER, dropout_rows(3))
    _click(staff, staff.get_by_test_id("submit"))
    head.reload()
    _click(head, head.get_by_test_id("sign-off"))

    # The bureau accepts; the board turns green.
    bureau.get_by_test_id("board").locator("td[data-status] a").click()
    _click(bureau, bureau.get_by_test_id("accept"))
    assert _board_cell(bureau, base) == ("accepted", "text-center text-bg-success")
    assert "1 / 1" in bureau.get_by_test_id("board").inner_text()
