"""Suspect-data checks (疑点数据核查) over a snapshot of the national export or of
the roster: the nine families of `national-data-checks.md`, each check a numbered
rule with a Chinese description and, where it has one, a threshold from the
campaign's settings.

Every rule is one query over the snapshot's rows (filters, Exists and counting
subqueries), so the database does the work: the number of queries of a run
depends on the number of rules, not of people. Only the hits come back to
Python, where each gets its one-sentence explanation. Hits are kept across
snapshots of the same source: one no later snapshot has any more is "gone", and
a hit the village marked fixed is then verified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Length
from django.utils import timezone

from evalprep.core.counts import rows_changed
from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import mask_id_number
from evalprep.core.models import Campaign
from households.models import (
    HitStatus,
    NationalCheckHit,
    NationalCheckSettings,
    NationalPerson,
    NationalSnapshot,
    NationalVillageRow,
    NationalWorkSpell,
    SnapshotSource,
    SnapshotStatus,
)
from households.national import month_label

FAMILIES = {
    1: "身份与家庭结构",
    2: "必填项为空",
    3: "保障缺失未纳入监测（应纳未纳）",
    4: "监测流程",
    5: "风险、措施与成员相互印证",
    6: "年龄、在校与劳动力合理性",
    7: "收入与务工合理性",
    8: "土地与距离范围",
    9: "行政村信息",
}
YES, NO = "是", "否"
RISKS = ("risk1", "risk2", "risk3", "risk4", "risk5")
MEASURES = (
    "m_industry", "m_employment", "m_public_job", "m_finance", "m_health", "m_education", "m_compulsory_education",
    "m_housing", "m_water", "m_welfare", "m_social", "m_relocation", "m_conditions", "m_infrastructure",
)
DEVELOPMENT_MEASURES = ("m_industry", "m_employment", "m_public_job", "m_finance")
LABOUR = ("普通劳动力", "技能劳动力")
ANY_LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
NO_LABOUR = ("无劳动力", "丧失劳动力")
ILL = ("长期慢性病", "患大病")
MALE_ONLY = ("之子", "之女婿", "之孙子", "之外孙子", "之父", "之公公", "之岳父", "之祖父", "之叔伯", "之侄儿", "之曾孙子")
FEMALE_ONLY = ("之女", "之儿媳", "之孙女", "之外孙女", "之母", "之婆婆", "之岳母", "之祖母", "之侄女", "之曾孙女", "之兄弟媳妇")
PUPIL_STAGES = ("小学", "七年级", "八年级", "九年级", "普通高中", "中职", "高职高专", "本科")
LOW_EDUCATION = ("文盲或半文盲", "文盲", "半文盲", "小学")
# School stage → (youngest, oldest) plausible age at the reference date.
STAGE_AGES = (
    (("学龄前儿童", "学前教育"), 0, 6),
    (("小学",), 6, 13),
    (("七年级", "八年级", "九年级"), 11, 17),
    (("普通高中",), 14, 20),
    (("中职",), 14, 20),
    (("高职高专", "本科"), 18, 99),
    (("硕士生及以上",), 20, 99),
)
PERSON_VALUES = ("village_id", "village_name", "township_name", "household_number", "name", "id_number")


@dataclass
class CheckContext:
    snapshot: NationalSnapshot
    settings: NationalCheckSettings
    income_line: Decimal
    reference_date: date

    @property
    def persons(self) -> QuerySet[NationalPerson]:
        return NationalPerson.objects.filter(snapshot=self.snapshot)

    @property
    def households(self) -> QuerySet[NationalPerson]:
        return self.persons.filter(is_household_row=True)

    @property
    def work(self) -> QuerySet[NationalWorkSpell]:
        return NationalWorkSpell.objects.filter(snapshot=self.snapshot)

    def born_by(self, years: int) -> date:
        """The latest birth date of someone at least `years` old on the reference date."""
        ref = self.reference_date
        try:
            return ref.replace(year=ref.year - years)
        except ValueError:  # 29 February
            return ref.replace(year=ref.year - years, day=28)

    def age(self, born: date | None) -> int | None:
        if born is None:
            return None
        ref = self.reference_date
        return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))

    def age_q(self, low: int | None = None, high: int | None = None) -> Q:
        """low ≤ age ≤ high (either end open)."""
        q = Q(birth_date__isnull=False)
        if low is not None:
            q &= Q(birth_date__lte=self.born_by(low))
        if high is not None:
            q &= Q(birth_date__gt=self.born_by(high + 1))
        return q


@dataclass(frozen=True)
class Rule:
    code: str
    family: int
    title: str
    query: Callable[[CheckContext], QuerySet]
    explain: Callable[[dict, CheckContext], str]
    subject: str = "person"  # person, household, work or village
    threshold: Callable[[CheckContext], str] | None = None
    roster: bool = True

    @property
    def family_label(self) -> str:
        return FAMILIES[self.family]

    def threshold_text(self, ctx: CheckContext | None) -> str:
        return self.threshold(ctx) if self.threshold and ctx else ""


# Query helpers


def _empty(*fields: str) -> Q:
    q = Q()
    for name in fields:
        q &= Q(**{name: ""})
    return q


def _any_empty(*fields: str) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{name: ""})
    return q


def _risk(*kinds: str) -> Q:
    q = Q()
    for name in RISKS:
        q |= Q(**{f"{name}__in": kinds})
    return q


def _has(*measures: str) -> Q:
    q = Q()
    for name in measures:
        q |= ~Q(**{name: ""})
    return q


def _contains(field_name: str, *words: str) -> Q:
    q = Q()
    for word in words:
        q |= Q(**{f"{field_name}__contains": word})
    return q


def _number_missing(name: str) -> Q:
    return Q(**{f"{name}__isnull": True})


def _bad(name: str) -> Q:
    return Q(bad_values__contains=f",{name},")


def _member(ctx: CheckContext, q: Q) -> Exists:
    """Someone in the same household (of the same snapshot) matches q."""
    return Exists(ctx.persons.filter(household_number=OuterRef("household_number")).filter(q))


def _members(ctx: CheckContext, q: Q = Q()) -> Coalesce:
    inner = (
        ctx.persons.filter(household_number=OuterRef("household_number")).filter(q).order_by()
        .values("household_number").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(inner, output_field=IntegerField()), Value(0))


MONITORED = ~Q(monitoring_type="")
LIFTED_NOT_MONITORED = Q(household_type__contains="脱贫", monitoring_type="")
ELIMINATED = Q(risk_eliminated=YES)


def _persons(ctx: CheckContext, q: Q, *extra: str) -> QuerySet:
    return ctx.persons.filter(q).values(*PERSON_VALUES, *extra)


def _households(ctx: CheckContext, q: Q, *extra: str, **annotations) -> QuerySet:
    qs = ctx.households
    if annotations:
        qs = qs.annotate(**annotations)
    return qs.filter(q).values(*PERSON_VALUES, *extra, *annotations)


# Explanation helpers


def _who(row: dict) -> str:
    return f"{row.get('name') or '（无姓名）'}（户编号{row.get('household_number') or '空'}）"


def _hh(row: dict) -> str:
    return f"户编号{row.get('household_number') or '空'}（户主{row.get('name') or '未填'}）"


def _v(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _age_of(row: dict, ctx: CheckContext) -> str:
    age = ctx.age(row.get("birth_date"))
    return f"{age}岁" if age is not None else "年龄不详"


def _empties(row: dict, labels: dict[str, str]) -> str:
    return "、".join(label for name, label in labels.items() if row.get(name) in ("", None))


# Family 1: identity and household structure


def _dup_ids(ctx: CheckContext) -> QuerySet:
    dupes = ctx.persons.exclude(id_number="").values("id_number").annotate(n=Count("pk")).filter(n__gt=1).values("id_number")
    counts = ctx.persons.filter(id_number=OuterRef("id_number")).order_by().values("id_number").annotate(n=Count("pk")).values("n")
    return ctx.persons.filter(id_number__in=dupes).annotate(times=Subquery(counts, output_field=IntegerField())).values(
        *PERSON_VALUES, "times"
    )


def _spouse_same_sex(ctx: CheckContext) -> QuerySet:
    head_sex = ctx.persons.filter(household_number=OuterRef("household_number"), relation="户主").values("sex")[:1]
    return (
        ctx.persons.filter(relation="配偶").exclude(sex="").annotate(head_sex=Subquery(head_sex))
        .filter(head_sex=F("sex")).values(*PERSON_VALUES, "sex")
    )


_PERSON_REQUIRED = {"ethnicity": "民族", "health": "健康状况", "labour_skill": "劳动技能", "serious_illness_insurance": "是否参加大病保险"}
_HOUSE_REQUIRED = {
    "safe_water": "是否解决安全饮用水", "toilet": "是否有卫生厕所", "road_hardened": "入户道路是否硬化",
    "housing_area": "住房面积", "dangerous_house": "是否危房户",
}
_LAND_REQUIRED = {"farmland": "耕地面积", "forest": "林地面积", "pasture": "牧草地面积"}
_POST_FIELDS = {
    "post_out_of_school": "失学辍学", "post_house_damaged": "住房损毁", "post_uninsured": "成员未参保",
    "post_water_damaged": "饮水设施损毁",
}
_POST_REQUIRED = {
    **{name: f"风险消除后是否{label}" for name, label in _POST_FIELDS.items()},
    "post_wage": "风险消除后工资性收入", "post_property": "风险消除后财产性收入", "post_transfer": "风险消除后转移性收入",
    "post_business": "风险消除后生产经营性收入", "post_business_cost": "风险消除后生产经营性支出",
    "post_net": "风险消除后家庭纯收入", "post_per_capita": "风险消除后家庭人均纯收入", "post_claims": "风险消除后理赔收入",
    "post_out_of_pocket": "风险消除后合规自付支出",
}
_LAND_LIMITS = {"farmland": "耕地", "forest": "林地", "returned_forest": "退耕还林", "orchard": "林果", "pasture": "牧草地", "water_area": "水面"}


def _land_out_of_range(ctx: CheckContext) -> Q:
    s = ctx.settings
    q = Q()
    for name in _LAND_LIMITS:
        limit = s.forest_max if name in ("forest", "returned_forest") else s.land_max
        q |= Q(**{f"{name}__lt": 0}) | Q(**{f"{name}__gt": limit})
    return q


def _land_explain(row: dict, ctx: CheckContext) -> str:
    s = ctx.settings
    parts = []
    for name, label in _LAND_LIMITS.items():
        value = row.get(name)
        limit = s.forest_max if name in ("forest", "returned_forest") else s.land_max
        if value is not None and (value < 0 or value > limit):
            parts.append(f"{label}面积{_v(value)}亩")
    return f"{_hh(row)}的{'、'.join(parts)}，为负数或超过上限，请核实。"


def _stage_age_q(ctx: CheckContext) -> Q:
    q = Q()
    for stages, low, high in STAGE_AGES:
        q |= Q(schooling__in=stages) & ~ctx.age_q(low, high) & Q(birth_date__isnull=False)
    return q


def _labour_heavy(ctx: CheckContext) -> QuerySet:
    able = _members(ctx, Q(labour_skill__in=LABOUR))
    return (
        ctx.households.filter(_risk("缺劳动力"))
        .annotate(able=able, able4=ExpressionWrapper(able * 4, output_field=IntegerField()),
                  able2=ExpressionWrapper(able * 2, output_field=IntegerField()))
        .filter(Q(household_size__lt=4, able4__gt=F("household_size")) | Q(household_size__gte=4, able2__gt=F("household_size")))
        .values(*PERSON_VALUES, "able", "household_size")
    )


def _nobody_working(ctx: CheckContext) -> Q:
    """Nobody in the household has a work place or a work spell."""
    member_ids = ctx.persons.filter(household_number=OuterRef(OuterRef("household_number"))).values("id_number")
    return ~_member(ctx, ~Q(work_place="")) & ~Exists(ctx.work.filter(id_number__in=member_ids))


def _overlapping_spells(ctx: CheckContext) -> QuerySet:
    earlier = ctx.work.filter(
        id_number=OuterRef("id_number"), started_month__lt=OuterRef("started_month"),
    ).filter(Q(ended_month__isnull=True) | Q(ended_month__gt=OuterRef("started_month")))
    return ctx.work.filter(started_month__isnull=False).filter(Exists(earlier)).values(*PERSON_VALUES, "started_month")


def _shared_phone(ctx: CheckContext) -> QuerySet:
    shared = (
        ctx.households.exclude(household_phone="").values("household_phone")
        .annotate(n=Count("household_number", distinct=True)).filter(n__gt=1).values("household_phone")
    )
    return ctx.households.filter(household_phone__in=shared).values(*PERSON_VALUES, "household_phone")


def _village_values(ctx: CheckContext, q: Q, *extra: str) -> QuerySet:
    return NationalVillageRow.objects.filter(snapshot=ctx.snapshot).filter(q).values(
        "village_id", "village_name", "township_name", "pk", *extra
    )


def _village(row: dict) -> str:
    return f"{row.get('township_name', '')}{row.get('village_name') or '（未填村名）'}"


_FACILITIES = {"schools": "村小学", "clinics": "卫生室", "doctors": "执业医师", "public_toilets": "公共厕所", "refuse_points": "垃圾集中堆放点", "culture_rooms": "文化室"}
_VILLAGE_PEOPLE = {"minimum_living_households": "低保户数", "minimum_living_people": "低保人口数", "destitute_people": "特困供养人口数", "disabled_people": "残疾人口数"}
EXITED = Q(exited=YES)


def _phone_bad(ctx: CheckContext) -> Q:
    return ~Q(household_phone__regex=r"^1[3-9][0-9]{9}$")


RULES: tuple[Rule, ...] = (
    # 1. Identity and household structure
    Rule("1.01", 1, "证件号码位数不对（应为18、20或22位）",
         lambda c: c.persons.annotate(length=Length("id_number")).exclude(length__in=(18, 20, 22)).values(*PERSON_VALUES, "length"),
         lambda r, c: f"{_who(r)}的证件号码有{r['length']}位，应为18位身份证号或20/22位残疾人证号。"),
    Rule("1.02", 1, "身份证号校验码错误",
         lambda c: _persons(c, Q(id_check_ok=False)),
         lambda r, c: f"{_who(r)}的证件号码{mask_id_number(r['id_number'])}前18位校验码不对，可能录错了某一位。"),
    Rule("1.03", 1, "同一证件号码重复出现",
         _dup_ids,
         lambda r, c: f"{_who(r)}的证件号码{mask_id_number(r['id_number'])}在本次数据中出现{r['times']}次（同户重复或在两户中）。"),
    Rule("1.04", 1, "脱贫人口无身份证号（999999开头）",
         lambda c: _persons(c, Q(id_number__startswith="999999", household_type__contains="脱贫")),
         lambda r, c: f"{_who(r)}是脱贫人口，证件号码以999999开头（无证件号），须补录真实身份证号。", roster=False),
    Rule("1.05", 1, "残疾人证号但证件类型不是残疾人证",
         lambda c: c.persons.annotate(length=Length("id_number")).filter(length__in=(20, 22)).exclude(id_type__contains="残疾").values(*PERSON_VALUES, "id_type"),
         lambda r, c: f"{_who(r)}的证件号码是20/22位残疾人证号，证件类型却是“{_v(r['id_type'])}”。", roster=False),
    Rule("1.06", 1, "健康状况为残疾但无残疾人证号",
         lambda c: c.persons.annotate(length=Length("id_number")).filter(health="残疾").exclude(length__in=(20, 22)).values(*PERSON_VALUES),
         lambda r, c: f"{_who(r)}健康状况为残疾，证件号码却不是残疾人证号（20/22位）。", roster=False),
    Rule("1.07", 1, "与户主关系与性别矛盾",
         lambda c: _persons(c, Q(relation__in=MALE_ONLY, sex="女") | Q(relation__in=FEMALE_ONLY, sex="男"), "relation", "sex"),
         lambda r, c: f"{_who(r)}与户主关系为“{r['relation']}”，性别却是“{r['sex']}”。"),
    Rule("1.08", 1, "户主与配偶同性别",
         _spouse_same_sex,
         lambda r, c: f"{_who(r)}是户主的配偶，与户主同为“{r['sex']}”性。"),
    Rule("1.09", 1, "户内没有户主",
         lambda c: _households(c, Q(heads=0), heads=_members(c, Q(relation="户主"))),
         lambda r, c: f"{_hh(r)}没有一人的与户主关系是“户主”。", subject="household"),
    Rule("1.10", 1, "户内有多个户主",
         lambda c: _households(c, Q(heads__gt=1), heads=_members(c, Q(relation="户主"))),
         lambda r, c: f"{_hh(r)}有{r['heads']}人的与户主关系是“户主”，一户只能有一个户主。", subject="household"),
    Rule("1.11", 1, "与户主关系为空",
         lambda c: _persons(c, Q(relation="")),
         lambda r, c: f"{_who(r)}的与户主关系没有填写。"),
    # 2. Required fields left empty
    Rule("2.01", 2, "人员必填项为空（民族、健康状况、劳动技能、大病保险）",
         lambda c: _persons(c, _any_empty(*_PERSON_REQUIRED), *_PERSON_REQUIRED),
         lambda r, c: f"{_who(r)}的{_empties(r, _PERSON_REQUIRED)}没有填写。"),
    Rule("2.02", 2, "城乡居民和职工基本医疗保险均为空",
         lambda c: _persons(c, _empty("resident_medical", "employee_medical")),
         lambda r, c: f"{_who(r)}的“是否参加城乡居民基本医疗保险”和“是否参加城镇职工基本医疗保险”都没有填写。"),
    Rule("2.03", 2, "城乡居民和职工基本养老保险均为空",
         lambda c: _persons(c, _empty("resident_pension", "employee_pension")),
         lambda r, c: f"{_who(r)}的城乡居民和城镇职工基本养老保险两项都没有填写。", roster=False),
    Rule("2.04", 2, "文化程度、在校生状况、未上学原因均为空",
         lambda c: _persons(c, _empty("education", "schooling", "not_in_school_reason")),
         lambda r, c: f"{_who(r)}的文化程度、在校生状况和义务教育阶段未上学原因都没有填写。", roster=False),
    Rule("2.05", 2, "文化程度与在校生状况同时填写",
         lambda c: _persons(c, ~Q(education="") & ~Q(schooling=""), "education", "schooling"),
         lambda r, c: f"{_who(r)}同时填了文化程度“{r['education']}”和在校生状况“{r['schooling']}”，只能填其一。", roster=False),
    Rule("2.06", 2, "户联系电话缺失或不是11位手机号",
         lambda c: _households(c, _phone_bad(c), "household_phone"),
         lambda r, c: f"{_hh(r)}的户联系电话“{_v(r['household_phone'])}”不是11位手机号。", subject="household"),
    Rule("2.07", 2, "户基本情况必填项为空（饮水、厕所、道路、住房）",
         lambda c: _households(c, _any_empty(*(n for n in _HOUSE_REQUIRED if n != "housing_area")) | _number_missing("housing_area"), *_HOUSE_REQUIRED),
         lambda r, c: f"{_hh(r)}的{_empties(r, _HOUSE_REQUIRED)}没有填写。", subject="household", roster=False),
    Rule("2.08", 2, "与村主干路距离为空或不是数字",
         lambda c: _households(c, _number_missing("road_distance"), "bad_values"),
         lambda r, c: f"{_hh(r)}的与村主干路距离{'不是数字' if ',road_distance,' in r['bad_values'] else '没有填写'}。",
         subject="household", roster=False),
    Rule("2.09", 2, "耕地、林地、牧草地面积为空",
         lambda c: _households(c, _number_missing("farmland") | _number_missing("forest") | _number_missing("pasture"), *_LAND_REQUIRED),
         lambda r, c: f"{_hh(r)}的{_empties(r, _LAND_REQUIRED)}没有填写（没有请填0）。", subject="household", roster=False),
    Rule("2.10", 2, "监测对象致贫/返贫风险1为空",
         lambda c: _households(c, MONITORED & Q(risk1=""), "monitoring_type"),
         lambda r, c: f"{_hh(r)}是{r['monitoring_type']}，致贫/返贫风险1没有填写。", subject="household"),
    Rule("2.11", 2, "风险为“其他”或“因自然灾害”但无说明",
         lambda c: _households(c, _risk("其他", "因自然灾害") & Q(risk_note=""), *RISKS),
         lambda r, c: f"{_hh(r)}的风险含“{'、'.join(r[n] for n in RISKS if r[n] in ('其他', '因自然灾害'))}”，没有填写具体说明（子项）。",
         subject="household"),
    Rule("2.12", 2, "监测对象无信息采集人或其电话",
         lambda c: _households(c, MONITORED & _any_empty("collector", "collector_phone"), "collector", "collector_phone"),
         lambda r, c: f"{_hh(r)}是监测对象，信息采集人“{_v(r['collector'])}”或其电话“{_v(r['collector_phone'])}”没有填写。",
         subject="household", roster=False),
    # 3. Guarantee broken but not monitored (应纳未纳)
    Rule("3.01", 3, "脱贫户住房为危房但未纳入监测",
         lambda c: _households(c, LIFTED_NOT_MONITORED & Q(dangerous_house=YES)),
         lambda r, c: f"{_hh(r)}是脱贫户，是否危房户为“是”，却未纳入监测。", subject="household"),
    Rule("3.02", 3, "脱贫户饮水不安全但未纳入监测",
         lambda c: _households(c, LIFTED_NOT_MONITORED & Q(safe_water=NO)),
         lambda r, c: f"{_hh(r)}是脱贫户，未解决安全饮用水，却未纳入监测。", subject="household"),
    Rule("3.03", 3, "脱贫户有成员未参加大病保险但未纳入监测",
         lambda c: _persons(c, LIFTED_NOT_MONITORED & Q(serious_illness_insurance=NO)),
         lambda r, c: f"{_who(r)}是脱贫人口，未参加大病保险，其户却未纳入监测。"),
    Rule("3.04", 3, "义务教育年龄儿童无在校状况也无未上学原因（未监测）",
         lambda c: _persons(c, LIFTED_NOT_MONITORED & c.age_q(c.settings.school_age_min, c.settings.school_age_max - 1) & _empty("schooling", "not_in_school_reason"), "birth_date"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，既无在校生状况也无未上学原因，其脱贫户却未纳入监测。",
         threshold=lambda c: f"{c.settings.school_age_min}–{c.settings.school_age_max}岁"),
    Rule("3.05", 3, "脱贫户人均纯收入低于监测收入线但未纳入监测",
         lambda c: _households(c, LIFTED_NOT_MONITORED & Q(income_per_capita__lt=c.income_line), "income_per_capita"),
         lambda r, c: f"{_hh(r)}是脱贫户，人均纯收入{_v(r['income_per_capita'])}元，低于监测收入线{_v(c.income_line)}元，却未纳入监测。",
         subject="household", threshold=lambda c: f"{_v(c.income_line)}元/人·年"),
    # 4. Monitoring workflow
    Rule("4.01", 4, "风险已消除但仍有失学、危房、未参保或饮水设施损毁",
         lambda c: _households(c, MONITORED & ELIMINATED & (Q(post_out_of_school=YES) | Q(post_house_damaged=YES) | Q(post_uninsured=YES) | Q(post_water_damaged=YES)), *_POST_FIELDS),
         lambda r, c: f"{_hh(r)}已标记风险消除，但风险消除后仍有{'、'.join(label for n, label in _POST_FIELDS.items() if r[n] == YES)}。",
         subject="household", roster=False),
    Rule("4.02", 4, "风险已消除但“风险消除后”指标未填全",
         lambda c: _households(c, MONITORED & ELIMINATED & (_any_empty(*_POST_FIELDS) | Q(post_net__isnull=True) | Q(post_per_capita__isnull=True)), *_POST_REQUIRED),
         lambda r, c: f"{_hh(r)}已标记风险消除，{_empties(r, _POST_REQUIRED)}没有填写。", subject="household", roster=False),
    Rule("4.03", 4, "帮扶消除但帮扶措施全为空",
         lambda c: _households(c, MONITORED & ELIMINATED & Q(elimination_method__contains="帮扶") & ~_has(*MEASURES)),
         lambda r, c: f"{_hh(r)}风险消除方式为“帮扶消除”，各项帮扶措施却都是空的。", subject="household"),
    Rule("4.04", 4, "监测超过一个月仍无帮扶措施",
         lambda c: _households(c, MONITORED & ~ELIMINATED & Q(identified_month__lt=c.reference_date.year * 12 + c.reference_date.month - 1) & ~_has(*MEASURES), "identified_month"),
         lambda r, c: f"{_hh(r)}自{month_label(r['identified_month'])}识别为监测对象，至今没有任何帮扶措施。", subject="household"),
    Rule("4.05", 4, "识别监测到风险消除不足6个月",
         lambda c: _households(c, MONITORED & ELIMINATED & Q(eliminated_month__lt=F("identified_month") + 6), "identified_month", "eliminated_month"),
         lambda r, c: f"{_hh(r)}于{month_label(r['identified_month'])}识别、{month_label(r['eliminated_month'])}消除，监测不足6个月。",
         subject="household", threshold=lambda c: "6个月"),
    Rule("4.06", 4, "识别当月或次月即消除风险",
         lambda c: _households(c, MONITORED & ELIMINATED & Q(eliminated_month__lte=F("identified_month") + 1), "identified_month", "eliminated_month"),
         lambda r, c: f"{_hh(r)}于{month_label(r['identified_month'])}识别，{month_label(r['eliminated_month'])}即标记风险消除。",
         subject="household"),
    Rule("4.07", 4, "整户无劳动能力、风险未消除却未标记兜底保障户",
         lambda c: _households(c, MONITORED & ~ELIMINATED & Q(able=0) & ~Q(no_labour_household=YES), able=_members(c, ~Q(labour_skill__in=NO_LABOUR))),
         lambda r, c: f"{_hh(r)}全户无劳动力，风险未消除，却未标记为整户无劳动能力兜底保障户。", subject="household"),
    Rule("4.08", 4, "整户无劳动能力兜底保障户标记为风险已消除",
         lambda c: _households(c, MONITORED & ELIMINATED & Q(no_labour_household=YES)),
         lambda r, c: f"{_hh(r)}是整户无劳动能力兜底保障户，却标记了风险已消除。", subject="household"),
    # 5. Risk, measures and members must agree
    Rule("5.01", 5, "风险为因病但无患病成员",
         lambda c: _households(c, _risk("因病") & ~_member(c, Q(health__in=ILL))),
         lambda r, c: f"{_hh(r)}的风险为“因病”，户内却没有长期慢性病或患大病的成员。", subject="household"),
    Rule("5.02", 5, "风险为因病但无健康、社会或综合保障措施",
         lambda c: _households(c, _risk("因病") & ~_has("m_health", "m_social", "m_welfare")),
         lambda r, c: f"{_hh(r)}的风险为“因病”，健康帮扶、社会帮扶和综合保障都是空的。", subject="household"),
    Rule("5.03", 5, "风险为因学但无教育帮扶",
         lambda c: _households(c, _risk("因学") & ~_has("m_education", "m_compulsory_education")),
         lambda r, c: f"{_hh(r)}的风险为“因学”，教育帮扶和义务教育保障都是空的。", subject="household"),
    Rule("5.04", 5, "风险为因残但无残疾成员",
         lambda c: _households(c, _risk("因残") & ~_member(c, Q(health="残疾"))),
         lambda r, c: f"{_hh(r)}的风险为“因残”，户内却没有健康状况为残疾的成员。", subject="household"),
    Rule("5.05", 5, "风险为因残但无社会或综合保障措施",
         lambda c: _households(c, _risk("因残") & ~_has("m_social", "m_welfare")),
         lambda r, c: f"{_hh(r)}的风险为“因残”，社会帮扶和综合保障都是空的。", subject="household"),
    Rule("5.06", 5, "住房不安全但无住房安全保障措施",
         lambda c: _households(c, (_risk("因安全住房") | Q(dangerous_house=YES)) & Q(m_housing=""), "dangerous_house"),
         lambda r, c: f"{_hh(r)}{'是危房户' if r['dangerous_house'] == YES else '的风险为“因安全住房”'}，住房安全保障措施是空的。", subject="household"),
    Rule("5.07", 5, "饮水不安全但无饮水安全保障措施",
         lambda c: _households(c, (_risk("因安全饮水") | Q(safe_water=NO)) & Q(m_water="")),
         lambda r, c: f"{_hh(r)}饮水不安全，饮水安全保障措施是空的。", subject="household"),
    Rule("5.08", 5, "有成员未参加基本医疗保险但无健康帮扶",
         lambda c: _households(c, (Q(member_uninsured=YES) | _member(c, Q(resident_medical=NO) & ~Q(employee_medical=YES))) & Q(m_health="")),
         lambda r, c: f"{_hh(r)}有成员未参加基本医疗保险，健康帮扶措施是空的。", subject="household"),
    Rule("5.09", 5, "风险为缺劳动力但劳动力占比过高",
         _labour_heavy,
         lambda r, c: f"{_hh(r)}的风险为“缺劳动力”，{r['household_size']}口人中却有{r['able']}个普通或技能劳动力。",
         subject="household", threshold=lambda c: "超过1/4（4人及以上户超过1/2）"),
    Rule("5.10", 5, "风险为因务工就业不稳但无人有劳动力或务工记录",
         lambda c: _households(c, _risk("因务工就业不稳") & (Q(able=0) | _nobody_working(c)), able=_members(c, Q(labour_skill__in=ANY_LABOUR))),
         lambda r, c: f"{_hh(r)}的风险为“因务工就业不稳”，户内却{'没有劳动力' if r['able'] == 0 else '没有人有务工记录'}。", subject="household"),
    Rule("5.11", 5, "有低保措施但无成员享受低保",
         lambda c: _households(c, Q(m_welfare__contains="低保") & ~_member(c, Q(minimum_living__contains="低保") & ~Q(minimum_living__in=("未享受", "")))),
         lambda r, c: f"{_hh(r)}综合保障登记了低保，户内却没有成员享受低保。", subject="household"),
    Rule("5.12", 5, "有成员享受低保但无低保措施",
         lambda c: _households(c, _member(c, Q(minimum_living__in=("农村低保", "城市低保"))) & ~Q(m_welfare__contains="低保")),
         lambda r, c: f"{_hh(r)}有成员享受低保，综合保障中却没有低保。", subject="household"),
    Rule("5.13", 5, "有特困供养措施但无成员享受特困",
         lambda c: _households(c, Q(m_welfare__contains="特困") & ~_member(c, Q(destitute__in=("农村特困", "城市特困")))),
         lambda r, c: f"{_hh(r)}综合保障登记了特困供养，户内却没有成员享受特困供养。", subject="household"),
    Rule("5.14", 5, "有成员享受特困但无特困供养措施",
         lambda c: _households(c, _member(c, Q(destitute__in=("农村特困", "城市特困"))) & ~Q(m_welfare__contains="特困")),
         lambda r, c: f"{_hh(r)}有成员享受特困供养，综合保障中却没有特困供养。", subject="household"),
    Rule("5.15", 5, "有残疾人补贴但无残疾成员",
         lambda c: _households(c, Q(m_welfare__contains="残疾") & ~_member(c, Q(health="残疾"))),
         lambda r, c: f"{_hh(r)}综合保障登记了残疾人补贴，户内却没有残疾成员。", subject="household"),
    Rule("5.16", 5, "有就业或公益岗位帮扶但无人务工",
         lambda c: _households(c, _has("m_employment", "m_public_job") & _nobody_working(c) & ~_member(c, ~Q(public_welfare_job="") & ~Q(public_welfare_job=NO))),
         lambda r, c: f"{_hh(r)}登记了就业或公益岗位帮扶，户内却没有人务工或在公益性岗位。", subject="household"),
    Rule("5.17", 5, "有劳务输出或交通补助但无人县外务工",
         lambda c: _households(c, _contains("m_employment", "劳务输出", "交通", "外出务工补贴") & ~_member(c, _contains("work_place", "县外", "省外", "市外", "省内")), "m_employment"),
         lambda r, c: f"{_hh(r)}就业帮扶为“{r['m_employment']}”，户内却没有人在县外务工。", subject="household"),
    Rule("5.18", 5, "有劳动能力仅靠综合保障（一兜了之）",
         lambda c: _households(c, MONITORED & Q(able__gt=0) & ~Q(m_welfare="") & ~_has(*DEVELOPMENT_MEASURES), able=_members(c, Q(labour_skill__in=LABOUR))),
         lambda r, c: f"{_hh(r)}有{r['able']}个劳动力，却只有综合保障，没有产业、就业、公益岗位或金融帮扶。", subject="household"),
    Rule("5.19", 5, "登记了开发式帮扶措施但“尚未实施”",
         lambda c: _households(c, _has(*DEVELOPMENT_MEASURES) & Q(development_status__contains="尚未")),
         lambda r, c: f"{_hh(r)}登记了开发式帮扶措施，实施开发式帮扶措施情况却是“尚未实施”。", subject="household", roster=False),
    Rule("5.20", 5, "开发式帮扶措施仅为“其他”或“技能培训”",
         lambda c: _households(c, MONITORED & Q(m_employment__in=("其他", "技能培训")) & _empty("m_industry", "m_public_job", "m_finance"), "m_employment"),
         lambda r, c: f"{_hh(r)}的开发式帮扶措施只有就业帮扶“{r['m_employment']}”，不算实质性帮扶。", subject="household", roster=False),
    Rule("5.21", 5, "风险消除后：有就业帮扶但无工资性收入",
         lambda c: _households(c, ELIMINATED & ~Q(m_employment="") & (Q(post_wage__isnull=True) | Q(post_wage__lte=0)), "post_wage"),
         lambda r, c: f"{_hh(r)}有就业帮扶，风险消除后工资性收入却是{_v(r['post_wage'])}。", subject="household", roster=False),
    Rule("5.22", 5, "风险消除后：有低保、特困或残疾补贴但无转移性收入",
         lambda c: _households(c, ELIMINATED & _contains("m_welfare", "低保", "特困", "残疾") & (Q(post_transfer__isnull=True) | Q(post_transfer__lte=0)), "post_transfer", "m_welfare"),
         lambda r, c: f"{_hh(r)}综合保障有“{r['m_welfare']}”，风险消除后转移性收入却是{_v(r['post_transfer'])}。", subject="household", roster=False),
    Rule("5.23", 5, "风险消除后：有产业帮扶但无生产经营性收入",
         lambda c: _households(c, ELIMINATED & ~Q(m_industry="") & (Q(post_business__isnull=True) | Q(post_business__lte=0)), "post_business"),
         lambda r, c: f"{_hh(r)}有产业帮扶，风险消除后生产经营性收入却是{_v(r['post_business'])}。", subject="household", roster=False),
    Rule("5.24", 5, "风险消除后：因病风险但合规自付支出为零",
         lambda c: _households(c, ELIMINATED & _risk("因病") & (Q(post_out_of_pocket__isnull=True) | Q(post_out_of_pocket__lte=0)), "post_out_of_pocket"),
         lambda r, c: f"{_hh(r)}的风险为“因病”，风险消除后合规自付支出却是{_v(r['post_out_of_pocket'])}。", subject="household", roster=False),
    # 6. Age, schooling and labour plausibility
    Rule("6.01", 6, "未满劳动年龄却有劳动能力",
         lambda c: _persons(c, c.age_q(high=c.settings.working_age_min - 1) & Q(labour_skill__in=ANY_LABOUR), "birth_date", "labour_skill"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，劳动技能却是“{r['labour_skill']}”。",
         threshold=lambda c: f"{c.settings.working_age_min}岁"),
    Rule("6.02", 6, "劳动年龄内健康非在校却无劳动力或弱劳动力",
         lambda c: _persons(c, c.age_q(c.settings.working_age_min, c.settings.working_age_max) & Q(health="健康") & ~Q(schooling__in=PUPIL_STAGES) & Q(labour_skill__in=(*NO_LABOUR, "弱劳动力或半劳动力")), "birth_date", "labour_skill"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，身体健康、不在校，劳动技能却是“{r['labour_skill']}”。",
         threshold=lambda c: f"{c.settings.working_age_min}–{c.settings.working_age_max}岁"),
    Rule("6.03", 6, "超过劳动年龄仍为普通或技能劳动力",
         lambda c: _persons(c, c.age_q(low=c.settings.working_age_max + 1) & Q(labour_skill__in=LABOUR), "birth_date", "labour_skill"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，劳动技能却是“{r['labour_skill']}”。",
         threshold=lambda c: f"{c.settings.working_age_max}岁以上"),
    Rule("6.04", 6, "在校生被标为劳动力或在务工",
         lambda c: _persons(c, Q(schooling__in=PUPIL_STAGES) & (Q(labour_skill__in=LABOUR) | ~Q(work_place="")), "schooling", "labour_skill", "work_place"),
         lambda r, c: f"{_who(r)}是在校生（{r['schooling']}），劳动技能却是“{_v(r['labour_skill'])}”或务工所在地为“{_v(r['work_place'])}”。"),
    Rule("6.05", 6, "在校阶段与年龄不符",
         lambda c: _persons(c, _stage_age_q(c), "birth_date", "schooling"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，在校生状况却是“{r['schooling']}”。",
         threshold=lambda c: "小学6–13岁、初中11–17岁、高中/中职14–20岁、大专本科18岁起、硕士20岁起、学前7岁以下"),
    Rule("6.06", 6, "16–22岁文化程度为小学及以下",
         lambda c: _persons(c, c.age_q(16, 22) & Q(education__in=LOW_EDUCATION) & Q(schooling=""), "birth_date", "education"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，不在校，文化程度却是“{r['education']}”。", roster=False),
    Rule("6.07", 6, "中职或高职学生未享受雨露计划",
         lambda c: _persons(c, Q(schooling__in=("中职", "高职高专")) & ~_member(c, Q(m_education__contains="雨露计划")), "schooling"),
         lambda r, c: f"{_who(r)}在读{r['schooling']}，其户教育帮扶中却没有雨露计划。", roster=False),
    Rule("6.08", 6, "公益性岗位人员年龄不符",
         lambda c: _persons(c, ~Q(public_welfare_job__in=("", NO)) & (c.age_q(high=15) | c.age_q(low=c.settings.public_job_age_max + 1)), "birth_date"),
         lambda r, c: f"{_who(r)}{_age_of(r, c)}，却在公益性岗位上。",
         threshold=lambda c: f"16–{c.settings.public_job_age_max}岁", roster=False),
    Rule("6.09", 6, "公益性岗位未填月数",
         lambda c: _persons(c, ~Q(public_welfare_job__in=("", NO)) & (Q(public_welfare_job_months__isnull=True) | Q(public_welfare_job_months__lte=0))),
         lambda r, c: f"{_who(r)}在公益性岗位上，公益性岗位(月数)没有填写。", roster=False),
    Rule("6.10", 6, "一户三个及以上公益性岗位",
         lambda c: _households(c, Q(jobs__gte=3), jobs=_members(c, ~Q(public_welfare_job__in=("", NO)))),
         lambda r, c: f"{_hh(r)}有{r['jobs']}人在公益性岗位上。", subject="household", roster=False),
    Rule("6.11", 6, "大专以上或技能劳动力未就业",
         lambda c: _persons(c, c.age_q(c.settings.working_age_min, c.settings.working_age_max) & (Q(education__in=("大专", "本科及以上", "本科", "研究生")) | Q(labour_skill="技能劳动力")) & Q(schooling="") & Q(work_place="") & Q(public_welfare_job__in=("", NO)) & ~Exists(NationalWorkSpell.objects.filter(snapshot=OuterRef("snapshot"), id_number=OuterRef("id_number"))), "education", "labour_skill"),
         lambda r, c: f"{_who(r)}是{r['education'] or r['labour_skill']}，却没有务工所在地、务工记录或公益性岗位。", roster=False),
    # 7. Income and work plausibility
    Rule("7.01", 7, "务工月收入过低或过高",
         lambda c: c.work.filter(Q(monthly_income__lt=c.settings.monthly_wage_min) | Q(monthly_income__gt=c.settings.monthly_wage_max)).values(*PERSON_VALUES, "started_month", "monthly_income"),
         lambda r, c: f"{_who(r)}的务工月收入为{_v(r['monthly_income'])}元，不在{_v(c.settings.monthly_wage_min)}–{_v(c.settings.monthly_wage_max)}元之间。",
         subject="work", threshold=lambda c: f"{_v(c.settings.monthly_wage_min)}–{_v(c.settings.monthly_wage_max)}元", roster=False),
    Rule("7.02", 7, "识别时人均纯收入偏高",
         lambda c: _households(c, Q(income_per_capita__gt=c.settings.income_high), "income_per_capita"),
         lambda r, c: f"{_hh(r)}的人均纯收入{_v(r['income_per_capita'])}元，高于{_v(c.settings.income_high)}元。",
         subject="household", threshold=lambda c: f"{_v(c.settings.income_high)}元"),
    Rule("7.03", 7, "识别时人均纯收入偏低",
         lambda c: _households(c, Q(income_per_capita__lt=c.settings.income_low), "income_per_capita"),
         lambda r, c: f"{_hh(r)}的人均纯收入{_v(r['income_per_capita'])}元，低于{_v(c.settings.income_low)}元。",
         subject="household", threshold=lambda c: f"{_v(c.settings.income_low)}元"),
    Rule("7.04", 7, "工资性收入在0到100元之间",
         lambda c: _households(c, Q(wage_income__gt=0, wage_income__lt=100), "wage_income"),
         lambda r, c: f"{_hh(r)}的工资性收入只有{_v(r['wage_income'])}元。", subject="household", threshold=lambda c: "100元"),
    Rule("7.05", 7, "务工开始时间早于上一段结束时间",
         _overlapping_spells,
         lambda r, c: f"{_who(r)}{month_label(r['started_month'])}开始的务工，早于上一段务工的结束时间。", subject="work", roster=False),
    Rule("7.06", 7, "在岗务工信息不全",
         lambda c: c.work.filter(ended_month__isnull=True).exclude(is_working=NO).filter(Q(monthly_income__isnull=True) | _any_empty("employer", "industry", "channel", "point_to_point")).values(*PERSON_VALUES, "started_month", "employer", "industry", "channel", "point_to_point", "monthly_income"),
         lambda r, c: f"{_who(r)}正在务工，{_empties(r, {'monthly_income': '务工月收入', 'employer': '务工企业名称', 'industry': '所属行业', 'channel': '就业渠道', 'point_to_point': '是否点对点输送'})}没有填写。",
         subject="work", roster=False),
    Rule("7.07", 7, "务工地点未填到县",
         lambda c: c.work.exclude(is_working=NO).exclude(Q(work_county__endswith="县") | Q(work_county__endswith="区") | Q(work_county__endswith="市") | Q(work_county__endswith="旗")).values(*PERSON_VALUES, "started_month", "work_county"),
         lambda r, c: f"{_who(r)}的务工所在县为“{_v(r['work_county'])}”，没有具体到县（区、市、旗）。", subject="work", roster=False),
    Rule("7.08", 7, "长期外出务工从未返乡",
         lambda c: c.work.filter(ended_month__isnull=True, started_month__lte=c.settings.away_since_year * 12 + 12).values(*PERSON_VALUES, "started_month"),
         lambda r, c: f"{_who(r)}自{month_label(r['started_month'])}外出务工，至今没有结束时间。", subject="work",
         threshold=lambda c: f"{c.settings.away_since_year}年及以前", roster=False),
    Rule("7.09", 7, "同一手机号出现在不同户",
         _shared_phone,
         lambda r, c: f"{_hh(r)}的户联系电话{r['household_phone'][:3]}****{r['household_phone'][-4:]}也是其他户的联系电话。", subject="household"),
    # 8. Land and distance ranges
    Rule("8.01", 8, "土地面积为负或超过上限",
         lambda c: _households(c, _land_out_of_range(c), *_LAND_LIMITS),
         _land_explain, subject="household",
         threshold=lambda c: f"耕地等{_v(c.settings.land_max)}亩、林地{_v(c.settings.forest_max)}亩", roster=False),
    Rule("8.02", 8, "与村主干路距离过远",
         lambda c: _households(c, Q(road_distance__gt=c.settings.distance_max), "road_distance"),
         lambda r, c: f"{_hh(r)}与村主干路距离{_v(r['road_distance'])}公里，超过{_v(c.settings.distance_max)}公里。",
         subject="household", threshold=lambda c: f"{_v(c.settings.distance_max)}公里", roster=False),
    # 9. Village-level
    Rule("9.01", 9, "出列村总人口数为0或未填",
         lambda c: _village_values(c, EXITED & (Q(population__isnull=True) | Q(population__lte=0)), "population"),
         lambda r, c: f"{_village(r)}已出列，总人口数却是{_v(r['population'])}。", subject="village", roster=False),
    Rule("9.02", 9, "出列村无集体经济收入",
         lambda c: _village_values(c, EXITED & (Q(collective_income__isnull=True) | Q(collective_income__lte=0)), "collective_income"),
         lambda r, c: f"{_village(r)}已出列，村级集体经济收入却是{_v(r['collective_income'])}。", subject="village", roster=False),
    Rule("9.03", 9, "出列村设施数量未填",
         lambda c: _village_values(c, EXITED & _any_empty(*_FACILITIES), *_FACILITIES),
         lambda r, c: f"{_village(r)}的{_empties(r, _FACILITIES)}数量没有填写（没有请填0）。", subject="village", roster=False),
    Rule("9.04", 9, "出列村低保、特困、残疾人数未填",
         lambda c: _village_values(c, EXITED & _any_empty(*_VILLAGE_PEOPLE), *_VILLAGE_PEOPLE),
         lambda r, c: f"{_village(r)}的{_empties(r, _VILLAGE_PEOPLE)}没有填写（没有请填0）。", subject="village", roster=False),
    Rule("9.05", 9, "未饮水安全户数加危房户数超过总户数",
         lambda c: _village_values(c, Q(households_total__isnull=False) & Q(unsafe_water_households__isnull=False, dangerous_houses__isnull=False) & Q(households_total__lt=F("unsafe_water_households") + F("dangerous_houses")), "households_total", "unsafe_water_households", "dangerous_houses"),
         lambda r, c: f"{_village(r)}未实现饮水安全{_v(r['unsafe_water_households'])}户加危房{_v(r['dangerous_houses'])}户，超过总户数{_v(r['households_total'])}户。",
         subject="village", roster=False),
    Rule("9.06", 9, "出列村到乡镇未通硬化路",
         lambda c: _village_values(c, EXITED & Q(paved_road=NO)),
         lambda r, c: f"{_village(r)}到乡镇未通沥青（水泥）路。", subject="village", roster=False),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def check_settings_for(campaign: Campaign | None) -> NationalCheckSettings:
    if campaign is None:
        return NationalCheckSettings()
    found = NationalCheckSettings.objects.filter(campaign=campaign).first()
    return found or NationalCheckSettings(campaign=campaign)


def check_context(*, snapshot: NationalSnapshot, campaign: Campaign | None) -> CheckContext:
    reference = (campaign.reference_date if campaign and campaign.reference_date else None) or snapshot.taken_on
    return CheckContext(
        snapshot=snapshot, settings=check_settings_for(campaign),
        income_line=Decimal(campaign.monitoring_income_line) if campaign else Decimal(6000), reference_date=reference,
    )


def rules_for(snapshot: NationalSnapshot) -> tuple[Rule, ...]:
    """The rules a snapshot can answer: those that apply to its source and whose sheet it has. A snapshot
    without the person sheet says nothing about person hits (they are neither found nor gone)."""
    present = {
        "person": snapshot.persons > 0, "household": snapshot.persons > 0,
        "work": snapshot.work_spells > 0, "village": snapshot.village_rows > 0,
    }
    return tuple(
        rule for rule in RULES
        if present[rule.subject] and (snapshot.source == SnapshotSource.SYSTEM or rule.roster)
    )


def _subject_key(rule: Rule, row: dict) -> str:
    if rule.subject == "household":
        return row.get("household_number") or "（空户编号）"
    if rule.subject == "village":
        return f"{row.get('township_name', '')}/{row.get('village_name', '')}"[:60]
    if rule.subject == "work":
        return f"{row.get('id_number', '')}/{row.get('started_month') or ''}"[:60]
    return f"{row.get('household_number', '')}/{row.get('id_number', '')}"[:60]


def _jsonable(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if key in ("id_number", "pk", "village_id"):
            continue
        out[key] = str(value) if isinstance(value, (Decimal, date)) else value
    return out


@dataclass
class CheckFound:
    rule: Rule
    key: str
    row: dict
    explanation: str


def national_checks_find(
    ctx: CheckContext, rules: tuple[Rule, ...], *, timings: dict[str, float] | None = None
) -> dict[str, list[CheckFound]]:
    """Run every rule (one query each) and explain each hit; by rule code. `timings` gets seconds per rule."""
    found: dict[str, list[CheckFound]] = {}
    for rule in rules:
        started = time.perf_counter()
        seen: dict[str, CheckFound] = {}
        for row in rule.query(ctx):
            key = _subject_key(rule, row)
            if key not in seen:
                seen[key] = CheckFound(rule=rule, key=key, row=row, explanation=rule.explain(row, ctx)[:400])
        found[rule.code] = list(seen.values())
        if timings is not None:
            timings[rule.code] = time.perf_counter() - started
    return found


@dataclass
class CheckRunResult:
    snapshot: NationalSnapshot
    rules_run: int
    counts: dict[str, int]
    new: int
    gone: int
    reopened: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def national_checks_run(
    *, snapshot: NationalSnapshot, campaign: Campaign | None, timings: dict[str, float] | None = None
) -> CheckRunResult:
    """Run every rule over the snapshot and bring the county's hits of that source up to date."""
    if newer_snapshot_exists(snapshot):
        raise EvalprepError("已有更新的快照，只能对最新的一份快照重新核查（旧快照的结果保留在各条疑点的记录里）。")
    ctx = check_context(snapshot=snapshot, campaign=campaign)
    rules = rules_for(snapshot)
    found = national_checks_find(ctx, rules, timings=timings)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (hit.rule, hit.subject_key): hit
            for hit in NationalCheckHit.objects.filter(county_id=snapshot.county_id, source=snapshot.source).only(
                "pk", "rule", "subject_key", "status", "gone_snapshot_id", "explanation", "village_id"
            )
        }
        create, update, seen_pks = [], [], []
        reopened = 0
        for code, items in found.items():
            for item in items:
                row = item.row
                hit = existing.get((code, item.key))
                if hit is None:
                    create.append(NationalCheckHit(
                        county_id=snapshot.county_id, source=snapshot.source, rule=code, subject_key=item.key,
                        village_id=row.get("village_id"),
                        village_label=f"{row.get('township_name', '')}{row.get('village_name', '')}"[:60],
                        household_number=(row.get("household_number") or "")[:40], name=(row.get("name") or "")[:60],
                        id_number=(row.get("id_number") or "")[:40], explanation=item.explanation, values=_jsonable(row),
                        first_snapshot=snapshot, last_snapshot=snapshot,
                    ))
                    continue
                seen_pks.append(hit.pk)
                if hit.status == HitStatus.FIXED or hit.gone_snapshot_id or hit.explanation != item.explanation:
                    if hit.status == HitStatus.FIXED:
                        hit.status, hit.reopened = HitStatus.OPEN, True
                        reopened += 1
                    hit.explanation, hit.values, hit.gone_snapshot = item.explanation, _jsonable(row), None
                    hit.village_id = row.get("village_id")
                    update.append(hit)
        NationalCheckHit.objects.bulk_create(create, batch_size=500)
        if update:
            NationalCheckHit.objects.bulk_update(
                update, ["status", "reopened", "explanation", "values", "gone_snapshot", "village"], batch_size=500
            )
        for start in range(0, len(seen_pks), 5000):
            NationalCheckHit.objects.filter(pk__in=seen_pks[start:start + 5000]).update(last_snapshot=snapshot)
        gone = _hits_in_coverage(snapshot, ctx_rules=rules).exclude(last_snapshot=snapshot).filter(gone_snapshot__isnull=True)
        gone_count = gone.update(gone_snapshot=snapshot)
        rows_changed(NationalCheckHit)
        NationalSnapshot.objects.filter(pk=snapshot.pk).update(checks_run_at=now)
    counts = {code: len(items) for code, items in found.items()}
    return CheckRunResult(snapshot=snapshot, rules_run=len(rules), counts=counts, new=len(create), gone=gone_count, reopened=reopened)


def newer_snapshot_exists(snapshot: NationalSnapshot) -> bool:
    """A later ready snapshot of the same county and source (a re-run of an older one would undo what it found)."""
    return NationalSnapshot.objects.filter(
        county_id=snapshot.county_id, source=snapshot.source, status=SnapshotStatus.READY,
    ).filter(Q(taken_on__gt=snapshot.taken_on) | Q(taken_on=snapshot.taken_on, pk__gt=snapshot.pk)).exists()


def _hits_in_coverage(snapshot: NationalSnapshot, *, ctx_rules: tuple[Rule, ...]) -> QuerySet[NationalCheckHit]:
    """The hits a snapshot can speak for: same county and source, the rules run, its township if it has one."""
    hits = NationalCheckHit.objects.filter(
        county_id=snapshot.county_id, source=snapshot.source, rule__in=[rule.code for rule in ctx_rules]
    )
    if snapshot.township_id:
        hits = hits.filter(village__township_id=snapshot.township_id)
    return hits
