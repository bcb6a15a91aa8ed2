"""The screening worklist, decisions, runs, thresholds, worst-ten lists and the
income worksheet: scoping per role, htmx swaps, bounded queries."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import (
    Category,
    Household,
    IncomeYear,
    Member,
    MonitoringEvent,
    ScreeningDecision,
    ScreeningFlag,
    ScreeningRule,
    VillageIncomeEstimate,
)
from households.screening import screening_run, screening_thresholds_for
from tests.factories import PASSWORD, make_household


def screening_flag(household, campaign) -> ScreeningFlag:
    """A flag with a decision and an attachment (the objects F1, F3, FB of the matrix)."""
    now = timezone.now()
    flag = ScreeningFlag.objects.create(
        campaign=campaign, household=household, rule=ScreeningRule.DANGEROUS_HOUSE, facts={"grade": "D"},
        first_seen_at=now, last_seen_at=now, due_date=date(2026, 12, 20),
    )
    decision = ScreeningDecision(flag=flag, outcome="not_include", reason="经核实已改造")
    decision.attachment.save("核实.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return flag


def _login(client, role: str) -> None:
    assert client.login(username=role, password=PASSWORD)


def _flagged(village, number: str, seq: int, **fields) -> Household:
    household = make_household(village, number=number, seq=seq, category="ordinary")
    Household.objects.filter(pk=household.pk).update(**fields)
    return household


def test_a_village_cadre_sees_only_their_villages_flags(world, client):
    _flagged(world.villages[0], "0001", 1, housing_grade="D")
    _flagged(world.villages[2], "0003", 3, housing_grade="C", water_safe=False)
    screening_run(campaign=world.campaign)
    _login(client, "village_cadre")
    page = client.get(reverse("households:screening_worklist")).content.decode()
    assert "住房安全等级为D级（危房）" in page and "住房安全等级为C级" not in page
    assert "新发现" in page
    _login(client, "coordinator")
    response = client.get(reverse("households:screening_worklist") + f"?village={world.villages[2].pk}&rule=unsafe_water")
    flags = list(response.context["page"])
    assert [(f["number"], f["rule"]) for f in flags] == [("0003", "unsafe_water")]
    counts = dict((code, n) for code, _, n in response.context["rule_counts"])
    assert (counts["dangerous_house"], counts["unsafe_water"], counts["low_income"]) == (1, 1, 0)


def test_the_worklist_costs_the_same_queries_for_few_or_many_flags(world, client):
    village = world.villages[0]

    def add(start: int, count: int) -> None:
        Household.objects.bulk_create(
            Household(village=village, number=f"B{n:05d}", head_name=f"户主{n}", member_count=1, housing_grade="D",
                      water_safe=False, category=Category.LIFTED)
            for n in range(start, start + count)
        )
        created = Household.objects.filter(number__startswith="B", members__isnull=True).values_list("pk", flat=True)
        Member.objects.bulk_create(
            Member(household_id=pk, name="某", id_number=f"X{pk:017d}", sex="male", birth_date=date(1980, 1, 1),
                   relation="户主", medical_insurance=False) for pk in created
        )
        IncomeYear.objects.bulk_create(
            IncomeYear(household_id=pk, year=2025, household_size=1, net_income_per_capita=5000) for pk in created
        )
        screening_run(campaign=world.campaign)

    counts = []
    for start, count in ((0, 3), (3, 200)):
        add(start, count)
        for role in ("coordinator", "township_staff", "village_cadre"):
            _login(client, role)
            for query in ("", "?status=all&page=2", f"?village={village.pk}&rule=low_income"):
                with CaptureQueriesContext(connection) as context:
                    assert client.get(reverse("households:screening_worklist") + query).status_code == 200
                counts.append(len(context))
    assert counts[:9] == counts[9:] and max(counts) <= 12, counts


def test_the_worklist_pages_across_due_dates_in_worklist_order(world, client, django_assert_max_num_queries):
    """A page reads only the due dates it spans (the per-rule counts say which); the
    pages together must still be the flags by due date, village, household number, rule."""
    first, second, elsewhere = world.villages
    now = timezone.now()
    households = Household.objects.bulk_create(
        Household(village=village, number=f"{n:04d}", head_name=f"户主{n}", member_count=1)
        for village in (second, first, elsewhere) for n in range(1, 21)
    )
    flags = ScreeningFlag.objects.bulk_create(  # 90 flags due on three dates: pages of 50 straddle them
        ScreeningFlag(campaign=world.campaign, household=household, village=household.village, rule=rule, facts={"grade": "D"},
                      first_seen_at=now, last_seen_at=now, due_date=date(2026, 12, 1 + index % 3))
        for index, household in enumerate(households)
        for rule in (ScreeningRule.DANGEROUS_HOUSE, ScreeningRule.UNSAFE_WATER)[: 1 + index % 2]
    )
    codes = {village.pk: village.code for village in world.villages}
    in_order = sorted(flags, key=lambda f: (f.due_date, codes[f.household.village_id], f.household.number, f.rule))

    def expected(villages, rule: str = "") -> list[int]:
        return [f.pk for f in in_order if f.household.village in villages and rule in ("", f.rule)]

    def shown(query: str) -> tuple[list[int], int, dict[str, int]]:
        pks, number = [], 1
        while True:
            context = client.get(reverse("households:screening_worklist") + f"?{query}&page={number}").context
            pks += [flag["pk"] for flag in context["page"]]
            if not context["page"].has_next():
                return pks, context["page"].paginator.count, {code: n for code, _, n in context["rule_counts"]}
            number += 1

    _login(client, "coordinator")
    pks, total, counts = shown("status=all")
    assert pks == expected(world.villages) and total == 90
    assert (counts["dangerous_house"], counts["unsafe_water"]) == (60, 30)
    pks, total, counts = shown("status=all&rule=unsafe_water")
    assert pks == expected(world.villages, "unsafe_water") and total == 30 and counts["dangerous_house"] == 60
    _login(client, "township_staff")
    pks, total, counts = shown("status=all")
    assert pks == expected([first, second]) and total == 60 and counts["dangerous_house"] == 40
    with django_assert_max_num_queries(11):
        assert client.get(reverse("households:screening_worklist") + "?page=2").status_code == 200


def test_deciding_through_htmx_swaps_the_row_and_including_starts_monitoring(world, client):
    household = _flagged(world.villages[0], "0001", 1, housing_grade="D")
    screening_run(campaign=world.campaign)
    flag = ScreeningFlag.objects.get(household=household)
    _login(client, "village_cadre")
    url = reverse("households:screening_decide", args=[flag.pk])
    response = client.post(url, {"outcome": "not_include", "reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "请写明" in response.content.decode()
    assert not ScreeningDecision.objects.exists()
    response = client.post(url, {"outcome": "include"}, HTTP_HX_REQUEST="true")
    row = response.content.decode()
    assert row.startswith('<tr id="flag-') and "纳入监测" in row and "已决定" in row and "保存决定" not in row
    assert MonitoringEvent.objects.get(household=household).step == "identified"
    assert flag.decision.decided_by == world.users["village_cadre"]


def test_the_rows_written_in_python_escape_what_people_typed(world, client):
    """The worklist's rows are written without the template engine: names and reasons
    must still come out escaped, with the decision, who made it and its attachment."""
    household = _flagged(world.villages[0], "0001", 1, water_safe=False, head_name="<b>王五</b>")
    screening_run(campaign=world.campaign)
    flag = ScreeningFlag.objects.get(household=household)
    screening_flag(household, world.campaign)  # a second flag, decided, with an attachment
    decided = ScreeningFlag.objects.exclude(pk=flag.pk).get()
    decided.decision.reason = '已改造 <script>alert("x")</script>'
    decided.decision.save()
    _login(client, "village_cadre")
    page = client.get(reverse("households:screening_worklist") + "?status=all").content.decode()
    assert "<b>王五</b>" not in page and "&lt;b&gt;王五&lt;/b&gt;" in page
    assert "<script>alert" not in page and "已改造 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert reverse("households:screening_attachment", args=[decided.pk]) in page and "修改决定" in page
    assert f'<tr id="flag-{flag.pk}" data-testid="flag-row">' in page and "作出决定" in page
    assert f"{world.villages[0].township.name}{world.villages[0].name}" in page


def test_deciding_without_htmx_redirects_and_keeps_the_attachment(world, client):
    household = _flagged(world.villages[0], "0001", 1, water_safe=False)
    screening_run(campaign=world.campaign)
    flag = ScreeningFlag.objects.get(household=household)
    _login(client, "township_staff")
    upload = ContentFile(b"%PDF-1.4", name="入户核实表.pdf")
    response = client.post(reverse("households:screening_decide", args=[flag.pk]),
                           {"outcome": "rectified", "reason": "已改水到户", "attachment": upload})
    assert response.status_code == 302
    download = client.get(reverse("households:screening_attachment", args=[flag.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4"
    page = client.get(reverse("households:screening_worklist") + "?status=all").content.decode()
    assert "已整改</strong>：已改水到户" in page and f'href="{reverse("households:screening_attachment", args=[flag.pk])}"' in page
    _login(client, "coordinator")
    bad = ContentFile(b"MZ", name="病毒.exe")
    client.post(reverse("households:screening_decide", args=[flag.pk]), {"outcome": "rectified", "reason": "x", "attachment": bad})
    assert ScreeningDecision.objects.get().reason == "已改水到户"


def test_a_village_cadre_reruns_only_their_village(world, client):
    mine = _flagged(world.villages[0], "0001", 1, housing_grade="D")
    other = _flagged(world.villages[2], "0003", 3, housing_grade="D")
    _login(client, "village_cadre")
    response = client.post(reverse("households:screening_run"), follow=True)
    assert "筛查完成" in response.content.decode()
    assert list(ScreeningFlag.objects.values_list("household", flat=True)) == [mine.pk]
    assert client.post(reverse("households:screening_run"), {"village": world.villages[2].pk}).status_code == 404
    _login(client, "coordinator")
    client.post(reverse("households:screening_run"))
    assert ScreeningFlag.objects.filter(household=other).exists()


def test_the_bureau_sets_the_thresholds(world, client):
    _login(client, "coordinator")
    url = reverse("households:screening_thresholds")
    data = {"income_drop_share": "0.250", "lifted_growth_min": "0.080", "medical_out_of_pocket": "8000",
            "rural_disposable_income_last_year": "18337", "decision_days": "7"}
    assert client.post(url, {**data, "income_drop_share": "1.5"}).status_code == 200
    assert client.post(url, data).status_code == 302
    thresholds = screening_thresholds_for(world.campaign)
    assert (str(thresholds.income_drop_share), thresholds.decision_days) == ("0.250", 7)
    assert thresholds.history.first().history_user == world.users["coordinator"]
    page = client.get(reverse("households:screening_worklist")).content.decode()
    assert "超过 36,674 元（上年度农村居民人均可支配收入 18,337 元的2倍）" in page and "下降超过 25%" in page


def test_the_worst_ten_page_explains_the_score_with_bounded_queries(world, client):
    village = world.villages[0]
    poor = _flagged(village, "0001", 1, housing_grade="D")
    IncomeYear.objects.filter(household=poor).update(net_income_per_capita=4800)
    _login(client, "village_cadre")
    url = reverse("households:worst_ten", args=[village.pk])
    counts = []
    for start, count in ((0, 5), (5, 300)):
        Household.objects.bulk_create(
            Household(village=village, number=f"W{n:05d}", head_name="某", member_count=1, category=Category.LIFTED)
            for n in range(start, start + count)
        )
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        counts.append(len(context))
    page = response.content.decode()
    assert "2025年人均纯收入 4,800.00 元（监测收入线 6,000 元） <span class=\"text-nowrap\">+40.0</span>" in page
    assert "住房D级危房" in page and "困难程度得分" in page
    assert len(response.context["lists"].lifted) == 10
    assert counts[0] == counts[1] <= 12, counts


def test_the_income_worksheet_saves_lines_and_shows_the_roster_figure(world, client):
    village = world.villages[0]
    make_household(village, number="0001", members=4, seq=1)  # 37,000 yuan for 4 people: 9,250 per capita
    _login(client, "village_cadre")
    url = reverse("households:income_estimate", args=[village.pk])
    page = client.get(url)
    assert page.context["roster"].per_capita is not None and "9,250.00" in page.content.decode()
    data = {"year": "2026", "note": "村委会测算"}
    for kind in ("crop", "livestock", "wage", "transfer", "other"):
        data |= {f"{kind}-TOTAL_FORMS": "2", f"{kind}-INITIAL_FORMS": "0", f"{kind}-MIN_NUM_FORMS": "0", f"{kind}-MAX_NUM_FORMS": "1000"}
    data |= {"crop-0-name": "玉米", "crop-0-area": "10", "crop-0-yield_per_mu": "600", "crop-0-price": "2", "crop-0-cost": "4000",
             "wage-0-name": "县外务工", "wage-0-people": "1", "wage-0-average_earnings": "24000"}
    assert client.post(url, {**data, "crop-0-price": "-2"}).status_code == 200
    assert not VillageIncomeEstimate.objects.exists()
    assert client.post(url, data).status_code == 302
    estimate = VillageIncomeEstimate.objects.get()
    assert [line["name"] for line in estimate.lines] == ["玉米", "县外务工"]
    assert (estimate.total, estimate.population, estimate.per_capita) == (32000, 4, 8000)
    page = client.get(url).content.decode()
    assert "8,000.00" in page and "10 亩 × 600 公斤/亩 × 2 元/公斤 − 成本 4,000 元" in page
    _login(client, "leader")
    assert client.post(url, data).status_code == 403
    assert "填写或修改测算" not in client.get(url).content.decode()


@pytest.mark.parametrize("role", ["leader", "supervision"])
def test_read_only_roles_see_but_cannot_decide(world, client, role):
    household = _flagged(world.villages[0], "0001", 1, housing_grade="D")
    screening_run(campaign=world.campaign)
    _login(client, role)
    page = client.get(reverse("households:screening_worklist")).content.decode()
    flag = ScreeningFlag.objects.get(household=household)
    url = reverse("households:screening_decide", args=[flag.pk])
    assert "住房安全等级为D级" in page and url not in page and "重新筛查" not in page
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(url, {"outcome": "include"}).status_code == 403


def test_a_row_fetches_its_decision_form_when_opened(world, client):
    """The worklist writes no forms: a row's “作出决定” fetches its own (hx-get), with
    “纳入监测” only where the household is not under monitoring, and the row an htmx
    decision returns shows the form again, open, with the error."""
    ordinary = _flagged(world.villages[0], "0001", 1, housing_grade="D")
    monitored = _flagged(world.villages[0], "0002", 2, housing_grade="D", category=Category.MONITORED)
    screening_run(campaign=world.campaign)
    ordinary_flag = ScreeningFlag.objects.get(household=ordinary, rule="dangerous_house")
    monitored_flag = ScreeningFlag.objects.get(household=monitored, rule="no_measure")
    _login(client, "village_cadre")
    page = client.get(reverse("households:screening_worklist") + "?rule=dangerous_house").content.decode()
    url = reverse("households:screening_decide", args=[ordinary_flag.pk])
    assert f'hx-get="{url}"' in page and "作出决定" in page and "保存决定" not in page
    assert reverse("households:household", args=[ordinary.pk]) in page
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert form.startswith("<form") and f'hx-post="{url}"' in form and 'value="include"' in form and "保存决定" in form
    form = client.get(reverse("households:screening_decide", args=[monitored_flag.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'value="include"' not in form and 'value="rectified"' in form
    row = client.post(url, {"outcome": "rectified", "reason": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "<details open>" in row and "请写明" in row and f'hx-post="{url}"' in row
    client.post(url, {"outcome": "include"}, HTTP_HX_REQUEST="true")
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "不能再更改" in form and "保存决定" not in form
    _login(client, "township_staff")  # township T1: villages[0] and [1], not the third
    elsewhere = _flagged(world.villages[2], "0003", 3, housing_grade="D")
    screening_run(campaign=world.campaign)
    flag = ScreeningFlag.objects.get(household=elsewhere)
    assert client.get(reverse("households:screening_decide", args=[flag.pk]), HTTP_HX_REQUEST="true").status_code == 404
