"""The screening rules, each with households just below, at and above its
threshold; re-runs that keep decisions; worst-ten lists; the income worksheet."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Village
from households.models import (
    Category,
    DecisionOutcome,
    Household,
    IncomeYear,
    Measure,
    MeasureType,
    Member,
    MonitoringEvent,
    MonitoringStep,
    ScreeningFlag,
    ScreeningRule,
    VillageIncomeEstimate,
)
from households.screening import (
    screening_decision_record,
    screening_run,
    screening_thresholds_for,
    village_income_estimate_save,
    village_roster_income,
    worst_ten,
)

_seq = iter(range(1, 10**6))


def household(village, number: str, *, category=Category.ORDINARY, incomes=(), members=None, **fields) -> Household:
    """A household with the given incomes ((year, per capita), …) and members (dicts of Member fields)."""
    members = members if members is not None else [{}]
    created = Household.objects.create(
        village=village, number=number, head_name=f"户主{number}", category=category,
        member_count=len(members) or 1, **fields,
    )
    for year, per_capita in incomes:
        IncomeYear.objects.create(
            household=created, year=year, household_size=len(members) or 1, net_income_per_capita=Decimal(per_capita)
        )
    for index, values in enumerate(members):
        Member.objects.create(**{
            "household": created, "name": f"成员{number}{index}", "id_number": f"T{next(_seq):017d}",
            "sex": "male", "birth_date": date(1980, 1, 1), "relation": "户主" if index == 0 else "其他", **values,
        })
    return created


def events(target: Household, *steps: tuple[str, date]) -> None:
    for step, on in steps:
        MonitoringEvent.objects.create(household=target, step=step, on=on, by_name="测试")


def hits(world, rule: str) -> dict[str, ScreeningFlag]:
    """Run the screening; the open flags of one rule by household number."""
    screening_run(campaign=world.campaign)
    flags = ScreeningFlag.objects.filter(rule=rule, resolved_at__isnull=True).select_related("household")
    return {flag.household.number: flag for flag in flags}


@pytest.fixture
def v1(world):
    return world.villages[0]


def test_it_flags_income_below_the_monitoring_line(world, v1):
    household(v1, "below", incomes=[(2025, "5999.99")])
    household(v1, "at", incomes=[(2025, "6000.00")])
    household(v1, "above", incomes=[(2025, "6000.01")])
    household(v1, "older_year_low", incomes=[(2024, "3000"), (2025, "9000")])
    household(v1, "after_campaign", incomes=[(2026, "9000"), (2027, "1000")])
    household(v1, "monitored", category=Category.MONITORED, incomes=[(2025, "3000")])
    eliminated = household(v1, "eliminated", category=Category.MONITORED, incomes=[(2025, "3000")])
    events(eliminated, (MonitoringStep.ELIMINATED, date(2025, 6, 1)))
    found = hits(world, ScreeningRule.LOW_INCOME)
    assert set(found) == {"below", "eliminated"}
    assert found["below"].explanation == "2025年人均纯收入 5,999.99 元，低于监测收入线 6,000 元"
    assert (found["below"].figure, found["below"].threshold) == (Decimal("5999.99"), Decimal("6000"))


def test_it_flags_income_down_by_more_than_the_share(world, v1):
    household(v1, "below", incomes=[(2024, "10000"), (2025, "6999.99")])
    household(v1, "at", incomes=[(2024, "10000"), (2025, "7000")])
    household(v1, "above", incomes=[(2024, "10000"), (2025, "7000.01")])
    household(v1, "steep", incomes=[(2024, "10000"), (2025, "6500")])
    household(v1, "gap", incomes=[(2023, "10000"), (2025, "5000")])  # no 2024 to compare with
    found = hits(world, ScreeningRule.INCOME_DROP)
    assert set(found) == {"below", "steep"}
    assert found["steep"].explanation == "2025年人均纯收入 6,500.00 元，比2024年（10,000.00 元）下降 35%，超过 30%"


def test_the_bureau_sets_the_share(world, v1):
    household(v1, "quarter", incomes=[(2024, "10000"), (2025, "7400")])
    thresholds = screening_thresholds_for(world.campaign)
    assert hits(world, ScreeningRule.INCOME_DROP) == {}
    thresholds.income_drop_share = Decimal("0.25")
    thresholds.save()
    assert set(hits(world, ScreeningRule.INCOME_DROP)) == {"quarter"}


def test_it_flags_income_down_two_years_in_a_row(world, v1):
    household(v1, "down_twice", incomes=[(2023, "9000"), (2024, "8500"), (2025, "8499.99")])
    household(v1, "flat_last_year", incomes=[(2023, "9000"), (2024, "8500"), (2025, "8500")])
    household(v1, "up_last_year", incomes=[(2023, "9000"), (2024, "8500"), (2025, "8500.01")])
    household(v1, "flat_first_year", incomes=[(2023, "8500"), (2024, "8500"), (2025, "8000")])
    found = hits(world, ScreeningRule.INCOME_DOWN_TWO_YEARS)
    assert set(found) == {"down_twice"}
    assert found["down_twice"].explanation == (
        "人均纯收入连续两年下降：2023年 9,000.00 元 → 2024年 8,500.00 元 → 2025年 8,499.99 元"
    )


def test_it_flags_lifted_households_growing_less_than_ten_percent(world, v1):
    household(v1, "below", category=Category.LIFTED, incomes=[(2024, "10000"), (2025, "10999.99")])
    household(v1, "at", category=Category.LIFTED, incomes=[(2024, "10000"), (2025, "11000")])
    household(v1, "above", category=Category.LIFTED, incomes=[(2024, "10000"), (2025, "11000.01")])
    household(v1, "fell", category=Category.LIFTED, incomes=[(2024, "10000"), (2025, "9500")])
    household(v1, "ordinary", incomes=[(2024, "10000"), (2025, "10000")])
    found = hits(world, ScreeningRule.LIFTED_LOW_GROWTH)
    assert set(found) == {"below", "fell"}
    assert found["fell"].explanation == (
        "脱贫户2025年人均纯收入 9,500.00 元，比2024年（10,000.00 元）反而下降 5%，低于最低增幅 10%"
    )


def test_it_flags_medical_costs_of_ten_thousand_or_more(world, v1):
    household(v1, "below", medical_out_of_pocket=Decimal("9999.99"))
    household(v1, "at", medical_out_of_pocket=Decimal("10000"))
    household(v1, "above", medical_out_of_pocket=Decimal("10000.01"))
    found = hits(world, ScreeningRule.MEDICAL_EXPENSE)
    assert set(found) == {"at", "above"}
    assert found["at"].explanation == "合规自付医疗支出 10,000.00 元，达到 10,000 元的提示线"


def test_it_flags_medical_costs_above_twice_last_years_rural_income(world, v1):
    thresholds = screening_thresholds_for(world.campaign)
    thresholds.medical_out_of_pocket = Decimal("50000")
    thresholds.rural_disposable_income_last_year = Decimal("17000")
    thresholds.save()
    household(v1, "below", medical_out_of_pocket=Decimal("33999.99"))
    household(v1, "at", medical_out_of_pocket=Decimal("34000"))
    household(v1, "above", medical_out_of_pocket=Decimal("34000.01"))
    found = hits(world, ScreeningRule.MEDICAL_EXPENSE)
    assert set(found) == {"above"}
    assert found["above"].explanation == (
        "合规自付医疗支出 34,000.01 元，超过上年度农村居民人均可支配收入（17,000 元）的2倍 34,000 元"
    )


@pytest.mark.parametrize("rule, since_field", [
    (ScreeningRule.NEW_MINIMUM_LIVING, "minimum_living_since"),
    (ScreeningRule.NEW_DESTITUTE_SUPPORT, "destitute_support_since"),
])
def test_it_flags_assistance_granted_in_the_campaign_year(world, v1, rule, since_field):
    household(v1, "year_before", **{since_field: date(2025, 12, 31)})
    household(v1, "first_day", **{since_field: date(2026, 1, 1)})
    household(v1, "last_day", **{since_field: date(2026, 12, 31)})
    household(v1, "year_after", **{since_field: date(2027, 1, 1)})
    found = hits(world, rule)
    assert set(found) == {"first_day", "last_day"}
    assert found["first_day"].explanation.startswith("2026年1月1日新纳入")


def test_it_flags_severe_disability_grades_one_and_two(world, v1):
    household(v1, "grade3", members=[{"disability_grade": 3}])
    household(v1, "grade2", members=[{"disability_grade": 2, "name": "王二"}])
    household(v1, "grade1", members=[{}, {"disability_grade": 1}, {"disability_grade": 2}])
    found = hits(world, ScreeningRule.SEVERE_DISABILITY)
    assert set(found) == {"grade2", "grade1"}
    assert found["grade2"].explanation == "成员 王二 为2级残疾（1–2级为重度残疾）"
    assert "等 2 人" in found["grade1"].explanation


def test_it_flags_dangerous_houses(world, v1):
    household(v1, "B", housing_grade="B")
    household(v1, "C", housing_grade="C")
    household(v1, "D", housing_grade="D")
    household(v1, "unknown")
    found = hits(world, ScreeningRule.DANGEROUS_HOUSE)
    assert set(found) == {"C", "D"}
    assert found["D"].explanation == "住房安全等级为D级（危房）"


def test_it_flags_compulsory_age_children_out_of_school(world, v1):
    # reference date: 31 December of the campaign year (2026)
    dropout = {"out_of_school": True}
    household(v1, "age17", members=[{}, {**dropout, "birth_date": date(2009, 12, 31)}])
    household(v1, "age16", members=[{}, {**dropout, "birth_date": date(2010, 1, 1), "name": "李小", "out_of_school_reason": "厌学"}])
    household(v1, "age6", members=[{}, {**dropout, "birth_date": date(2020, 12, 31)}])
    household(v1, "age5", members=[{}, {**dropout, "birth_date": date(2021, 1, 1)}])
    household(v1, "in_school", members=[{}, {"birth_date": date(2015, 5, 1)}])
    found = hits(world, ScreeningRule.OUT_OF_SCHOOL)
    assert set(found) == {"age16", "age6"}
    assert found["age16"].explanation == "成员 李小（16岁）义务教育阶段失学辍学，原因：厌学"


def test_it_flags_key_group_members_without_medical_insurance(world, v1):
    household(v1, "lifted_uninsured", category=Category.LIFTED, members=[{"medical_insurance": False, "name": "赵一"}])
    household(v1, "lifted_insured", category=Category.LIFTED, members=[{"medical_insurance": True}])
    household(v1, "lifted_unknown", category=Category.LIFTED, members=[{"medical_insurance": None}])
    household(v1, "monitored_uninsured", category=Category.MONITORED, members=[{"medical_insurance": False}])
    household(v1, "ordinary_uninsured", members=[{"medical_insurance": False}])
    found = hits(world, ScreeningRule.UNINSURED)
    assert set(found) == {"lifted_uninsured", "monitored_uninsured"}
    assert found["lifted_uninsured"].explanation == "脱贫户成员 赵一 未参加基本医疗保险（重点人群应全部参保）"


def test_it_flags_unsafe_water(world, v1):
    household(v1, "unsafe", water_safe=False, water_source="cellar")
    household(v1, "safe", water_safe=True)
    household(v1, "unknown", water_safe=None)
    found = hits(world, ScreeningRule.UNSAFE_WATER)
    assert set(found) == {"unsafe"}
    assert found["unsafe"].explanation == "饮水不安全（饮水来源：水窖）"


def test_it_flags_monitored_households_without_measures(world, v1):
    household(v1, "none", category=Category.MONITORED, monitoring_since=date(2026, 3, 1))
    helped = household(v1, "one", category=Category.MONITORED)
    Measure.objects.create(household=helped, kind=MeasureType.EMPLOYMENT, detail="公益岗位")
    eliminated = household(v1, "eliminated", category=Category.MONITORED)
    events(eliminated, (MonitoringStep.ELIMINATED, date(2026, 5, 1)))
    household(v1, "ordinary")
    found = hits(world, ScreeningRule.NO_MEASURE)
    assert set(found) == {"none"}
    assert found["none"].explanation == "监测户（2026年3月1日识别）没有任何帮扶措施"


def test_it_flags_labour_capable_households_helped_only_by_welfare(world, v1):
    def monitored(number: str, capacity: str, kinds: list[str]) -> None:
        target = household(v1, number, category=Category.MONITORED, members=[{"labour_capacity": capacity, "name": "钱壮"}])
        for kind in kinds:
            Measure.objects.create(household=target, kind=kind, detail=kind)

    monitored("welfare_worker", "普通劳动力", [MeasureType.WELFARE])
    monitored("welfare_skilled", "技能劳动力", [MeasureType.WELFARE])
    monitored("welfare_weak", "弱劳动力或半劳动力", [MeasureType.WELFARE])
    monitored("mixed", "普通劳动力", [MeasureType.WELFARE, MeasureType.EMPLOYMENT])
    monitored("no_measure", "普通劳动力", [])
    found = hits(world, ScreeningRule.WELFARE_ONLY)
    assert set(found) == {"welfare_worker", "welfare_skilled"}
    assert "一兜了之" in found["welfare_worker"].explanation and "钱壮" in found["welfare_worker"].explanation


def test_it_flags_eliminations_without_the_review_chain(world, v1):
    chain = [(MonitoringStep.VILLAGE_REVIEW, date(2026, 5, 1)), (MonitoringStep.TOWNSHIP_CHECK, date(2026, 5, 5)),
             (MonitoringStep.COUNTY_APPROVAL, date(2026, 5, 10))]
    complete = household(v1, "complete", category=Category.MONITORED)
    events(complete, *chain, (MonitoringStep.ELIMINATED, date(2026, 5, 10)))
    no_check = household(v1, "no_check", category=Category.MONITORED)
    events(no_check, chain[0], chain[2], (MonitoringStep.ELIMINATED, date(2026, 5, 12)))
    late = household(v1, "approved_after", category=Category.MONITORED)
    events(late, *chain, (MonitoringStep.ELIMINATED, date(2026, 5, 9)))
    found = hits(world, ScreeningRule.ELIMINATION_UNCHECKED)
    assert set(found) == {"no_check", "approved_after"}
    assert found["no_check"].explanation == "2026年5月12日标注风险消除，但此前缺少乡镇审核记录"
    assert found["approved_after"].explanation.endswith("缺少县级审定记录")


def test_a_decision_survives_a_rerun_and_a_flag_can_go_and_come_back(world, v1, django_user_model):
    target = household(v1, "water", water_safe=False)
    first = screening_run(campaign=world.campaign)
    assert first.counts[ScreeningRule.UNSAFE_WATER].new == 1
    flag = ScreeningFlag.objects.get(household=target, rule=ScreeningRule.UNSAFE_WATER)
    screening_decision_record(
        flag=flag, outcome=DecisionOutcome.RECTIFIED, reason="已接通自来水，待复核", user=world.users["village_cadre"],
        attachment=SimpleUploadedFile("照片.jpg", b"jpeg"),
    )
    second = screening_run(campaign=world.campaign)
    assert (second.counts[ScreeningRule.UNSAFE_WATER].found, second.counts[ScreeningRule.UNSAFE_WATER].new) == (1, 0)
    flag.refresh_from_db()
    assert flag.decision.reason == "已接通自来水，待复核" and flag.decision.attachment and flag.resolved_at is None

    Household.objects.filter(pk=target.pk).update(water_safe=True)
    third = screening_run(campaign=world.campaign)
    assert third.counts[ScreeningRule.UNSAFE_WATER].gone == 1
    flag.refresh_from_db()
    assert flag.resolved_at is not None and flag.decision.outcome == DecisionOutcome.RECTIFIED

    Household.objects.filter(pk=target.pk).update(water_safe=False)
    screening_run(campaign=world.campaign)
    flag.refresh_from_db()
    assert flag.resolved_at is None and flag.decision.outcome == DecisionOutcome.RECTIFIED
    assert ScreeningFlag.objects.count() == 1


def test_including_starts_the_monitoring_workflow_once(world, v1):
    target = household(v1, "poor", incomes=[(2025, "4000")], housing_grade="D")
    screening_run(campaign=world.campaign)
    low, house = (ScreeningFlag.objects.get(household=target, rule=r) for r in (ScreeningRule.LOW_INCOME, ScreeningRule.DANGEROUS_HOUSE))
    cadre = world.users["village_cadre"]
    screening_decision_record(flag=low, outcome=DecisionOutcome.INCLUDE, reason="", user=cadre, on=date(2026, 11, 1))
    screening_decision_record(flag=house, outcome=DecisionOutcome.INCLUDE, reason="", user=cadre, on=date(2026, 11, 2))
    event = MonitoringEvent.objects.get(household=target)
    assert (event.step, event.on, event.recorded_by) == (MonitoringStep.IDENTIFIED, date(2026, 11, 1), cadre)
    assert "低于监测收入线" in event.note
    with pytest.raises(EvalprepError, match="不能再更改"):
        screening_decision_record(flag=low, outcome=DecisionOutcome.NOT_INCLUDE, reason="弄错了", user=cadre)


def test_a_decision_needs_a_reason_unless_including_and_monitored_households_cannot_be_included(world, v1):
    monitored = household(v1, "m", category=Category.MONITORED, members=[{"medical_insurance": False}])
    screening_run(campaign=world.campaign)
    flag = ScreeningFlag.objects.get(household=monitored, rule=ScreeningRule.UNINSURED)
    cadre = world.users["village_cadre"]
    with pytest.raises(EvalprepError, match="理由"):
        screening_decision_record(flag=flag, outcome=DecisionOutcome.NOT_INCLUDE, reason="  ", user=cadre)
    with pytest.raises(EvalprepError, match="已是监测户"):
        screening_decision_record(flag=flag, outcome=DecisionOutcome.INCLUDE, reason="", user=cadre)
    decision = screening_decision_record(flag=flag, outcome=DecisionOutcome.RECTIFIED, reason="已补缴医保", user=cadre)
    decision = screening_decision_record(flag=flag, outcome=DecisionOutcome.RECTIFIED, reason="已补缴医保，附缴费凭证", user=cadre)
    assert [h.reason for h in decision.history.order_by("history_id")] == ["已补缴医保", "已补缴医保，附缴费凭证"]


def test_a_village_run_leaves_other_villages_alone(world):
    v1, v3 = world.villages[0], world.villages[2]
    household(v1, "a", housing_grade="D")
    other = household(v3, "b", housing_grade="D")
    screening_run(campaign=world.campaign)
    Household.objects.filter(pk=other.pk).update(housing_grade="A")
    result = screening_run(campaign=world.campaign, villages=[v1])
    assert result.counts[ScreeningRule.DANGEROUS_HOUSE].gone == 0 and result.run.scope == v1.name
    assert ScreeningFlag.objects.get(household=other).resolved_at is None
    screening_run(campaign=world.campaign, villages=Village.objects.filter(pk=v3.pk))
    assert ScreeningFlag.objects.get(household=other).resolved_at is not None


def test_a_flag_keeps_its_households_village(world):
    """The worklist filters flags by their own village: every way a flag is made or found
    again gives it its household's village, and so does migration 0006 for the flags before it."""
    v1, v3 = world.villages[0], world.villages[2]
    household(v1, "income", incomes=[(2025, "3000")])  # a rule over income rows
    other = household(v3, "house", housing_grade="D")  # a rule over households
    screening_run(campaign=world.campaign)
    flags = ScreeningFlag.objects.select_related("household")
    assert {f.rule for f in flags} >= {ScreeningRule.LOW_INCOME, ScreeningRule.DANGEROUS_HOUSE}
    assert all(f.village_id == f.household.village_id for f in flags)
    ScreeningFlag.objects.filter(household=other).update(village=v1)  # as if the household had moved
    screening_run(campaign=world.campaign, villages=[v3])
    assert set(ScreeningFlag.objects.filter(household=other).values_list("village", flat=True)) == {v3.pk}
    made = ScreeningFlag.objects.create(
        campaign=world.campaign, household=other, rule=ScreeningRule.UNSAFE_WATER,
        first_seen_at=timezone.now(), last_seen_at=timezone.now(), due_date=date(2026, 12, 1),
    )
    assert made.village_id == v3.pk
    ScreeningFlag.objects.update(village=world.villages[1])
    migration = importlib.import_module("households.migrations.0006_screeningflag_village")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL_VILLAGES)
    assert all(f.village_id == f.household.village_id for f in flags.all())


def test_a_run_costs_the_same_queries_for_few_or_many_households(world, v1):
    def many(start: int, count: int) -> None:
        Household.objects.bulk_create(
            Household(village=v1, number=f"N{n:05d}", head_name="某", member_count=1, housing_grade="D", water_safe=False,
                      category=Category.LIFTED if n % 2 else Category.MONITORED)
            for n in range(start, start + count)
        )
        created = list(Household.objects.filter(number__startswith="N", incomes__isnull=True).values_list("pk", flat=True))
        IncomeYear.objects.bulk_create(
            IncomeYear(household_id=pk, year=year, household_size=1, net_income_per_capita=per_capita)
            for pk in created for year, per_capita in ((2024, 9000), (2025, 5000))
        )
        Member.objects.bulk_create(
            Member(household_id=pk, name="某", id_number=f"Q{pk:017d}", sex="male", birth_date=date(2015, 1, 1),
                   relation="户主", out_of_school=True, medical_insurance=False, labour_capacity="普通劳动力")
            for pk in created
        )

    screening_thresholds_for(world.campaign)  # made with the defaults on the first run
    counts = []
    for start, count in ((0, 5), (5, 300)):
        many(start, count)
        with CaptureQueriesContext(connection) as queries:
            result = screening_run(campaign=world.campaign)
        counts.append(len(queries))
    assert result.counts[ScreeningRule.LOW_INCOME].found == 152  # the lifted half
    assert counts[0] == counts[1] <= 25, counts


def test_the_command_prints_counts_per_rule(world, v1, capsys):
    household(v1, "d", housing_grade="D")
    call_command("screen_households", "--village", v1.code)
    out = capsys.readouterr().out
    assert "住房为C/D级危房：发现 1，新增 1，消失 0，待决定 1" in out
    assert v1.name in out


def test_worst_ten_ranks_and_explains(world, v1):
    household(v1, "poor", incomes=[(2025, "5000")], housing_grade="D",
              members=[{"health": "患大病", "labour_capacity": "丧失劳动力"}])
    household(v1, "half_line", incomes=[(2025, "9000")], members=[{"labour_capacity": "普通劳动力"}])
    household(v1, "rich", incomes=[(2025, "30000")], members=[{"labour_capacity": "普通劳动力"}])
    household(v1, "no_income", members=[{"labour_capacity": "普通劳动力"}])
    for n in range(11):
        household(v1, f"L{n:02d}", category=Category.LIFTED, incomes=[(2025, str(7000 + n * 100))],
                  members=[{"labour_capacity": "普通劳动力"}])
    lists = worst_ten(village=v1, campaign=world.campaign)
    assert [row.household.number for row in lists.ordinary] == ["poor", "half_line", "rich", "no_income"]
    poor = lists.ordinary[0]
    assert poor.score == 40 + 20 + 15 + 10
    assert poor.parts[0] == ("2025年人均纯收入 5,000.00 元（监测收入线 6,000 元）", 40.0)
    assert lists.ordinary[1].score == pytest.approx(20.0)  # 9,000 is half-way between the line and twice the line
    assert len(lists.lifted) == 10 and lists.lifted[0].household.number == "L00"


def test_the_roster_income_is_weighted_by_household_size_and_the_worksheet_validates(world, v1):
    big = household(v1, "big", incomes=[(2024, "1"), (2025, "10000")], members=[{}, {}, {}])
    household(v1, "small", incomes=[(2025, "4000")])
    household(v1, "none")
    assert big.member_count == 3
    roster = village_roster_income(village=v1, year=2026)
    assert (roster.population, roster.people_with_income, roster.per_capita) == (5, 4, Decimal("8500.00"))

    lines = [
        {"kind": "crop", "name": "玉米", "area": "100", "yield_per_mu": "500", "price": "2.2", "cost": "40000"},
        {"kind": "livestock", "name": "肉牛", "head_sold": "10", "margin": "3000"},
        {"kind": "wage", "name": "县外务工", "people": "2", "average_earnings": "20000"},
        {"kind": "transfer", "name": "养老金低保", "amount": "5000"},
    ]
    estimate = village_income_estimate_save(
        village=v1, campaign=world.campaign, year=2026, lines=lines, note="", user=world.users["village_cadre"]
    )
    assert (estimate.total, estimate.population, estimate.per_capita) == (Decimal("145000.00"), 5, Decimal("29000.00"))
    with pytest.raises(Exception, match="负数"):
        village_income_estimate_save(
            village=v1, campaign=world.campaign, year=2026, note="", user=None,
            lines=[{"kind": "other", "name": "x", "amount": "-1"}],
        )
    assert VillageIncomeEstimate.objects.get().lines == lines


def test_it_takes_the_first_thresholds_from_the_framework_data(world, monkeypatch):
    from households import screening
    from indicators.services import framework_load
    from indicators.thresholds import Threshold

    framework_load(name="2022-inner-mongolia")
    world.campaign.framework = "2022-inner-mongolia"
    world.campaign.save()
    stated = screening.thresholds_for(world.campaign)
    assert stated["net_income_growth_min_pct"].value == 10
    assert stated["medical_out_of_pocket_near_threshold_yuan"].value == 10000
    # a province whose text said otherwise
    stated["net_income_growth_min_pct"] = Threshold("net_income_growth_min_pct", 12, "", "4.2", "收入")
    monkeypatch.setattr(screening, "thresholds_for", lambda campaign: stated)
    thresholds = screening.screening_thresholds_for(world.campaign)
    assert thresholds.lifted_growth_min == Decimal("0.12")
    assert thresholds.medical_out_of_pocket == Decimal("10000")
    thresholds.lifted_growth_min = Decimal("0.08")
    thresholds.save()
    assert screening.screening_thresholds_for(world.campaign).lifted_growth_min == Decimal("0.08")  # the bureau's edit stays
