"""Reading the national monitoring system's exports into a dated snapshot.

A snapshot is any subset of the person sheet, the household sheet, the two
work sheets and the village sheet, uploaded together. Every sheet of every file
is looked at: its header row is found among the title rows (it is on row 3 in
the exports seen, but that is not assumed), its columns are mapped by name with
the spellings of each export, and it is recognised by its headers whatever the
file is called. Everything is read as text; numbers and year-months are also
kept typed for the checks, and the original row is kept as JSON. Once taken a
snapshot is never changed (see `households/admin.py`: read-only).
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone
from python_calamine import CalamineWorkbook

from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import check_character
from evalprep.core.models import County, Township, Village
from evalprep.core.sheets import (
    SUPPORTED_SUFFIXES,
    CellError,
    SheetError,
    find_header_row,
    normalize_text,
    parse_amount,
    parse_date,
    parse_year_month,
    read_workbook_rows,
)
from households.models import (
    NationalHousehold,
    NationalPerson,
    NationalPlannedWork,
    NationalSnapshot,
    NationalSnapshotFile,
    NationalVillageRow,
    NationalWorkSpell,
    SnapshotSource,
    SnapshotStatus,
)

ProgressFn = Callable[[int, str], None]
BATCH = 2000

# Location columns, spelt differently per export.
LOCATION = {
    "县": "county_name", "县(市、区、旗)": "county_name", "县（市、区、旗）": "county_name",
    "乡": "township_name", "乡(镇)": "township_name", "乡（镇）": "township_name", "乡镇": "township_name",
    "村": "village_name", "行政村": "village_name",
}

# field → type; text unless listed. number: Decimal; month: year×12+month.
PERSON_HEADERS = {
    **LOCATION,
    "组": "group_name", "村民小组": "group_name",
    "户编号": "household_number", "姓名": "name", "证件号码": "id_number", "证件类型": "id_type",
    "与户主关系": "relation", "户类型": "household_type", "监测对象类别": "monitoring_type",
    "户联系电话": "household_phone", "家庭成员联系电话": "member_phone",
    "性别": "sex", "民族": "ethnicity", "出生日期": "birth_date", "文化程度": "education",
    "在校生状况": "schooling", "义务教育阶段未上学原因": "not_in_school_reason", "健康状况": "health",
    "劳动技能": "labour_skill", "务工所在地": "work_place", "就业渠道（易地搬迁后扶使用）": "employment_channel",
    "就业渠道": "employment_channel", "公益性岗位": "public_welfare_job", "公益性岗位(月数)": "public_welfare_job_months",
    "是否参加城乡居民基本医疗保险": "resident_medical", "是否参加城镇职工基本医疗保险": "employee_medical",
    "是否参加大病保险": "serious_illness_insurance", "是否接受医疗救助": "medical_assistance",
    "是否参加城乡居民基本养老保险": "resident_pension", "是否参加城镇职工基本养老保险": "employee_pension",
    "享受低保政策情况": "minimum_living", "享受特困供养政策情况": "destitute",
    "是否危房户": "dangerous_house", "是否解决安全饮用水": "safe_water", "是否通生活用电": "electricity",
    "是否有卫生厕所": "toilet", "入户道路是否硬化": "road_hardened", "住房面积": "housing_area",
    "与村主干路距离": "road_distance", "耕地面积（亩）": "farmland", "林地面积（亩）": "forest",
    "退耕还林面积（亩）": "returned_forest", "林果面积（亩）": "orchard", "牧草地面积": "pasture", "水面面积": "water_area",
    "人均纯收入（元）": "income_per_capita", "人均纯收入": "income_per_capita", "工资性收入": "wage_income",
    "生产经营性收入": "business_income", "转移性收入": "transfer_income", "合规自付支出": "out_of_pocket",
    "整户无劳动能力兜底保障户": "no_labour_household",
    **{f"致贫/返贫风险{n}": f"risk{n}" for n in range(1, 6)},
    **{f"致贫返贫风险{n}": f"risk{n}" for n in range(1, 6)},
    "风险说明": "risk_note", "其他风险说明": "risk_note", "致贫/返贫风险说明": "risk_note", "风险备注": "risk_note",
    "自然灾害子项": "risk_note", "因自然灾害子项": "risk_note",
    "是否义务教育阶段适龄儿童少年失学辍学": "out_of_school",
    "是否有家庭成员未参加城乡居民（职工）基本医疗保险": "member_uninsured",
    "风险是否已消除": "risk_eliminated", "识别监测时间": "identified_month", "风险消除方式": "elimination_method",
    "消除监测时间": "eliminated_month", "信息采集人": "collector", "信息采集人联系电话": "collector_phone",
    "产业帮扶": "m_industry", "就业帮扶": "m_employment", "公益岗位帮扶": "m_public_job", "公益性岗位帮扶": "m_public_job",
    "金融帮扶": "m_finance", "健康帮扶": "m_health", "教育帮扶": "m_education", "义务教育保障": "m_compulsory_education",
    "住房安全保障": "m_housing", "饮水安全保障": "m_water", "综合保障": "m_welfare", "社会帮扶": "m_social",
    "搬迁": "m_relocation", "易地搬迁": "m_relocation", "生产生活条件改善": "m_conditions",
    "基础设施建设": "m_infrastructure", "实施开发式帮扶措施情况": "development_status",
    "风险消除后是否义务教育阶段适龄儿童少年失学辍学": "post_out_of_school", "风险消除后是否住房损毁": "post_house_damaged",
    "风险消除后是否有家庭成员未参加城乡居民（职工）基本医疗保险": "post_uninsured",
    "风险消除后是否饮水设施损毁": "post_water_damaged", "风险消除后工资性收入": "post_wage",
    "风险消除后财产性收入": "post_property", "风险消除后转移性收入": "post_transfer",
    "风险消除后生产经营性收入": "post_business", "风险消除后生产经营性支出": "post_business_cost",
    "风险消除后家庭纯收入": "post_net", "风险消除后家庭人均纯收入": "post_per_capita",
    "风险消除后理赔收入": "post_claims", "风险消除后合规自付支出": "post_out_of_pocket",
}
HOUSEHOLD_HEADERS = {
    **LOCATION, "户编号": "household_number", "户主姓名": "head_name",
    "家庭人口数": "member_count", "家庭人口": "member_count", "户人口数": "member_count",
}
WORK_HEADERS = {
    **LOCATION, "户编号": "household_number", "姓名": "name", "证件号码": "id_number", "是否已务工": "is_working",
    "开始时间": "started_month", "务工开始时间": "started_month", "结束时间": "ended_month", "务工结束时间": "ended_month",
    "务工所在县": "work_county", "务工月收入": "monthly_income", "务工企业名称": "employer", "所属行业": "industry",
    "就业渠道": "channel", "是否点对点输送": "point_to_point", "年度交通费补助": "travel_subsidy",
}
PLANNED_HEADERS = {
    **LOCATION, "姓名": "name", "证件号码": "id_number", "是否计划务工": "planned",
    "计划务工所在县": "planned_county", "就业服务需求": "service_needs",
}
VILLAGE_HEADERS = {
    **LOCATION, "是否出列": "exited", "总户数": "households_total", "总人口数": "population",
    "村级集体经济收入（万元）": "collective_income", "村级集体经济收入": "collective_income",
    "村小学（个数）": "schools", "村小学": "schools", "卫生室": "clinics", "卫生室（个数）": "clinics",
    "公共厕所": "public_toilets", "公共厕所（个数）": "public_toilets", "执业医师": "doctors", "执业医师（人数）": "doctors",
    "垃圾集中堆放点": "refuse_points", "垃圾集中堆放点（个数）": "refuse_points", "文化室": "culture_rooms",
    "文化室（个数）": "culture_rooms", "低保户数": "minimum_living_households", "低保人口数": "minimum_living_people",
    "特困供养人口数": "destitute_people", "残疾人口数": "disabled_people",
    "到乡镇是否通沥青（水泥）路": "paved_road", "未实现饮水安全户数": "unsafe_water_households", "危房户数": "dangerous_houses",
}

NUMBER_FIELDS = frozenset({
    "public_welfare_job_months", "housing_area", "road_distance", "farmland", "forest", "returned_forest", "orchard",
    "pasture", "water_area", "income_per_capita", "wage_income", "business_income", "transfer_income", "out_of_pocket",
    "post_wage", "post_property", "post_transfer", "post_business", "post_business_cost", "post_net",
    "post_per_capita", "post_claims", "post_out_of_pocket", "member_count", "monthly_income", "travel_subsidy",
    "households_total", "population", "collective_income", "unsafe_water_households", "dangerous_houses",
})
MONTH_FIELDS = frozenset({"identified_month", "eliminated_month", "started_month", "ended_month"})


@dataclass(frozen=True)
class SheetKind:
    code: str
    label: str
    model: type
    headers: dict[str, str]
    markers: frozenset[str]
    required: tuple[tuple[str, str], ...]  # (field, the column's name in messages)
    counter: str


SHEET_KINDS = (
    SheetKind(
        "work", "已外出务工信息表", NationalWorkSpell, WORK_HEADERS,
        frozenset({"is_working", "started_month", "ended_month", "work_county", "monthly_income", "employer",
                   "industry", "point_to_point", "travel_subsidy"}),
        (("id_number", "证件号码"), ("started_month", "开始时间")), "work_spells",
    ),
    SheetKind(
        "planned", "计划外出务工信息表", NationalPlannedWork, PLANNED_HEADERS,
        frozenset({"planned", "planned_county", "service_needs"}), (("id_number", "证件号码"),), "planned_work",
    ),
    SheetKind(
        "person", "监测对象信息表（人员）", NationalPerson, PERSON_HEADERS,
        frozenset({"relation", "household_type", "monitoring_type", "ethnicity", "health", "labour_skill", "schooling",
                   "birth_date", "minimum_living", "risk_eliminated", "id_type", "sex"}),
        (("household_number", "户编号"), ("id_number", "证件号码"), ("relation", "与户主关系"),
         ("township_name", "乡"), ("village_name", "村")), "persons",
    ),
    SheetKind(
        "village", "行政村信息表", NationalVillageRow, VILLAGE_HEADERS,
        frozenset({"exited", "households_total", "population", "collective_income", "schools", "clinics",
                   "doctors", "paved_road", "minimum_living_households", "dangerous_houses"}),
        (("township_name", "乡"), ("village_name", "村")), "village_rows",
    ),
    SheetKind(
        "household", "户信息表", NationalHousehold, HOUSEHOLD_HEADERS,
        frozenset({"household_number", "head_name", "member_count"}),
        (("household_number", "户编号"), ("township_name", "乡"), ("village_name", "村")), "households",
    ),
)
KIND_BY_CODE = {kind.code: kind for kind in SHEET_KINDS}
ALL_HEADERS = {spelling: spelling for kind in SHEET_KINDS for spelling in kind.headers}


class NationalImportError(EvalprepError):
    """A file or sheet of the national export that cannot be taken in."""


def month_index(value: date | None) -> int | None:
    return value.year * 12 + value.month if value else None


def month_label(index: int | None) -> str:
    if not index:
        return "（空）"
    year, month = divmod(index - 1, 12)
    return f"{year}年{month + 1}月"


def workbook_open(data: bytes, filename: str) -> CalamineWorkbook:
    """The workbook, or the same Chinese message every import gives for a wrong, damaged or locked file."""
    if Path(filename).suffix.lower() not in SUPPORTED_SUFFIXES or not data:
        read_workbook_rows(data, filename=filename)  # raises SheetError with the message
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        read_workbook_rows(data, filename=filename)
        raise SheetError(f"无法读取「{filename}」，请用 WPS 或 Excel 打开后另存为 .xlsx 再上传。") from None


def sheet_recognise(rows: Sequence[Sequence], *, filename: str, sheet: str) -> tuple[SheetKind, int, dict[int, str]] | None:
    """Which export a sheet is, where its header is and which column is which field; None if it is none of them."""
    try:
        header_index, _, _ = find_header_row(rows, known_headers=ALL_HEADERS, min_matches=2)
    except SheetError:
        return None
    best: tuple[int, SheetKind, dict[int, str]] | None = None
    for kind in SHEET_KINDS:
        _, columns, _ = _columns_of(rows[header_index], kind)
        fields = set(columns.values())
        score = len(fields & kind.markers)
        if kind.code == "household" and ("id_number" in fields or "证件号码" in _cells(rows[header_index])):
            continue  # a person or work sheet missing its markers is not a household sheet
        if score >= 2 and (best is None or score > best[0]):
            best = (score, kind, columns)
    if best is None:
        return None
    _, kind, columns = best
    present = set(columns.values())
    for field_name, label in kind.required:
        if field_name not in present:
            raise NationalImportError(
                f"「{filename}」的工作表「{sheet}」（{kind.label}）缺少关键列「{label}」，无法比对。"
                f"请从国家系统重新导出完整的表（不要删除或改名列），再上传。"
            )
    return kind, header_index, columns


def _cells(row: Sequence) -> set[str]:
    return {normalize_text(cell) for cell in row}


def _columns_of(header: Sequence, kind: SheetKind) -> tuple[int, dict[int, str], list[str]]:
    try:
        return find_header_row([header], known_headers=kind.headers, min_matches=1, max_scan=1)
    except SheetError:
        return 0, {}, []


def row_values(row: Sequence, *, kind: SheetKind, items: list[tuple[int, str]], header: list[str],
               row_number: int, sheet: str) -> dict | None:
    """One data row as model field values (text, Decimal, month index, date) plus `raw`; None if blank."""
    texts = ["" if cell == "" else normalize_text(cell) for cell in row]
    if not any(texts):
        return None
    raw = {header[i]: text for i, text in enumerate(texts) if text and i < len(header) and header[i]}
    values: dict = {"row_number": row_number, "sheet": sheet[:100], "raw": raw}
    bad: list[str] = []
    for index, name in items:
        text = texts[index] if index < len(texts) else ""
        if name in NUMBER_FIELDS:
            values[name] = _number_or_bad(text, name, bad)
        elif name in MONTH_FIELDS:
            values[name] = _month_or_bad(text, name, bad)
        elif name == "birth_date":
            values[name] = _date_or_bad(text, name, bad)
        elif name == "id_number":
            values[name] = text.replace(" ", "").upper()[:40]
        elif name == "household_number":
            values[name] = text.replace(" ", "")[:40]
        else:
            values[name] = text
    values["bad_values"] = f",{','.join(bad)}," if bad else ""
    if kind.code == "person":
        id_number = values.get("id_number", "")
        values["id_check_ok"] = id_number_check_ok(id_number)
        if values.get("birth_date") is None:
            values["birth_date"] = _birth_from_id(id_number)
    return values


def _number_or_bad(text: str, name: str, bad: list[str]) -> Decimal | None:
    if not text:
        return None
    try:
        value = parse_amount(text)
    except CellError:
        bad.append(name)
        return None
    if value is None or abs(value) >= Decimal("1e12"):
        bad.append(name)
        return None
    return value.quantize(Decimal("0.01"))


def _month_or_bad(text: str, name: str, bad: list[str]) -> int | None:
    try:
        return month_index(parse_year_month(text))
    except CellError:
        bad.append(name)
        return None


def _date_or_bad(text: str, name: str, bad: list[str]) -> date | None:
    try:
        return parse_date(text)
    except CellError:
        bad.append(name)
        return None


def id_number_check_ok(id_number: str) -> bool | None:
    """The GB 11643 check character of the first 18 characters; None if there are no 17 digits to check."""
    text = id_number.upper()
    if len(text) < 18 or not text[:17].isdigit():
        return None
    return check_character(text[:17]) == text[17]


def _birth_from_id(id_number: str) -> date | None:
    if len(id_number) >= 18 and id_number[:17].isdigit():
        try:
            return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        except ValueError:
            return None
    return None


def persons_finish(snapshot: NationalSnapshot) -> None:
    """Person-sheet values that need the whole sheet, set in the database: each household's size and
    the row that stands for it (its first head, or its first row if it has no head)."""
    persons = NationalPerson.objects.filter(snapshot=snapshot)
    same = persons.filter(household_number=OuterRef("household_number"))
    size = same.order_by().values("household_number").annotate(n=Count("pk")).values("n")
    persons.update(household_size=Subquery(size))
    first_head = same.filter(relation="户主").order_by("pk").values("pk")[:1]
    persons.filter(relation="户主", pk=Subquery(first_head)).update(is_household_row=True)
    first_row = same.order_by("pk").values("pk")[:1]
    persons.exclude(Exists(same.filter(relation="户主"))).filter(pk=Subquery(first_row)).update(is_household_row=True)


class VillageMatcher:
    """Export rows → villages of the county by township and village name."""

    def __init__(self, county: County, township: Township | None):
        villages = Village.objects.filter(township__county=county).select_related("township")
        self.by_pair: dict[tuple[str, str], Village] = {}
        by_name: dict[str, list[Village]] = defaultdict(list)
        for village in villages:
            self.by_pair[(_bare(village.township.name), _bare(village.name))] = village
            by_name[_bare(village.name)].append(village)
        self.by_name = {name: found[0] for name, found in by_name.items() if len(found) == 1}
        self.township = township
        self.unmatched: Counter = Counter()

    def match(self, township_name: str, village_name: str) -> Village | None:
        found = self.by_pair.get((_bare(township_name), _bare(village_name))) or self.by_name.get(_bare(village_name))
        if found is None and village_name:
            self.unmatched[f"{township_name}{village_name}"] += 1
        return found

    def in_scope(self, village: Village | None, township_name: str) -> bool:
        if self.township is None:
            return True
        if village is not None:
            return village.township_id == self.township.pk
        return _bare(township_name) == _bare(self.township.name)


def _bare(name: str) -> str:
    return normalize_text(name).replace(" ", "")


def national_snapshot_create(
    *, county: County, township: Township | None, taken_on: date, uploads: Sequence[tuple[str, bytes]], user,
    source: str = SnapshotSource.SYSTEM,
) -> NationalSnapshot:
    """Record the upload (files kept as sent) before it is read; the rows come with national_snapshot_import."""
    if not uploads:
        raise NationalImportError("请至少选择一个国家系统导出文件。")
    if taken_on > timezone.localdate():
        raise NationalImportError("导出日期不能晚于今天，请填写从国家系统导出这些文件的日期。")
    latest = NationalSnapshot.objects.filter(county=county, source=source, status=SnapshotStatus.READY).order_by("-taken_on").first()
    if latest is not None and latest.taken_on > taken_on:
        raise NationalImportError(
            f"已有{latest.taken_on.year}年{latest.taken_on.month}月{latest.taken_on.day}日导出的数据，"
            "不能再导入更早导出的文件（会把已核销的问题算回来）。请核对导出日期。"
        )
    snapshot = NationalSnapshot(county=county, township=township, taken_on=taken_on, uploaded_by=user, source=source)
    snapshot.full_clean()
    snapshot.save()
    for filename, data in uploads:
        record = NationalSnapshotFile(snapshot=snapshot, filename=filename[:200], sha256=hashlib.sha256(data).hexdigest())
        record.file.save(filename, ContentFile(data), save=True)
    return snapshot


HEAD_ROWS = 15  # the header is looked for among the first rows


@dataclass
class SheetRead:
    kind: SheetKind
    filename: str
    sheet: str
    header_row: int
    rows: int = 0


def national_snapshot_import(*, snapshot: NationalSnapshot, progress: ProgressFn | None = None) -> NationalSnapshot:
    """Read the snapshot's files sheet by sheet, row by row, into its rows, all in one transaction:
    a bad sheet refuses the whole upload and nothing is kept."""
    progress = progress or (lambda percent, message: None)
    if snapshot.status == SnapshotStatus.READY:
        raise NationalImportError("这份快照已经导入，导入后不能再改动。")
    matcher = VillageMatcher(snapshot.county, snapshot.township)
    counts: Counter = Counter()
    read: list[SheetRead] = []
    skipped: list[str] = []
    files = list(snapshot.files.all())
    with transaction.atomic():
        for number, record in enumerate(files, start=1):
            with record.file.open("rb") as handle:
                data = handle.read()
            with workbook_open(data, record.filename) as workbook:
                for name in workbook.sheet_names:
                    found = _sheet_import(workbook, name, record.filename, snapshot, matcher, counts, progress,
                                          percent=(5 + 80 * (number - 1) // len(files), 80 // len(files)))
                    if found is None:
                        skipped.append(f"「{record.filename}」的「{name}」")
                    else:
                        read.append(found)
            del data
        if not read:
            shown = "、".join(skipped) or "上传的文件"
            raise NationalImportError(
                f"{shown}不是认得的国家系统导出表（人员信息、户信息、已外出务工、计划务工、行政村信息）。"
                "请上传从全国防止返贫监测信息系统导出的原表。"
            )
        progress(86, "整理户信息")
        persons_finish(snapshot)
        for counter in ("persons", "work_spells", "planned_work", "village_rows"):
            setattr(snapshot, counter, counts[counter])
        snapshot.households = counts["households"] or (
            NationalPerson.objects.filter(snapshot=snapshot).values("household_number").distinct().count()
        )
        snapshot.skipped_rows = counts["skipped"]
        snapshot.sheets = [
            {"file": r.filename, "sheet": r.sheet, "kind": r.kind.code, "label": r.kind.label, "header_row": r.header_row, "rows": r.rows}
            for r in read
        ]
        snapshot.unmatched_villages = [f"{name}（{n}行）" for name, n in matcher.unmatched.most_common(50)]
        snapshot.status = SnapshotStatus.READY
        snapshot.error = ""
        snapshot.save()
    progress(90, "导入完成")
    return snapshot


def _sheet_import(workbook, name, filename, snapshot, matcher, counts, progress, *, percent) -> SheetRead | None:
    sheet = workbook.get_sheet_by_name(name)
    rows = sheet.iter_rows()
    head = list(itertools.islice(rows, HEAD_ROWS))
    if not head:
        return None
    found = sheet_recognise(head, filename=filename, sheet=name)
    if found is None:
        return None
    kind, header_index, columns = found
    header = [normalize_text(cell) for cell in head[header_index]]
    items = list(columns.items())
    result = SheetRead(kind=kind, filename=filename, sheet=name, header_row=header_index + 1)  # iter_rows starts at row 1 of the sheet
    total = max(sheet.height - header_index - 1, 1)
    batch: list = []
    for offset, row in enumerate(itertools.chain(head[header_index + 1:], rows)):
        values = row_values(row, kind=kind, items=items, header=header, row_number=header_index + 2 + offset, sheet=name)
        if values is None:
            continue
        village = matcher.match(values.get("township_name", ""), values.get("village_name", ""))
        if not matcher.in_scope(village, values.get("township_name", "")):
            counts["skipped"] += 1
            continue
        values["village_id"] = village.pk if village else None
        batch.append(values)
        if len(batch) >= BATCH:
            rows_insert(kind.model, batch, snapshot=snapshot)
            result.rows += len(batch)
            batch = []
            progress(percent[0] + percent[1] * min(offset, total) // total, f"读入「{filename}」{kind.label}：{result.rows} 行")
    rows_insert(kind.model, batch, snapshot=snapshot)
    result.rows += len(batch)
    counts[kind.counter] += result.rows
    return result


def rows_insert(model, rows: list[dict], *, snapshot: NationalSnapshot) -> None:
    """Insert snapshot rows (dicts of field attnames) with one prepared statement per batch (executemany).

    bulk_create would do, but it builds a model instance and prepares every
    field of every row through the ORM, and SQLite's 999-variable limit cuts a
    130-column batch to 7 rows per statement. Snapshot rows have no signals, no
    history and no primary keys we need back, so the values go in as they are,
    adapted once per column type.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    plan = [(f.attname, snapshot.pk if f.attname == "snapshot_id" else f.get_default(), _adapter(f)) for f in fields]
    params = []
    for row in rows:
        values = []
        for name, default, adapt in plan:
            value = row.get(name, default)
            values.append(adapt(value) if adapt and value is not None else value)
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _adapter(field):
    from django.db import models

    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DecimalField):
        return lambda value: connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def national_snapshot_fail(*, snapshot: NationalSnapshot, message: str) -> None:
    NationalSnapshot.objects.filter(pk=snapshot.pk).update(status=SnapshotStatus.FAILED, error=message[:2000])
