"""Reading a village household roster (花名册) into validated, normalised data.

Pure and database-free: `roster_parse` reads a spreadsheet (our template, a
village's own roster, or the national system's person sheet), maps its columns
by header name, normalises every cell and checks every row. Whatever is wrong
becomes a `RowError` with a Chinese message that says what to fix; a household
with any bad row is held back whole, so an import never writes half a family.

Speed matters (a county imports tens of thousands of rows): the converters are
chosen once per column from the header, coded columns remember the values they
have seen, and the row loop does no header lookups.
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any, NamedTuple

from evalprep.core.errors import EvalprepError
from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.idnumber import (
    EARLIEST_BIRTH_DATE,
    FEMALE,
    MALE,
    PLACEHOLDER_PREFIX,
    IdNumber,
    age_on,
    parse_certificate_number,
)
from evalprep.core.sheets import (
    CellError,
    SheetError,
    find_header_row,
    normalize_text,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    parse_year_month,
    read_workbook_rows,
)
from households.models import (
    Category,
    HealthStatus,
    HousingGrade,
    LabourCapacity,
    MeasureType,
    MonitoringType,
    Relation,
    RiskType,
    SchoolingStage,
    WaterSource,
    WorkLocation,
)

LAYOUT_NATIONAL = "national"
LAYOUT_PERSON = "person"
LAYOUT_HOUSEHOLD = "household"

COMPULSORY_SCHOOL_AGES = range(6, 16)  # 6–15 at the reference date
EARLIEST_INCOME_YEAR = 2000
EARLIEST_RENOVATION_YEAR = 1980
PER_CAPITA_TOLERANCE = Decimal(1)
CENT = Decimal("0.01")

SAME_HOUSEHOLD_MESSAGE = "同户第{row}行有错误，整户暂不导入；改正后重新上传即可"

# Headers

# Our template's columns, in template order: header → field key.
CANONICAL_HEADERS: dict[str, str] = {
    "户编号": "household_number",
    "村民小组": "group",
    "户类型": "category",
    "监测对象类别": "monitoring_type",
    "识别监测时间": "monitoring_since",
    "姓名": "name",
    "身份证号": "id_number",
    "与户主关系": "relation",
    "性别": "sex",
    "出生日期": "birth_date",
    "民族": "ethnicity",
    "联系电话": "phone",
    "健康状况": "health",
    "残疾等级": "disability_grade",
    "慢性病": "chronic_illness",
    "家庭医生签约": "family_doctor_contract",
    "在校生状况": "schooling",
    "义务教育阶段失学辍学": "out_of_school",
    "未上学原因": "out_of_school_reason",
    "参加基本医疗保险": "medical_insurance",
    "参加大病保险": "serious_illness_insurance",
    "劳动技能": "labour_capacity",
    "务工地点": "work_location",
    "住址": "address",
    "户联系电话": "household_phone",
    "帮扶责任人": "helper_name",
    "帮扶责任人电话": "helper_phone",
    "住房安全等级": "housing_grade",
    "危房改造年度": "housing_renovated_year",
    "饮水来源": "water_source",
    "饮水安全": "water_safe",
    "水质检测报告": "water_quality_report",
    "季节性缺水": "water_seasonal_shortage",
    "享受低保": "minimum_living",
    "低保金": "minimum_living_amount",
    "特困供养": "destitute_support",
    "特困供养金": "destitute_support_amount",
    "临时救助金额": "temporary_assistance_amount",
    "合规自付医疗支出": "medical_out_of_pocket",
    "整户无劳动能力兜底保障户": "no_labour_household",
    "收入年度": "income_year",
    "工资性收入": "wage",
    "生产经营性收入": "business",
    "财产性收入": "property_income",
    "转移性收入": "transfer",
    "生产经营性支出": "production_costs",
    "人均纯收入": "per_capita",
    "致贫返贫风险": "risks",
    "帮扶措施": "measures",
}

_MEASURE_COLUMNS = {
    "产业帮扶": MeasureType.INDUSTRY,
    "就业帮扶": MeasureType.EMPLOYMENT,
    "公益岗位帮扶": MeasureType.PUBLIC_WELFARE_JOB,
    "公益性岗位帮扶": MeasureType.PUBLIC_WELFARE_JOB,
    "金融帮扶": MeasureType.FINANCE,
    "健康帮扶": MeasureType.HEALTH,
    "教育帮扶": MeasureType.EDUCATION,
    "义务教育保障": MeasureType.EDUCATION,
    "住房安全保障": MeasureType.HOUSING,
    "饮水安全保障": MeasureType.WATER,
    "综合保障": MeasureType.WELFARE,
    "社会帮扶": MeasureType.SOCIAL,
    "搬迁": MeasureType.RELOCATION,
    "易地搬迁": MeasureType.RELOCATION,
    "生产生活条件改善": MeasureType.OTHER,
    "基础设施建设": MeasureType.OTHER,
}

# Other spellings villages and the national system use.
VARIANT_HEADERS: dict[str, str] = {
    "户号": "household_number",
    "户码": "household_number",
    "家庭编号": "household_number",
    "组别": "group",
    "所在组": "group",
    "组": "group",
    "村组": "group",
    "小组": "group",
    "组号": "group",
    "户属性": "category",
    "农户类型": "category",
    "户类别": "category",
    "农户属性": "category",
    "监测类型": "monitoring_type",
    "监测户类型": "monitoring_type",
    "监测对象类型": "monitoring_type",
    "纳入监测时间": "monitoring_since",
    "识别时间": "monitoring_since",
    "成员姓名": "name",
    "家庭成员姓名": "name",
    "人员姓名": "name",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "证件号": "id_number",
    "身份证": "id_number",
    "家庭关系": "relation",
    "关系": "relation",
    "与户主的关系": "relation",
    "出生年月": "birth_date",
    "出生年月日": "birth_date",
    "电话": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "本人联系电话": "phone",
    "家庭成员联系电话": "phone",
    "成员联系电话": "phone",
    "身体状况": "health",
    "残疾级别": "disability_grade",
    "是否慢性病": "chronic_illness",
    "是否患慢性病": "chronic_illness",
    "慢病": "chronic_illness",
    "是否家庭医生签约": "family_doctor_contract",
    "是否签约家庭医生": "family_doctor_contract",
    "家庭医生签约服务": "family_doctor_contract",
    "在校情况": "schooling",
    "就学状况": "schooling",
    "在校状况": "schooling",
    "是否失学辍学": "out_of_school",
    "失学辍学": "out_of_school",
    "义务教育阶段未上学原因": "out_of_school_reason",
    "失学辍学原因": "out_of_school_reason",
    "辍学原因": "out_of_school_reason",
    "是否参加基本医疗保险": "medical_insurance",
    "基本医疗保险": "medical_insurance",
    "是否参加城乡居民基本医疗保险": "medical_insurance_resident",
    "是否参加城镇职工基本医疗保险": "medical_insurance_employee",
    "是否参加大病保险": "serious_illness_insurance",
    "大病保险": "serious_illness_insurance",
    "劳动能力": "labour_capacity",
    "务工所在地": "work_location",
    "务工地": "work_location",
    "务工区域": "work_location",
    "家庭住址": "address",
    "地址": "address",
    "详细地址": "address",
    "户主联系电话": "household_phone",
    "家庭联系电话": "household_phone",
    "帮扶人": "helper_name",
    "帮扶责任人姓名": "helper_name",
    "帮扶人电话": "helper_phone",
    "帮扶责任人联系电话": "helper_phone",
    "房屋安全等级": "housing_grade",
    "住房等级": "housing_grade",
    "危房等级": "housing_grade",
    "是否危房户": "dangerous_housing",
    "是否危房": "dangerous_housing",
    "危房改造年份": "housing_renovated_year",
    "饮水方式": "water_source",
    "供水方式": "water_source",
    "是否解决安全饮用水": "water_safe",
    "是否饮水安全": "water_safe",
    "有水质检测报告": "water_quality_report",
    "是否有水质检测报告": "water_quality_report",
    "是否季节性缺水": "water_seasonal_shortage",
    "是否享受低保": "minimum_living",
    "享受低保政策情况": "minimum_living",
    "低保": "minimum_living",
    "低保金额": "minimum_living_amount",
    "是否特困供养": "destitute_support",
    "享受特困供养政策情况": "destitute_support",
    "五保": "destitute_support",
    "特困供养金额": "destitute_support_amount",
    "临时救助": "temporary_assistance_amount",
    "合规自付支出": "medical_out_of_pocket",
    "医疗自付费用": "medical_out_of_pocket",
    "是否整户无劳动能力": "no_labour_household",
    "家庭人口": "member_count",
    "家庭人口数": "member_count",
    "家庭人数": "member_count",
    "户人口数": "member_count",
    "年度": "income_year",
    "生产经营支出": "production_costs",
    "家庭人均纯收入": "per_capita",
    "致贫/返贫风险": "risks",
    "风险类型": "risks",
    "主要风险": "risks",
    "户主姓名": "head_name",
    "户主身份证号": "head_id_number",
    "户主身份证号码": "head_id_number",
    "户主证件号码": "head_id_number",
    "证件类型": "id_type",
    **{f"致贫/返贫风险{n}": f"risk:{n}" for n in range(1, 6)},
    **{f"致贫返贫风险{n}": f"risk:{n}" for n in range(1, 6)},
    **{spelling: f"measure:{kind.value}:{spelling}" for spelling, kind in _MEASURE_COLUMNS.items()},
}

# Columns we know and deliberately do not read (location, areas, pensions…).
IGNORED_HEADERS: tuple[str, ...] = (
    "序号", "备注", "说明", "省", "市", "县", "乡", "村", "县(市、区、旗)", "乡(镇)", "行政村",
    "文化程度", "政治面貌", "就业渠道（易地搬迁后扶使用）", "公益性岗位", "公益性岗位(月数)",
    "是否接受医疗救助", "是否参加城乡居民基本养老保险", "是否参加城镇职工基本养老保险",
    "是否通生活用电", "是否有卫生厕所", "入户道路是否硬化", "住房面积", "与村主干路距离",
    "耕地面积（亩）", "林地面积（亩）", "退耕还林面积（亩）", "林果面积（亩）", "牧草地面积", "水面面积",
    "是否义务教育阶段适龄儿童少年失学辍学", "是否有家庭成员未参加城乡居民（职工）基本医疗保险",
    "风险是否已消除", "风险消除方式", "消除监测时间", "信息采集人", "信息采集人联系电话",
    "实施开发式帮扶措施情况", "填表人", "填表日期",
    "风险消除后是否义务教育阶段适龄儿童少年失学辍学", "风险消除后是否住房损毁",
    "风险消除后是否有家庭成员未参加城乡居民（职工）基本医疗保险", "风险消除后是否饮水设施损毁",
    "风险消除后工资性收入", "风险消除后财产性收入", "风险消除后转移性收入", "风险消除后生产经营性收入",
    "风险消除后生产经营性支出", "风险消除后家庭纯收入", "风险消除后家庭人均纯收入", "风险消除后理赔收入",
    "风险消除后合规自付支出",
)
_IGNORED_PREFIXES = ("风险消除后",)

# Columns only the national person sheet has; enough of them make the layout "national".
# (监测对象类别, 识别监测时间 and 户联系电话 are in our template too, so they do not count.)
NATIONAL_MARKERS = frozenset({
    "证件类型", "家庭成员联系电话", "是否参加城乡居民基本医疗保险", "是否参加城镇职工基本医疗保险",
    "享受低保政策情况", "享受特困供养政策情况", "是否危房户", "致贫/返贫风险1", "信息采集人", "县", "乡", "村",
})


def _known_headers() -> dict[str, str]:
    # (人均纯收入（元） and 身份证号码（必填） are matched by their bare forms in find_header_row)
    known = {**CANONICAL_HEADERS, **VARIANT_HEADERS}
    for spelling in IGNORED_HEADERS:
        known.setdefault(spelling, "~" + spelling)
    return known


KNOWN_HEADERS: dict[str, str] = _known_headers()

# Household values that every row of a household must agree on (blank rows inherit).
_AGREED_KEYS = (
    "group", "category", "monitoring_type", "monitoring_since", "address", "household_phone", "helper_name",
    "helper_phone", "member_count", "housing_grade", "dangerous_housing", "housing_renovated_year",
    "water_source", "water_safe", "water_quality_report", "water_seasonal_shortage", "minimum_living_amount",
    "destitute_support_amount", "temporary_assistance_amount", "medical_out_of_pocket", "no_labour_household",
    "income_year", "wage", "business", "property_income", "transfer", "production_costs", "per_capita",
)
# Household flags the national sheet keeps per person: true when any member has it.
_ANY_KEYS = ("minimum_living", "destitute_support")
# our key → Household model field
_HOUSEHOLD_FIELDS = {
    "category": "category",
    "monitoring_type": "monitoring_type",
    "monitoring_since": "monitoring_since",
    "address": "address",
    "household_phone": "phone",
    "helper_name": "helper_name",
    "helper_phone": "helper_phone",
    "member_count": "member_count",
    "housing_grade": "housing_grade",
    "housing_renovated_year": "housing_renovated_year",
    "water_source": "water_source",
    "water_safe": "water_safe",
    "water_quality_report": "water_quality_report",
    "water_seasonal_shortage": "water_seasonal_shortage",
    "minimum_living": "minimum_living",
    "minimum_living_amount": "minimum_living_amount",
    "destitute_support": "destitute_support",
    "destitute_support_amount": "destitute_support_amount",
    "temporary_assistance_amount": "temporary_assistance_amount",
    "medical_out_of_pocket": "medical_out_of_pocket",
    "no_labour_household": "no_labour_household",
}
_INSURANCE_KEYS = ("medical_insurance", "medical_insurance_resident", "medical_insurance_employee")
_INCOME_KEYS = ("income_year", "wage", "business", "property_income", "transfer", "production_costs", "per_capita")

# Result types


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number, 1-based
    column: str  # the header text as in the file, or "" for the whole row
    value: str
    message: str


@dataclass(frozen=True)
class ParsedMember:
    row: int
    name: str
    id_number: str
    sex: str  # "male" / "female"
    birth_date: date
    relation: str
    ethnicity: str = ""
    phone: str = ""
    health: str = ""
    schooling: str = ""
    out_of_school: bool = False
    out_of_school_reason: str = ""
    medical_insurance: bool | None = None
    serious_illness_insurance: bool | None = None
    disability_grade: int | None = None
    chronic_illness: bool = False
    family_doctor_contract: bool | None = None
    labour_capacity: str = ""
    work_location: str = ""


@dataclass(frozen=True)
class ParsedIncome:
    year: int
    wage: Decimal = Decimal(0)
    business: Decimal = Decimal(0)
    property_income: Decimal = Decimal(0)
    transfer: Decimal = Decimal(0)
    production_costs: Decimal = Decimal(0)
    stated_per_capita: Decimal | None = None

    @property
    def net(self) -> Decimal:
        return self.wage + self.business + self.property_income + self.transfer - self.production_costs


@dataclass
class ParsedHousehold:
    number: str
    rows: list[int]
    group_number: int | None
    fields: dict[str, Any]
    members: list[ParsedMember]
    income: ParsedIncome | None = None
    risks: list[str] = field(default_factory=list)
    measures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ParsedRoster:
    layout: str
    header_row: int  # 1-based
    columns: dict[int, str]  # column index → field key, for the columns that are read
    unknown_columns: list[str]
    households: list[ParsedHousehold]
    errors: list[RowError]
    warnings: list[RowError]
    rejected_rows: set[int]
    data_rows: int
    raw_rows: list[list[Any]]
    ignored_columns: list[str] = field(default_factory=list)  # known, deliberately not read
    member_fields: frozenset[str] = frozenset()  # ParsedMember fields the file's columns give

    @property
    def header(self) -> list[str]:
        return [_header_text(cell) for cell in self.raw_rows[self.header_row - 1]]


def ledger_message(error: RowError) -> str:
    """第12行「身份证号」：…"""
    where = f"「{error.column}」" if error.column else ""
    return f"第{error.row}行{where}：{error.message}"


# Vocabularies


def _labels(choices) -> str:
    return "、".join(str(label) for label in choices.labels if str(label))


def _vocabulary(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {_squash(word): str(value) for word, value in pairs}


def _squash(text: str) -> str:
    return normalize_text(text).replace(" ", "").upper()


_BLANK_WORDS = frozenset({"无", "/", "-", "--", "—", "——", "\\", "空"})

_SEX = _vocabulary([("男", MALE), ("男性", MALE), ("女", FEMALE), ("女性", FEMALE), ("M", MALE), ("F", FEMALE)])
_SEX_LABELS = {MALE: "男", FEMALE: "女"}

_CATEGORY = _vocabulary([
    ("脱贫户", Category.LIFTED), ("脱贫", Category.LIFTED), ("脱贫人口", Category.LIFTED),
    ("监测户", Category.MONITORED), ("防止返贫监测对象", Category.MONITORED), ("监测对象", Category.MONITORED),
    ("一般户", Category.ORDINARY), ("一般农户", Category.ORDINARY), ("其他农户", Category.ORDINARY),
    ("其他户", Category.ORDINARY), ("非贫困户", Category.ORDINARY),
    *((value, value) for value in Category.values),
])
_CATEGORY_WORDS = "脱贫户、监测户（防止返贫监测对象）、一般户（一般农户、其他农户）"

_MONITORING = _vocabulary([
    ("脱贫不稳定户", MonitoringType.UNSTABLE), ("脱贫不稳定", MonitoringType.UNSTABLE),
    ("边缘易致贫户", MonitoringType.MARGINAL), ("边缘易致贫", MonitoringType.MARGINAL),
    ("边缘户", MonitoringType.MARGINAL),
    ("突发严重困难户", MonitoringType.SUDDEN_HARDSHIP), ("突发严重困难", MonitoringType.SUDDEN_HARDSHIP),
    ("突发困难户", MonitoringType.SUDDEN_HARDSHIP),
    ("否", ""), ("无", ""), ("非监测对象", ""), ("非监测户", ""), ("不是", ""),
    *((value, value) for value in MonitoringType.values),
])

_RELATION = _vocabulary([
    *((value, value) for value in Relation.values),
    *((value[1:], value) for value in Relation.values if value.startswith("之")),
    ("本人", Relation.HEAD), ("户主本人", Relation.HEAD),
    ("妻子", Relation.SPOUSE), ("妻", Relation.SPOUSE), ("丈夫", Relation.SPOUSE), ("夫", Relation.SPOUSE),
    ("儿子", Relation.SON), ("长子", Relation.SON), ("次子", Relation.SON), ("三子", Relation.SON),
    ("女儿", Relation.DAUGHTER), ("长女", Relation.DAUGHTER), ("次女", Relation.DAUGHTER), ("三女", Relation.DAUGHTER),
    ("父亲", Relation.FATHER), ("母亲", Relation.MOTHER), ("儿媳妇", Relation.DAUGHTER_IN_LAW),
    ("侄子", Relation.NEPHEW), ("兄弟", Relation.SIBLING), ("姐妹", Relation.SIBLING),
    ("哥哥", Relation.SIBLING), ("弟弟", Relation.SIBLING), ("姐姐", Relation.SIBLING), ("妹妹", Relation.SIBLING),
])
_MALE_RELATIONS = frozenset({
    "之子", "之孙子", "之外孙子", "之父", "之公公", "之岳父", "之祖父", "之侄儿", "之曾孙子", "之女婿",
})
_FEMALE_RELATIONS = frozenset({
    "之女", "之孙女", "之外孙女", "之母", "之婆婆", "之岳母", "之祖母", "之侄女", "之曾孙女", "之儿媳",
})

_HEALTH = _vocabulary([
    *((value, value) for value in HealthStatus.values),
    ("慢性病", HealthStatus.CHRONIC), ("长期慢病", HealthStatus.CHRONIC), ("慢病", HealthStatus.CHRONIC),
    ("大病", HealthStatus.SERIOUS), ("重病", HealthStatus.SERIOUS), ("患重病", HealthStatus.SERIOUS),
    ("残疾人", HealthStatus.DISABLED),
])
# several conditions in one cell keep the weightiest
_HEALTH_RANK = {HealthStatus.SERIOUS: 0, HealthStatus.DISABLED: 1, HealthStatus.CHRONIC: 2, HealthStatus.HEALTHY: 3}

_SCHOOLING = _vocabulary([
    *((value, value) for value in SchoolingStage.values),
    ("学龄前", SchoolingStage.PRESCHOOL_AGE), ("幼儿园", SchoolingStage.PRESCHOOL),
    ("学前班", SchoolingStage.PRESCHOOL), ("初一", SchoolingStage.GRADE_7), ("初二", SchoolingStage.GRADE_8),
    ("初三", SchoolingStage.GRADE_9), ("初中一年级", SchoolingStage.GRADE_7),
    ("初中二年级", SchoolingStage.GRADE_8), ("初中三年级", SchoolingStage.GRADE_9),
    ("高一", SchoolingStage.SENIOR), ("高二", SchoolingStage.SENIOR), ("高三", SchoolingStage.SENIOR),
    ("高中", SchoolingStage.SENIOR), ("中专", SchoolingStage.VOCATIONAL), ("职高", SchoolingStage.VOCATIONAL),
    ("高职", SchoolingStage.HIGHER_VOCATIONAL), ("大专", SchoolingStage.HIGHER_VOCATIONAL),
    ("专科", SchoolingStage.HIGHER_VOCATIONAL), ("大学", SchoolingStage.UNDERGRADUATE),
    ("大学本科", SchoolingStage.UNDERGRADUATE), ("研究生", SchoolingStage.POSTGRADUATE),
    ("硕士", SchoolingStage.POSTGRADUATE), ("博士", SchoolingStage.POSTGRADUATE),
    ("硕士研究生", SchoolingStage.POSTGRADUATE), ("博士研究生", SchoolingStage.POSTGRADUATE),
    ("不在校", SchoolingStage.NOT_IN_SCHOOL), ("非在校", SchoolingStage.NOT_IN_SCHOOL),
    ("已毕业", SchoolingStage.NOT_IN_SCHOOL),
])
_SCHOOL_YEAR = re.compile(r"(普通高中|高中|中职|中专|高职高专|高职|小学)[一二三四五六1-6]年级")
_SCHOOL_YEAR_STAGE = {
    "普通高中": SchoolingStage.SENIOR.value, "高中": SchoolingStage.SENIOR.value,
    "中职": SchoolingStage.VOCATIONAL.value, "中专": SchoolingStage.VOCATIONAL.value,
    "高职高专": SchoolingStage.HIGHER_VOCATIONAL.value, "高职": SchoolingStage.HIGHER_VOCATIONAL.value,
    "小学": SchoolingStage.PRIMARY.value,
}
_PRIMARY_YEAR = re.compile(r"[一二三四五六1-6]年级")
_IN_SCHOOL = frozenset(SchoolingStage.values) - {SchoolingStage.NOT_IN_SCHOOL, SchoolingStage.PRESCHOOL_AGE}

_LABOUR = _vocabulary([
    *((value, value) for value in LabourCapacity.values),
    ("弱劳动力", LabourCapacity.WEAK), ("半劳动力", LabourCapacity.WEAK),
    ("弱劳动力/半劳动力", LabourCapacity.WEAK), ("无劳动能力", LabourCapacity.NONE),
    ("丧失劳动能力", LabourCapacity.LOST),
])

_WORK_NONE = frozenset({"未务工", "无", "否", "不务工", "没有务工", "在家"})
_WORK_OUTSIDE_WORDS = ("省外", "外省", "境外", "国外", "出国")
_WORK_PROVINCE_WORDS = ("省内", "本省", "县外", "市内", "本市", "州内")
_WORK_COUNTY_WORDS = ("县内", "本县", "乡内", "本乡", "镇内", "本镇", "村内", "本村", "乡镇内", "县城")
_PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
    "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)

_WATER = _vocabulary([
    ("集中供水（自来水）", WaterSource.PIPED), ("集中供水", WaterSource.PIPED), ("自来水", WaterSource.PIPED),
    ("分散供水（水井）", WaterSource.WELL), ("分散供水", WaterSource.WELL), ("水井", WaterSource.WELL),
    ("井水", WaterSource.WELL), ("山泉水", WaterSource.SPRING), ("泉水", WaterSource.SPRING),
    ("水窖", WaterSource.CELLAR), ("其他", WaterSource.OTHER), ("其它", WaterSource.OTHER),
    *((value, value) for value in WaterSource.values),
])
_HOUSING = re.compile(r"([ABCD])级?(?:\(危房\)|危房)?")

_RISK = _vocabulary([
    *((value, value) for value in RiskType.values),
    ("因灾", RiskType.DISASTER), ("因自然灾害", RiskType.DISASTER), ("因意外", RiskType.ACCIDENT),
    ("务工就业不稳", RiskType.UNSTABLE_WORK), ("因务工就业不稳定", RiskType.UNSTABLE_WORK),
    ("缺劳力", RiskType.LABOUR_SHORTAGE), ("因住房", RiskType.HOUSING), ("因住房安全", RiskType.HOUSING),
    ("因饮水", RiskType.WATER), ("因饮水安全", RiskType.WATER), ("其它", RiskType.OTHER),
])
_MEASURE_KIND = _vocabulary([
    *((value, value) for value in MeasureType.values),
    ("公益性岗位帮扶", MeasureType.PUBLIC_WELFARE_JOB), ("公益岗位", MeasureType.PUBLIC_WELFARE_JOB),
    ("公益性岗位", MeasureType.PUBLIC_WELFARE_JOB), ("兜底保障", MeasureType.WELFARE),
    ("易地搬迁", MeasureType.RELOCATION), ("住房安全", MeasureType.HOUSING), ("饮水安全", MeasureType.WATER),
    ("义务教育保障", MeasureType.EDUCATION), ("其它", MeasureType.OTHER),
])
# Well-known measures written without their type (帮扶措施 column): the type they belong to.
_MEASURE_BY_DETAIL = {
    "雨露计划": MeasureType.EDUCATION.value, "教育资助": MeasureType.EDUCATION.value,
    "小额信贷": MeasureType.FINANCE.value, "扶贫小额信贷": MeasureType.FINANCE.value,
    "护林员": MeasureType.PUBLIC_WELFARE_JOB.value, "生态护林员": MeasureType.PUBLIC_WELFARE_JOB.value,
    "先诊疗后付费": MeasureType.HEALTH.value, "家庭医生签约服务": MeasureType.HEALTH.value,
    "医疗救助": MeasureType.HEALTH.value, "低保": MeasureType.WELFARE.value, "特困供养": MeasureType.WELFARE.value,
    "残疾人补贴": MeasureType.WELFARE.value, "临时救助": MeasureType.WELFARE.value,
    "外出务工补贴": MeasureType.EMPLOYMENT.value, "劳务输出": MeasureType.EMPLOYMENT.value,
    "技能培训": MeasureType.EMPLOYMENT.value, "危房改造": MeasureType.HOUSING.value,
    "易地扶贫搬迁": MeasureType.RELOCATION.value,
}
_MEASURE_NONE = frozenset({"无", "否", "尚未实施", "/", "-", "未享受", "不享受"})

_LIST_SPLIT = re.compile(r"[，、,；;\n/|]+")
_MEASURE_SPLIT = re.compile(r"[，、,；;\n]+")
_SEGMENT_SPLIT = re.compile(r"[；;\n]+")
_ITEM_SPLIT = re.compile(r"[，、,]+")
_KIND_DETAIL = re.compile(r"([^：:（(]+)\s*[：:]\s*(.*)")

_TRUE_PREFIXES = ("已", "有")
_FALSE_PREFIXES = ("未", "不", "没", "无")
_MINIMUM_LIVING_TRUE = frozenset({"农村低保", "城市低保", "低保", "享受", "已享受", "低保户"})
_DESTITUTE_TRUE = frozenset({"农村特困", "城市特困", "特困", "特困供养", "五保", "五保户", "享受", "已享受"})

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_GROUP_SUFFIXES = ("村民小组", "小组", "组", "队", "社")
_DISABILITY_GRADE = {"一级": 1, "二级": 2, "三级": 3, "四级": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_YEAR_MONTH_TEXT = re.compile(r"\d{4}(?:\d{2}|\s*[年.\-/]\s*\d{1,2}\s*月?)")
_CJK_SPACES = re.compile(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])")
_NOTE_WORDS = (
    "合计", "小计", "总计", "填表人", "制表人", "填报人", "审核人", "负责人", "备注", "说明", "注：", "注:", "填表说明",
)

# Converters: one per column, chosen once from the header.

Converter = Callable[[Any], Any]  # raw cell → value, None for blank; raises EvalprepError


def _shown(value: object) -> str:
    text = normalize_text(value)
    return text if len(text) <= 20 else text[:20] + "…"


def _text(limit: int, what: str) -> Converter:
    def convert(value: object) -> str | None:
        text = normalize_text(value)
        if not text:
            return None
        if len(text) > limit:
            raise CellError(f"{what}太长了（{len(text)} 个字），最多 {limit} 个字，请精简。")
        return text

    return convert


def _name(value: object) -> str | None:
    text = _CJK_SPACES.sub("", normalize_text(value))  # 张  三 → 张三
    if not text:
        return None
    if len(text) > 30:
        raise CellError(f"姓名太长了（{len(text)} 个字），最多 30 个字，请核对。")
    return text


def _phone(value: object) -> str | None:
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    if len(text) > 20:
        raise CellError("电话号码太长（最多 20 个字符），一格只填一个号码。")
    return text


def _ethnicity(value: object) -> str | None:
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    if len(text) > 20:
        raise CellError("民族太长了，请填写如 汉族、回族。")
    if not text.endswith("族") and len(text) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in text):
        text += "族"  # 汉 → 汉族
    return text


def _household_number(value: object) -> str | None:
    if isinstance(value, float) and not value.is_integer() or isinstance(value, (int, float)) and abs(value) >= 1e15:
        raise CellError(
            "户编号被表格当成了数字，后几位已经丢失（显示成科学计数或末尾变成 000）。"
            "请把这一列的单元格格式设为“文本”，再重新录入户编号。"
        )
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    if len(text) > 30:
        raise CellError(f"户编号太长了（{len(text)} 个字符），最多 30 个字符，请核对。")
    return text


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_converter(today: date) -> Converter:
    """ID or disability-certificate number → (IdNumber, category, grade).

    A clean 18-character text that passes every check is taken on a fast path
    (the 50,000-row import spends most of its time here otherwise); anything
    else goes through parse_certificate_number, which gives the message.
    """
    earliest = EARLIEST_BIRTH_DATE

    def convert(value: object) -> tuple[IdNumber, int | None, int | None]:
        if type(value) is str and len(value) == 18 and value.isascii() and value[:17].isdigit():
            check = _ID_CHECK[sum(map(int.__mul__, map(int, value[:17]), _ID_WEIGHTS)) % 11]
            if value[17] == check and not value.startswith(PLACEHOLDER_PREFIX):
                try:
                    born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
                except ValueError:
                    born = None
                if born is not None and earliest <= born <= today:
                    sex = MALE if int(value[16]) % 2 else FEMALE
                    return IdNumber(value=value, birth_date=born, sex=sex), None, None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1e15:
            value = float(value)  # an .xls number cell comes back as int; its last digits are already lost
        found = parse_certificate_number(value, today=today)
        assert found is not None  # placeholders are refused, not returned
        return found

    return convert


def _vocab(vocabulary: dict[str, Any], what: str, accepted: str) -> Converter:
    def convert(value: object) -> Any:
        key = _squash(value)
        if not key:
            return None
        try:
            return vocabulary[key]
        except KeyError:
            raise CellError(f"「{_shown(value)}」不是认得的{what}，请填写：{accepted}。") from None

    return convert


def _boolean(value: object) -> bool | None:
    try:
        return parse_bool(value)
    except CellError:
        text = normalize_text(value)
        if text.startswith(_TRUE_PREFIXES) and len(text) > 1:  # 已参保, 有报告
            return True
        if text.startswith(_FALSE_PREFIXES) and len(text) > 1:  # 未签约, 不享受
            return False
        raise


def _assistance(true_words: frozenset[str], what: str) -> Converter:
    """享受低保政策情况 and friends: 农村低保 / 城市低保 → True, 未享受 → False, or 是/否."""

    def convert(value: object) -> bool | None:
        text = _squash(value)
        if not text:
            return None
        if text in true_words:
            return True
        try:
            return _boolean(value)
        except CellError:
            raise CellError(f"「{_shown(value)}」看不懂是否{what}，请填写 是 或 否（或 农村低保、城市低保、未享受）。") from None

    return convert


def _amount(*, limit: Decimal, negative_allowed: bool = False) -> Converter:
    def convert(value: object) -> Decimal | None:
        amount = parse_amount(value)
        if amount is None:
            return None
        if amount < 0 and not negative_allowed:
            raise CellError(f"「{_shown(value)}」是负数，这里的金额不能为负，请核对。")
        if abs(amount) >= limit:
            raise CellError(f"「{_shown(value)}」太大了，请核对是否多输了数字（单位是元）。")
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)

    return convert


def _year(earliest: int, latest: int, what: str) -> Converter:
    def convert(value: object) -> int | None:
        text = normalize_text(value).removesuffix("年度").removesuffix("年")
        year = parse_int(text if isinstance(value, str) else value)
        if year is None:
            return None
        if not earliest <= year <= latest:
            raise CellError(f"{what}「{_shown(value)}」不对，应在 {earliest} 年到 {latest} 年之间，请填写 4 位年份。")
        return year

    return convert


def _member_count(value: object) -> int | None:
    count = parse_int(value)
    if count is None:
        return None
    if not 1 <= count <= 99:
        raise CellError(f"家庭人口「{_shown(value)}」不对，应为 1 到 99 人。")
    return count


def _birth_date(value: object) -> tuple[date, bool] | None:
    """The date, and whether only year and month were given (198001, 1980年1月)."""
    found = parse_date(value)
    if found is None:
        return None
    month_only = isinstance(value, str) and _YEAR_MONTH_TEXT.fullmatch(normalize_text(value)) is not None
    return found, month_only


def _chinese_number(text: str) -> int | None:
    """0–99 written 3, 03, 三, 十二, 二十, 二十三; None when it is not a number."""
    if text.isdigit() and text.isascii():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        ten = 1 if tens == "" else _CN_DIGITS.get(tens)
        one = 0 if ones == "" else _CN_DIGITS.get(ones)
        return None if ten is None or one is None else ten * 10 + one
    return _CN_DIGITS.get(text) if len(text) == 1 else None


def _group(value: object) -> int | None:
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    core = text.removeprefix("第")
    for suffix in _GROUP_SUFFIXES:
        if core.endswith(suffix):
            core = core[: -len(suffix)]
            break
    number = _chinese_number(core)
    if number is None or not 1 <= number <= 99:
        raise CellError(f"「{_shown(value)}」不是村民小组的组号，请填写数字，如 3、3组 或 第三组。")
    return number


def _disability_grade(value: object) -> int | None:
    text = _squash(value)
    if not text or text in _BLANK_WORDS or text in ("否", "非残疾", "0"):
        return None
    grade = _DISABILITY_GRADE.get(text)
    if grade is None:
        digits = text.removesuffix("级")
        grade = int(digits) if digits.isdigit() else None
    if grade is None or not 1 <= grade <= 4:
        raise CellError(f"残疾等级「{_shown(value)}」不对，只能是 一级、二级、三级、四级（或 1–4）。")
    return grade


def _schooling(value: object) -> str | None:
    text = _squash(value)
    if not text:
        return None
    if text in _BLANK_WORDS:
        return ""
    found = _SCHOOLING.get(text)
    if found is not None:
        return found
    match = _SCHOOL_YEAR.fullmatch(text)
    if match:
        return _SCHOOL_YEAR_STAGE[match[1]]
    if _PRIMARY_YEAR.fullmatch(text):
        return SchoolingStage.PRIMARY.value
    raise CellError(
        f"「{_shown(value)}」不是认得的在校生状况，请填写：{_labels(SchoolingStage)}"
        "（高中、中职、高职高专可带年级，如 普通高中二年级）。"
    )


def _health(value: object) -> tuple[str, bool] | None:
    """The weightiest condition, and whether a long-term chronic illness is among them."""
    text = _squash(value)
    if not text:
        return None
    found = []
    for part in _LIST_SPLIT.split(text):
        if part:
            status = _HEALTH.get(part)
            if status is None:
                raise CellError(f"「{_shown(value)}」不是认得的健康状况，请填写：{_labels(HealthStatus)}。")
            found.append(status)
    if not found:
        return None
    return min(found, key=_HEALTH_RANK.__getitem__), HealthStatus.CHRONIC in found


def _work_location(value: object) -> str | None:
    text = _squash(value)
    if not text:
        return None
    if text in _WORK_NONE or text in _BLANK_WORDS:
        return WorkLocation.NONE.value
    text = text.removesuffix("务工")
    if "省内县外" in text or "县外省内" in text:
        return WorkLocation.IN_PROVINCE.value
    if any(word in text for word in _WORK_OUTSIDE_WORDS):
        return WorkLocation.OUTSIDE.value
    if any(word in text for word in _WORK_PROVINCE_WORDS):
        return WorkLocation.IN_PROVINCE.value
    if any(word in text for word in _WORK_COUNTY_WORDS):
        return WorkLocation.IN_COUNTY.value
    if "省" in text or any(name in text for name in _PROVINCES):
        return WorkLocation.OUTSIDE.value
    raise CellError(
        f"「{_shown(value)}」看不出是县内、省内还是省外，请填写：县内、省内县外、省外（没有务工请留空或填 未务工）。"
    )


def _housing_grade(value: object) -> str | None:
    text = _squash(value)
    if not text:
        return None
    match = _HOUSING.fullmatch(text)
    if match is None:
        raise CellError(f"「{_shown(value)}」不是住房安全等级，请填写 A级、B级、C级 或 D级（C、D 级为危房）。")
    return HousingGrade(match[1]).value


def _risks(value: object) -> tuple[str, ...] | None:
    text = _squash(value)
    if not text:
        return None
    risks = []
    for part in _LIST_SPLIT.split(text):
        if not part or part in _BLANK_WORDS:
            continue
        risk = _RISK.get(part) or _RISK.get(part.removesuffix("致贫").removesuffix("返贫"))
        if risk is None:
            raise CellError(f"「{part}」不是认得的致贫返贫风险，请填写：{_labels(RiskType)}（多个用逗号隔开）。")
        risks.append(risk)
    return tuple(risks)


def _measure_column(kind: str) -> Converter:
    """A national measure column: every comma-separated value is one measure of that kind."""

    def convert(value: object) -> tuple[tuple[str, str], ...] | None:
        text = normalize_text(value)
        if not text:
            return None
        measures = []
        for part in _MEASURE_SPLIT.split(text):
            part = part.strip()
            if part and part not in _MEASURE_NONE:
                measures.append((kind, _detail(part)))
        return tuple(measures)

    return convert


def _measures(value: object) -> tuple[tuple[str, str], ...] | None:
    """Our 帮扶措施 column: 产业帮扶：养牛、种花椒；就业帮扶 … or plain words (→ 其他)."""
    text = normalize_text(value)
    if not text:
        return None
    measures = []
    for segment in _SEGMENT_SPLIT.split(text):
        segment = segment.strip()
        if not segment or segment in _MEASURE_NONE:
            continue
        match = _KIND_DETAIL.fullmatch(segment)
        kind = _MEASURE_KIND.get(_squash(match[1])) if match else None
        if kind is not None:
            details = [part.strip() for part in _ITEM_SPLIT.split(match[2]) if part.strip()]
            measures.extend((kind, _detail(detail)) for detail in details or [""])
            continue
        for part in _ITEM_SPLIT.split(segment):
            part = part.strip()
            if not part or part in _MEASURE_NONE:
                continue
            kind = _MEASURE_KIND.get(_squash(part))
            if kind is not None:
                measures.append((kind, ""))
            else:
                measures.append((_MEASURE_BY_DETAIL.get(part, MeasureType.OTHER.value), _detail(part)))
    return tuple(measures)


def _detail(text: str) -> str:
    if len(text) > 200:
        raise CellError(f"帮扶措施「{text[:20]}…」太长了，每项最多 200 个字。")
    return text


def _memo(convert: Converter) -> Converter:
    """Remember results (and messages) per distinct raw value: coded columns repeat a lot."""
    cache: dict[Any, tuple[bool, Any]] = {}

    def remembered(value: object) -> Any:
        key = value if type(value) is str else (type(value), value)
        try:
            ok, result = cache[key]
        except KeyError:
            try:
                ok, result = True, convert(value)
            except EvalprepError as error:
                ok, result = False, error.message
            cache[key] = (ok, result)
        except TypeError:  # unhashable: never from calamine, but be safe
            return convert(value)
        if ok:
            return result
        raise CellError(result)

    return remembered


def _converters(reference_date: date) -> dict[str, Converter]:
    this_year = reference_date.year
    small = Decimal(10) ** 8  # DecimalField(max_digits=10, decimal_places=2)
    large = Decimal(10) ** 10  # max_digits=12
    bool_memo = _memo(_boolean)
    id_number = _id_converter(date.today())
    return {
        "household_number": _household_number,
        "group": _memo(_group),
        "category": _memo(_vocab(_CATEGORY, "户类型", _CATEGORY_WORDS)),
        "monitoring_type": _memo(_vocab(_MONITORING, "监测对象类别", _labels(MonitoringType) + "（不是监测对象留空）")),
        "monitoring_since": _memo(parse_year_month),
        "name": _name,
        "id_number": id_number,
        "relation": _memo(_vocab(_RELATION, "与户主关系", _labels(Relation))),
        "sex": _memo(_vocab(_SEX, "性别", "男、女")),
        "birth_date": _memo(_birth_date),
        "ethnicity": _memo(_ethnicity),
        "phone": _phone,
        "health": _memo(_health),
        "disability_grade": _memo(_disability_grade),
        "chronic_illness": bool_memo,
        "family_doctor_contract": bool_memo,
        "schooling": _memo(_schooling),
        "out_of_school": bool_memo,
        "out_of_school_reason": _text(50, "未上学原因"),
        "medical_insurance": bool_memo,
        "medical_insurance_resident": bool_memo,
        "medical_insurance_employee": bool_memo,
        "serious_illness_insurance": bool_memo,
        "labour_capacity": _memo(_vocab(_LABOUR, "劳动技能", _labels(LabourCapacity))),
        "work_location": _memo(_work_location),
        "address": _text(200, "住址"),
        "household_phone": _phone,
        "helper_name": _memo(_text(30, "帮扶责任人姓名")),
        "helper_phone": _memo(_phone),
        "housing_grade": _memo(_housing_grade),
        "dangerous_housing": bool_memo,
        "housing_renovated_year": _memo(_year(EARLIEST_RENOVATION_YEAR, this_year, "危房改造年度")),
        "water_source": _memo(_vocab(_WATER, "饮水来源", _labels(WaterSource))),
        "water_safe": bool_memo,
        "water_quality_report": bool_memo,
        "water_seasonal_shortage": bool_memo,
        "minimum_living": _memo(_assistance(_MINIMUM_LIVING_TRUE, "享受低保")),
        "minimum_living_amount": _memo(_amount(limit=small)),
        "destitute_support": _memo(_assistance(_DESTITUTE_TRUE, "享受特困供养")),
        "destitute_support_amount": _memo(_amount(limit=small)),
        "temporary_assistance_amount": _memo(_amount(limit=small)),
        "medical_out_of_pocket": _memo(_amount(limit=small)),
        "no_labour_household": bool_memo,
        "member_count": _memo(_member_count),
        "income_year": _memo(_year(EARLIEST_INCOME_YEAR, this_year, "收入年度")),
        "wage": _memo(_amount(limit=large)),
        "business": _memo(_amount(limit=large, negative_allowed=True)),
        "property_income": _memo(_amount(limit=large)),
        "transfer": _memo(_amount(limit=large)),
        "production_costs": _memo(_amount(limit=large)),
        "per_capita": _memo(_amount(limit=large, negative_allowed=True)),
        "risks": _memo(_risks),
        "measures": _memo(_measures),
        "head_name": _name,
        "head_id_number": id_number,
    }


class _Column(NamedTuple):
    index: int
    header: str
    key: str
    convert: Converter


@dataclass(slots=True)
class _Record:
    row: int
    values: dict[str, Any]
    errors: list[RowError]
    number: str | None = None
    id_number: IdNumber | None = None
    member: ParsedMember | None = None


# Parsing


def roster_parse(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    filename: str,
    default_income_year: int,
    reference_date: date,
    sheet: str | int = 0,
) -> ParsedRoster:
    """Read a roster file; return the valid households and every problem, row by row.

    Raises SheetError when the file cannot be read or has no recognisable header.
    """
    with _gc_paused():
        return _roster_parse(
            source, filename=filename, default_income_year=default_income_year, reference_date=reference_date,
            sheet=sheet,
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a big file is read: the rows and records
    are long-lived, and Python 3.11 would rescan them again and again (a quarter of
    the time on 50,000 rows). Re-enabled afterwards unless it was already off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _roster_parse(source, *, filename, default_income_year, reference_date, sheet) -> ParsedRoster:
    rows = read_workbook_rows(source, filename=filename, sheet=sheet)
    header_index, mapping, _unused = find_header_row(rows, known_headers=KNOWN_HEADERS)
    header_texts = {index: _header_text(cell) for index, cell in enumerate(rows[header_index])}
    keys = set(mapping.values())
    if "name" not in keys and "head_name" in keys:
        mapping = {index: "name" if key == "head_name" else key for index, key in mapping.items()}
    if "id_number" not in keys and "head_id_number" in keys:
        mapping = {index: "id_number" if key == "head_id_number" else key for index, key in mapping.items()}
    keys = set(mapping.values())
    for required, label in (("name", "姓名"), ("id_number", "身份证号")):
        if required not in keys:
            raise SheetError(
                f"表头（第{header_index + 1}行）里没有「{label}」列，无法导入。"
                "请用系统提供的花名册模板，或把这一列的列名改成「姓名」「身份证号」。"
            )
    layout = _layout(keys, header_texts)

    converters = _converters(reference_date)
    plan: list[_Column] = []
    columns: dict[int, str] = {}
    ignored_columns: list[str] = []
    for index, key in sorted(mapping.items()):
        if key.startswith("~") or key == "id_type" or key in ("head_name", "head_id_number"):
            ignored_columns.append(header_texts[index])
            continue
        columns[index] = key
        if key.startswith("measure:"):
            convert = _memo(_measure_column(key.split(":")[1]))
        elif key.startswith("risk:"):
            convert = converters["risks"]
        else:
            convert = converters[key]
        plan.append(_Column(index, header_texts[index], key, convert))
    # unknown or repeated columns, spelt as in the file
    unused_texts = [text for index, text in sorted(header_texts.items()) if text and index not in mapping]
    unknown_columns = [text for text in unused_texts if not text.startswith(_IGNORED_PREFIXES)]
    ignored_columns += [text for text in unused_texts if text.startswith(_IGNORED_PREFIXES)]

    reader = _RosterReader(
        rows=rows,
        header_index=header_index,
        plan=plan,
        layout=layout,
        reference_date=reference_date,
        default_income_year=default_income_year,
    )
    households = reader.read()
    errors = sorted(reader.errors, key=lambda error: error.row)
    warnings = sorted(reader.warnings, key=lambda warning: warning.row)
    return ParsedRoster(
        layout=layout,
        header_row=header_index + 1,
        columns=columns,
        unknown_columns=unknown_columns,
        households=households,
        errors=errors,
        warnings=warnings,
        rejected_rows={error.row for error in errors},
        data_rows=reader.data_rows,
        raw_rows=rows,
        ignored_columns=ignored_columns,
        member_fields=_member_fields(keys, layout),
    )


def _layout(keys: set[str], header_texts: dict[int, str]) -> str:
    if "relation" not in keys:
        return LAYOUT_HOUSEHOLD
    compact = {text.replace(" ", "") for text in header_texts.values()}
    markers = len(compact & NATIONAL_MARKERS)
    if "household_number" in keys and ("证件类型" in compact or markers >= 3):
        return LAYOUT_NATIONAL
    return LAYOUT_PERSON


def _member_fields(keys: set[str], layout: str) -> frozenset[str]:
    """The ParsedMember fields this file speaks for; the others are defaults an update should not write."""
    given = {"name", "id_number", "sex", "birth_date", "relation"}
    if layout == LAYOUT_NATIONAL:
        given.add("disability_grade")  # the national sheet gives every disabled person a certificate number
    direct = (
        "ethnicity", "phone", "health", "schooling", "out_of_school", "out_of_school_reason",
        "serious_illness_insurance", "disability_grade", "chronic_illness", "family_doctor_contract",
        "labour_capacity", "work_location",
    )
    given.update(key for key in direct if key in keys)
    if keys & {"medical_insurance", "medical_insurance_resident", "medical_insurance_employee"}:
        given.add("medical_insurance")
    if "health" in keys:
        given.add("chronic_illness")
    if "out_of_school_reason" in keys:
        given.add("out_of_school")
    return frozenset(given)


class _RosterReader:
    def __init__(self, *, rows, header_index, plan, layout, reference_date, default_income_year) -> None:
        self.rows = rows
        self.header_index = header_index
        self.plan: list[_Column] = plan
        self.layout = layout
        self.reference_date = reference_date
        self.default_income_year = default_income_year
        self.headers = {column.key: column.header for column in plan}
        self.agreed_keys = tuple(key for key in _AGREED_KEYS if key in self.headers)
        self.risk_keys = tuple(key for key in self.headers if key == "risks" or key.startswith("risk:"))
        self.measure_keys = tuple(key for key in self.headers if key == "measures" or key.startswith("measure:"))
        self.indexes = {column.key: column.index for column in plan}
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.data_rows = 0

    # One pass over the rows

    def read(self) -> list[ParsedHousehold]:
        records = self._read_rows()
        self._check_duplicate_ids(records)
        households: list[ParsedHousehold] = []
        for group in self._group(records):
            household = self._household(group)
            bad = [record for record in group if record.errors]
            if bad:
                first = bad[0].row
                for record in group:
                    if not record.errors:
                        record.errors.append(RowError(record.row, "", "", SAME_HOUSEHOLD_MESSAGE.format(row=first)))
            elif household is not None:
                households.append(household)
                self._warn_household(household, group)
            for record in group:
                self.errors.extend(record.errors)
        return households

    def _read_rows(self) -> list[_Record]:
        plan = [(column.index, column.key, column.header, column.convert) for column in self.plan]
        needed = max(column.index for column in self.plan) + 1
        name_index = self.indexes["name"]
        id_index = self.indexes["id_number"]
        check_person = self._check_person
        records: list[_Record] = []
        for offset in range(self.header_index + 1, len(self.rows)):
            raw = self.rows[offset]
            if len(raw) < needed:
                raw = [*raw, *[""] * (needed - len(raw))]
            row = offset + 1
            id_cell = raw[id_index]
            if _blank(id_cell) and (_blank(raw[name_index]) or any(map(_is_note, raw))):
                self._warn_skipped(raw, row)  # a blank row, or a note such as 合计 / 填表人：…
                continue
            self.data_rows += 1
            values: dict[str, Any] = {}
            errors: list[RowError] = []
            for index, key, header, convert in plan:
                cell = raw[index]
                if cell == "" or cell is None:
                    continue
                try:
                    value = convert(cell)
                except EvalprepError as error:
                    errors.append(RowError(row, header, normalize_text(cell), error.message))
                    continue
                if value is not None:
                    values[key] = value
            record = _Record(row, values, errors)
            check_person(record, raw)
            records.append(record)
        return records

    def _warn_skipped(self, raw: list[Any], row: int) -> None:
        filled = sum(1 for column in self.plan if column.index < len(raw) and not _blank(raw[column.index]))
        if filled >= 3 and not any(_is_note(cell) for cell in raw):
            self.warnings.append(RowError(
                row, "", "", "这一行没有姓名和身份证号，当作备注跳过了；如果是漏填，请补上姓名和身份证号后重新上传。"
            ))

    # Per-person checks

    def _check_person(self, record: _Record, raw: list[Any]) -> None:
        values = record.values
        errors = record.errors
        row = record.row
        headers = self.headers
        failed = {error.column for error in errors}

        if "name" not in values and headers["name"] not in failed:
            errors.append(RowError(row, headers["name"], "", "姓名是空的，请填写。"))
        found = values.get("id_number")
        if found is None:
            if headers["id_number"] not in failed:
                errors.append(RowError(row, headers["id_number"], "", "身份证号是空的，请填写 18 位身份证号。"))
            id_number = None
            certificate_grade = None
        else:
            id_number, _category, certificate_grade = found
            record.id_number = id_number

        if self.layout == LAYOUT_HOUSEHOLD:
            relation = Relation.HEAD.value
        else:
            relation = values.get("relation")
            if relation is None and headers["relation"] not in failed:
                errors.append(RowError(
                    row, headers["relation"], "", f"与户主关系是空的，请填写：{_labels(Relation)}。"
                ))
        number = values.get("household_number")
        record.number = number

        if id_number is None:
            return
        sex = id_number.sex
        stated_sex = values.get("sex")
        if stated_sex is not None and stated_sex != sex:
            errors.append(RowError(
                row, headers["sex"], _cell(raw, self.indexes["sex"]),
                f"性别「{_SEX_LABELS[stated_sex]}」与身份证号不符（身份证号第17位表示{_SEX_LABELS[sex]}性），请核对。",
            ))
        stated_birth = values.get("birth_date")
        if stated_birth is not None:
            given, month_only = stated_birth
            born = id_number.birth_date
            same = (given.year, given.month) == (born.year, born.month) if month_only else given == born
            if not same:
                errors.append(RowError(
                    row, headers["birth_date"], _cell(raw, self.indexes["birth_date"]),
                    f"出生日期「{_cell(raw, self.indexes['birth_date'])}」与身份证号中的出生日期 "
                    f"{born.year}年{born.month}月{born.day}日 不一致，请核对。",
                ))
        if relation is not None and (
            (relation in _MALE_RELATIONS and sex != MALE) or (relation in _FEMALE_RELATIONS and sex != FEMALE)
        ):
            errors.append(RowError(
                row, headers.get("relation", ""), _cell(raw, self.indexes.get("relation")),
                f"与户主关系「{relation}」与性别「{_SEX_LABELS[sex]}」矛盾，请核对（性别按身份证号第17位）。",
            ))

        grade = values.get("disability_grade")
        if certificate_grade is not None and grade is not None and grade != certificate_grade:
            errors.append(RowError(
                row, headers["disability_grade"], _cell(raw, self.indexes["disability_grade"]),
                f"残疾等级「{_cell(raw, self.indexes['disability_grade'])}」与残疾人证号中的等级"
                f"（{certificate_grade}级）不一致，请核对。",
            ))
        if grade is None:
            grade = certificate_grade

        health, chronic_from_health = values.get("health") or ("", False)
        chronic = values.get("chronic_illness")
        schooling = values.get("schooling", "")
        reason = values.get("out_of_school_reason", "")
        out_of_school = values.get("out_of_school")
        age = _age(id_number, self.reference_date)
        if out_of_school is None:
            # the national sheet has no such column: a reason for a school-age child says it
            out_of_school = bool(reason) and age in COMPULSORY_SCHOOL_AGES and schooling not in _IN_SCHOOL
        if out_of_school and schooling in _IN_SCHOOL:
            errors.append(RowError(
                row, headers.get("out_of_school", ""), _cell(raw, self.indexes.get("out_of_school")),
                f"填了失学辍学，又填了在校生状况「{schooling}」，两者矛盾，请核对。",
            ))
        if out_of_school and not reason and age in COMPULSORY_SCHOOL_AGES:
            errors.append(RowError(
                row, headers.get("out_of_school", ""), _cell(raw, self.indexes.get("out_of_school")),
                f"{age} 岁，属义务教育阶段，标为失学辍学就必须填写「未上学原因」（如 因病休学、重度残疾送教上门），请补上。",
            ))
        insured = [values.get(key) for key in _INSURANCE_KEYS]
        medical_insurance = True if True in insured else (False if False in insured else None)

        if errors or relation is None or "name" not in values:
            return
        record.member = ParsedMember(
            row=row,
            name=values["name"],
            id_number=id_number.value,
            sex=sex,
            birth_date=id_number.birth_date,
            relation=relation,
            ethnicity=values.get("ethnicity", ""),
            phone=values.get("phone", ""),
            health=health,
            schooling=schooling,
            out_of_school=bool(out_of_school),
            out_of_school_reason=reason,
            medical_insurance=medical_insurance,
            serious_illness_insurance=values.get("serious_illness_insurance"),
            disability_grade=grade,
            chronic_illness=chronic if chronic is not None else chronic_from_health,
            family_doctor_contract=values.get("family_doctor_contract"),
            labour_capacity=values.get("labour_capacity", ""),
            work_location=values.get("work_location", ""),
        )

    def _check_duplicate_ids(self, records: list[_Record]) -> None:
        seen: dict[str, list[_Record]] = {}
        for record in records:
            if record.id_number is not None:
                seen.setdefault(record.id_number.value, []).append(record)
        header = self.headers["id_number"]
        index = self.indexes["id_number"]
        for same in seen.values():
            if len(same) < 2:
                continue
            for record in same:
                others = "、".join(str(other.row) for other in same if other is not record)
                record.errors.append(RowError(
                    record.row, header, _cell(self.rows[record.row - 1], index),
                    f"身份证号与第{others}行重复，同一个人只能出现一次，请删除或改正重复的行。",
                ))
                record.member = None

    # Households

    def _group(self, records: list[_Record]) -> list[list[_Record]]:
        if self.layout == LAYOUT_HOUSEHOLD:
            if "household_number" in self.indexes:
                self._check_duplicate_numbers(records)
            return [[record] for record in records]
        if "household_number" in self.indexes:
            groups: dict[str, list[_Record]] = {}
            loose: list[list[_Record]] = []
            previous: str | None = None
            for record in records:
                if record.number is None:
                    if previous is None:
                        record.errors.append(RowError(
                            record.row, self.headers["household_number"], "", "户编号是空的，请填写这一户的户编号。"
                        ))
                        loose.append([record])
                        continue
                    record.number = previous  # a merged or left-blank 户编号 continues the household above
                previous = record.number
                groups.setdefault(record.number, []).append(record)
            return loose + list(groups.values())
        # no 户编号 column: a new household starts at each 户主 row
        result: list[list[_Record]] = []
        current: list[_Record] | None = None
        for record in records:
            relation = record.values.get("relation")
            if relation == Relation.HEAD or current is None:
                current = []
                result.append(current)
            current.append(record)
        return result

    def _check_duplicate_numbers(self, records: list[_Record]) -> None:
        """One row per household: the same 户编号 twice is two households claiming one number."""
        seen: dict[str, list[_Record]] = {}
        for record in records:
            if record.number is not None:
                seen.setdefault(record.number, []).append(record)
        for same in seen.values():
            for record in same if len(same) > 1 else ():
                others = "、".join(str(other.row) for other in same if other is not record)
                record.errors.append(RowError(
                    record.row, self.headers["household_number"], record.number,
                    f"户编号「{record.number}」与第{others}行重复。这张表每行是一户，户编号不能重复，请核对。",
                ))

    def _household(self, group: list[_Record]) -> ParsedHousehold | None:
        relation_header = self.headers.get("relation", "")
        relation_index = self.indexes.get("relation")
        if self.layout == LAYOUT_HOUSEHOLD:
            heads = group
        else:
            heads = [record for record in group if record.values.get("relation") == Relation.HEAD]
        if not heads:
            if "household_number" in self.indexes:
                message = (
                    f"这一户（户编号 {group[0].number or '空'}）没有户主：每户必须有一行「与户主关系」填“户主”。"
                    "请补上户主或改正与户主关系。"
                )
            else:
                message = (
                    "这一行前面没有户主：表中没有「户编号」列时，每一户要从「与户主关系」为“户主”的那一行开始，"
                    "请把户主放在本户第一行，或加上「户编号」列。"
                )
            for record in group:
                raw = _cell(self.rows[record.row - 1], relation_index)
                record.errors.append(RowError(record.row, relation_header, raw, message))
            return None
        if len(heads) > 1:
            rows = "、".join(str(head.row) for head in heads)
            message = f"这一户（户编号 {group[0].number}）有 {len(heads)} 个户主（第{rows}行），每户只能有一个户主，请核对。"
            for record in group:
                raw = _cell(self.rows[record.row - 1], relation_index)
                record.errors.append(RowError(record.row, relation_header, raw, message))
            return None
        head = heads[0]
        if head.id_number is not None:
            for record in group:
                if record.values.get("relation") == Relation.SPOUSE and record.id_number is not None:
                    if record.id_number.sex == head.id_number.sex:
                        record.errors.append(RowError(
                            record.row, relation_header, "配偶",
                            f"配偶与户主（第{head.row}行）性别相同（都是{_SEX_LABELS[head.id_number.sex]}性），"
                            "请核对与户主关系或身份证号。",
                        ))
        merged = self._agreed_values(group)
        extra = self._household_checks(merged, group)
        if any(record.errors for record in group) or extra:
            return None

        fields: dict[str, Any] = {"head_name": head.values["name"]}
        for key, model_field in _HOUSEHOLD_FIELDS.items():
            if key in merged:
                fields[model_field] = merged[key][1]
        category = merged.get("category", (None, None))[1]
        monitoring = merged.get("monitoring_type", (None, None))[1]
        if monitoring:
            fields["category"] = Category.MONITORED.value
        if "category" in fields and fields["category"] != Category.MONITORED:
            fields["monitoring_type"] = ""
        elif category is None and monitoring == "":
            fields.pop("monitoring_type", None)  # "not monitored" without a category says nothing
        if "housing_grade" not in fields and merged.get("dangerous_housing", (None, None))[1] is True:
            fields["housing_grade"] = HousingGrade.C.value
        if self.layout != LAYOUT_HOUSEHOLD:
            fields["member_count"] = len(group)

        number = head.number if head.number is not None else head.id_number.value
        members = [record.member for record in group]
        income = self._income(merged)
        risks = list(dict.fromkeys(_gather(group, self.risk_keys)))
        measures = list(dict.fromkeys(_gather(group, self.measure_keys)))
        return ParsedHousehold(
            number=number,
            rows=[record.row for record in group],
            group_number=merged["group"][1] if "group" in merged else None,
            fields=fields,
            members=members,
            income=income,
            risks=[str(risk) for risk in risks],
            measures=measures,
        )

    def _agreed_values(self, group: list[_Record]) -> dict[str, tuple[_Record, Any]]:
        """Household values: the first row giving one sets it, any other row must agree."""
        merged: dict[str, tuple[_Record, Any]] = {}
        for key in self.agreed_keys:
            for record in group:
                value = record.values.get(key)
                if value is None:
                    continue
                if key not in merged:
                    merged[key] = (record, value)
                    continue
                first, first_value = merged[key]
                if value != first_value:
                    header = self.headers[key]
                    index = self.indexes[key]
                    record.errors.append(RowError(
                        record.row, header, _cell(self.rows[record.row - 1], index),
                        f"「{header}」填的是「{_cell(self.rows[record.row - 1], index)}」，"
                        f"同户第{first.row}行填的是「{_cell(self.rows[first.row - 1], index)}」，不一致。"
                        "同一户的户级信息只需在户主行填写，其他行留空或填相同内容。",
                    ))
        for key in _ANY_KEYS:
            given = [(record, record.values[key]) for record in group if record.values.get(key) is not None]
            if given:
                merged[key] = next(((record, True) for record, value in given if value), given[0])
        return merged

    def _household_checks(self, merged: dict[str, tuple[_Record, Any]], group: list[_Record]) -> bool:
        failed = False
        if "dangerous_housing" in merged and "housing_grade" in merged:
            record, dangerous = merged["dangerous_housing"]
            grade = merged["housing_grade"][1]
            if dangerous != (grade in (HousingGrade.C, HousingGrade.D)):
                header = self.headers["dangerous_housing"]
                record.errors.append(RowError(
                    record.row, header, _cell(self.rows[record.row - 1], self.indexes["dangerous_housing"]),
                    f"「{header}」填的是「{'是' if dangerous else '否'}」，住房安全等级却是 {grade} 级，两者矛盾"
                    "（C、D 级才是危房），请核对。",
                ))
                failed = True
        return failed

    def _income(self, merged: dict[str, tuple[_Record, Any]]) -> ParsedIncome | None:
        if not any(key in merged for key in _INCOME_KEYS):
            return None

        def amount(key: str) -> Decimal:
            return merged[key][1] if key in merged else Decimal(0)

        return ParsedIncome(
            year=merged["income_year"][1] if "income_year" in merged else self.default_income_year,
            wage=amount("wage"),
            business=amount("business"),
            property_income=amount("property_income"),
            transfer=amount("transfer"),
            production_costs=amount("production_costs"),
            stated_per_capita=merged["per_capita"][1] if "per_capita" in merged else None,
        )

    def _warn_household(self, household: ParsedHousehold, group: list[_Record]) -> None:
        size = household.fields.get("member_count")
        income = household.income
        if income is not None and income.stated_per_capita is not None and size:
            computed = (income.net / size).quantize(CENT, rounding=ROUND_HALF_UP)
            if abs(computed - income.stated_per_capita) > PER_CAPITA_TOLERANCE:
                row = next(record.row for record in group if "per_capita" in record.values)
                header = self.headers["per_capita"]
                self.warnings.append(RowError(
                    row, header, _cell(self.rows[row - 1], self.indexes["per_capita"]),
                    f"人均纯收入填的是 {income.stated_per_capita} 元，按各项收入算是 {computed} 元"
                    f"（（工资性＋生产经营性＋财产性＋转移性－生产经营性支出）÷ {size} 人），相差超过 1 元，请核对。",
                ))
        if self.layout != LAYOUT_HOUSEHOLD and "member_count" in self.indexes:
            stated = next((record.values["member_count"] for record in group if "member_count" in record.values), None)
            if stated is not None and stated != len(group):
                row = next(record.row for record in group if "member_count" in record.values)
                self.warnings.append(RowError(
                    row, self.headers["member_count"], str(stated),
                    f"家庭人口填的是 {stated} 人，表中这一户有 {len(group)} 行（人），请核对是否漏了家庭成员。",
                ))
        if household.fields.get("category") == Category.MONITORED and not household.fields.get("monitoring_type"):
            self.warnings.append(RowError(
                group[0].row, self.headers.get("monitoring_type", self.headers.get("category", "")), "",
                "这一户是监测户，但没有填监测对象类别（脱贫不稳定户、边缘易致贫户、突发严重困难户），请补上。",
            ))
        for member in household.members:
            if member.health == HealthStatus.DISABLED and member.disability_grade is None:
                self.warnings.append(RowError(
                    member.row, self.headers.get("health", ""), "残疾",
                    "健康状况是残疾，但没有残疾等级（也没有残疾人证号），请补填残疾等级。",
                ))


def _gather(group: list[_Record], keys: tuple[str, ...]) -> Iterable[Any]:
    for record in group:
        values = record.values
        for key in keys:
            found = values.get(key)
            if found:
                yield from found


def _age(id_number: IdNumber, on: date) -> int:
    return age_on(id_number, on) if id_number.birth_date <= on else -1


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_note(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith(_NOTE_WORDS)


def _header_text(cell: object) -> str:
    """A header as the file spells it (full-width brackets kept), on one line."""
    if isinstance(cell, str):
        return " ".join(cell.split())
    return normalize_text(cell)


def _cell(raw: list[Any], index: int | None) -> str:
    if index is None or index >= len(raw):
        return ""
    return normalize_text(raw[index])


# The error workbook


def rejected_rows_workbook(parsed: ParsedRoster) -> bytes:
    """The rejected rows with their original cells, a leading 「行号» and a trailing 「错误说明»."""
    header = parsed.header
    while header and not header[-1]:
        header.pop()
    width = len(header)
    messages: dict[int, list[str]] = {}
    for error in parsed.errors:
        where = f"「{error.column}」" if error.column else ""
        text = error.message.rstrip("。")
        messages.setdefault(error.row, []).append(f"{where}：{text}" if where else text)
    rows = []
    for row in sorted(parsed.rejected_rows):
        raw = parsed.raw_rows[row - 1] if row - 1 < len(parsed.raw_rows) else []
        cells = [_workbook_cell(value) for value in raw[:width]]
        cells += [None] * (width - len(cells))
        rows.append([row, *cells, "；".join(messages.get(row, [])) + "。"])
    headers = ["行号", *(text or f"（第{index + 1}列）" for index, text in enumerate(header)), "错误说明"]
    widths = [8, *([14] * width), 80]
    return workbook_bytes([SheetSpec("未导入的行", headers, rows, widths)])


def _workbook_cell(value: object) -> object:
    if value == "" or value is None:
        return None
    if isinstance(value, (time, timedelta)):
        return str(value)
    if isinstance(value, (str, int, float, bool, date, datetime)):
        return value
    return normalize_text(value)


__all__ = [
    "CANONICAL_HEADERS",
    "KNOWN_HEADERS",
    "LAYOUT_HOUSEHOLD",
    "LAYOUT_NATIONAL",
    "LAYOUT_PERSON",
    "ParsedHousehold",
    "ParsedIncome",
    "ParsedMember",
    "ParsedRoster",
    "RowError",
    "ledger_message",
    "rejected_rows_workbook",
    "roster_parse",
]
