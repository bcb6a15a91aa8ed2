"""The roster as an Excel file: one row per person, in the import template's
column names, so that a village can edit it and upload it again."""

from collections.abc import Iterator

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.idnumber import mask_id_number, mask_phone
from evalprep.core.scoping import writable_villages
from households.models import Household, IncomeYear, Member

HEADERS = [
    "行政村", "户编号", "村民小组", "户类型", "监测对象类别", "姓名", "身份证号", "与户主关系", "性别", "出生日期",
    "联系电话", "健康状况", "残疾等级", "在校生状况", "义务教育阶段失学辍学", "参加基本医疗保险", "劳动技能",
    "务工地点", "住房安全等级", "饮水安全", "享受低保", "特困供养", "收入年度", "人均纯收入",
]
WIDTHS = [12, 18, 8, 8, 12, 8, 20, 10, 5, 11, 13, 10, 8, 10, 8, 8, 14, 8, 8, 6, 6, 6, 8, 10]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _rows(households: QuerySet[Household], writable: set[int]) -> Iterator[list]:
    latest = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    households = households.annotate(
        income_year=Subquery(latest.values("year")[:1]),
        income_per_capita=Subquery(latest.values("net_income_per_capita")[:1]),
    ).prefetch_related(Prefetch("members", queryset=Member.objects.order_by("pk")))
    for household in households.iterator(chunk_size=2000):
        reveal = household.village_id in writable
        members = sorted(household.members.all(), key=lambda m: m.relation != "户主")
        for member in members:
            yield [
                household.village.name, household.number, household.group.name if household.group else "",
                household.get_category_display(), household.get_monitoring_type_display(),
                member.name, member.id_number if reveal else mask_id_number(member.id_number),
                member.relation, member.get_sex_display(), member.birth_date,
                member.phone if reveal else mask_phone(member.phone), member.health,
                member.disability_grade or "", member.schooling, _yes_no(member.out_of_school),
                _yes_no(member.medical_insurance), member.labour_capacity, member.get_work_location_display(),
                household.housing_grade, _yes_no(household.water_safe), _yes_no(household.minimum_living),
                _yes_no(household.destitute_support), household.income_year or "",
                household.income_per_capita if household.income_per_capita is not None else "",
            ]


def roster_workbook(households: QuerySet[Household], *, reveal_for) -> tuple[bytes, int]:
    """The workbook and the number of households in it. ID numbers and phones
    are shown in full only for villages the user may change."""
    writable = set(writable_villages(reveal_for).values_list("pk", flat=True))
    count = households.count()
    content = workbook_bytes([SheetSpec("花名册", HEADERS, _rows(households, writable), WIDTHS)])
    return content, count
