"""Writing roster test files: real .xlsx, .xls and .ods files, as villages send them.

`person(...)` makes one template row (a dict keyed by header) with a valid
generated ID; `write_xlsx` / `write_xls` / `write_ods` write a header and rows
(dicts or lists) with optional title rows above the header;
`national_sheet_rows` builds the national system's wide person sheet; and
`roster_rows` makes a large valid roster quickly for benchmarks.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

from evalprep.core.idnumber import FEMALE, MALE, generate_id_number
from households.ledger_template import TEMPLATE_HEADERS

REGION = "990101"  # fictional: no real person has these numbers
REFERENCE_DATE = date(2024, 6, 30)
INCOME_YEAR = 2023
TITLE = "示例县示例镇示例村农户花名册"
SUBTITLE = "填报单位：示例村村委会    填报日期：2024年6月1日"

FEMALE_RELATIONS = frozenset({
    "配偶", "之女", "之孙女", "之外孙女", "之母", "之婆婆", "之岳母", "之祖母", "之侄女", "之曾孙女", "之儿媳",
})

Row = Mapping[str, object] | Sequence[object]

_sequences = itertools.count(1)


def person_id(*, born: date = date(1980, 1, 1), sex: str = MALE, seq: int | None = None, region: str = REGION) -> str:
    """A valid ID; each call without seq gives a new number, with the birth date asked for.

    Unique: the sequence's parity carries the sex, so it counts in pairs; past
    500 numbers the (fictional, 99…) region code moves on instead of the date.
    """
    if seq is None:
        counter = next(_sequences)
        seq = 2 * (counter % 500) + (1 if sex == MALE else 0)
        if counter >= 500:
            region = f"99{(int(region[2:]) + counter // 500) % 10000:04d}"
    return generate_id_number(region=region, birth_date=born, sex=sex, sequence=seq)


def person(
    name: str = "张三",
    relation: str = "户主",
    *,
    household: str | None = "0001",
    sex: str | None = None,
    born: date = date(1980, 1, 1),
    seq: int | None = None,
    id_number: str | None = None,
    **cells: object,
) -> dict[str, object]:
    """One row of our template, keyed by header: 户编号, 姓名, 身份证号, 与户主关系 and whatever else is given.

    Sex follows the relation (之女, 配偶 … female) unless given; other columns
    are passed by header name: person("李四", "之子", born=date(2012, 3, 1), 在校生状况="七年级").
    """
    if sex is None:
        sex = FEMALE if relation in FEMALE_RELATIONS else MALE
    row: dict[str, object] = {}
    if household is not None:
        row["户编号"] = household
    row["姓名"] = name
    row["身份证号"] = id_number if id_number is not None else person_id(born=born, sex=sex, seq=seq)
    row["与户主关系"] = relation
    row.update(cells)
    return row


def family(household: str = "0001", *, head: str = "王大", spouse: str = "李二", child: str = "王三", **head_cells):
    """A valid three-person household: head (male, 1975), spouse (female, 1977), son (2012, 七年级)."""
    head_cells = {"户类型": "脱贫户", **head_cells}
    return [
        person(head, "户主", household=household, born=date(1975, 5, 8), **head_cells),
        person(spouse, "配偶", household=household, born=date(1977, 9, 21)),
        person(child, "之子", household=household, born=date(2012, 3, 15), 在校生状况="七年级"),
    ]


def header_for(*row_groups: Iterable[Mapping[str, object]]) -> list[str]:
    """The union of the rows' keys, in first-seen order: a header that fits them all."""
    header: dict[str, None] = {}
    for rows in row_groups:
        for row in rows:
            header.update(dict.fromkeys(row))
    return list(header)


def as_lists(header: Sequence[str], rows: Iterable[Row]) -> list[list[object]]:
    """Rows as lists in header order (dict rows: missing headers blank)."""
    result = []
    for row in rows:
        if isinstance(row, Mapping):
            unknown = set(row) - set(header)
            if unknown:
                raise KeyError(f"row has columns not in the header: {sorted(unknown)}")
            result.append([row.get(name, "") for name in header])
        else:
            result.append(list(row))
    return result


def _titles(title_rows: int | Sequence[str]) -> list[str]:
    if isinstance(title_rows, int):
        return [TITLE, SUBTITLE, "（本表由村委会填写）"][:title_rows] + [""] * max(0, title_rows - 3)
    return list(title_rows)


def write_xlsx(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Row],
    *,
    title_rows: int | Sequence[str] = 0,
    merged_title: bool = True,
    sheet_title: str = "花名册",
) -> Path:
    """An .xlsx with optional title rows (the first merged across the header) above the header."""
    path = Path(path)
    titles = _titles(title_rows)
    body = as_lists(header, rows)
    if titles and merged_title:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = sheet_title
        for title in titles:
            sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(header), 1))
    else:  # write-only: fast enough for 50,000 rows
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_title)
        for title in titles:
            sheet.append([title])
    sheet.append(list(header))
    for row in body:
        sheet.append(row)
    workbook.save(path)
    return path


def write_xls(
    path: str | Path, header: Sequence[str], rows: Iterable[Row], *, title_rows: int | Sequence[str] = 0
) -> Path:
    """An old-style .xls (BIFF8, as WPS saves it) written with xlwt."""
    import xlwt

    path = Path(path)
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("花名册")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    titles = _titles(title_rows)
    for index, title in enumerate(titles):
        if index == 0 and len(header) > 1:
            sheet.write_merge(0, 0, 0, len(header) - 1, title)
        else:
            sheet.write(index, 0, title)
    offset = len(titles)
    for column, name in enumerate(header):
        sheet.write(offset, column, name)
    for row_index, row in enumerate(as_lists(header, rows), start=offset + 1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, (date, datetime)):
                sheet.write(row_index, column, value, date_style)
            elif isinstance(value, Decimal):
                sheet.write(row_index, column, float(value))
            else:
                sheet.write(row_index, column, value)
    workbook.save(str(path))
    return path


def write_ods(
    path: str | Path, header: Sequence[str], rows: Iterable[Row], *, title_rows: int | Sequence[str] = 0
) -> Path:
    """An OpenDocument spreadsheet written with odfpy."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    def cell(value: object) -> TableCell:
        if value is None or value == "":
            return TableCell()
        if isinstance(value, bool):
            element = TableCell(valuetype="boolean", booleanvalue="true" if value else "false")
        elif isinstance(value, (int, float, Decimal)):
            element = TableCell(valuetype="float", value=str(value))
        elif isinstance(value, (date, datetime)):
            element = TableCell(valuetype="date", datevalue=value.isoformat())
        else:
            element = TableCell(valuetype="string")
        element.addElement(P(text=str(value)))
        return element

    path = Path(path)
    document = OpenDocumentSpreadsheet()
    table = Table(name="花名册")
    for index, title in enumerate(_titles(title_rows)):
        row = TableRow()
        if index == 0 and len(header) > 1:
            merged = TableCell(valuetype="string", numbercolumnsspanned=len(header))
            merged.addElement(P(text=title))
            row.addElement(merged)
            for _ in range(len(header) - 1):
                row.addElement(CoveredTableCell())
        else:
            row.addElement(cell(title))
        table.addElement(row)
    for values in [list(header), *as_lists(header, rows)]:
        row = TableRow()
        for value in values:
            row.addElement(cell(value))
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


# The national system's person sheet

NATIONAL_TITLES = ("（自定义）监测对象信息", "导出时间：2023-12-01 09:30:00    导出单位：示例县乡村振兴局")

_NATIONAL_COLUMNS = (
    "县", "乡", "村", "组", "户编号", "姓名", "证件号码", "证件类型", "与户主关系", "性别", "民族", "户类型",
    "监测对象类别", "户联系电话", "家庭成员联系电话", "出生日期", "政治面貌", "文化程度", "在校生状况",
    "义务教育阶段未上学原因", "健康状况", "劳动技能", "务工所在地", "就业渠道（易地搬迁后扶使用）", "公益性岗位",
    "公益性岗位(月数)", "是否参加城乡居民基本医疗保险", "是否参加城镇职工基本医疗保险", "是否参加大病保险",
    "是否接受医疗救助", "是否参加城乡居民基本养老保险", "是否参加城镇职工基本养老保险", "享受低保政策情况",
    "享受特困供养政策情况", "是否危房户", "是否解决安全饮用水", "是否通生活用电", "是否有卫生厕所", "入户道路是否硬化",
    "住房面积", "与村主干路距离", "耕地面积（亩）", "林地面积（亩）", "退耕还林面积（亩）", "林果面积（亩）",
    "牧草地面积", "水面面积", "人均纯收入（元）", "工资性收入", "生产经营性收入", "转移性收入", "合规自付支出",
    "整户无劳动能力兜底保障户", "致贫/返贫风险1", "致贫/返贫风险2", "致贫/返贫风险3", "致贫/返贫风险4",
    "致贫/返贫风险5", "是否义务教育阶段适龄儿童少年失学辍学", "是否有家庭成员未参加城乡居民（职工）基本医疗保险",
    "风险是否已消除", "识别监测时间", "风险消除方式", "消除监测时间", "信息采集人", "信息采集人联系电话",
    "产业帮扶", "就业帮扶", "公益性岗位帮扶", "金融帮扶", "健康帮扶", "教育帮扶", "义务教育保障", "住房安全保障",
    "饮水安全保障", "综合保障", "社会帮扶", "搬迁", "生产生活条件改善", "基础设施建设", "实施开发式帮扶措施情况",
)
_AFTER_ELIMINATION = tuple("风险消除后" + name for name in (
    "是否义务教育阶段适龄儿童少年失学辍学", "是否住房损毁", "是否有家庭成员未参加城乡居民（职工）基本医疗保险",
    "是否饮水设施损毁", "工资性收入", "财产性收入", "转移性收入", "生产经营性收入", "生产经营性支出", "家庭纯收入",
    "家庭人均纯收入", "理赔收入", "合规自付支出",
))
NATIONAL_WIDTH = 177  # A…FU
# Columns of the real export that the roster does not read or know: reported as unknown.
NATIONAL_EXTRA = tuple(
    f"扩展字段{n}" for n in range(1, NATIONAL_WIDTH - len(_NATIONAL_COLUMNS) - len(_AFTER_ELIMINATION) + 1)
)
NATIONAL_HEADER: tuple[str, ...] = _NATIONAL_COLUMNS + NATIONAL_EXTRA + _AFTER_ELIMINATION


def national_person(
    name: str = "张三",
    relation: str = "户主",
    *,
    household: str = "640104001001000001",
    sex: str | None = None,
    born: date = date(1980, 1, 1),
    seq: int | None = None,
    **cells: object,
) -> dict[str, str]:
    """One person row of the national sheet, all text, household values repeated on every row."""
    if sex is None:
        sex = FEMALE if relation in FEMALE_RELATIONS else MALE
    id_number = person_id(born=born, sex=sex, seq=seq)
    row = {
        "县": "示例县", "乡": "示例镇", "村": "示例村", "组": "3", "户编号": household, "姓名": name,
        "证件号码": id_number, "证件类型": "居民身份证", "与户主关系": relation, "性别": "男" if sex == MALE else "女",
        "民族": "汉族", "户类型": "脱贫户", "监测对象类别": "", "户联系电话": "13800000000",
        "家庭成员联系电话": "", "出生日期": "", "政治面貌": "群众", "文化程度": "初中",
        "在校生状况": "", "健康状况": "健康", "劳动技能": "普通劳动力", "务工所在地": "",
        "是否参加城乡居民基本医疗保险": "是", "是否参加城镇职工基本医疗保险": "否", "是否参加大病保险": "是",
        "是否接受医疗救助": "否", "是否参加城乡居民基本养老保险": "是", "享受低保政策情况": "未享受",
        "享受特困供养政策情况": "不享受", "是否危房户": "否", "是否解决安全饮用水": "是", "是否通生活用电": "是",
        "是否有卫生厕所": "是", "入户道路是否硬化": "是", "住房面积": "120", "耕地面积（亩）": "5.5",
        "人均纯收入（元）": "", "整户无劳动能力兜底保障户": "否", "风险是否已消除": "否", "信息采集人": "李采集",
        "实施开发式帮扶措施情况": "是",
    }
    row["出生日期"] = id_number[6:14]
    row.update({key: str(value) for key, value in cells.items()})
    unknown = set(row) - set(NATIONAL_HEADER)
    if unknown:
        raise KeyError(f"not national columns: {sorted(unknown)}")
    return row


def national_sheet_rows(people: Iterable[Mapping[str, object]]) -> list[list[str]]:
    """The whole sheet: two title rows, the header on row 3 (177 columns), then one row per person."""
    header = list(NATIONAL_HEADER)
    rows = [[NATIONAL_TITLES[0]] + [""] * (len(header) - 1), [NATIONAL_TITLES[1]] + [""] * (len(header) - 1), header]
    rows += [[str(value) for value in row] for row in as_lists(header, people)]
    return rows


def write_national_xlsx(path: str | Path, people: Iterable[Mapping[str, object]]) -> Path:
    """national_sheet_rows written as .xlsx with its first title merged."""
    rows = national_sheet_rows(people)
    return write_xlsx(path, rows[2], rows[3:], title_rows=list(NATIONAL_TITLES))


# Many rows, fast

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国文红梅德福海云飞鹏宇晨欣怡浩然子涵"
_SCHOOL_BY_AGE = (
    ["学龄前儿童"] * 3 + ["学前教育"] * 3 + ["小学"] * 6 + ["七年级", "八年级", "九年级"]
    + ["普通高中"] * 3 + ["本科"] * 4
)


def roster_rows(
    n_households: int, *, members: int = 4, seed: int = 0, reference_date: date = REFERENCE_DATE
) -> tuple[list[str], list[list[str]]]:
    """A large valid roster in our template layout: (header, rows), one row per person.

    Deterministic for a seed; every ID is valid and unique (the region code
    carries part of the person's index); household values on the head row only;
    incomes plausible and the stated 人均纯收入 consistent with them.
    """
    if members < 1:
        raise ValueError("members must be at least 1")
    if n_households * members >= 4_999_000:
        raise ValueError("too many people for unique synthetic IDs")
    rng = random.Random(seed)
    header = list(TEMPLATE_HEADERS)
    position = {name: index for index, name in enumerate(header)}
    width = len(header)
    rows: list[list[str]] = []
    index = 0
    this_year = reference_date.year

    def new_id(born: date, sex: str) -> str:
        nonlocal index
        region = f"99{index // 500:04d}"
        sequence = 2 * (index % 500) + (1 if sex == MALE else 0)
        index += 1
        return generate_id_number(region=region, birth_date=born, sex=sex, sequence=sequence)

    def born_at(age: int) -> date:
        return date(this_year - age, rng.randint(1, 12), rng.randint(1, 28)) if age else reference_date

    for number in range(1, n_households + 1):
        head_age = rng.randint(32, 72)
        surname = _SURNAMES[rng.randrange(len(_SURNAMES))]
        people: list[tuple[str, str, int]] = [("户主", MALE, head_age)]
        if members >= 2:
            people.append(("配偶", FEMALE, max(head_age + rng.randint(-4, 2), 22)))
        for _ in range(members - 2):
            sex = MALE if rng.random() < 0.5 else FEMALE
            child_age = max(0, min(head_age - 20 - rng.randint(0, 8), head_age - 18))
            people.append(("之子" if sex == MALE else "之女", sex, rng.randint(1, max(child_age, 1))))
        household_number = f"{number:06d}"
        for relation, sex, age in people:
            row = [""] * width
            name = (surname if relation != "配偶" else _SURNAMES[rng.randrange(len(_SURNAMES))]) + \
                _GIVEN[rng.randrange(len(_GIVEN))] + _GIVEN[rng.randrange(len(_GIVEN))]
            row[position["户编号"]] = household_number
            row[position["姓名"]] = name
            row[position["身份证号"]] = new_id(born_at(age), sex)
            row[position["与户主关系"]] = relation
            row[position["性别"]] = "男" if sex == MALE else "女"
            row[position["民族"]] = "汉族"
            row[position["联系电话"]] = f"138{rng.randrange(10**8):08d}" if age >= 18 else ""
            row[position["健康状况"]] = "健康" if rng.random() < 0.85 else "长期慢性病"
            row[position["在校生状况"]] = _SCHOOL_BY_AGE[age] if age < len(_SCHOOL_BY_AGE) else "非在校生"
            row[position["参加基本医疗保险"]] = "是"
            row[position["参加大病保险"]] = "是"
            if 16 <= age < 65:
                row[position["劳动技能"]] = "普通劳动力" if rng.random() < 0.8 else "技能劳动力"
                row[position["务工地点"]] = ("县内", "省内县外", "省外", "")[rng.randrange(4)]
            if relation == "户主":
                _fill_household(row, position, rng, len(people), number)
            rows.append(row)
    return header, rows


def _fill_household(row: list[str], position: dict[str, int], rng: random.Random, size: int, number: int) -> None:
    wage = rng.randrange(0, 60000, 100)
    business = rng.randrange(0, 20000, 100)
    property_income = rng.randrange(0, 2000, 50)
    transfer = rng.randrange(500, 8000, 10)
    costs = rng.randrange(0, min(business, 5000) + 1, 10)
    per_capita = (Decimal(wage + business + property_income + transfer - costs) / size).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    category = ("脱贫户", "一般户", "监测户")[number % 3]
    values = {
        "村民小组": f"{number % 12 + 1}组",
        "户类型": category,
        "住址": f"示例村{number % 12 + 1}组{number}号",
        "户联系电话": f"139{number:08d}",
        "帮扶责任人": "李帮扶",
        "住房安全等级": ("A级", "B级")[number % 2],
        "饮水来源": "集中供水（自来水）",
        "饮水安全": "是",
        "享受低保": "是" if number % 7 == 0 else "否",
        "低保金": "3600" if number % 7 == 0 else "",
        "收入年度": str(INCOME_YEAR),
        "工资性收入": str(wage),
        "生产经营性收入": str(business),
        "财产性收入": str(property_income),
        "转移性收入": str(transfer),
        "生产经营性支出": str(costs),
        "人均纯收入": str(per_capita),
        "帮扶措施": "产业帮扶：养牛补贴；就业帮扶：技能培训" if category != "一般户" else "",
    }
    if category == "监测户":
        values["监测对象类别"] = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")[number % 3]
        values["识别监测时间"] = "202303"
        values["致贫返贫风险"] = "因病"
    for name, value in values.items():
        row[position[name]] = value
