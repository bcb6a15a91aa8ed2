import io
from datetime import date

import openpyxl
from openpyxl.utils import get_column_letter

from evalprep.core.idnumber import parse_id_number
from households.ledger import CANONICAL_HEADERS, ledger_message, roster_parse
from households.ledger_template import (
    DATA_SHEET,
    EXAMPLE_SHEET,
    HELP_SHEET,
    TEMPLATE_COLUMNS,
    TEMPLATE_HEADERS,
    roster_template_workbook,
)
from tests.households.builders import person, write_xlsx

REFERENCE_DATE = date(2024, 6, 30)
CODED_COLUMNS = {
    "户类型", "监测对象类别", "与户主关系", "性别", "健康状况", "残疾等级", "在校生状况", "劳动技能", "务工地点",
    "住房安全等级", "饮水来源",
}
YES_NO_COLUMNS = {
    "慢性病", "家庭医生签约", "义务教育阶段失学辍学", "参加基本医疗保险", "参加大病保险", "饮水安全", "水质检测报告",
    "季节性缺水", "享受低保", "特困供养", "整户无劳动能力兜底保障户",
}
TEXT_COLUMNS = {"户编号", "身份证号", "联系电话", "户联系电话", "帮扶责任人电话"}


def parse(content, **kwargs):
    return roster_parse(
        content, filename="花名册模板.xlsx", default_income_year=2023, reference_date=REFERENCE_DATE, **kwargs
    )


def template():
    return openpyxl.load_workbook(io.BytesIO(roster_template_workbook()))


def letter_of(header):
    return get_column_letter(TEMPLATE_HEADERS.index(header) + 1)


def test_it_has_the_data_example_and_help_sheets_in_order():
    assert template().sheetnames == [DATA_SHEET, EXAMPLE_SHEET, HELP_SHEET]


def test_it_round_trips_the_empty_data_sheet_through_the_parser():
    parsed = parse(roster_template_workbook())

    assert parsed.header_row == 1
    assert parsed.data_rows == 0
    assert parsed.unknown_columns == [] and parsed.ignored_columns == []
    assert parsed.errors == [] and parsed.households == []
    assert [parsed.columns[index] for index in range(len(TEMPLATE_HEADERS))] == [
        CANONICAL_HEADERS[header] for header in TEMPLATE_HEADERS
    ]


def test_it_uses_the_parsers_canonical_headers_in_order():
    assert list(TEMPLATE_HEADERS) == list(CANONICAL_HEADERS)
    sheet = template()[DATA_SHEET]
    assert [cell.value for cell in sheet[1]] == list(TEMPLATE_HEADERS)


def test_its_example_sheet_parses_to_one_valid_household_of_three():
    parsed = parse(roster_template_workbook(), sheet=EXAMPLE_SHEET)

    assert [ledger_message(error) for error in parsed.errors] == []
    assert parsed.warnings == []
    [household] = parsed.households
    assert household.rows == [2, 3, 4]
    assert [member.relation for member in household.members] == ["户主", "配偶", "之子"]
    assert household.fields["member_count"] == 3
    assert household.income is not None and household.income.stated_per_capita is not None
    for member in household.members:
        assert member.id_number.startswith("990101")  # a fictional region
        parse_id_number(member.id_number)  # a valid check character


def test_it_keeps_example_data_out_of_the_data_sheet():
    sheet = template()[DATA_SHEET]
    assert all(cell.value is None for row in sheet.iter_rows(min_row=2) for cell in row)


def test_it_adds_drop_down_lists_to_every_coded_column():
    sheet = template()[DATA_SHEET]
    validations = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            validations[cell_range.coord] = validation

    expected = CODED_COLUMNS | YES_NO_COLUMNS
    assert {coord.split(":")[0].rstrip("0123456789") for coord in validations} == {letter_of(h) for h in expected}
    for header in expected:
        letter = letter_of(header)
        validation = validations[f"{letter}2:{letter}2000"]
        assert validation.type == "list" and validation.allow_blank
        assert len(validation.formula1) <= 257
    yes_no = validations[f"{letter_of('饮水安全')}2:{letter_of('饮水安全')}2000"]
    assert yes_no.formula1 == '"是,否"'
    relation = validations[f"{letter_of('与户主关系')}2:{letter_of('与户主关系')}2000"]
    assert relation.formula1.startswith('"户主,配偶,之子,之女')


def test_every_drop_down_choice_is_accepted_by_the_parser(tmp_path):
    choices = {column.header: column.choices for column in TEMPLATE_COLUMNS if column.choices}
    rows = []
    for number in range(max(len(values) for values in choices.values())):
        cells = {}
        for header, values in choices.items():
            if header not in ("与户主关系", "性别", "义务教育阶段失学辍学"):
                cells[header] = values[number % len(values)]
        rows.append(person(f"甲{number}", "户主", household=f"{number:04d}", **cells))
    relations = [value for value in choices["与户主关系"] if value != "户主"]
    rows.append(person("乙", "户主", household="9999"))
    rows += [person(f"丙{n}", relation, household="9999") for n, relation in enumerate(relations)]
    header = list(dict.fromkeys(key for row in rows for key in row))

    parsed = parse(write_xlsx(tmp_path / "choices.xlsx", header, rows).read_bytes())

    assert [ledger_message(error) for error in parsed.errors] == []
    assert len(parsed.households) == len(rows) - len(relations)
    assert {member.relation for member in parsed.households[-1].members} == set(choices["与户主关系"])


def test_it_formats_id_and_phone_columns_as_text():
    sheet = template()[DATA_SHEET]
    for header in TEXT_COLUMNS:
        assert sheet.column_dimensions[letter_of(header)].number_format == "@", header
    assert sheet.column_dimensions[letter_of("姓名")].number_format == "General"


def test_it_freezes_the_header_and_sets_widths():
    workbook = template()
    for name in (DATA_SHEET, EXAMPLE_SHEET):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions[letter_of("身份证号")].width == 22
        assert sheet.column_dimensions[letter_of("住址")].width == 24


def test_its_help_sheet_explains_every_column_and_the_general_rules():
    sheet = template()[HELP_SHEET]
    rows = [row for row in sheet.iter_rows(values_only=True)]
    table_start = next(index for index, row in enumerate(rows) if row[:3] == ("列名", "是否必填", "填写要求/可选值"))
    table = rows[table_start + 1:]
    assert [row[0] for row in table] == list(TEMPLATE_HEADERS)
    assert all(row[1] in ("必填", "选填") and row[2] for row in table)
    required = {row[0] for row in table if row[1] == "必填"}
    assert required == {"户编号", "姓名", "身份证号", "与户主关系"}
    rules = " ".join(str(row[2]) for row in rows[:table_start] if row[2])
    for phrase in ("文本", "只需在户主行填写", "每行一人", "不要合并单元格"):
        assert phrase in rules
