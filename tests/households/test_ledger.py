import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from evalprep.core.idnumber import FEMALE, MALE
from evalprep.core.sheets import SheetError
from households.ledger import (
    LAYOUT_HOUSEHOLD,
    LAYOUT_NATIONAL,
    LAYOUT_PERSON,
    SAME_HOUSEHOLD_MESSAGE,
    ParsedIncome,
    RowError,
    ledger_message,
    rejected_rows_workbook,
    roster_parse,
)
from tests.households.builders import (
    NATIONAL_EXTRA,
    NATIONAL_HEADER,
    family,
    header_for,
    national_person,
    national_sheet_rows,
    person,
    person_id,
    roster_rows,
    write_national_xlsx,
    write_ods,
    write_xls,
    write_xlsx,
)

REFERENCE_DATE = date(2024, 6, 30)
LOST_DIGITS = "身份证号被表格当成了数字，后几位已经丢失"


def parse(path, **kwargs):
    return roster_parse(
        path, filename=Path(path).name, default_income_year=2023, reference_date=REFERENCE_DATE, **kwargs
    )


def write(tmp_path, rows, *, name="roster.xlsx", header=None, **kwargs):
    return write_xlsx(tmp_path / name, header or header_for(rows), rows, **kwargs)


def shown(parsed):
    return [ledger_message(error) for error in parsed.errors]


def messages(parsed, row):
    return [error.message for error in parsed.errors if error.row == row]


def errors_by_row(parsed):
    found = {}
    for error in parsed.errors:
        found.setdefault(error.row, []).append(error)
    return found


def full_width(text):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# Layout and header


def test_it_finds_the_header_under_merged_title_rows(tmp_path):
    path = write(tmp_path, family(), title_rows=2)
    assert openpyxl.load_workbook(path).active.merged_cells.ranges  # the title really is merged

    parsed = parse(path)

    assert parsed.header_row == 3
    assert parsed.layout == LAYOUT_PERSON
    assert shown(parsed) == []
    assert parsed.data_rows == 3
    [household] = parsed.households
    assert household.rows == [4, 5, 6]
    assert [member.row for member in household.members] == [4, 5, 6]
    assert [member.name for member in household.members] == ["王大", "李二", "王三"]


def test_it_takes_a_valid_household_with_members_and_household_fields(tmp_path):
    rows = family(
        村民小组="第三组", 住址="示例村3组15号", 户联系电话="13800000001", 工资性收入="20000", 转移性收入="1000",
        人均纯收入="7000", 收入年度="2023",
    )
    rows[0].update(民族="汉", 健康状况="长期慢性病", 劳动技能="普通劳动力", 务工地点="县内")
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == [] and parsed.warnings == []
    [household] = parsed.households
    assert household.number == "0001"
    assert household.group_number == 3
    assert household.fields == {
        "head_name": "王大", "category": "lifted", "monitoring_type": "", "address": "示例村3组15号",
        "phone": "13800000001", "member_count": 3,
    }
    assert household.income == ParsedIncome(
        year=2023, wage=Decimal("20000"), transfer=Decimal("1000"), stated_per_capita=Decimal("7000")
    )
    head, spouse, son = household.members
    assert (head.sex, head.birth_date, head.relation) == (MALE, date(1975, 5, 8), "户主")
    assert (head.ethnicity, head.health, head.chronic_illness) == ("汉族", "长期慢性病", True)
    assert (head.labour_capacity, head.work_location) == ("普通劳动力", "county")
    assert (spouse.sex, spouse.relation) == (FEMALE, "配偶")
    assert (son.relation, son.schooling, son.out_of_school) == ("之子", "七年级", False)
    assert len(head.id_number) == 18


def test_it_reads_a_roster_with_one_household_per_row(tmp_path):
    rows = [
        {"户主姓名": "赵一", "户主身份证号": person_id(born=date(1960, 1, 2)), "家庭人口": "4人", "户类型": "脱贫户",
         "住址": "一组1号", "工资性收入": "8000"},
        {"户主姓名": "钱二", "户主身份证号": person_id(born=date(1970, 3, 4), sex=FEMALE), "家庭人口": 2,
         "户类型": "一般农户"},
    ]
    parsed = parse(write(tmp_path, rows, title_rows=1))

    assert parsed.layout == LAYOUT_HOUSEHOLD
    assert shown(parsed) == []
    first, second = parsed.households
    assert first.number == rows[0]["户主身份证号"]  # no 户编号 column: the head's ID
    assert first.fields["member_count"] == 4 and first.fields["head_name"] == "赵一"
    assert [member.relation for member in first.members] == ["户主"]
    assert first.income.wage == Decimal("8000") and first.income.year == 2023
    assert second.fields["category"] == "ordinary" and second.members[0].sex == FEMALE
    assert second.income is None


def test_it_refuses_a_household_number_used_twice_in_a_household_per_row_roster(tmp_path):
    rows = [
        {"户编号": "0007", "户主姓名": "赵一", "户主身份证号": person_id(born=date(1960, 1, 2))},
        {"户编号": "0008", "户主姓名": "钱二", "户主身份证号": person_id(born=date(1961, 1, 2))},
        {"户编号": "0007", "户主姓名": "孙三", "户主身份证号": person_id(born=date(1962, 1, 2))},
    ]
    parsed = parse(write(tmp_path, rows))

    assert parsed.layout == LAYOUT_HOUSEHOLD
    assert messages(parsed, 2) == ["户编号「0007」与第4行重复。这张表每行是一户，户编号不能重复，请核对。"]
    assert messages(parsed, 4) == ["户编号「0007」与第2行重复。这张表每行是一户，户编号不能重复，请核对。"]
    assert [household.number for household in parsed.households] == ["0008"]


def test_it_starts_a_new_household_at_each_head_without_a_number_column(tmp_path):
    rows = [{key: value for key, value in row.items() if key != "户编号"} for row in family() + family(head="刘大")]
    rows.insert(0, person("孤一", "之子", household=None))  # before any head: belongs to nobody
    parsed = parse(write(tmp_path, rows))

    assert [household.rows for household in parsed.households] == [[3, 4, 5], [6, 7, 8]]
    assert parsed.households[1].number == rows[4]["身份证号"]
    [error] = parsed.errors
    assert error.row == 2 and "前面没有户主" in error.message


def test_it_reads_the_national_person_sheet(tmp_path):
    household = "640104001001000001"
    shared = {"组": "第二组", "是否危房户": "是"}  # the national sheet repeats household values on every row
    people = [
        national_person(
            "王大", "户主", household=household, 监测对象类别="边缘易致贫户", 识别监测时间="202303", **shared,
            **{"致贫/返贫风险1": "因病", "致贫/返贫风险2": "因学", "产业帮扶": "养牛，种植花椒", "健康帮扶": "先诊疗后付费",
               "公益性岗位帮扶": "护林员", "人均纯收入（元）": "6000", "工资性收入": "15000", "转移性收入": "3000",
               "合规自付支出": "2,000元"},
        ),
        national_person("李二", "配偶", household=household, 享受低保政策情况="农村低保", **shared,
                        是否参加城乡居民基本医疗保险="否", 是否参加城镇职工基本医疗保险="是"),
        national_person("王三", "之子", household=household, born=date(2012, 3, 1), 在校生状况="普通高中二年级", **shared,
                        **{"致贫/返贫风险1": "因病"}),
    ]
    people[1]["证件号码"] += "42"  # a disability certificate: 肢体残疾, 二级
    parsed = parse(write_national_xlsx(tmp_path / "national.xlsx", people))

    assert len(NATIONAL_HEADER) >= 177
    assert parsed.layout == LAYOUT_NATIONAL
    assert parsed.header_row == 3
    assert shown(parsed) == []
    assert parsed.unknown_columns == list(NATIONAL_EXTRA)
    assert {"县", "乡", "村", "证件类型", "信息采集人", "风险消除后工资性收入"} <= set(parsed.ignored_columns)
    [parsed_household] = parsed.households
    assert parsed_household.number == household
    assert parsed_household.group_number == 2
    fields = parsed_household.fields
    assert fields["category"] == "monitored" and fields["monitoring_type"] == "marginal"
    assert fields["monitoring_since"] == date(2023, 3, 1)
    assert fields["minimum_living"] is True  # one member in 农村低保
    assert fields["destitute_support"] is False
    assert fields["housing_grade"] == "C"  # 是否危房户 是, no grade given
    assert fields["water_safe"] is True
    assert fields["medical_out_of_pocket"] == Decimal("2000.00")
    assert fields["phone"] == "13800000000"
    assert parsed_household.risks == ["因病", "因学"]
    assert parsed_household.measures == [
        ("产业帮扶", "养牛"), ("产业帮扶", "种植花椒"), ("公益岗位帮扶", "护林员"), ("健康帮扶", "先诊疗后付费"),
    ]
    head, spouse, son = parsed_household.members
    assert head.medical_insurance is True and spouse.medical_insurance is True  # either scheme counts
    assert (head.disability_grade, spouse.disability_grade, len(spouse.id_number)) == (None, 2, 18)
    assert "disability_grade" in parsed.member_fields
    assert son.schooling == "普通高中"
    assert parsed_household.income == ParsedIncome(
        year=2023, wage=Decimal("15000"), transfer=Decimal("3000"), stated_per_capita=Decimal("6000")
    )
    assert parsed.warnings == []  # (15000 + 3000) ÷ 3 = 6000


def test_it_gives_the_same_result_for_xlsx_xls_and_ods(tmp_path):
    rows = family(工资性收入="1,234.50元", 村民小组="3组") + family("0002", head="刘大")
    rows[1]["性别"] = "女"
    rows[5]["与户主关系"] = "之女"  # a son listed as daughter: refused
    rows[3]["出生日期"] = date(1975, 5, 8)
    rows[0]["在校生状况"] = "非在校生"
    header = header_for(rows)

    results = []
    for writer, name in ((write_xlsx, "r.xlsx"), (write_xls, "r.xls"), (write_ods, "r.ods")):
        parsed = parse(writer(tmp_path / name, header, rows, title_rows=2))
        results.append(parsed)

    xlsx, xls, ods = results
    assert xlsx.households[0].income.wage == Decimal("1234.50")
    assert [error.row for error in xlsx.errors] == [7, 8, 9]
    for other in (xls, ods):
        assert other.households == xlsx.households
        assert other.errors == xlsx.errors
        assert other.header_row == xlsx.header_row == 3
        assert other.data_rows == xlsx.data_rows == 6


def test_it_reports_unknown_columns_without_failing(tmp_path):
    rows = family()
    rows[0].update({"养殖规模（头）": "10", "备注": "无"})
    parsed = parse(write(tmp_path, rows))

    assert parsed.unknown_columns == ["养殖规模（头）"]  # spelt as in the file
    assert parsed.ignored_columns == ["备注"]
    assert len(parsed.households) == 1


def test_it_raises_sheet_error_without_a_header(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", ["甲", "乙"], [["1", "2"]])
    with pytest.raises(SheetError, match="没有找到表头"):
        parse(path)


def test_it_raises_sheet_error_without_an_id_column(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", ["户编号", "姓名", "与户主关系"], [["1", "张三", "户主"]])
    with pytest.raises(SheetError, match="没有「身份证号」列"):
        parse(path)


# Cell values


def test_it_reads_full_width_digits_in_ids_and_amounts(tmp_path):
    rows = family()
    id_number = rows[0]["身份证号"]
    rows[0]["身份证号"] = full_width(id_number)
    assert rows[0]["身份证号"] != id_number
    rows[0]["工资性收入"] = "１２３４.５０元"
    rows[0]["村民小组"] = "３组"
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    [household] = parsed.households
    assert household.members[0].id_number == id_number
    assert household.income.wage == Decimal("1234.50")
    assert household.group_number == 3


def test_it_refuses_ids_turned_into_numbers(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[0]["身份证号"] = 6.40104e17  # a float cell
    rows[3]["身份证号"] = "6.40104E+17"  # the same, pasted as text
    parsed = parse(write(tmp_path, rows))

    by_row = errors_by_row(parsed)
    for row in (2, 5):
        [error] = by_row[row]
        assert error.column == "身份证号"
        assert error.message.startswith(LOST_DIGITS)
        assert "请把这一列的单元格格式设为“文本”" in error.message
    assert by_row[2][0].value == "6.40104e+17"
    assert by_row[5][0].value == "6.40104E+17"
    assert parsed.households == []


def test_it_refuses_an_old_15_digit_id(tmp_path):
    rows = family()
    rows[2]["身份证号"] = "640104120315001"
    parsed = parse(write(tmp_path, rows))

    [error] = [error for error in parsed.errors if error.row == 4]
    assert "15 位的旧身份证号" in error.message
    assert messages(parsed, 2) == messages(parsed, 3) == [SAME_HOUSEHOLD_MESSAGE.format(row=4)]


def test_it_reports_a_wrong_check_character(tmp_path):
    rows = family()
    good = rows[1]["身份证号"]
    rows[1]["身份证号"] = good[:17] + ("1" if good[17] != "1" else "2")
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 3)
    assert f"校验位）应为 {good[17]}" in error


def test_it_strips_trailing_and_doubled_spaces(tmp_path):
    rows = family()
    id_number = rows[0]["身份证号"]
    rows[0].update(姓名="王  大 ", 身份证号=" " + id_number + "  ", 与户主关系="户主 ", 户类型=" 脱贫户")
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    head = parsed.households[0].members[0]
    assert (head.name, head.relation, head.id_number) == ("王大", "户主", id_number)
    assert parsed.households[0].fields["category"] == "lifted"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), ("√", True), ("×", False), ("有", True), ("无", False), ("已参保", True), ("未参保", False)],
)
def test_it_reads_yes_and_no_spellings(tmp_path, text, expected):
    rows = family()
    rows[0].update(参加基本医疗保险=text, 饮水安全=text)
    parsed = parse(write(tmp_path, rows))

    [household] = parsed.households
    assert household.members[0].medical_insurance is expected
    assert household.fields["water_safe"] is expected


def test_it_refuses_a_yes_no_cell_it_cannot_read(tmp_path):
    rows = family()
    rows[0]["饮水安全"] = "还行"
    parsed = parse(write(tmp_path, rows))

    [error] = [error for error in parsed.errors if error.row == 2]
    assert (error.column, error.value) == ("饮水安全", "还行")
    assert "请填写 是 或 否" in error.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50元", Decimal("1234.50")), ("1234.5", Decimal("1234.50")), (1234.5, Decimal("1234.50")),
     ("0.3万元", Decimal("3000.00")), ("￥800", Decimal("800.00"))],
)
def test_it_reads_amounts(tmp_path, text, expected):
    rows = family()
    rows[0]["工资性收入"] = text
    parsed = parse(write(tmp_path, rows))

    assert parsed.households[0].income.wage == expected


def test_it_refuses_amounts_in_words_and_negative_amounts(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[0]["工资性收入"] = "二千"
    rows[3]["低保金"] = "-100"
    parsed = parse(write(tmp_path, rows))

    assert messages(parsed, 2) == ["「二千」不是金额，请填写数字，如 1234.50。"]
    assert messages(parsed, 5) == ["「-100」是负数，这里的金额不能为负，请核对。"]
    assert parsed.households == []


def test_it_reads_chinese_date_spellings(tmp_path):
    born = date(1980, 12, 20)
    rows = [
        person("甲", "户主", household="1", born=born, seq=11, 出生日期="1980年12月20日", 识别监测时间="2022年12月20日",
               户类型="监测户", 监测对象类别="突发严重困难户"),
        person("乙", "户主", household="2", born=born, seq=12, sex=FEMALE, 出生日期="1980.12.20", 识别监测时间="202212"),
        person("丙", "户主", household="3", born=born, seq=13, 出生日期="19801220", 识别监测时间="2022.12"),
        person("丁", "户主", household="4", born=born, seq=15, 出生日期="198012", 识别监测时间=20221220),
        person("戊", "户主", household="5", born=born, seq=17, 出生日期="1980-12-21"),
    ]
    parsed = parse(write(tmp_path, rows))

    assert [household.number for household in parsed.households] == ["1", "2", "3", "4"]
    assert {household.fields["monitoring_since"] for household in parsed.households} == {date(2022, 12, 1)}
    assert all(household.members[0].birth_date == born for household in parsed.households)
    [error] = parsed.errors
    assert (error.row, error.column) == (6, "出生日期")
    assert error.message == "出生日期「1980-12-21」与身份证号中的出生日期 1980年12月20日 不一致，请核对。"


@pytest.mark.parametrize(("text", "number"), [(3, 3), ("3组", 3), ("第三组", 3), ("三组", 3), ("十二组", 12),
                                              ("第二十三村民小组", 23), ("九十九", 99), ("07", 7)])
def test_it_reads_group_numbers(tmp_path, text, number):
    rows = family(村民小组=text)
    parsed = parse(write(tmp_path, rows))

    assert parsed.households[0].group_number == number


def test_it_refuses_a_group_name_without_a_number(tmp_path):
    parsed = parse(write(tmp_path, family(村民小组="东风组")))

    [error] = messages(parsed, 2)
    assert error == "「东风组」不是村民小组的组号，请填写数字，如 3、3组 或 第三组。"


def test_it_maps_the_national_schooling_vocabulary(tmp_path):
    stages = {
        "普通高中一年级": "普通高中", "中职三年级": "中职", "高职高专二年级": "高职高专", "九年级": "九年级",
        "学龄前儿童": "学龄前儿童", "本科": "本科", "": "",
    }
    rows = [person("户主", "户主", household="1", born=date(1970, 1, 1))]
    rows += [person(f"子{n}", "之子", household="1", born=date(2005, 1, 1), 在校生状况=text)
             for n, text in enumerate(stages)]
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    assert [member.schooling for member in parsed.households[0].members[1:]] == list(stages.values())


@pytest.mark.parametrize(
    ("text", "location"),
    [("县内", "county"), ("省内", "province"), ("省内县外", "province"), ("省外", "outside"), ("外省", "outside"),
     ("广东省东莞市", "outside"), ("浙江宁波", "outside"), ("未务工", ""), ("无", ""), ("县外省内务工", "province")],
)
def test_it_maps_work_locations(tmp_path, text, location):
    rows = family()
    rows[0]["务工地点"] = text
    parsed = parse(write(tmp_path, rows))

    assert parsed.households[0].members[0].work_location == location


def test_it_refuses_a_work_location_it_cannot_place(tmp_path):
    rows = family()
    rows[0]["务工地点"] = "工地"
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 2)
    assert "县内、省内县外、省外" in error and "「工地」" in error


@pytest.mark.parametrize(
    ("category", "monitoring", "fields"),
    [
        ("脱贫户", "", {"category": "lifted", "monitoring_type": ""}),
        ("一般农户", "", {"category": "ordinary", "monitoring_type": ""}),
        ("其他户", "", {"category": "ordinary", "monitoring_type": ""}),
        ("防止返贫监测对象", "脱贫不稳定户", {"category": "monitored", "monitoring_type": "unstable"}),
        ("脱贫户", "边缘户", {"category": "monitored", "monitoring_type": "marginal"}),
        ("", "突发严重困难户", {"category": "monitored", "monitoring_type": "sudden_hardship"}),
    ],
)
def test_it_reads_category_and_monitoring_type(tmp_path, category, monitoring, fields):
    rows = family(户类型=category, 监测对象类别=monitoring)
    parsed = parse(write(tmp_path, rows))

    household = parsed.households[0].fields
    assert {key: household.get(key) for key in fields} == fields


def test_it_refuses_an_unknown_category(tmp_path):
    parsed = parse(write(tmp_path, family(户类型="贫困户")))

    [error] = messages(parsed, 2)
    assert error.startswith("「贫困户」不是认得的户类型，请填写：脱贫户")


def test_it_reads_disability_from_a_grade_column_or_a_certificate_number(tmp_path):
    rows = family()
    rows[0]["残疾等级"] = "二级"
    rows[1]["身份证号"] = rows[1]["身份证号"] + "43"  # 肢体残疾, 三级
    rows[2]["残疾等级"] = 4
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    members = parsed.households[0].members
    assert [member.disability_grade for member in members] == [2, 3, 4]
    assert len(members[1].id_number) == 18


def test_it_refuses_a_disability_grade_outside_one_to_four(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[0]["残疾等级"] = "五级"
    rows[3]["身份证号"] = rows[3]["身份证号"] + "42"
    rows[3]["残疾等级"] = "一级"
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 2)
    assert error == "残疾等级「五级」不对，只能是 一级、二级、三级、四级（或 1–4）。"
    [error] = messages(parsed, 5)
    assert "与残疾人证号中的等级（2级）不一致" in error


# Checks within a row


def test_it_requires_name_and_id(tmp_path):
    rows = family()
    rows[1]["姓名"] = ""
    rows[2]["身份证号"] = ""
    parsed = parse(write(tmp_path, rows))

    assert messages(parsed, 3) == ["姓名是空的，请填写。"]
    assert messages(parsed, 4) == ["身份证号是空的，请填写 18 位身份证号。"]
    assert messages(parsed, 2) == [SAME_HOUSEHOLD_MESSAGE.format(row=3)]


def test_it_checks_sex_against_the_id(tmp_path):
    rows = family()
    rows[0]["性别"] = "女"
    rows[1]["性别"] = "女"
    parsed = parse(write(tmp_path, rows))

    assert messages(parsed, 2) == ["性别「女」与身份证号不符（身份证号第17位表示男性），请核对。"]
    assert messages(parsed, 3) == messages(parsed, 4) == [SAME_HOUSEHOLD_MESSAGE.format(row=2)]


def test_it_refuses_a_relation_that_contradicts_sex(tmp_path):
    rows = family()
    rows[2] = person("王三", "之子", household="0001", sex=FEMALE, born=date(2012, 3, 15), 在校生状况="七年级")
    parsed = parse(write(tmp_path, rows))

    [error] = [error for error in parsed.errors if error.row == 4]
    assert error.column == "与户主关系"
    assert error.message.startswith("与户主关系「之子」与性别「女」矛盾，请核对")


def test_it_reads_relation_variants_and_refuses_unknown_ones(tmp_path):
    rows = family()
    rows[0]["与户主关系"] = "本人"
    rows[1]["与户主关系"] = "妻子"
    rows[2]["与户主关系"] = "儿子"
    other = family("0002", head="刘大")
    other[2]["与户主关系"] = "之儿"
    parsed = parse(write(tmp_path, rows + other))

    assert [member.relation for member in parsed.households[0].members] == ["户主", "配偶", "之子"]
    [error] = messages(parsed, 7)
    assert error.startswith("「之儿」不是认得的与户主关系，请填写：户主、配偶、之子、之女")


def test_it_requires_a_reason_for_a_school_age_child_out_of_school(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[2].update(在校生状况="", 义务教育阶段失学辍学="是")
    rows[5].update(在校生状况="", 义务教育阶段失学辍学="是", 未上学原因="重度残疾送教上门")
    parsed = parse(write(tmp_path, rows))

    [error] = [error for error in parsed.errors if error.row == 4]
    assert error.column == "义务教育阶段失学辍学"
    assert "12 岁" in error.message and "必须填写「未上学原因」" in error.message
    [household] = parsed.households
    child = household.members[2]
    assert (child.out_of_school, child.out_of_school_reason) == (True, "重度残疾送教上门")


def test_it_refuses_out_of_school_with_a_school_stage(tmp_path):
    rows = family()
    rows[2].update(义务教育阶段失学辍学="是", 未上学原因="因病")
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 4)
    assert "七年级" in error and "矛盾" in error


# Checks across rows


def test_it_rejects_both_rows_of_a_duplicate_id(tmp_path):
    rows = family() + family("0002", head="刘大") + family("0003", head="孙大")
    rows[5]["身份证号"] = rows[2]["身份证号"]  # the same son twice
    rows[5]["在校生状况"] = "七年级"
    parsed = parse(write(tmp_path, rows))

    assert messages(parsed, 4) == ["身份证号与第7行重复，同一个人只能出现一次，请删除或改正重复的行。"]
    assert messages(parsed, 7) == ["身份证号与第4行重复，同一个人只能出现一次，请删除或改正重复的行。"]
    assert messages(parsed, 2) == [SAME_HOUSEHOLD_MESSAGE.format(row=4)]
    assert messages(parsed, 5) == [SAME_HOUSEHOLD_MESSAGE.format(row=7)]
    assert parsed.rejected_rows == {2, 3, 4, 5, 6, 7}
    assert [household.number for household in parsed.households] == ["0003"]


def test_it_rejects_a_household_without_a_head(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[3]["与户主关系"] = "之兄弟姐妹"
    parsed = parse(write(tmp_path, rows))

    for row in (5, 6, 7):
        [error] = [error for error in parsed.errors if error.row == row]
        assert error.column == "与户主关系"
        assert error.message.startswith("这一户（户编号 0002）没有户主")
    assert [household.number for household in parsed.households] == ["0001"]


def test_it_rejects_a_household_with_two_heads(tmp_path):
    rows = family()
    rows[2]["与户主关系"] = "户主"
    parsed = parse(write(tmp_path, rows))

    for row in (2, 3, 4):
        assert messages(parsed, row) == ["这一户（户编号 0001）有 2 个户主（第2、4行），每户只能有一个户主，请核对。"]
    assert parsed.households == []


def test_it_refuses_a_spouse_of_the_heads_sex(tmp_path):
    rows = family()
    rows[1] = person("李二", "配偶", household="0001", sex=MALE, born=date(1977, 9, 21))
    parsed = parse(write(tmp_path, rows))

    assert messages(parsed, 3) == ["配偶与户主（第2行）性别相同（都是男性），请核对与户主关系或身份证号。"]
    assert messages(parsed, 4) == [SAME_HOUSEHOLD_MESSAGE.format(row=3)]


def test_it_requires_household_values_to_agree_and_lets_blank_rows_inherit(tmp_path):
    rows = family(住址="一组1号", 户类型="脱贫户") + family("0002", head="刘大", 住址="二组2号")
    rows[1]["住址"] = "一组1号"  # the same: fine
    rows[4]["住址"] = "二组3号"  # different: refused
    rows[5]["户类型"] = "脱贫户"
    parsed = parse(write(tmp_path, rows))

    assert parsed.households[0].fields["address"] == "一组1号"
    assert messages(parsed, 6) == [
        "「住址」填的是「二组3号」，同户第5行填的是「二组2号」，不一致。同一户的户级信息只需在户主行填写，其他行留空或填相同内容。"
    ]
    assert messages(parsed, 5) == messages(parsed, 7) == [SAME_HOUSEHOLD_MESSAGE.format(row=6)]


def test_it_only_gives_household_fields_the_file_has(tmp_path):
    header = ["户编号", "姓名", "身份证号", "与户主关系"]
    rows = [{key: row[key] for key in header} for row in family()]
    parsed = parse(write(tmp_path, rows))

    assert parsed.households[0].fields == {"head_name": "王大", "member_count": 3}
    assert parsed.households[0].income is None
    assert parsed.member_fields == {"name", "id_number", "sex", "birth_date", "relation"}


def test_it_continues_a_household_when_the_number_cell_is_left_blank(tmp_path):
    rows = family()
    rows[1]["户编号"] = ""
    rows[2]["户编号"] = None
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    assert parsed.households[0].rows == [2, 3, 4]


def test_it_warns_when_the_stated_per_capita_income_does_not_add_up(tmp_path):
    rows = family(工资性收入="9000", 转移性收入="3000", 人均纯收入="4500")
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    assert len(parsed.households) == 1
    [warning] = parsed.warnings
    assert (warning.row, warning.column) == (2, "人均纯收入")
    assert "按各项收入算是 4000.00 元" in warning.message


def test_it_refuses_an_implausible_income_year(tmp_path):
    rows = family(收入年度="2030", 工资性收入="100")
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 2)
    assert error == "收入年度「2030」不对，应在 2000 年到 2024 年之间，请填写 4 位年份。"


def test_it_reads_risks_and_measures_from_our_columns(tmp_path):
    rows = family(**{"致贫返贫风险": "因病、因学，因灾", "帮扶措施": "产业帮扶：养牛、种花椒；雨露计划；就业帮扶；修路"})
    parsed = parse(write(tmp_path, rows))

    [household] = parsed.households
    assert household.risks == ["因病", "因学", "因自然灾害"]
    assert household.measures == [
        ("产业帮扶", "养牛"), ("产业帮扶", "种花椒"), ("教育帮扶", "雨露计划"), ("就业帮扶", ""), ("其他", "修路"),
    ]


def test_it_refuses_an_unknown_risk(tmp_path):
    parsed = parse(write(tmp_path, family(致贫返贫风险="因懒")))

    [error] = messages(parsed, 2)
    assert error.startswith("「因懒」不是认得的致贫返贫风险")


def test_it_refuses_a_dangerous_house_flag_that_contradicts_the_grade(tmp_path):
    rows = family(是否危房户="是", 住房安全等级="A级")
    parsed = parse(write(tmp_path, rows))

    [error] = messages(parsed, 2)
    assert "矛盾" in error and "A 级" in error


# Blank and note rows


def test_it_skips_blank_rows_and_trailing_notes(tmp_path):
    rows = family()
    header = header_for(rows)
    body = [rows[0], {}, rows[1], rows[2], {},
            {"户编号": "合计", "姓名": "3人"}, {"户编号": "填表人：张会计  审核人：李书记"}, {"姓名": "合计"}]
    parsed = parse(write_xlsx(tmp_path / "r.xlsx", header, body))

    assert shown(parsed) == [] and parsed.warnings == []
    assert parsed.data_rows == 3
    assert parsed.households[0].rows == [2, 4, 5]


def test_it_warns_about_a_row_with_data_but_no_name_and_id(tmp_path):
    rows = family()
    rows.append({"户编号": "0001", "与户主关系": "之女", "性别": "女", "民族": "汉族"})
    parsed = parse(write(tmp_path, rows))

    assert shown(parsed) == []
    [warning] = parsed.warnings
    assert warning.row == 5 and "当作备注跳过了" in warning.message


# Output


def test_it_formats_a_message_for_display():
    assert ledger_message(RowError(12, "身份证号", "x", "不对。")) == "第12行「身份证号」：不对。"
    assert ledger_message(RowError(3, "", "", "整户暂不导入")) == "第3行：整户暂不导入"


def test_it_writes_the_rejected_rows_with_their_messages(tmp_path):
    rows = family() + family("0002", head="刘大")
    rows[3]["身份证号"] = 6.40104e17
    rows[4]["工资性收入"] = "一千"
    parsed = parse(write(tmp_path, rows, title_rows=2))

    sheet = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(parsed))).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = table[0]
    assert header[0] == "行号" and header[-1] == "错误说明"
    assert header[1:-1] == header_for(rows)
    assert [line[0] for line in table[1:]] == [7, 8, 9]
    names = header.index("姓名")
    assert [line[names] for line in table[1:]] == ["刘大", "李二", "王三"]
    assert table[1][-1].startswith("「身份证号」：" + LOST_DIGITS)
    assert table[2][-1] == "「工资性收入」：「一千」不是金额，请填写数字，如 1234.50。"
    assert table[2][header.index("工资性收入")] == "一千"
    assert table[3][-1] == SAME_HOUSEHOLD_MESSAGE.format(row=7) + "。"
    assert parsed.rejected_rows == {7, 8, 9}
    assert [household.number for household in parsed.households] == ["0001"]


# Builders


def test_roster_rows_builds_a_valid_roster_quickly(tmp_path):
    header, rows = roster_rows(60, members=4, seed=3)
    assert roster_rows(60, members=4, seed=3) == (header, rows)
    ids = [row[header.index("身份证号")] for row in rows]
    assert len(set(ids)) == len(ids) == 240

    parsed = parse(write_xlsx(tmp_path / "big.xlsx", header, rows))

    assert shown(parsed) == [] and parsed.warnings == []
    assert parsed.data_rows == 240
    assert len(parsed.households) == 60
    assert {household.fields["category"] for household in parsed.households} == {"lifted", "ordinary", "monitored"}
    assert all(household.income.year == 2023 for household in parsed.households)


def test_national_sheet_rows_has_two_title_rows_and_a_wide_header():
    sheet = national_sheet_rows([national_person()])
    assert len(sheet) == 4
    assert sheet[2] == list(NATIONAL_HEADER) and len(sheet[2]) >= 177
    assert sheet[2].index("户编号") == 4  # column E
    assert all(isinstance(value, str) for value in sheet[3])
