"""The village secretary and the first secretary answer the same question with
different numbers; both and the township see the flag; one corrects it, the
flag clears and the township approves — in a real Chromium."""

import re

import pytest

from interviews.models import Question, SheetStatus
from interviews.services import answer_save
from tests.browser import browser_login as _login
from tests.factories import build_world
from tests.interviews.conftest import add_first_secretary, load_and_assign, sheet


def _click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _answer(page, number: int, text: str) -> None:
    page.get_by_test_id(f"answer-{number}").fill(text)
    _click(page, page.get_by_test_id(f"save-{number}"))


def _flags(page, number: int) -> list[str]:
    return page.get_by_test_id(f"question-{number}").get_by_test_id("peer-flag").all_inner_texts()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_secretary_and_first_secretary_must_agree_before_the_township_approves(live_server, browser):
    world = build_world()
    add_first_secretary(world)
    load_and_assign(world)
    sheets = {name: sheet(world, "village", name) for name in ("village_cadre", "first_secretary")}
    for name, respondent in sheets.items():  # every other question is already prepared
        for question in Question.objects.filter(outline=respondent.outline).exclude(number=9):
            answer_save(respondent=respondent, question=question, text="已落实。", user=world.users[name])
    base = live_server.url
    secretary, first, township = (_login(browser, base, n) for n in ("village_cadre", "first_secretary", "township_head"))

    # Each finds their own sheet from the module's landing page and answers question 9.
    for page, name, text in ((secretary, "village_cadre", "本村发展农民专业合作社3个，带动脱贫户45户。"),
                             (first, "first_secretary", "合作社三个，带动脱贫户40户。")):
        page.goto(f"{base}/interviews/")
        _click(page, page.get_by_test_id("sheet-table").get_by_role("link", name=re.compile(name)))
        _answer(page, 9, text)
    assert _flags(first, 9) == ["与村党支部书记 village_cadre不一致：本人答40户，村党支部书记 village_cadre答45户"]
    secretary.reload()
    assert _flags(secretary, 9) == ["与驻村第一书记 first_secretary不一致：本人答45户，驻村第一书记 first_secretary答40户"]
    for page in (secretary, first):
        _click(page, page.get_by_test_id("submit"))
        assert page.get_by_test_id("sheet-status").inner_text() == "已提交待审核"

    # The township sees the flag on its list and on the sheet, and cannot approve yet.
    township.goto(f"{base}/interviews/sheets/")
    rows = township.get_by_test_id("sheet-table")
    assert rows.get_by_test_id("peer-flags").all_inner_texts() == ["1", "1"]
    township.goto(f"{base}/interviews/sheets/{sheets['village_cadre'].pk}/")
    assert "本人答45户" in _flags(township, 9)[0]
    _click(township, township.get_by_test_id("approve"))
    assert "还有1处数字与同单位其他答题人不一致" in township.content()
    assert township.get_by_test_id("sheet-status").inner_text() == "已提交待审核"

    # The first secretary corrects the figure (the sheet goes back to draft) and submits again.
    first.reload()
    _answer(first, 9, "合作社三个，带动脱贫户45户。")
    assert _flags(first, 9) == []
    _click(first, first.get_by_test_id("submit"))
    secretary.reload()
    assert _flags(secretary, 9) == []

    township.goto(f"{base}/interviews/sheets/")
    assert township.get_by_test_id("sheet-table").get_by_test_id("peer-flags").count() == 0
    for respondent in sheets.values():
        township.goto(f"{base}/interviews/sheets/{respondent.pk}/")
        assert _flags(township, 9) == []
        _click(township, township.get_by_test_id("approve"))
        assert township.get_by_test_id("sheet-status").inner_text() == "已审核"
    for respondent in sheets.values():
        respondent.refresh_from_db()
        assert respondent.status == SheetStatus.APPROVED and respondent.reviewed_by == world.users["township_head"]
