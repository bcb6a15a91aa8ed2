"""账机一致: a snapshot against the roster, one test per kind of discrepancy."""

from datetime import date

import pytest

from households.models import DiscrepancyKind, MonitoringEvent, NationalDiscrepancy, Resolution
from households.national import national_snapshot_create, national_snapshot_import
from households.reconciliation import ReconciliationError, discrepancy_resolve, reconciliation_run
from tests.factories import make_household
from tests.households.national_builders import PERSON_HEADER, PERSON_TITLES, TAKEN_ON, person_row, write_sheet

pytestmark = pytest.mark.django_db


def system_rows(household, **cells) -> list[dict]:
    """The roster household as the national system would have it: same IDs, same values."""
    income = household.incomes.order_by("-year").first().net_income_per_capita
    return [
        person_row(household=household.number, relation=m.relation, sex=m.get_sex_display(), born=m.birth_date,
                   id_number=m.id_number, **{"姓名": m.name, "户联系电话": "13800001234", "人均纯收入（元）": str(income), **cells})
        for m in household.members.order_by("pk")
    ]


def reconcile(world, tmp_path, rows, name="a.xlsx"):
    path = write_sheet(tmp_path / name, PERSON_HEADER, rows, titles=PERSON_TITLES)
    snapshot = national_snapshot_create(county=world.county, township=None, taken_on=TAKEN_ON, uploads=[(path.name, path.read_bytes())], user=None)
    national_snapshot_import(snapshot=snapshot)
    reconciliation_run(snapshot=snapshot, campaign=world.campaign)
    return snapshot


def found(**filters) -> set[tuple]:
    return set(NationalDiscrepancy.objects.filter(gone_snapshot__isnull=True, **filters).values_list("kind", "field", "subject_key"))


@pytest.fixture
def roster(world):
    return [make_household(world.villages[0], number=f"99010100100000{n}", seq=n) for n in (1, 2)]


def test_it_finds_nothing_when_the_roster_and_the_system_agree(world, tmp_path, roster):
    reconcile(world, tmp_path, system_rows(roster[0]) + system_rows(roster[1]))
    assert found() == set()


def test_it_finds_a_household_only_in_the_roster(world, tmp_path, roster):
    reconcile(world, tmp_path, system_rows(roster[0]))
    assert found() == {(DiscrepancyKind.ONLY_ROSTER_HOUSEHOLD, "", roster[1].number)}
    item = NationalDiscrepancy.objects.get()
    assert item.village == world.villages[0] and item.deadline > date.today()
    assert item.explanation == f"户编号{roster[1].number}（户主{roster[1].head_name}）在花名册中，国家系统导出中没有此户。"


def test_it_finds_a_household_only_in_the_system(world, tmp_path, roster):
    extra = [person_row(household="990101001000099")]
    reconcile(world, tmp_path, system_rows(roster[0]) + system_rows(roster[1]) + extra)
    assert found() == {(DiscrepancyKind.ONLY_SYSTEM_HOUSEHOLD, "", "990101001000099")}


def test_it_finds_a_person_only_in_the_roster(world, tmp_path, roster):
    son = roster[1].members.get(relation="之子")
    reconcile(world, tmp_path, system_rows(roster[0]) + system_rows(roster[1])[:2])
    assert found() == {
        (DiscrepancyKind.ONLY_ROSTER_PERSON, "", son.id_number),
        (DiscrepancyKind.FIELD, "members", roster[1].number),
    }
    assert "花名册为“3”，国家系统为“2”" in NationalDiscrepancy.objects.get(field="members").explanation


def test_it_finds_a_person_only_in_the_system(world, tmp_path, roster):
    extra = person_row(household=roster[1].number, relation="之孙女", sex="女", born=date(2020, 1, 1), **{"户联系电话": "13800001234"})
    reconcile(world, tmp_path, system_rows(roster[0]) + system_rows(roster[1]) + [extra])
    assert found() == {
        (DiscrepancyKind.ONLY_SYSTEM_PERSON, "", extra["证件号码"]),
        (DiscrepancyKind.FIELD, "members", roster[1].number),
    }


def test_it_finds_field_differences_in_category_and_monitoring_type(world, tmp_path, roster):
    reconcile(world, tmp_path, system_rows(roster[0], **{"监测对象类别": "边缘易致贫户"}) + system_rows(roster[1]))
    assert found() == {(DiscrepancyKind.FIELD, "category", roster[0].number), (DiscrepancyKind.FIELD, "monitoring_type", roster[0].number)}
    assert "户类型：花名册为“脱贫户”，国家系统为“监测户”" in NationalDiscrepancy.objects.get(field="category").explanation


def test_it_finds_field_differences_in_income_housing_water_and_schooling(world, tmp_path, roster):
    household = roster[0]
    household.housing_grade, household.water_safe = "D", False
    household.save()
    member = household.members.get(relation="之子")
    member.out_of_school = True
    member.save()
    reconcile(world, tmp_path, system_rows(household, **{"人均纯收入（元）": "9000"}) + system_rows(roster[1]))
    fields = {field for _, field, _ in found()}
    assert fields == {"income_per_capita", "dangerous_house", "safe_water", "out_of_school"}
    assert "人均纯收入：花名册为“12333.33”，国家系统为“9000.00”" in NationalDiscrepancy.objects.get(field="income_per_capita").explanation


def test_it_finds_field_differences_in_risk_elimination_and_medical_insurance(world, tmp_path, roster):
    household = roster[0]
    household.category, household.monitoring_type = "monitored", "marginal"
    household.save()
    MonitoringEvent.objects.create(household=household, step="eliminated", on=date(2026, 5, 1), by_name="张书记")
    rows = system_rows(household, **{"户类型": "一般农户", "监测对象类别": "边缘易致贫户", "风险是否已消除": "否"})
    rows[1]["是否参加城乡居民基本医疗保险"] = "否"
    reconcile(world, tmp_path, rows + system_rows(roster[1]))
    spouse = household.members.get(relation="配偶")
    assert found() == {(DiscrepancyKind.FIELD, "risk_eliminated", household.number), (DiscrepancyKind.FIELD, "medical_insurance", spouse.id_number)}


def test_it_shows_on_a_later_snapshot_which_discrepancies_are_gone(world, tmp_path, roster):
    first = reconcile(world, tmp_path, system_rows(roster[0]))
    item = NationalDiscrepancy.objects.get()
    discrepancy_resolve(discrepancy=item, resolution=Resolution.SYSTEM_TO_FIX, note="", user=world.users["village_cadre"])
    second = reconcile(world, tmp_path, system_rows(roster[0]) + system_rows(roster[1]), name="b.xlsx")
    item.refresh_from_db()
    assert item.first_snapshot == first and item.gone_snapshot == second and item.resolution == Resolution.SYSTEM_TO_FIX


def test_it_wants_a_note_unless_the_system_is_to_be_fixed(world, tmp_path, roster):
    reconcile(world, tmp_path, system_rows(roster[0]))
    item = NationalDiscrepancy.objects.get()
    with pytest.raises(ReconciliationError, match="请填写处理说明"):
        discrepancy_resolve(discrepancy=item, resolution=Resolution.EXPLAINED, note=" ", user=world.users["village_cadre"])
    discrepancy_resolve(discrepancy=item, resolution=Resolution.ROSTER_FIXED, note="已删除重复户", user=world.users["village_cadre"])
    item.refresh_from_db()
    assert item.resolved_by == world.users["village_cadre"] and item.resolved_at and item.resolution_note == "已删除重复户"
