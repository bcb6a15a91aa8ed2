"""Synthetic households for the demo county, and sample roster files to try the import with.

Everything here is invented. ID numbers use the county's own division code as
region (99…: no province has it), so no generated number can belong to a real
person; names come from Faker('zh_CN'); phone numbers are random.

``seed_households`` REPLACES the county's households: it deletes every
household of the county's villages (with members, incomes, risks, measures,
monitoring events and their history rows) and creates ``count`` new ones. The
same ``rng`` state and count on the same day give the same rows (primary keys
aside): every value is drawn from ``rng`` in a fixed order that never depends
on what the database holds, and dates are counted back from today.

History: every household, member, income, risk and measure gets one
"created" history row dated the moment the seed ran, the row
``bulk_create_with_history`` would write, but copied inside the database
(INSERT … SELECT) because building them in Python doubled the time.
Monitoring events have no history model.

Planted problems, for the screening to find: compulsory-age children out of
school (with and without a reason), C/D housing, unsafe water, members without
medical insurance, monitored households without any measure, income falling
year on year, lifted households under the monitoring line, high out-of-pocket
medical costs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from simple_history.models import HistoricalChanges

from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import DISABILITY_GRADES, FEMALE, MALE, generate_id_number
from evalprep.core.models import County, RelocationSite, Village, VillageGroup
from households.models import (
    Category,
    HealthStatus,
    Household,
    HousingGrade,
    IncomeYear,
    LabourCapacity,
    Measure,
    MeasureType,
    Member,
    MonitoringEvent,
    MonitoringStep,
    MonitoringType,
    Relation,
    Risk,
    RiskType,
    SchoolingStage,
    WaterSource,
    WorkLocation,
)

BATCH_SIZE = 1000
CHUNK_HOUSEHOLDS = 2000  # households generated and written at a time, to bound memory
HISTORY_REASON = "演示数据"
# The three-digit sequence in an ID: seeded people use 000–899, the sample
# rosters 900–999, so importing a sample never meets a seeded person.
SEEDED_SEQUENCES = range(0, 900)
SAMPLE_SEQUENCES = range(900, 1000)

LIFTED_SHARE = 0.30
MONITORED_SHARE = 0.06
MONITORING_TYPE_WEIGHTS = {
    MonitoringType.UNSTABLE: 40, MonitoringType.MARGINAL: 45, MonitoringType.SUDDEN_HARDSHIP: 15,
}
HOUSEHOLD_SIZE_WEIGHTS = {1: 10, 2: 17, 3: 22, 4: 24, 5: 15, 6: 8, 7: 4}
ETHNICITY_WEIGHTS = {"汉族": 80, "回族": 14, "蒙古族": 3, "满族": 2, "土族": 1}
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "183", "185", "186",
    "187", "188", "189", "191", "199",
)

# Planted problems: (flag, share, at least, category it is drawn from; None = any household).
OUT_OF_SCHOOL = "out_of_school"
OUT_OF_SCHOOL_NO_REASON = "out_of_school_no_reason"
DANGEROUS_HOUSE = "dangerous_house"
UNSAFE_WATER = "unsafe_water"
UNINSURED = "uninsured"
INCOME_DROP = "income_drop"
HIGH_MEDICAL = "high_medical"
LOW_INCOME = "low_income"
NO_MEASURE = "no_measure"
ELIMINATED = "eliminated"
SCENARIOS: tuple[tuple[str, float, int, str | None], ...] = (
    (OUT_OF_SCHOOL, 0.002, 2, None),
    (OUT_OF_SCHOOL_NO_REASON, 0.002, 2, None),
    (DANGEROUS_HOUSE, 0.01, 3, None),
    (UNSAFE_WATER, 0.01, 3, None),
    (UNINSURED, 0.02, 3, None),
    (INCOME_DROP, 0.02, 3, None),
    (HIGH_MEDICAL, 0.015, 3, None),
    (LOW_INCOME, 0.02, 2, Category.LIFTED),
    (NO_MEASURE, 0.08, 1, Category.MONITORED),
    (ELIMINATED, 0.2, 1, Category.MONITORED),  # drawn from the monitored households that have measures
)
OUT_OF_SCHOOL_REASONS = ("因病休学", "重度残疾，无法随班就读", "厌学辍学，正在劝返")
SCHOOL_AGE = range(7, 16)

# Measures: kind, detail, amount range (yuan) or None, provider.
_M = tuple[str, str, tuple[int, int] | None, str]
M_HEALTH = (MeasureType.HEALTH, "先诊疗后付费", None, "县医疗保障局")
M_SERIOUS_ILLNESS = (MeasureType.HEALTH, "大病专项救治", None, "县卫生健康局")
M_DOCTOR = (MeasureType.HEALTH, "家庭医生签约服务", None, "县卫生健康局")
M_MEDICAL_AID = (MeasureType.HEALTH, "医疗救助", (2000, 15000), "县医疗保障局")
M_DISABILITY = (MeasureType.WELFARE, "残疾人两项补贴", (1200, 2400), "县残疾人联合会")
M_MINIMUM_LIVING = (MeasureType.WELFARE, "农村低保", None, "县民政局")
M_DESTITUTE = (MeasureType.WELFARE, "特困供养", None, "县民政局")
M_TEMPORARY = (MeasureType.WELFARE, "临时救助", (1000, 5000), "县民政局")
M_RAIN_DEW = (MeasureType.EDUCATION, "雨露计划", (3000, 3000), "县乡村振兴局")
M_STUDENT_AID = (MeasureType.EDUCATION, "教育资助（国家助学金）", (1000, 2500), "县教育局")
M_HOUSING = (MeasureType.HOUSING, "农村危房改造", (15000, 35000), "县住房和城乡建设局")
M_WATER = (MeasureType.WATER, "农村饮水安全巩固提升（入户管网改造）", None, "县农业农村和水务局")
M_TRAVEL = (MeasureType.EMPLOYMENT, "外出务工补贴", (500, 1000), "县人力资源和社会保障局")
M_LABOUR_EXPORT = (MeasureType.EMPLOYMENT, "劳务输出", None, "县就业创业服务中心")
M_TRAINING = (MeasureType.EMPLOYMENT, "技能培训", None, "县就业创业服务中心")
M_RANGER = (MeasureType.PUBLIC_WELFARE_JOB, "公益性岗位（护林员）", (9600, 12000), "县自然资源局")
M_CLEANER = (MeasureType.PUBLIC_WELFARE_JOB, "公益性岗位（保洁员）", (6000, 9600), "乡镇人民政府")
M_ROADS = (MeasureType.PUBLIC_WELFARE_JOB, "公益性岗位（护路员）", (6000, 9600), "县交通运输局")
M_CATTLE = (MeasureType.INDUSTRY, "到户产业奖补（养殖肉牛）", (3000, 8000), "县农业农村和水务局")
M_SHEEP = (MeasureType.INDUSTRY, "到户产业奖补（养殖滩羊）", (2000, 6000), "县农业农村和水务局")
M_CROPS = (MeasureType.INDUSTRY, "到户产业奖补（种植枸杞）", (1500, 4000), "县农业农村和水务局")
M_DIVIDEND = (MeasureType.INDUSTRY, "扶贫项目资产收益分红", (300, 1200), "村股份经济合作社")
M_CREDIT = (MeasureType.FINANCE, "脱贫人口小额信贷", (30000, 50000), "县农村信用合作联社")
M_INSURANCE = (MeasureType.FINANCE, "防返贫保险理赔", (2000, 20000), "县乡村振兴局")
M_PAIRING = (MeasureType.SOCIAL, "东西部协作消费帮扶", None, "县乡村振兴局")

RISK_NOTES = {
    RiskType.DISASTER: ("暴雨洪涝导致农作物绝收", "冰雹灾害导致果园受损", "山体滑坡导致圈舍损毁"),
    RiskType.ACCIDENT: ("户主务工时意外受伤", "家庭成员交通事故致伤", "房屋失火造成财产损失"),
    RiskType.OTHER: ("子女婚嫁支出较大", "家庭成员丧葬支出较大"),
}

ROSTER_HEADERS = (
    "户编号", "村民小组", "户类型", "监测对象类别", "识别监测时间", "姓名", "身份证号", "与户主关系", "性别",
    "出生日期", "民族", "联系电话", "健康状况", "残疾等级", "慢性病", "家庭医生签约", "在校生状况",
    "义务教育阶段失学辍学", "未上学原因", "参加基本医疗保险", "参加大病保险", "劳动技能", "务工地点", "住址",
    "户联系电话", "帮扶责任人", "帮扶责任人电话", "住房安全等级", "危房改造年度", "饮水来源", "饮水安全",
    "水质检测报告", "季节性缺水", "享受低保", "低保金", "特困供养", "特困供养金", "临时救助金额",
    "合规自付医疗支出", "收入年度", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
    "生产经营性支出", "人均纯收入", "致贫返贫风险", "帮扶措施",
)
NATIONAL_MEASURE_COLUMNS = (
    ("产业帮扶", MeasureType.INDUSTRY), ("就业帮扶", MeasureType.EMPLOYMENT),
    ("公益岗位帮扶", MeasureType.PUBLIC_WELFARE_JOB), ("金融帮扶", MeasureType.FINANCE),
    ("健康帮扶", MeasureType.HEALTH), ("教育帮扶", MeasureType.EDUCATION),
    ("住房安全保障", MeasureType.HOUSING), ("饮水安全保障", MeasureType.WATER),
    ("综合保障", MeasureType.WELFARE), ("社会帮扶", MeasureType.SOCIAL), ("搬迁", MeasureType.RELOCATION),
)
NATIONAL_HEADERS = (
    "序号", "县", "乡", "村", "户编号", "证件号码", "证件类型", "姓名", "与户主关系", "户类型", "监测对象类别",
    "性别", "民族", "出生日期", "文化程度", "在校生状况", "义务教育阶段未上学原因", "健康状况", "劳动技能",
    "务工所在地", "是否参加城乡居民基本医疗保险", "是否参加城镇职工基本医疗保险", "是否参加大病保险",
    "享受低保政策情况", "享受特困供养政策情况", "是否危房户", "是否解决安全饮用水", "是否通生活用电",
    "是否有卫生厕所", "人均纯收入（元）", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
    "生产经营性支出", "合规自付支出",
    "整户无劳动能力兜底保障户", "致贫/返贫风险1", "致贫/返贫风险2", "风险是否已消除", "识别监测时间",
    "风险消除方式", "消除监测时间", *(name for name, _ in NATIONAL_MEASURE_COLUMNS),
    "户联系电话", "家庭成员联系电话", "信息采集人", "信息采集人联系电话",
)
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


# --- seeding ----------------------------------------------------------------


def seed_households(*, county: County, count: int, rng: random.Random) -> int:
    """Replace the county's households with ``count`` synthetic ones; returns how many were made.

    Deletes every household of the county's villages first (with members,
    incomes, risks, measures, monitoring events and all their history rows),
    then creates the new ones in bulk, in one transaction. Only for demo
    counties: the division code must start with 99.
    """
    if count < 0:
        raise EvalprepError("演示农户数不能为负数。")
    if not county.code.startswith("99"):
        raise EvalprepError(f"{county.name}不是演示县（区划代码不以 99 开头），不能用演示农户替换其台账。")
    villages = list(
        Village.objects.filter(township__county=county).select_related("township").order_by("code")
    )
    if count and not villages:
        raise EvalprepError(f"{county.name}还没有行政村，无法生成演示农户。")
    groups: dict[int, list[VillageGroup]] = defaultdict(list)
    for group in VillageGroup.objects.filter(village__in=villages).order_by("village__code", "number"):
        groups[group.village_id].append(group)
    sites = {site.village_id: site for site in RelocationSite.objects.filter(county=county).order_by("name")}

    maker = _HouseholdMaker(rng=rng, region=county.code[:6], sequences=SEEDED_SEQUENCES)
    per_village = _spread(rng, villages, count)
    categories = _categories(rng, count)
    flags = _scenarios(rng, categories)
    with transaction.atomic():
        _county_households_delete(village_ids=[v.pk for v in villages])
        writer = _Writer()
        index = 0
        for village, village_count in zip(villages, per_village):
            site = sites.get(village.pk)
            relocated_left = site.households_planned if site else 0
            for number in range(1, village_count + 1):
                category = categories[index]
                relocate = (
                    relocated_left > 0
                    and DANGEROUS_HOUSE not in flags[index]
                    and category != Category.ORDINARY
                    and rng.random() < 0.6
                )
                relocated_left -= relocate
                writer.add(maker.household(
                    village=village, groups=groups[village.pk], number=f"{village.code}{number:04d}",
                    category=category, flags=flags[index], site=site if relocate else None,
                ))
                index += 1
        writer.flush()
        _history_write(village_ids=[v.pk for v in villages], when=timezone.now())
    return count


def _spread(rng: random.Random, villages: Sequence[Village], count: int) -> list[int]:
    """Households per village: weighted by a random size, lifted villages larger; sums to count."""
    if not villages:
        return []
    weights = [rng.uniform(0.6, 1.4) * (1.3 if v.is_lifted_village else 1.0) for v in villages]
    total = sum(weights)
    shares = [count * w / total for w in weights]
    result = [int(s) for s in shares]
    by_remainder = sorted(range(len(villages)), key=lambda i: (result[i] - shares[i], i))
    for i in by_remainder[: count - sum(result)]:
        result[i] += 1
    if max(result, default=0) > 9999:
        raise EvalprepError("每村最多 9999 户（户编号为村代码加 4 位顺序号），请减少演示农户数。")
    return result


def _categories(rng: random.Random, count: int) -> list[str]:
    lifted = round(count * LIFTED_SHARE)
    monitored = max(round(count * MONITORED_SHARE), 1 if count >= 10 else 0)
    categories = [Category.LIFTED] * lifted + [Category.MONITORED] * monitored
    categories += [Category.ORDINARY] * (count - len(categories))
    rng.shuffle(categories)
    return categories


def _scenarios(rng: random.Random, categories: Sequence[str]) -> list[set[str]]:
    """Which households carry which planted problem: a share of them, and at least a few."""
    flags: list[set[str]] = [set() for _ in categories]
    for flag, share, at_least, category in SCENARIOS:
        pool = [i for i, c in enumerate(categories) if category is None or c == category]
        if flag == ELIMINATED:
            pool = [i for i in pool if NO_MEASURE not in flags[i]]
        size = min(len(pool), max(at_least, round(share * len(pool))))
        for i in rng.sample(pool, size):
            flags[i].add(flag)
    return flags


def _county_households_delete(*, village_ids: list[int]) -> None:
    """Delete the villages' households and everything hanging off them, history included.

    The registry's own tables are cleared with one DELETE each: Django's
    cascade would load every row and write a "deleted" history row per row.
    Rows of other apps that point at these rows (none yet; screening flags or
    visit records may come) go first through the ORM: nulled where their
    foreign key is SET_NULL, deleted otherwise.
    """
    households = Household.objects.filter(village_id__in=village_ids)
    own = (MonitoringEvent, Measure, Risk, IncomeYear, Member)
    for model in (Household, *own):
        for relation in model._meta.get_fields(include_hidden=True):
            related = relation.related_model
            if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
                continue
            if related in own or related is Household or issubclass(related, HistoricalChanges):
                continue
            owners = households if model is Household else model._default_manager.filter(household__in=households)
            rows = related._default_manager.filter(**{f"{relation.field.name}__in": owners})
            if relation.on_delete is models.SET_NULL:
                rows.update(**{relation.field.name: None})
            else:
                rows.delete()
    for model in own:
        _raw_delete(model._default_manager.filter(household__in=households))
    _raw_delete(households)

    historical_households = Household.history.filter(village_id__in=village_ids).values("id")
    for model in (Measure, Risk, IncomeYear, Member):
        _raw_delete(model.history.filter(household_id__in=historical_households))
    _raw_delete(Household.history.filter(village_id__in=village_ids))


def _raw_delete(queryset: models.QuerySet) -> None:
    """One DELETE statement: no signals, so no history row per deleted row."""
    queryset._raw_delete(queryset.db)


@dataclass
class _Draft:
    """One household with its rows, not saved yet."""

    household: Household
    members: list[Member]
    incomes: list[IncomeYear] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    events: list[MonitoringEvent] = field(default_factory=list)


class _Writer:
    """Bulk-writes drafts a chunk at a time."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []

    def add(self, draft: _Draft) -> None:
        self.drafts.append(draft)
        if len(self.drafts) >= CHUNK_HOUSEHOLDS:
            self.flush()

    def flush(self) -> None:
        if not self.drafts:
            return
        Household.objects.bulk_create([d.household for d in self.drafts], batch_size=BATCH_SIZE)
        for name, model in (
            ("members", Member), ("incomes", IncomeYear), ("risks", Risk), ("measures", Measure),
            ("events", MonitoringEvent),
        ):
            model._default_manager.bulk_create(
                [row for d in self.drafts for row in getattr(d, name)], batch_size=BATCH_SIZE
            )
        self.drafts = []


def _history_write(*, village_ids: list[int], when: datetime) -> None:
    """One "created" history row per new row, as bulk_create_with_history would write it.

    The rows are copied inside the database, one INSERT … SELECT per table:
    building a historical instance per row in Python doubled the seeding time.
    """
    households = Household.objects.filter(village_id__in=village_ids)
    _history_copy(Household, households, when)
    for model in (Member, IncomeYear, Risk, Measure):
        _history_copy(model, model._default_manager.filter(household__in=households), when)


def _history_copy(model: type[models.Model], rows: models.QuerySet, when: datetime) -> None:
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = history.tracked_fields
    targets = [history._meta.get_field(f.name).column for f in tracked]
    extra = ("history_date", "history_change_reason", "history_type", "history_user")
    targets += [history._meta.get_field(name).column for name in extra]
    pks_sql, pks_params = rows.values("pk").query.sql_with_params()
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, targets))}) "
        f"SELECT {', '.join(quote(f.column) for f in tracked)}, %s, %s, %s, NULL "
        f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({pks_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(when), HISTORY_REASON, "+", *pks_params])


# --- one household ----------------------------------------------------------


class _IdNumbers:
    """Valid synthetic IDs, unique across the county: a counter per birth date and sex."""

    def __init__(self, region: str, sequences: range, taken: Iterable[str] = ()) -> None:
        self.region = region
        self.sequences = sequences
        self.taken = set(taken)
        self._used: dict[tuple[date, str], int] = defaultdict(int)

    def new(self, birth_date: date, sex: str) -> tuple[str, date]:
        """An ID and the birth date it encodes (a day earlier if that date's numbers ran out)."""
        while True:
            index = self._used[(birth_date, sex)]
            sequence = self.sequences.start + 2 * index + (1 if sex == MALE else 0)
            if sequence >= self.sequences.stop:
                birth_date -= timedelta(days=1)
                continue
            self._used[(birth_date, sex)] += 1
            id_number = generate_id_number(region=self.region, birth_date=birth_date, sex=sex, sequence=sequence)
            if id_number not in self.taken:
                return id_number, birth_date


@dataclass
class _Person:
    relation: str
    sex: str
    age: int
    surname: str = ""


class _HouseholdMaker:
    """Draws plausible households from one random stream; knows today and the income years."""

    def __init__(self, *, rng: random.Random, region: str, sequences: range, taken: Iterable[str] = ()) -> None:
        self.rng = rng
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(rng.getrandbits(64))
        self.ids = _IdNumbers(region, sequences, taken)
        self.today = timezone.localdate()
        self.years = (self.today.year - 2, self.today.year - 1, self.today.year)
        self._cadres: dict[tuple[str, int], tuple[str, str]] = {}
        self._helpers: dict[int, list[tuple[str, str]]] = defaultdict(list)
        self._helped: dict[int, int] = defaultdict(int)

    # The household as a whole.

    def household(
        self, *, village: Village, groups: Sequence[VillageGroup], number: str, category: str,
        flags: set[str], site: RelocationSite | None,
    ) -> _Draft:
        rng = self.rng
        group = rng.choice(groups) if groups else None
        monitoring_type = ""
        since = None
        if category == Category.MONITORED:
            monitoring_type = rng.choices(list(MONITORING_TYPE_WEIGHTS), list(MONITORING_TYPE_WEIGHTS.values()))[0]
            earliest = 300 if ELIMINATED in flags else 40
            since = self.today - timedelta(days=rng.randint(earliest, 3 * 365))
        household = Household(
            village=village, group=group, number=number, category=category, monitoring_type=monitoring_type,
            monitoring_since=since, relocation_site=site,
        )
        members = self._members(household, flags)
        household.member_count = len(members)
        household.head_name = members[0].name
        household.phone = next((m.phone for m in members if m.phone), "") or self._phone()
        members[0].phone = members[0].phone or household.phone
        household.address = self._address(village, group, number, site)
        if category != Category.ORDINARY:
            household.helper_name, household.helper_phone = self._helper(village)
        self._guarantees(household, members, flags)
        draft = _Draft(household=household, members=members)
        if category == Category.MONITORED:
            self._monitored_risks(draft)
        elif category == Category.LIFTED and rng.random() < 0.08:
            self._lifted_risk(draft)
        if NO_MEASURE not in flags:
            self._measures(draft)
        household.no_labour_household = category != Category.ORDINARY and not any(
            m.labour_capacity in (LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK)
            for m in members
        )
        self._incomes(draft, flags)
        if category == Category.MONITORED:
            self._events(draft, village, eliminated=ELIMINATED in flags)
        return draft

    def _address(self, village: Village, group: VillageGroup | None, number: str, site: RelocationSite | None) -> str:
        rng = self.rng
        if site is not None:
            return (
                f"{village.township.name}{site.name}{rng.randint(1, 24)}号楼"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
            )
        return f"{village.township.name}{village.name}{group.name if group else ''}{int(number[-4:])}号"

    def _guarantees(self, household: Household, members: list[Member], flags: set[str]) -> None:
        rng, category = self.rng, household.category
        household.housing_grade = rng.choices([HousingGrade.A, HousingGrade.B], [75, 25])[0]
        if category != Category.ORDINARY and rng.random() < 0.25:
            household.housing_renovated_year = rng.randint(2016, 2020)
        if DANGEROUS_HOUSE in flags:
            household.housing_grade = rng.choice([HousingGrade.C, HousingGrade.C, HousingGrade.D])
            household.housing_renovated_year = None
        if household.relocation_site_id:
            household.housing_grade = HousingGrade.A
            household.water_source = WaterSource.PIPED
        else:
            household.water_source = rng.choices(
                [WaterSource.PIPED, WaterSource.WELL, WaterSource.SPRING, WaterSource.CELLAR, WaterSource.OTHER],
                [80, 9, 5, 5, 1],
            )[0]
        household.water_safe = UNSAFE_WATER not in flags
        household.water_quality_report = household.water_safe and (
            household.water_source == WaterSource.PIPED or rng.random() < 0.5
        )
        household.water_seasonal_shortage = household.water_source in (WaterSource.SPRING, WaterSource.CELLAR) and (
            rng.random() < 0.4 or not household.water_safe
        )
        alone = members[0] if len(members) == 1 else None
        elder_alone = alone is not None and (_age(alone.birth_date, self.today) >= 60 or alone.disability_grade)
        if category != Category.ORDINARY and elder_alone and rng.random() < 0.45:
            household.destitute_support = True
            household.destitute_support_amount = Decimal(rng.randrange(9000, 13000, 100))
            household.destitute_support_since = self._date_since(years=8)
        elif rng.random() < {Category.LIFTED: 0.16, Category.MONITORED: 0.35}.get(category, 0.015):
            covered = len(members) if rng.random() < 0.7 else rng.randint(1, len(members))
            monthly = rng.choice((280, 320, 360, 420, 480, 520))
            household.minimum_living = True
            household.minimum_living_amount = Decimal(covered * monthly * 12)
            household.minimum_living_since = self._date_since(years=8)
        temporary = 0.7 if household.monitoring_type == MonitoringType.SUDDEN_HARDSHIP else (
            0.15 if category == Category.MONITORED else 0.01
        )
        if rng.random() < temporary:
            household.temporary_assistance_amount = Decimal(rng.choice((1000, 1500, 2000, 3000, 5000)))
        ill = sum(m.health in (HealthStatus.SERIOUS, HealthStatus.CHRONIC) for m in members)
        if HIGH_MEDICAL in flags:
            household.medical_out_of_pocket = Decimal(rng.randrange(10000, 60000, 10))
        elif ill:
            household.medical_out_of_pocket = Decimal(rng.randrange(300, 6000 + 1500 * ill, 10))
        elif rng.random() < 0.35:
            household.medical_out_of_pocket = Decimal(rng.randrange(0, 1500, 10))

    def _date_since(self, *, years: int) -> date:
        return self.today - timedelta(days=self.rng.randint(60, years * 365))

    # Members.

    def _members(self, household: Household, flags: set[str]) -> list[Member]:
        rng = self.rng
        school_child = bool(flags & {OUT_OF_SCHOOL, OUT_OF_SCHOOL_NO_REASON})
        size = rng.choices(list(HOUSEHOLD_SIZE_WEIGHTS), list(HOUSEHOLD_SIZE_WEIGHTS.values()))[0]
        people = _family(rng, max(size, 3) if school_child else size, school_child=school_child)
        self._surnames(people)
        ethnicity = rng.choices(list(ETHNICITY_WEIGHTS), list(ETHNICITY_WEIGHTS.values()))[0]
        members: list[Member] = []
        names: set[str] = set()
        for person in people:
            birth = _birth_date(rng, self.today, person.age)
            id_number, birth = self.ids.new(birth, person.sex)
            name = self._name(person, names)
            member = Member(
                household=household, name=name, id_number=id_number, sex=person.sex, birth_date=birth,
                relation=person.relation,
                ethnicity=ethnicity if rng.random() < 0.95 else rng.choice(list(ETHNICITY_WEIGHTS)),
            )
            self._health(member, household.category)
            members.append(member)
        self._plant_member_problems(members, flags)
        for member in members:
            self._schooling_and_work(member)
        return members

    def _surnames(self, people: list[_Person]) -> None:
        """Children carry the father's surname; spouses, in-laws and mothers their own."""
        head, *others = people
        head.surname = self.fake.last_name()
        spouse = next((p for p in others if p.relation == Relation.SPOUSE), None)
        if spouse is not None:
            spouse.surname = self._other_surname(head.surname)
        father_line = head.surname if head.sex == MALE or spouse is None else spouse.surname
        son_in_law = next((p for p in others if p.relation == Relation.SON_IN_LAW), None)
        if son_in_law is not None:
            son_in_law.surname = self._other_surname(father_line)
        for person in others:
            if person.surname:
                continue
            if person.relation in (Relation.SON, Relation.DAUGHTER, Relation.GRANDSON, Relation.GRANDDAUGHTER):
                person.surname = father_line
            elif person.relation in (Relation.FATHER, Relation.SIBLING, Relation.GRANDFATHER, Relation.UNCLE):
                person.surname = head.surname
            elif person.relation in (Relation.FATHER_IN_LAW_H, Relation.FATHER_IN_LAW_W) and spouse is not None:
                person.surname = spouse.surname
            elif person.relation in (Relation.DAUGHTERS_SON, Relation.DAUGHTERS_DAUGHTER) and son_in_law:
                person.surname = son_in_law.surname
            else:
                person.surname = self._other_surname(head.surname)

    def _other_surname(self, avoid: str) -> str:
        for _ in range(5):
            surname = self.fake.last_name()
            if surname != avoid:
                return surname
        return surname

    def _name(self, person: _Person, taken: set[str]) -> str:
        for _ in range(10):
            given = self.fake.first_name_male() if person.sex == MALE else self.fake.first_name_female()
            if person.age < 30 and len(given) == 1 and self.rng.random() < 0.5:
                given += self.fake.first_name_male()[0] if person.sex == MALE else self.fake.first_name_female()[0]
            name = person.surname + given
            if name not in taken:
                break
        taken.add(name)
        return name

    def _health(self, member: Member, category: str) -> None:
        rng = self.rng
        age = _age(member.birth_date, self.today)
        chronic, serious, disabled = (1.5, 0.5, 1.5) if age < 40 else (9, 2, 4) if age < 60 else (30, 4, 6)
        if category == Category.MONITORED and member.relation in (Relation.HEAD, Relation.SPOUSE):
            chronic, serious, disabled = chronic * 2, serious * 4, disabled * 2
        roll = rng.uniform(0, 100)
        if roll < disabled:
            self._make_disabled(member)
        elif roll < disabled + serious:
            member.health = HealthStatus.SERIOUS
        elif roll < disabled + serious + chronic:
            member.health = HealthStatus.CHRONIC
            member.chronic_illness = True
        else:
            member.health = HealthStatus.HEALTHY
        insured = rng.random() < 0.998
        member.medical_insurance = member.serious_illness_insurance = insured
        key_person = member.health != HealthStatus.HEALTHY or age >= 65
        member.family_doctor_contract = rng.random() < (
            0.98 if key_person else 0.85 if category != Category.ORDINARY else 0.45
        )

    def _make_disabled(self, member: Member, grade: int | None = None) -> None:
        member.health = HealthStatus.DISABLED
        member.disability_grade = grade or self.rng.choices([1, 2, 3, 4], [10, 25, 35, 30])[0]
        member.chronic_illness = self.rng.random() < 0.2

    def _plant_member_problems(self, members: list[Member], flags: set[str]) -> None:
        rng = self.rng
        if HIGH_MEDICAL in flags:
            adults = [m for m in members if _age(m.birth_date, self.today) >= 30] or members
            patient = rng.choice(adults)
            patient.health, patient.disability_grade, patient.chronic_illness = HealthStatus.SERIOUS, None, False
        if UNINSURED in flags:
            person = rng.choice(members)
            person.medical_insurance = person.serious_illness_insurance = False
        if flags & {OUT_OF_SCHOOL, OUT_OF_SCHOOL_NO_REASON}:
            children = [m for m in members if _age(m.birth_date, self.today) in SCHOOL_AGE]
            child = rng.choice(children)
            child.out_of_school = True
            if OUT_OF_SCHOOL in flags:
                child.out_of_school_reason = rng.choice(OUT_OF_SCHOOL_REASONS)
                if child.out_of_school_reason.startswith("重度残疾"):
                    self._make_disabled(child, grade=1)
                elif child.out_of_school_reason.startswith("因病"):
                    child.health, child.disability_grade = HealthStatus.SERIOUS, None

    def _schooling_and_work(self, member: Member) -> None:
        rng = self.rng
        age = _age(member.birth_date, self.today)
        member.schooling = SchoolingStage.NOT_IN_SCHOOL if member.out_of_school else _schooling(rng, age)
        studying = member.schooling != SchoolingStage.NOT_IN_SCHOOL
        if age < 16 or studying:
            member.labour_capacity = LabourCapacity.NONE
        elif member.health == HealthStatus.DISABLED:
            member.labour_capacity = LabourCapacity.LOST if member.disability_grade <= 2 else LabourCapacity.WEAK
        elif member.health == HealthStatus.SERIOUS:
            member.labour_capacity = LabourCapacity.LOST if rng.random() < 0.6 else LabourCapacity.WEAK
        elif age >= 70:
            member.labour_capacity = LabourCapacity.NONE
        elif age >= 60 or member.health == HealthStatus.CHRONIC:
            member.labour_capacity = LabourCapacity.WEAK
        else:
            member.labour_capacity = LabourCapacity.SKILLED if rng.random() < 0.28 else LabourCapacity.ORDINARY
        if member.labour_capacity in (LabourCapacity.ORDINARY, LabourCapacity.SKILLED) and rng.random() < 0.6:
            member.work_location = rng.choices(
                [WorkLocation.IN_COUNTY, WorkLocation.IN_PROVINCE, WorkLocation.OUTSIDE], [40, 30, 30]
            )[0]
        elif member.labour_capacity == LabourCapacity.WEAK and age < 65 and rng.random() < 0.15:
            member.work_location = WorkLocation.IN_COUNTY
        if 16 <= age <= 80 and rng.random() < 0.85:
            member.phone = self._phone()

    def _phone(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    # People the household deals with.

    def _cadre(self, kind: str, unit: int) -> tuple[str, str]:
        if (kind, unit) not in self._cadres:
            self._cadres[(kind, unit)] = (self.fake.last_name() + self.fake.first_name(), self._phone())
        return self._cadres[(kind, unit)]

    def _helper(self, village: Village) -> tuple[str, str]:
        """帮扶责任人: each cadre helps about five households of the village."""
        helpers = self._helpers[village.pk]
        if self._helped[village.pk] % 5 == 0:
            helpers.append((self.fake.last_name() + self.fake.first_name(), self._phone()))
        self._helped[village.pk] += 1
        return helpers[-1]

    # Risks and measures.

    def _monitored_risks(self, draft: _Draft) -> None:
        rng, household, members = self.rng, draft.household, draft.members
        weights: dict[str, float] = {RiskType.DISASTER: 3, RiskType.ACCIDENT: 2, RiskType.OTHER: 1}
        if any(m.health in (HealthStatus.SERIOUS, HealthStatus.CHRONIC) for m in members):
            weights[RiskType.ILLNESS] = 40 if any(m.health == HealthStatus.SERIOUS for m in members) else 14
        if any(m.health == HealthStatus.DISABLED for m in members):
            weights[RiskType.DISABILITY] = 8
        if any(m.schooling in _UPPER_SCHOOLING for m in members):
            weights[RiskType.SCHOOLING] = 5
        if any(m.work_location for m in members):
            weights[RiskType.UNSTABLE_WORK] = 6
        able = sum(m.labour_capacity in (LabourCapacity.ORDINARY, LabourCapacity.SKILLED) for m in members)
        if able <= len(members) / 4:
            weights[RiskType.LABOUR_SHORTAGE] = 6
        if household.monitoring_type == MonitoringType.SUDDEN_HARDSHIP:
            weights[RiskType.DISASTER] = weights[RiskType.ACCIDENT] = 12
        kinds = _weighted_sample(rng, weights, rng.choice((1, 1, 2, 2, 3)))
        if household.housing_grade in (HousingGrade.C, HousingGrade.D):
            kinds.append(RiskType.HOUSING)
        if not household.water_safe:
            kinds.append(RiskType.WATER)
        for kind in dict.fromkeys(kinds):
            draft.risks.append(Risk(
                household=household, kind=kind, identified_on=household.monitoring_since,
                note=rng.choice(RISK_NOTES[kind]) if kind in RISK_NOTES else "",
            ))

    def _lifted_risk(self, draft: _Draft) -> None:
        members = draft.members
        kinds = [RiskType.UNSTABLE_WORK] if any(m.work_location for m in members) else [RiskType.OTHER]
        if any(m.health in (HealthStatus.SERIOUS, HealthStatus.CHRONIC) for m in members):
            kinds.append(RiskType.ILLNESS)
        kind = self.rng.choice(kinds)
        draft.risks.append(Risk(
            household=draft.household, kind=kind, identified_on=self._date_since(years=2),
            note=self.rng.choice(RISK_NOTES[kind]) if kind in RISK_NOTES else "",
        ))

    def _measures(self, draft: _Draft) -> None:
        rng, household, members = self.rng, draft.household, draft.members
        chosen: list[_M] = []
        risks = {r.kind for r in draft.risks}
        helped = household.category == Category.MONITORED or (
            household.category == Category.LIFTED and rng.random() < 0.45
        )
        if household.category == Category.ORDINARY and not (household.minimum_living or household.destitute_support):
            return
        if household.minimum_living:
            chosen.append(M_MINIMUM_LIVING)
        if household.destitute_support:
            chosen.append(M_DESTITUTE)
        if household.relocation_site_id:
            chosen.append((MeasureType.RELOCATION, f"易地扶贫搬迁（{household.relocation_site.name}）", None, "县发展和改革局"))
        severely_disabled = any(m.disability_grade and m.disability_grade <= 2 for m in members)
        if severely_disabled and household.category != Category.ORDINARY:
            chosen.append(M_DISABILITY)
        vocational = (SchoolingStage.VOCATIONAL, SchoolingStage.HIGHER_VOCATIONAL)
        if helped and any(m.schooling in vocational for m in members):
            chosen.append(M_RAIN_DEW)
        if helped:
            chosen += self._risk_measures(risks, household)
            chosen += self._development_measures(members)
        if household.category == Category.MONITORED and not chosen:
            chosen.append(M_DIVIDEND)
        for kind, detail, amounts, provider in dict.fromkeys(chosen):
            if kind == MeasureType.EMPLOYMENT and detail in (M_TRAVEL[1], M_LABOUR_EXPORT[1]):
                _someone_works(rng, members, outside=True, today=self.today)
            elif kind == MeasureType.PUBLIC_WELFARE_JOB:
                _someone_works(rng, members, outside=False, today=self.today)
            amount = Decimal(rng.randint(*amounts) // 100 * 100) if amounts else None
            if detail == M_MINIMUM_LIVING[1]:
                amount = household.minimum_living_amount
            elif detail == M_DESTITUTE[1]:
                amount = household.destitute_support_amount
            draft.measures.append(Measure(
                household=household, kind=kind, detail=detail, started_on=self._measure_date(household),
                amount=amount, provider=provider,
            ))
        draft.measures.sort(key=lambda m: m.started_on)

    def _risk_measures(self, risks: set[str], household: Household) -> list[_M]:
        rng = self.rng
        chosen: list[_M] = []
        if RiskType.ILLNESS in risks:
            chosen += [M_HEALTH, M_DOCTOR] + ([M_MEDICAL_AID] if rng.random() < 0.4 else [])
            if household.medical_out_of_pocket and household.medical_out_of_pocket >= 10000:
                chosen.append(M_SERIOUS_ILLNESS)
        if RiskType.DISABILITY in risks:
            chosen.append(M_DISABILITY)
        if RiskType.SCHOOLING in risks:
            chosen.append(M_STUDENT_AID)
        if RiskType.HOUSING in risks or household.housing_grade in (HousingGrade.C, HousingGrade.D):
            chosen.append(M_HOUSING)
        if RiskType.WATER in risks or household.water_safe is False:
            chosen.append(M_WATER)
        if RiskType.DISASTER in risks or RiskType.ACCIDENT in risks:
            chosen += [M_TEMPORARY] + ([M_INSURANCE] if rng.random() < 0.5 else [])
        if RiskType.LABOUR_SHORTAGE in risks and not household.minimum_living:
            chosen.append(M_MINIMUM_LIVING)
            household.minimum_living = True
            household.minimum_living_amount = Decimal(household.member_count * 360 * 12)
            household.minimum_living_since = household.monitoring_since
        return chosen

    def _development_measures(self, members: list[Member]) -> list[_M]:
        """Help that builds income: work for those who can work, a farm subsidy, credit."""
        rng = self.rng
        able = [m for m in members if m.labour_capacity in (LabourCapacity.ORDINARY, LabourCapacity.SKILLED)]
        weak = [m for m in members if m.labour_capacity == LabourCapacity.WEAK and _age(m.birth_date, self.today) <= 65]
        chosen: list[_M] = []
        if able and rng.random() < 0.55:
            chosen.append(rng.choice((M_TRAVEL, M_TRAVEL, M_LABOUR_EXPORT, M_TRAINING)))
        if (able or weak) and rng.random() < 0.3:
            chosen.append(rng.choice((M_RANGER, M_CLEANER, M_ROADS)))
        if (able or weak) and rng.random() < 0.5:
            chosen.append(rng.choice((M_CATTLE, M_SHEEP, M_CROPS)))
        if rng.random() < 0.3:
            chosen.append(M_DIVIDEND)
        if able and rng.random() < 0.15:
            chosen.append(M_CREDIT)
        if rng.random() < 0.05:
            chosen.append(M_PAIRING)
        return chosen

    def _measure_date(self, household: Household) -> date:
        start = household.monitoring_since or self.today - timedelta(days=3 * 365)
        return min(start + timedelta(days=self.rng.randint(3, 40)), self.today)

    # Income and the monitoring workflow.

    def _incomes(self, draft: _Draft, flags: set[str]) -> None:
        rng, household, members = self.rng, draft.household, draft.members
        size = len(members)
        if LOW_INCOME in flags:
            latest = rng.uniform(4200, 5900)
        elif household.category == Category.LIFTED:
            latest = rng.triangular(8000, 20000, 11500)
        elif household.monitoring_type == MonitoringType.SUDDEN_HARDSHIP:
            latest = rng.triangular(3500, 10000, 6000)
        elif household.category == Category.MONITORED:
            latest = rng.triangular(4500, 12000, 7200)
        else:
            latest = rng.triangular(9000, 32000, 15000)
        growth = rng.uniform(1.03, 1.10)
        targets = [latest / growth ** (len(self.years) - 1 - i) for i in range(len(self.years))]
        if INCOME_DROP in flags:
            targets[-1] = targets[-2] * rng.uniform(0.5, 0.75)
        elders = sum(_age(m.birth_date, self.today) >= 60 for m in members)
        pension = elders * rng.uniform(1500, 2300)
        subsidy = rng.uniform(0, 600)
        property_income = 0.0 if rng.random() < 0.7 else rng.uniform(200, 2500)
        workers = sum(bool(m.work_location) for m in members)
        wage_share = rng.uniform(0.55, 0.9) if workers else rng.choice((0.0, rng.uniform(0.05, 0.2)))
        cost_share = rng.uniform(0.3, 0.9)
        for year, target in zip(self.years, targets):
            transfer = pension + subsidy
            if household.minimum_living and household.minimum_living_since.year <= year:
                transfer += float(household.minimum_living_amount)
            if household.destitute_support and household.destitute_support_since.year <= year:
                transfer += float(household.destitute_support_amount)
            rest = max(target * size - transfer - property_income, rng.uniform(300, 1500))
            wage = rest * wage_share if rest * wage_share >= 300 else 0.0  # odd jobs or nothing, never a few yuan
            business = rest - wage
            costs = business * cost_share
            values = {
                "wage": _yuan(wage), "business": _yuan(business + costs), "property_income": _yuan(property_income),
                "transfer": _yuan(transfer), "production_costs": _yuan(costs), "household_size": size,
            }
            draft.incomes.append(IncomeYear(
                household=household, year=year, net_income_per_capita=IncomeYear.per_capita(**values), **values
            ))

    def _events(self, draft: _Draft, village: Village, *, eliminated: bool) -> None:
        rng, household = self.rng, draft.household
        since = household.monitoring_since
        township = village.township
        steps = [
            (MonitoringStep.IDENTIFIED, since - timedelta(days=rng.randint(3, 15)),
             self._cadre("grid", village.pk)[0], rng.choice(("农户自主申报", "干部走访排查", "部门筛查预警"))),
            (MonitoringStep.INCLUDED, since, self._cadre("township", township.pk)[0], "经村级评议、乡镇审核、县级审定纳入监测"),
        ]
        if draft.measures:
            steps.append((MonitoringStep.ASSISTED, draft.measures[0].started_on, household.helper_name,
                          "、".join(m.detail for m in draft.measures[:3])))
        if eliminated and draft.measures:
            review = min(since + timedelta(days=rng.randint(200, 400)), self.today - timedelta(days=25))
            review = max(review, steps[-1][1] + timedelta(days=30))
            check = review + timedelta(days=rng.randint(3, 8))
            approval = check + timedelta(days=rng.randint(3, 8))
            steps += [
                (MonitoringStep.VILLAGE_REVIEW, review, self._cadre("secretary", village.pk)[0], "村民代表评议，公示5天无异议"),
                (MonitoringStep.TOWNSHIP_CHECK, check, self._cadre("township", township.pk)[0], "乡镇入户核实"),
                (MonitoringStep.COUNTY_APPROVAL, approval, self._cadre("county", 0)[0], "县级审定同意"),
                (MonitoringStep.ELIMINATED, min(approval + timedelta(days=rng.randint(1, 5)), self.today),
                 self._cadre("county", 0)[0], "帮扶消除"),
            ]
        tz = timezone.get_current_timezone()
        for step, on, by_name, note in steps:
            recorded_at = datetime.combine(on, time(9, 0), tz) + timedelta(minutes=rng.randint(0, 480))
            draft.events.append(MonitoringEvent(
                household=household, step=step, on=on, by_name=by_name or "网格员", note=note, recorded_at=recorded_at
            ))


_UPPER_SCHOOLING = {
    SchoolingStage.SENIOR, SchoolingStage.VOCATIONAL, SchoolingStage.HIGHER_VOCATIONAL,
    SchoolingStage.UNDERGRADUATE, SchoolingStage.POSTGRADUATE,
}


def _family(rng: random.Random, size: int, *, school_child: bool = False) -> list[_Person]:
    """Relations, sexes and ages that hang together (spouse of the other sex, children 20–38 years younger…)."""
    head_sex = MALE if rng.random() < 0.86 else FEMALE
    other = FEMALE if head_sex == MALE else MALE
    if size == 1:
        age = rng.randint(60, 88) if rng.random() < 0.7 else rng.randint(30, 59)
        return [_Person(Relation.HEAD, head_sex, age)]
    if school_child:
        shape, head_age = "nuclear", rng.randint(33, 45)
    elif size == 2:
        shape = rng.choices(["couple", "parent", "up"], [60, 25, 15])[0]
        head_age = {"couple": rng.randint(55, 85), "parent": rng.randint(35, 60), "up": rng.randint(25, 50)}[shape]
    else:
        shape = rng.choices(["nuclear", "up", "down"], [60, 20, 20] if size <= 4 else [20, 35, 45])[0]
        young = 28 + 4 * (size - 3)  # a younger head has too few children of age for a large household
        head_age = {"nuclear": rng.randint(young, 55), "up": rng.randint(28, 50), "down": rng.randint(50, 75)}[shape]
    people = [_Person(Relation.HEAD, head_sex, head_age)]

    def add(relation: str, sex: str, age: int) -> None:
        if len(people) < size and 0 <= age <= 98:
            people.append(_Person(relation, sex, age))

    spouse_age = head_age + (rng.randint(-6, 2) if head_sex == MALE else rng.randint(-2, 6))
    if shape != "parent" and not (shape == "up" and size == 2):
        add(Relation.SPOUSE, other, max(spouse_age, 20))
    if shape == "up":
        in_laws = rng.random() < 0.2
        father, mother = Relation.FATHER, Relation.MOTHER
        if in_laws:  # the spouse's parents: 岳父母 for a husband, 公婆 for a wife
            father, mother = (
                (Relation.FATHER_IN_LAW_W, Relation.MOTHER_IN_LAW_W) if head_sex == MALE
                else (Relation.FATHER_IN_LAW_H, Relation.MOTHER_IN_LAW_H)
            )
        parent_age = head_age + rng.randint(24, 32)
        if rng.random() < 0.6:
            add(father, MALE, parent_age)
        add(mother, FEMALE, parent_age - rng.randint(0, 4))
    if shape == "down":
        _add_next_generation(rng, people, add, head_age)
    child_age = rng.randint(7, 15) if school_child else head_age - rng.randint(22, 34)
    while len(people) < size:
        if child_age >= 0:
            son = rng.random() < 0.52
            add(Relation.SON if son else Relation.DAUGHTER, MALE if son else FEMALE, child_age)
            child_age -= rng.randint(1, 6)
        else:
            sibling_sex = MALE if rng.random() < 0.5 else FEMALE
            add(Relation.SIBLING, sibling_sex, max(16, head_age + rng.randint(-10, 10)))
    return people


def _add_next_generation(rng: random.Random, people: list[_Person], add, head_age: int) -> None:
    """An adult child with spouse and children: a son and his wife, or a daughter and a son-in-law who married in."""
    child_age = head_age - rng.randint(22, 30)
    if child_age < 20:
        return
    if rng.random() < 0.85:
        add(Relation.SON, MALE, child_age)
        add(Relation.DAUGHTER_IN_LAW, FEMALE, child_age - rng.randint(-2, 4))
        grandchildren = (Relation.GRANDSON, Relation.GRANDDAUGHTER)
    else:
        add(Relation.DAUGHTER, FEMALE, child_age)
        add(Relation.SON_IN_LAW, MALE, child_age + rng.randint(-1, 4))
        grandchildren = (Relation.DAUGHTERS_SON, Relation.DAUGHTERS_DAUGHTER)
    grandchild_age = child_age - rng.randint(21, 30)
    while grandchild_age >= 0 and rng.random() < 0.85:
        boy = rng.random() < 0.52
        add(grandchildren[0] if boy else grandchildren[1], MALE if boy else FEMALE, grandchild_age)
        grandchild_age -= rng.randint(1, 6)


def _schooling(rng: random.Random, age: int) -> str:
    """The school stage a child of this age is typically in (age counted on the reference day)."""
    S = SchoolingStage
    if age <= 2:
        return S.PRESCHOOL_AGE
    if age <= 5:
        return S.PRESCHOOL if rng.random() < 0.85 else S.PRESCHOOL_AGE
    if age == 6:
        return S.PRIMARY if rng.random() < 0.7 else S.PRESCHOOL
    if age <= 11:
        return S.PRIMARY
    if age <= 14:
        return (S.GRADE_7, S.GRADE_8, S.GRADE_9)[age - 12]
    if age == 15:
        return rng.choices([S.GRADE_9, S.SENIOR, S.VOCATIONAL], [30, 50, 20])[0]
    if age <= 17:
        return rng.choices([S.SENIOR, S.VOCATIONAL, S.NOT_IN_SCHOOL], [55, 30, 15])[0]
    if age == 18:
        return rng.choices([S.SENIOR, S.HIGHER_VOCATIONAL, S.UNDERGRADUATE, S.NOT_IN_SCHOOL], [20, 25, 15, 40])[0]
    if age <= 21:
        return rng.choices([S.HIGHER_VOCATIONAL, S.UNDERGRADUATE, S.NOT_IN_SCHOOL], [20, 20, 60])[0]
    if age == 22:
        return S.UNDERGRADUATE if rng.random() < 0.12 else S.NOT_IN_SCHOOL
    if age <= 25:
        return S.POSTGRADUATE if rng.random() < 0.03 else S.NOT_IN_SCHOOL
    return S.NOT_IN_SCHOOL


def _someone_works(rng: random.Random, members: list[Member], *, outside: bool, today: date) -> None:
    """Make the measure true to the members: someone works outside the county, or holds a village job."""
    able = [m for m in members if m.labour_capacity in (LabourCapacity.ORDINARY, LabourCapacity.SKILLED)]
    if outside:
        if able and not any(m.work_location in (WorkLocation.IN_PROVINCE, WorkLocation.OUTSIDE) for m in members):
            rng.choice(able).work_location = rng.choice((WorkLocation.IN_PROVINCE, WorkLocation.OUTSIDE))
        return
    candidates = able + [
        m for m in members if m.labour_capacity == LabourCapacity.WEAK and _age(m.birth_date, today) <= 65
    ]
    if candidates and not any(m.work_location == WorkLocation.IN_COUNTY for m in candidates):
        rng.choice(candidates).work_location = WorkLocation.IN_COUNTY


def _weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        kind = rng.choices(list(pool), list(pool.values()))[0]
        chosen.append(kind)
        del pool[kind]
    return chosen


def _birth_date(rng: random.Random, today: date, age: int) -> date:
    """A birth date giving exactly this age today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _yuan(value: float) -> Decimal:
    return Decimal(round(value))


# --- sample roster files ----------------------------------------------------


def write_sample_rosters(*, village: Village, folder: Path, rng: random.Random) -> list[Path]:
    """Write three sample files for trying the roster import; returns their paths.

    - 示例-规范花名册.xlsx: a clean person-per-row roster of about 30 new households;
    - 示例-问题花名册.xlsx: about 25 more new households, written the way WPS
      files from villages arrive (title and notes rows, full-width digits, √/×,
      "1,234.50元", dates as text) and with a handful of real errors;
    - 示例-全国系统导出.xlsx: the national system's person sheet for about 20 of
      the village's households already in the registry.

    New households get numbers after the village's highest and IDs from the
    sample sequence range, so importing them adds households.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    village = Village.objects.select_related("township__county").get(pk=village.pk)
    region = village.township.county.code[:6]
    taken = Member.objects.filter(id_number__startswith=region, id_number__regex=r"^.{14}9").values_list(
        "id_number", flat=True
    )
    maker = _HouseholdMaker(rng=rng, region=region, sequences=SAMPLE_SEQUENCES, taken=taken)
    groups = list(village.groups.order_by("number"))
    numbers = Household.objects.filter(village=village).values_list("number", flat=True)
    next_number = 1 + max((int(n[-4:]) for n in numbers if n[-4:].isdigit()), default=0)

    def new_households(count: int, first: int, planted: dict[int, str]) -> list[_Draft]:
        categories = rng.choices([Category.LIFTED, Category.MONITORED, Category.ORDINARY], [55, 30, 15], k=count)
        drafts = []
        for offset, category in enumerate(categories):
            flags = {INCOME_DROP} if rng.random() < 0.1 else set()
            if offset in planted:
                flags.add(planted[offset])
            drafts.append(maker.household(
                village=village, groups=groups, number=f"{village.code}{first + offset:04d}", category=category,
                flags=flags, site=None,
            ))
        return drafts

    clean = new_households(30, next_number, {3: OUT_OF_SCHOOL})
    messy = new_households(25, next_number + 30, {3: OUT_OF_SCHOOL, 6: OUT_OF_SCHOOL_NO_REASON})
    paths = [
        _clean_roster_write(folder / "示例-规范花名册.xlsx", clean),
        _messy_roster_write(folder / "示例-问题花名册.xlsx", village, messy, rng),
        _national_export_write(folder / "示例-全国系统导出.xlsx", village, maker.today),
    ]
    return paths


def _roster_rows(drafts: Sequence[_Draft]) -> list[dict[str, Any]]:
    """One dict per person, keyed by roster header; household values on the head's row only."""
    rows = []
    for draft in drafts:
        household = draft.household
        income = draft.incomes[-1] if draft.incomes else None
        members = sorted(draft.members, key=lambda m: m.relation != Relation.HEAD)
        for member in members:
            row: dict[str, Any] = {
                "户编号": household.number,
                "姓名": member.name,
                "身份证号": member.id_number,
                "与户主关系": member.relation,
                "性别": "男" if member.sex == MALE else "女",
                "出生日期": member.birth_date,
                "民族": member.ethnicity,
                "联系电话": member.phone,
                "健康状况": member.health,
                "残疾等级": DISABILITY_GRADES.get(member.disability_grade, ""),
                "慢性病": _yes_no(member.chronic_illness),
                "家庭医生签约": _yes_no(member.family_doctor_contract),
                "在校生状况": member.schooling,
                "义务教育阶段失学辍学": _yes_no(member.out_of_school),
                "未上学原因": member.out_of_school_reason,
                "参加基本医疗保险": _yes_no(member.medical_insurance),
                "参加大病保险": _yes_no(member.serious_illness_insurance),
                "劳动技能": member.labour_capacity,
                "务工地点": _label(WorkLocation, member.work_location),
            }
            if member.relation == Relation.HEAD:
                row.update({
                    "村民小组": f"第{household.group.number}组" if household.group else "",
                    "户类型": _label(Category, household.category),
                    "监测对象类别": _label(MonitoringType, household.monitoring_type),
                    "识别监测时间": household.monitoring_since,
                    "住址": household.address,
                    "户联系电话": household.phone,
                    "帮扶责任人": household.helper_name,
                    "帮扶责任人电话": household.helper_phone,
                    "住房安全等级": f"{household.housing_grade}级" if household.housing_grade else "",
                    "危房改造年度": household.housing_renovated_year,
                    "饮水来源": _label(WaterSource, household.water_source),
                    "饮水安全": _yes_no(household.water_safe),
                    "水质检测报告": _yes_no(household.water_quality_report),
                    "季节性缺水": _yes_no(household.water_seasonal_shortage),
                    "享受低保": _yes_no(household.minimum_living),
                    "低保金": household.minimum_living_amount,
                    "特困供养": _yes_no(household.destitute_support),
                    "特困供养金": household.destitute_support_amount,
                    "临时救助金额": household.temporary_assistance_amount,
                    "合规自付医疗支出": household.medical_out_of_pocket,
                    "致贫返贫风险": "、".join(r.kind for r in draft.risks),
                    "帮扶措施": "；".join(f"{m.kind}：{m.detail}" for m in draft.measures),
                })
                if income is not None:
                    row.update({
                        "收入年度": income.year, "工资性收入": income.wage, "生产经营性收入": income.business,
                        "财产性收入": income.property_income, "转移性收入": income.transfer,
                        "生产经营性支出": income.production_costs, "人均纯收入": income.net_income_per_capita,
                    })
            rows.append(row)
    return rows


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "是" if value else "否"


def _clean_roster_write(path: Path, drafts: Sequence[_Draft]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    _header_write(sheet, 1, ROSTER_HEADERS)
    for offset, row in enumerate(_roster_rows(drafts)):
        for column, header in enumerate(ROSTER_HEADERS, start=1):
            value = row.get(header)
            value = float(value) if isinstance(value, Decimal) else value
            cell = sheet.cell(row=2 + offset, column=column, value=value)
            if header in ("身份证号", "联系电话", "户联系电话", "帮扶责任人电话", "户编号"):
                cell.number_format = "@"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    workbook.save(path)
    return path


def _messy_roster_write(path: Path, village: Village, drafts: Sequence[_Draft], rng: random.Random) -> Path:
    """The way WPS files from villages arrive, with a handful of real errors among the mess."""
    rows = _roster_rows(drafts)
    _plant_roster_errors(rows, rng)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    width = len(ROSTER_HEADERS)
    sheet.cell(row=1, column=1, value=f"{village.name}脱贫户和监测户花名册").font = Font(bold=True, size=16)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.cell(
        row=2, column=1,
        value=f"填报单位：{village.township.name}{village.name}（盖章）　　　　说明：身份证号请设置为文本格式，"
        f"一户一行户主在前　　　　统计截止：{timezone.localdate().year}年11月30日",
    )
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    _header_write(sheet, 3, ROSTER_HEADERS)
    for offset, row in enumerate(rows):
        for column, header in enumerate(ROSTER_HEADERS, start=1):
            sheet.cell(row=4 + offset, column=column, value=_messy_value(header, row.get(header), rng))
    footer = 4 + len(rows)
    sheet.cell(row=footer, column=1, value="填表人：村文书　　　审核人：村党支部书记　　　联系电话：")
    workbook.save(path)
    return path


def _plant_roster_errors(rows: list[dict[str, Any]], rng: random.Random) -> None:
    """Real errors, each in a household of its own so the other households still import.

    An ID stored as a number (Excel shows 6.40104E+17), a wrong check
    character, a 15-digit old ID, one ID in two households, a household with
    two heads. (The out-of-school child without a reason is in the data.)
    """
    by_household: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_household[row["户编号"]].append(index)
    numbers = list(by_household)
    rng.shuffle(numbers)
    households = iter(numbers)

    def member_row(wanted=lambda row: True) -> dict[str, Any] | None:
        for number in households:
            for index in by_household[number]:
                if rows[index]["与户主关系"] != Relation.HEAD and wanted(rows[index]):
                    return rows[index]
        return None

    if row := member_row(lambda row: not row["身份证号"].endswith("X")):
        row["身份证号"] = float(row["身份证号"])
    if row := member_row():
        value = row["身份证号"]
        row["身份证号"] = value[:17] + ("0" if value[17] != "0" else "1")
    if row := member_row():
        value = row["身份证号"]
        row["身份证号"] = value[:6] + value[8:17]  # the 15-digit ID issued before 1999
    source, row = member_row(), member_row()
    if source and row:
        row["身份证号"] = source["身份证号"]
    if row := member_row(lambda row: row["与户主关系"] == Relation.SPOUSE):
        row["与户主关系"] = Relation.HEAD


def _messy_value(header: str, value: Any, rng: random.Random) -> Any:
    """How a village cadre's WPS file tends to hold the same value."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return value
    if header == "身份证号":
        return value.translate(FULL_WIDTH) if rng.random() < 0.1 else value + (" " if rng.random() < 0.1 else "")
    if value in ("是", "否"):
        if header in ("慢性病", "参加基本医疗保险", "参加大病保险", "饮水安全"):
            return "√" if value == "是" else "×"
        if header in ("家庭医生签约", "水质检测报告", "季节性缺水"):
            return "有" if value == "是" else "无"
        return value
    if isinstance(value, date):
        style = rng.random()
        if style < 0.4:
            return f"{value.year}年{value.month}月{value.day}日"
        if style < 0.8:
            return f"{value:%Y.%m.%d}"
        return value
    if isinstance(value, Decimal):
        if rng.random() < 0.3:
            return f"{value:,.2f}元"
        if rng.random() < 0.15:
            return f"{value:.0f}".translate(FULL_WIDTH)
        return float(value)
    if header == "村民小组":
        return f"第{'一二三四五六七八九十'[int(value[1:-1]) - 1]}组" if value[1:-1].isdigit() and int(value[1:-1]) <= 10 else value
    if isinstance(value, str) and header in ("姓名", "与户主关系", "民族", "住址") and rng.random() < 0.15:
        return value + rng.choice((" ", "  ", "\u3000"))
    return value


def _national_export_write(path: Path, village: Village, today: date) -> Path:
    """The national system's person sheet for up to 20 of the village's registered lifted and monitored households."""
    households = list(
        Household.objects.filter(village=village, category__in=[Category.LIFTED, Category.MONITORED])
        .order_by("number")
        .prefetch_related("members", "incomes", "risks", "measures", "monitoring_events")[:20]
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "监测对象信息"
    width = len(NATIONAL_HEADERS)
    sheet.cell(row=1, column=1, value="（自定义）监测对象信息")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=2, column=1, value=f"导出时间：{today:%Y-%m-%d} 09:30:00　　导出范围：{village.township.name}{village.name}")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    _header_write(sheet, 3, NATIONAL_HEADERS)
    row_number = 4
    for household in households:
        for member in sorted(household.members.all(), key=lambda m: (m.relation != Relation.HEAD, m.pk)):
            values = _national_row(household, member, village)
            values["序号"] = str(row_number - 3)
            for column, header in enumerate(NATIONAL_HEADERS, start=1):
                cell = sheet.cell(row=row_number, column=column, value=values.get(header, "") or None)
                cell.number_format = "@"
            row_number += 1
    workbook.save(path)
    return path


def _national_row(household: Household, member: Member, village: Village) -> dict[str, str]:
    """One person row, all text, household values repeated on every row as the national system does."""
    incomes = sorted(household.incomes.all(), key=lambda i: i.year)
    income = incomes[-1] if incomes else None
    risks = [r.kind for r in household.risks.all()]
    steps = {e.step: e.on for e in household.monitoring_events.all()}
    eliminated = steps.get(MonitoringStep.ELIMINATED)
    monitored = household.category == Category.MONITORED
    lifted_before = household.category == Category.LIFTED or household.monitoring_type == MonitoringType.UNSTABLE
    values = {
        "县": village.township.county.name, "乡": village.township.name, "村": village.name,
        "户编号": household.number, "证件号码": member.id_number, "证件类型": "居民身份证", "姓名": member.name,
        "与户主关系": member.relation, "户类型": "脱贫户" if lifted_before else "一般农户",
        "监测对象类别": _label(MonitoringType, household.monitoring_type),
        "性别": "男" if member.sex == MALE else "女", "民族": member.ethnicity,
        "出生日期": f"{member.birth_date:%Y%m%d}",
        "文化程度": "" if member.schooling != SchoolingStage.NOT_IN_SCHOOL else _education(member),
        "在校生状况": _national_schooling(member),
        "义务教育阶段未上学原因": member.out_of_school_reason,
        "健康状况": member.health, "劳动技能": member.labour_capacity,
        "务工所在地": _label(WorkLocation, member.work_location),
        "是否参加城乡居民基本医疗保险": _yes_no(member.medical_insurance), "是否参加城镇职工基本医疗保险": "否",
        "是否参加大病保险": _yes_no(member.serious_illness_insurance),
        "享受低保政策情况": "农村低保" if household.minimum_living else "未享受",
        "享受特困供养政策情况": "农村特困" if household.destitute_support else "不享受",
        "是否危房户": _yes_no(household.housing_grade in (HousingGrade.C, HousingGrade.D)),
        "是否解决安全饮用水": _yes_no(household.water_safe), "是否通生活用电": "是", "是否有卫生厕所": "是",
        "整户无劳动能力兜底保障户": _yes_no(household.no_labour_household),
        "致贫/返贫风险1": risks[0] if risks else "", "致贫/返贫风险2": risks[1] if len(risks) > 1 else "",
        "风险是否已消除": ("是" if eliminated else "否") if monitored else "",
        "识别监测时间": f"{household.monitoring_since:%Y%m}" if household.monitoring_since else "",
        "风险消除方式": "帮扶消除" if eliminated else "", "消除监测时间": f"{eliminated:%Y%m}" if eliminated else "",
        "户联系电话": household.phone, "家庭成员联系电话": member.phone,
        "信息采集人": household.helper_name, "信息采集人联系电话": household.helper_phone,
    }
    if member.disability_grade:  # the national system keeps the grade in the disability certificate number
        values["证件号码"] = f"{member.id_number}{1 + member.pk % 7}{member.disability_grade}"
        values["证件类型"] = "残疾人证"
    if income is not None:
        values.update({
            "人均纯收入（元）": f"{income.net_income_per_capita:.2f}", "工资性收入": f"{income.wage:.2f}",
            "生产经营性收入": f"{income.business:.2f}", "财产性收入": f"{income.property_income:.2f}",
            "转移性收入": f"{income.transfer:.2f}", "生产经营性支出": f"{income.production_costs:.2f}",
        })
    if household.medical_out_of_pocket is not None:
        values["合规自付支出"] = f"{household.medical_out_of_pocket:.2f}"
    for column, kind in NATIONAL_MEASURE_COLUMNS:
        values[column] = ",".join(m.detail for m in household.measures.all() if m.kind == kind)
    return values


def _national_schooling(member: Member) -> str:
    """The national vocabulary: grades within senior, vocational and college; blank when not a student."""
    stage = member.schooling
    if stage in ("", SchoolingStage.NOT_IN_SCHOOL):
        return ""
    if stage in (SchoolingStage.SENIOR, SchoolingStage.VOCATIONAL, SchoolingStage.HIGHER_VOCATIONAL):
        start = 18 if stage == SchoolingStage.HIGHER_VOCATIONAL else 15
        grade = min(max(_age(member.birth_date, timezone.localdate()) - start, 0), 2)
        return f"{stage}{'一二三'[grade]}年级"
    return stage


def _education(member: Member) -> str:
    age = _age(member.birth_date, timezone.localdate())
    if age >= 60:
        return "小学" if member.pk % 3 else "文盲或半文盲"
    return "初中" if member.pk % 4 else "高中"


def _header_write(sheet, row: int, headers: Sequence[str]) -> None:
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = 20 if text in ("身份证号", "证件号码", "住址", "帮扶措施") else 12
