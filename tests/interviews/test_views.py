import subprocess
from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from evalprep.core.models import Milestone, MilestoneKind, Role
from evalprep.dossiers.models import Job
from households.models import Household, Measure
from interviews.jobs import sample_cards_job
from interviews.models import Answer, Question, RehearsalVisit, SheetStatus
from interviews.services import respondents_assign, sample_draw
from tests.factories import PASSWORD, make_household, make_user
from tests.interviews.conftest import sheet


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _answer_all(world, username: str, text: str = "已落实。") -> None:
    respondent = sheet(world, "village", username)
    client = _client(username)
    for question in respondent.outline.questions.all():
        client.post(reverse("interviews:answer_save", args=[respondent.pk, question.pk]), {"text": text})


@pytest.mark.django_db
def test_it_shows_respondents_only_their_own_outlines_and_their_units(loaded):
    world = loaded
    make_user("v3_secretary", role=Role.VILLAGE_CADRE, county=world.county, village=world.villages[2], post="secretary")
    respondents_assign(campaign=world.campaign)
    cadre = _client("village_cadre")
    landing = cadre.get(reverse("interviews:landing")).content.decode()
    assert "村级访谈提纲" in landing and "教育部门" not in landing and "县级负责同志" not in landing
    sheets = cadre.get(reverse("interviews:sheets")).content.decode()
    assert "first_secretary" in sheets and "v3_secretary" not in sheets
    education = world.campaign.outlines.get(code="education")
    assert cadre.get(reverse("interviews:outline", args=[education.pk])).status_code == 404
    staff = _client("department_staff").get(reverse("interviews:landing")).content.decode()
    assert "教育部门" in staff and "村级访谈提纲" not in staff
    township = _client("township_head").get(reverse("interviews:sheets")).content.decode()
    assert "first_secretary" in township and "v3_secretary" not in township


@pytest.mark.django_db
def test_it_lets_the_township_approve_only_when_secretary_and_first_secretary_agree(loaded):
    world = loaded
    _answer_all(world, "village_cadre", "本村有合作社3个。")
    _answer_all(world, "first_secretary", "本村有合作社4个。")
    for username in ("village_cadre", "first_secretary"):
        respondent = sheet(world, "village", username)
        _client(username).post(reverse("interviews:sheet_submit", args=[respondent.pk]))
        respondent.refresh_from_db()
        assert respondent.status == SheetStatus.SUBMITTED
    secretary = sheet(world, "village", "village_cadre")
    head = _client("township_head")
    response = head.post(reverse("interviews:sheet_approve", args=[secretary.pk]), follow=True)
    assert "还有17处数字与同单位其他答题人不一致" in response.content.decode()
    _answer_all(world, "first_secretary", "本村有合作社3个。")
    first = sheet(world, "village", "first_secretary")
    assert first.status == SheetStatus.DRAFT  # changed after submitting: submit again
    _client("first_secretary").post(reverse("interviews:sheet_submit", args=[first.pk]))
    for respondent in (secretary, first):
        head.post(reverse("interviews:sheet_approve", args=[respondent.pk]))
        respondent.refresh_from_db()
        assert (respondent.status, respondent.reviewed_by) == (SheetStatus.APPROVED, world.users["township_head"])
    question = Question.objects.get(outline=secretary.outline, number=1)
    response = _client("village_cadre").post(reverse("interviews:answer_save", args=[secretary.pk, question.pk]), {"text": "改"})
    assert response.status_code == 403
    assert Answer.objects.get(respondent=secretary, question=question).history.count() == 1


@pytest.mark.django_db
def test_it_refuses_to_submit_an_unfinished_sheet(loaded):
    world = loaded
    respondent = sheet(world, "village", "village_cadre")
    question = Question.objects.get(outline=respondent.outline, number=2)
    client = _client("village_cadre")
    client.post(reverse("interviews:answer_save", args=[respondent.pk, question.pk]), {"text": "参保率97.3%"})
    response = client.post(reverse("interviews:sheet_submit", args=[respondent.pk]), follow=True)
    assert "还有第1、3、4、5、6、7、8、9、10、11、12、13、14、15、16、17题没有回答" in response.content.decode()
    assert "97.3%" in response.content.decode()


@pytest.mark.django_db
def test_it_prints_question_and_answer_cards_with_an_embedded_cjk_font(loaded, tmp_path):
    world = loaded
    respondent = sheet(world, "village", "village_cadre")
    question = Question.objects.get(outline=respondent.outline, number=2)
    _client("village_cadre").post(reverse("interviews:answer_save", args=[respondent.pk, question.pk]),
                                  {"text": "全村参保率为97.3%，脱贫户参保率100%。"})
    response = _client("township_head").get(reverse("interviews:sheet_cards", args=[respondent.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "村级访谈提纲" in text and "全村参保率为97.3%" in text and "本村居民参加基本医疗保险的参保率" in text
    path = tmp_path / "cards.pdf"
    path.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts


@pytest.mark.django_db
def test_it_drills_one_question_at_a_time(loaded):
    world = loaded
    respondent = sheet(world, "village", "village_cadre")
    question = Question.objects.get(outline=respondent.outline, number=2)
    client = _client("village_cadre")
    client.post(reverse("interviews:answer_save", args=[respondent.pk, question.pk]), {"text": "参保率97.3%"})
    url = reverse("interviews:sheet_drill", args=[respondent.pk])
    page = client.get(url).content.decode()
    assert "第1题，共17题" in page and "<html" in page
    partial = client.get(url, {"n": 2}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "参保率是多少" in partial and "参保率97.3%" not in partial
    revealed = client.get(url, {"n": 2, "reveal": 1}, headers={"HX-Request": "true"}).content.decode()
    assert "参保率97.3%" in revealed


def _visit(client, household, **changes):
    data = {
        "visited_on": "2026-01-05", "visitor_name": "帮扶人", "stated_category": household.category,
        "food_clothing_ok": "True", "schooling_ok": "True", "medical_insured": "True", "housing_safe": "True",
        "water_safe": "True", "stated_income_per_capita": "12333", "stated_income_sources": ["wage"],
        "stated_measures": ["产业帮扶"], "knows_helper": "True", "environment_ok": "True", "sanitary_toilet": "True",
        "satisfaction": "satisfied", "note": "",
    }
    data.update(changes)
    return client.post(reverse("interviews:visit_new", args=[household.pk]), data)


@pytest.mark.django_db
def test_it_compares_a_rehearsal_visit_with_the_registry(world):
    household = make_household(world.villages[0], number="0001", members=3, seq=1)  # 37,000 / 3 = 12,333.33
    Measure.objects.create(household=household, kind="产业帮扶")
    Measure.objects.create(household=household, kind="健康帮扶")
    make_household(world.villages[0], number="0002", members=2, seq=2)
    client = _client("village_cadre")
    response = _visit(client, household, stated_income_per_capita="8000", stated_category="monitored")
    assert response.status_code == 302
    visit = RehearsalVisit.objects.get()
    assert [d["label"] for d in visit.differences] == ["人均纯收入", "未说出的帮扶措施", "户类型"]
    page = client.get(reverse("interviews:rehearsal_village", args=[world.villages[0].pk]), {"only": "differences"})
    text = page.content.decode()
    assert "人均纯收入：农户说8000元，台账12333元（2025年）" in text and "未说出的帮扶措施：农户说产业帮扶，台账健康帮扶" in text
    Milestone.objects.create(campaign=world.campaign, kind=MilestoneKind.REHEARSAL_DONE, name="大走访大演练完成",
                             due_date=date(2026, 12, 25))
    coverage = client.get(reverse("interviews:rehearsal")).content.decode()
    assert "已走访 1 / 2 户（50%）" in coverage and "大走访大演练完成：2026年12月25日" in coverage
    assert _visit(client, household, stated_income_per_capita="-1").status_code == 200
    assert RehearsalVisit.objects.count() == 1


@pytest.mark.django_db
def test_it_draws_the_same_weighted_sample_from_the_same_seed(world):
    for n in range(60):
        category = "monitored" if n < 10 else "ordinary"
        make_household(world.villages[n % 3], number=f"{n:04d}", members=1, category=category, seq=n)
    Household.objects.filter(category="monitored").update(monitoring_type="marginal")
    first = sample_draw(campaign=world.campaign, seed=7, size=20)
    again = sample_draw(campaign=world.campaign, seed=7, size=20)
    other = sample_draw(campaign=world.campaign, seed=8, size=20)
    ids = lambda s: list(s.entries.values_list("household_id", flat=True))  # noqa: E731
    assert ids(first) == ids(again) != ids(other)
    # Monitored and marginal households weigh 6 against 1: far more than their sixth of the registry.
    assert first.summary["monitored"] >= 7
    sampled = first.entries.first().household
    rows = _client("coordinator").get(reverse("interviews:rehearsal_village", args=[sampled.village_id])).content.decode()
    items = rows.split('class="list-group-item"')[1:]
    assert "模拟抽中" in items[0] and "模拟抽中" not in items[-1]  # drawn households come first


@pytest.mark.django_db
def test_it_prints_the_drawn_households_cards_together(world):
    for n in range(3):
        make_household(world.villages[n], number=f"000{n}", seq=n)
    sample = sample_draw(campaign=world.campaign, seed=1, size=3)
    response = _client("township_head").post(reverse("interviews:sample_cards"))
    job = Job.objects.get()
    assert response.url == reverse("dossiers:job_detail", args=[job.pk])
    assert job.params["sample_id"] == sample.pk
    sample_cards_job(job.pk)
    job.refresh_from_db()
    text = "".join(page.extract_text() for page in PdfReader(job.result_file.open("rb")).pages)
    # The township head sees T1's two villages: two of the three drawn households.
    assert job.summary == {"households": 2} and "户主0000户" in text and "户主0002户" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("name, arg", [
    ("interviews:landing", None), ("interviews:sheets", None), ("interviews:rehearsal", None), ("interviews:sample", None),
    ("interviews:rehearsal_village", "village"), ("interviews:outline", "outline"),
])
def test_it_keeps_list_pages_to_a_bounded_number_of_queries(loaded, django_assert_max_num_queries, name, arg):
    world = loaded
    for index, village in enumerate(world.villages):
        for post in ("secretary", "head"):
            make_user(f"c{index}{post}", role=Role.VILLAGE_CADRE, county=world.county, village=village, post=post)
        for n in range(4):
            make_household(village, number=f"{index}{n:03d}", members=2, seq=index * 10 + n)
    respondents_assign(campaign=world.campaign)
    sample_draw(campaign=world.campaign, seed=1, size=6)
    args = {None: [], "village": [world.villages[0].pk], "outline": [world.campaign.outlines.get(code="village").pk]}[arg]
    client = _client("coordinator")
    with django_assert_max_num_queries(20):
        assert client.get(reverse(name, args=args)).status_code == 200
