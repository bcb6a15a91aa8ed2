import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from evalprep.core.demo import demo_county_seed
from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import FEMALE, MALE, parse_id_number
from evalprep.core.models import County, RelocationSite, Village
from households.demo import ROSTER_HEADERS, seed_households, write_sample_rosters
from households.models import (
    STEP_ORDER,
    Category,
    Household,
    HousingGrade,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    MonitoringStep,
    Relation,
    Risk,
)
from tests.factories import make_county

pytestmark = pytest.mark.django_db

COUNT = 400
# Relations whose sex is fixed.
MALE_RELATIONS = {
    Relation.SON, Relation.SON_IN_LAW, Relation.GRANDSON, Relation.DAUGHTERS_SON, Relation.FATHER,
    Relation.FATHER_IN_LAW_H, Relation.FATHER_IN_LAW_W, Relation.GRANDFATHER, Relation.UNCLE,
    Relation.NEPHEW, Relation.GREAT_GRANDSON,
}
FEMALE_RELATIONS = {
    Relation.DAUGHTER, Relation.DAUGHTER_IN_LAW, Relation.GRANDDAUGHTER, Relation.DAUGHTERS_DAUGHTER,
    Relation.MOTHER, Relation.MOTHER_IN_LAW_H, Relation.MOTHER_IN_LAW_W, Relation.GRANDMOTHER,
    Relation.SIBLING_IN_LAW, Relation.NIECE, Relation.GREAT_GRANDDAUGHTER,
}


@pytest.fixture
def county() -> County:
    """The core demo county, its households made through the hook it calls."""
    summary = demo_county_seed(seed=1, households=COUNT)
    assert summary.households == COUNT
    return County.objects.get(code="990101000000")


def _snapshot(county: County) -> list[tuple]:
    """Every value that should come out the same on a rerun, keyed by household number instead of primary key."""
    in_county = {"household__village__township__county": county}
    children = defaultdict(list)
    for model, fields in (
        (Member, None), (IncomeYear, None), (Risk, ("kind", "note", "identified_on")),
        (Measure, ("kind", "detail", "amount", "started_on", "provider")),
        (MonitoringEvent, ("step", "on", "by_name", "note", "recorded_at")),
    ):
        for row in model.objects.filter(**in_county).values("household__number", *(fields or ())):
            number = row.pop("household__number")
            row.pop("id", None)
            row.pop("household_id", None)
            children[(model.__name__, number)].append(tuple(sorted(row.items())))
    rows = []
    for household in Household.objects.filter(village__township__county=county).order_by("number").values():
        for name in ("id", "updated_at"):
            household.pop(name)
        number = household["number"]
        kinds = ("Member", "IncomeYear", "Risk", "Measure", "MonitoringEvent")
        rows.append((tuple(sorted(household.items())), *(sorted(children[(k, number)], key=repr) for k in kinds)))
    return rows


def test_it_fills_the_villages_with_numbered_households(county):
    households = Household.objects.filter(village__township__county=county).select_related("village", "group")

    assert households.count() == COUNT
    assert households.values("village").distinct().count() == Village.objects.filter(township__county=county).count()
    numbers = Counter()
    for household in households:
        assert household.number.startswith(household.village.code) and household.number[12:].isdigit()
        assert len(household.number) == 16
        assert household.group is not None and household.group.village_id == household.village_id
        assert household.member_count == household.members.count() >= 1
        numbers[household.number] += 1
    assert max(numbers.values()) == 1


def test_every_id_is_valid_unique_and_agrees_with_the_member(county):
    members = list(Member.objects.filter(household__village__township__county=county))

    assert len({m.id_number for m in members}) == len(members)
    for member in members:
        parsed = parse_id_number(member.id_number)
        assert parsed.region == "990101"
        assert (parsed.birth_date, parsed.sex) == (member.birth_date, member.sex)
        if member.relation in MALE_RELATIONS:
            assert member.sex == MALE, member.relation
        if member.relation in FEMALE_RELATIONS:
            assert member.sex == FEMALE, member.relation


def test_every_household_has_exactly_one_head_and_a_plausible_family(county):
    for household in Household.objects.filter(village__township__county=county).prefetch_related("members"):
        members = list(household.members.all())
        (head,) = [m for m in members if m.relation == Relation.HEAD]
        assert household.head_name == head.name
        for member in members:
            if member.relation == Relation.SPOUSE:
                assert member.sex != head.sex
            if member.relation in (Relation.SON, Relation.DAUGHTER):
                assert (member.birth_date - head.birth_date).days > 18 * 365
            if member.relation in (Relation.FATHER, Relation.MOTHER):
                assert (head.birth_date - member.birth_date).days > 18 * 365
    sizes = Counter(Household.objects.values_list("member_count", flat=True))
    assert min(sizes) >= 1 and max(sizes) <= 7
    assert 3 <= sum(size * n for size, n in sizes.items()) / COUNT <= 4


def test_the_category_mix_is_roughly_as_intended(county):
    households = Household.objects.filter(village__township__county=county)
    mix = Counter(households.values_list("category", flat=True))

    assert 0.27 <= mix[Category.LIFTED] / COUNT <= 0.33
    assert 0.04 <= mix[Category.MONITORED] / COUNT <= 0.08
    assert mix[Category.ORDINARY] == COUNT - mix[Category.LIFTED] - mix[Category.MONITORED]
    today = timezone.localdate()
    for household in households.filter(category=Category.MONITORED):
        assert household.monitoring_type
        assert today - timedelta(days=3 * 365 + 1) <= household.monitoring_since <= today
    assert not households.exclude(category=Category.MONITORED).exclude(monitoring_type="").exists()


def test_each_household_has_three_years_of_income_with_the_per_capita_derived(county):
    year = timezone.localdate().year
    incomes = IncomeYear.objects.filter(household__village__township__county=county).select_related("household")

    assert incomes.count() == 3 * COUNT
    assert set(incomes.values_list("year", flat=True)) == {year - 2, year - 1, year}
    for income in incomes:
        assert income.household_size == income.household.member_count
        assert income.net_income_per_capita == IncomeYear.per_capita(
            wage=income.wage, business=income.business, property_income=income.property_income,
            transfer=income.transfer, production_costs=income.production_costs, household_size=income.household_size,
        )
    latest = incomes.filter(year=year)
    lifted = [i.net_income_per_capita for i in latest.filter(household__category=Category.LIFTED)]
    assert sum(Decimal(8000) <= pc <= Decimal(20000) for pc in lifted) / len(lifted) > 0.8
    assert latest.filter(net_income_per_capita__lt=6000).exists()


def test_it_plants_problems_for_the_screening_to_find(county):
    members = Member.objects.filter(household__village__township__county=county)
    households = Household.objects.filter(village__township__county=county)
    year = timezone.localdate().year

    assert members.filter(out_of_school=True).exclude(out_of_school_reason="").exists()
    assert members.filter(out_of_school=True, out_of_school_reason="").exists()
    assert households.filter(housing_grade__in=[HousingGrade.C, HousingGrade.D]).exists()
    assert households.filter(water_safe=False).exists()
    assert members.filter(medical_insurance=False).exists()
    assert households.filter(category=Category.MONITORED, measures__isnull=True).exists()
    assert households.filter(medical_out_of_pocket__gte=10000).exists()
    assert households.filter(minimum_living=True, minimum_living_amount__gt=0).exists()
    falling = [
        h for h in households.prefetch_related("incomes")
        if (lambda by_year: by_year[year] < by_year[year - 1] * Decimal("0.8"))(
            {i.year: i.net_income_per_capita for i in h.incomes.all()}
        )
    ]
    assert falling


def test_monitored_households_have_risks_measures_and_the_workflow_in_order(county):
    monitored = Household.objects.filter(village__township__county=county, category=Category.MONITORED)

    assert all(h.risks.exists() for h in monitored)
    assert monitored.filter(measures__detail__in=["外出务工补贴", "公益性岗位（护林员）", "雨露计划", "农村低保"]).exists()
    eliminated = 0
    for household in monitored:
        events = list(household.monitoring_events.order_by("on", "pk"))
        steps = [e.step for e in events]
        assert steps == STEP_ORDER[: len(steps)] and len(steps) >= 2
        assert [e.on for e in events] == sorted(e.on for e in events)
        assert all(e.by_name for e in events)
        assert (MonitoringStep.ASSISTED in steps) == household.measures.exists()
        eliminated += MonitoringStep.ELIMINATED in steps
    assert eliminated >= 1


def test_some_households_live_at_the_relocation_sites(county):
    relocated = Household.objects.filter(relocation_site__county=county).select_related("relocation_site")

    assert relocated.exists()
    assert all(h.village_id == h.relocation_site.village_id for h in relocated)
    assert set(relocated.values_list("relocation_site", flat=True)) == set(
        RelocationSite.objects.filter(county=county).values_list("pk", flat=True)
    )


def test_rerunning_with_the_same_seed_leaves_the_same_data(county):
    before = _snapshot(county)

    seed_households(county=county, count=COUNT, rng=random.Random("households-1"))

    assert _snapshot(county) == before
    # The old rows and their history are gone, not piled up.
    assert Household.history.filter(village__township__county=county).count() == COUNT
    assert Member.history.count() == Member.objects.count()


def test_another_seed_gives_other_households(county):
    before = _snapshot(county)

    seed_households(county=county, count=COUNT, rng=random.Random("households-2"))

    assert Household.objects.filter(village__township__county=county).count() == COUNT
    assert _snapshot(county) != before


def test_it_leaves_other_counties_alone():
    other = make_county(code6="990202", name="乙县")
    seed_households(county=other, count=20, rng=random.Random(1))
    demo = make_county(code6="990303", name="丙县", villages_per_township=2)

    seed_households(county=demo, count=30, rng=random.Random(2))
    seed_households(county=demo, count=10, rng=random.Random(2))

    assert Household.objects.filter(village__township__county=other).count() == 20
    assert Household.objects.filter(village__township__county=demo).count() == 10
    assert Member.objects.filter(id_number__startswith="990202").count() == Member.objects.filter(
        household__village__township__county=other
    ).count()


def test_it_refuses_a_county_that_is_not_a_demo_county():
    real = make_county(code6="640104", name="兴庆区")

    with pytest.raises(EvalprepError, match="不是演示县"):
        seed_households(county=real, count=5, rng=random.Random(1))
    assert not Household.objects.exists()


def test_it_writes_sample_rosters_that_open(county, tmp_path):
    village = Village.objects.filter(township__county=county, households__category=Category.LIFTED).first()
    known = set(Member.objects.values_list("id_number", flat=True))
    numbers = set(village.households.values_list("number", flat=True))

    paths = write_sample_rosters(village=village, folder=tmp_path / "samples", rng=random.Random(3))

    assert [p.name for p in paths] == ["示例-规范花名册.xlsx", "示例-问题花名册.xlsx", "示例-全国系统导出.xlsx"]
    assert all(p.exists() and p.parent == tmp_path / "samples" for p in paths)
    clean = openpyxl.load_workbook(paths[0]).active
    assert [c.value for c in clean[1]] == list(ROSTER_HEADERS)
    ids = [row[6] for row in clean.iter_rows(min_row=2, values_only=True)]
    assert len(ids) > 60 and all(isinstance(v, str) for v in ids) and not known & set(ids)
    first_numbers = {row[0] for row in clean.iter_rows(min_row=2, values_only=True)}
    assert len(first_numbers) == 30 and not first_numbers & numbers

    messy = openpyxl.load_workbook(paths[1]).active
    assert "花名册" in messy["A1"].value and "A1" in {str(r).split(":")[0] for r in messy.merged_cells.ranges}
    assert [c.value for c in messy[3]] == list(ROSTER_HEADERS)
    messy_ids = [row[6] for row in messy.iter_rows(min_row=4, values_only=True) if row[5]]
    assert any(isinstance(v, float) for v in messy_ids)
    assert any(isinstance(v, str) and len(v.strip()) == 15 for v in messy_ids)
    assert messy.cell(row=messy.max_row, column=1).value.startswith("填表人：")

    national = openpyxl.load_workbook(paths[2]).active
    header = [c.value for c in national[3]]
    assert {"县", "乡", "村", "户编号", "证件号码", "识别监测时间"} <= set(header)
    exported = {row[header.index("户编号")] for row in national.iter_rows(min_row=4, values_only=True)}
    assert exported and exported <= numbers
