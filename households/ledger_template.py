"""The household roster template (花名册模板) a village cadre downloads.

One row per person, our canonical headers (the same `CANONICAL_HEADERS` the
parser reads), drop-down lists for every coded column, text format for ID and
phone columns, a worked example on its own sheet and a sheet of instructions.
Written with openpyxl in normal mode because data validation needs it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from evalprep.core.idnumber import FEMALE, MALE, generate_id_number
from households.ledger import CANONICAL_HEADERS
from households.models import (
    HealthStatus,
    LabourCapacity,
    MonitoringType,
    Relation,
    SchoolingStage,
    WaterSource,
)

DATA_SHEET = "花名册"
EXAMPLE_SHEET = "填写示例"
HELP_SHEET = "填写说明"
LAST_TEMPLATE_ROW = 2000
EXAMPLE_REGION = "990101"  # not a real region: the example people are made up

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

YES_NO = ("是", "否")


class TemplateColumn(NamedTuple):
    header: str
    required: bool
    help: str
    width: int = 12
    choices: tuple[str, ...] = ()
    text: bool = False  # formatted as text ("@") so long numbers keep every digit


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels if str(label))


TEMPLATE_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("户编号", True, "同一户的每个人填相同的户编号（可用全国系统的户编号）。按文本填写。", 20, text=True),
    TemplateColumn("村民小组", False, "组号：3、3组、第三组都可以。户级信息，在户主行填写。", 10),
    TemplateColumn("户类型", False, "脱贫户、监测户、一般户；不填时新户按一般户。户级信息，在户主行填写。", 10, ("脱贫户", "监测户", "一般户")),
    TemplateColumn(
        "监测对象类别", False, "监测户填：脱贫不稳定户、边缘易致贫户、突发严重困难户；不是监测户留空。填了就按监测户导入。",
        14, _labels(MonitoringType),
    ),
    TemplateColumn("识别监测时间", False, "纳入监测的年月，如 202303 或 2023年3月。户级信息。", 12),
    TemplateColumn("姓名", True, "每行一人。", 10),
    TemplateColumn(
        "身份证号", True,
        "18 位身份证号，最后一位可以是 X；残疾人可填 20 位残疾人证号。这一列必须是“文本”格式，"
        "否则表格会把号码变成 6.40104E+17，后几位丢失。",
        22, text=True,
    ),
    TemplateColumn("与户主关系", True, "每户有且只有一个“户主”；其余按下拉选择（之子、之女、配偶…）。", 12, _labels(Relation)),
    TemplateColumn("性别", False, "男 或 女；可不填，系统按身份证号判断，填了要与身份证号一致。", 6, ("男", "女")),
    TemplateColumn("出生日期", False, "可不填，系统按身份证号判断；填了要一致，如 1980-01-01、1980年1月1日、19800101。", 12),
    TemplateColumn("民族", False, "如 汉族、回族。", 8),
    TemplateColumn("联系电话", False, "本人手机号，只填一个号码。按文本填写。", 14, text=True),
    TemplateColumn("健康状况", False, "健康、长期慢性病、患大病、残疾。", 12, _labels(HealthStatus)),
    TemplateColumn("残疾等级", False, "残疾人填 一级、二级、三级、四级（或 1–4）；不是残疾人留空。", 8, ("一级", "二级", "三级", "四级")),
    TemplateColumn("慢性病", False, "是 或 否。", 8, YES_NO),
    TemplateColumn("家庭医生签约", False, "是 或 否。", 10, YES_NO),
    TemplateColumn(
        "在校生状况", False,
        "学龄前儿童、学前教育、小学、七年级、八年级、九年级、普通高中、中职、高职高专、本科、硕士生及以上、非在校生。",
        12, _labels(SchoolingStage),
    ),
    TemplateColumn("义务教育阶段失学辍学", False, "6–15 岁的孩子没有上学填“是”，并且必须填写未上学原因。", 12, YES_NO),
    TemplateColumn("未上学原因", False, "失学辍学时必填，如 因病休学、重度残疾送教上门。", 16),
    TemplateColumn("参加基本医疗保险", False, "是 或 否（城乡居民或职工医保都算）。", 10, YES_NO),
    TemplateColumn("参加大病保险", False, "是 或 否。", 10, YES_NO),
    TemplateColumn("劳动技能", False, "普通劳动力、技能劳动力、弱劳动力或半劳动力、无劳动力、丧失劳动力。", 14, _labels(LabourCapacity)),
    TemplateColumn("务工地点", False, "县内、省内县外、省外；没有务工留空或选 未务工。", 10, ("县内", "省内县外", "省外", "未务工")),
    TemplateColumn("住址", False, "户级信息，在户主行填写。", 24),
    TemplateColumn("户联系电话", False, "户级信息，在户主行填写。按文本填写。", 14, text=True),
    TemplateColumn("帮扶责任人", False, "户级信息，在户主行填写。", 10),
    TemplateColumn("帮扶责任人电话", False, "户级信息，在户主行填写。按文本填写。", 14, text=True),
    TemplateColumn("住房安全等级", False, "A级、B级、C级、D级（C、D 级为危房）。户级信息。", 10, ("A级", "B级", "C级", "D级")),
    TemplateColumn("危房改造年度", False, "改造过的填 4 位年份，如 2019。户级信息。", 10),
    TemplateColumn("饮水来源", False, "集中供水（自来水）、分散供水（水井）、山泉水、水窖、其他。户级信息。", 16, _labels(WaterSource)),
    TemplateColumn("饮水安全", False, "是 或 否。户级信息。", 8, YES_NO),
    TemplateColumn("水质检测报告", False, "有检测报告填“是”。户级信息。", 10, YES_NO),
    TemplateColumn("季节性缺水", False, "是 或 否。户级信息。", 10, YES_NO),
    TemplateColumn("享受低保", False, "是 或 否。户级信息。", 8, YES_NO),
    TemplateColumn("低保金", False, "全年金额，单位元，如 3600。户级信息。", 10),
    TemplateColumn("特困供养", False, "是 或 否。户级信息。", 8, YES_NO),
    TemplateColumn("特困供养金", False, "全年金额，单位元。户级信息。", 10),
    TemplateColumn("临时救助金额", False, "单位元。户级信息。", 10),
    TemplateColumn("合规自付医疗支出", False, "单位元。户级信息。", 12),
    TemplateColumn("整户无劳动能力兜底保障户", False, "是 或 否。户级信息。", 12, YES_NO),
    TemplateColumn("收入年度", False, "收入是哪一年的，如 2023；不填按当前考核年度。户级信息。", 8),
    TemplateColumn("工资性收入", False, "全家全年，单位元，只填数字，如 1234.50。户级信息。", 12),
    TemplateColumn("生产经营性收入", False, "全家全年，单位元。户级信息。", 12),
    TemplateColumn("财产性收入", False, "全家全年，单位元。户级信息。", 12),
    TemplateColumn("转移性收入", False, "全家全年，单位元（含低保金、养老金、各类补贴）。户级信息。", 12),
    TemplateColumn("生产经营性支出", False, "全家全年，单位元。户级信息。", 12),
    TemplateColumn(
        "人均纯收入", False,
        "（工资性＋生产经营性＋财产性＋转移性－生产经营性支出）÷ 家庭人口；可不填，填了系统会核对。户级信息。", 12,
    ),
    TemplateColumn(
        "致贫返贫风险", False,
        "监测户填，可填多个，用逗号隔开：" + "、".join(
            ("因病", "因残", "因学", "因安全住房", "因安全饮水", "缺劳动力", "因务工就业不稳", "因自然灾害", "因意外事故", "其他")
        ) + "。户级信息。",
        16,
    ),
    TemplateColumn(
        "帮扶措施", False,
        "类型：具体内容，多项用分号隔开，如 产业帮扶：养牛补贴；就业帮扶：技能培训、外出务工补贴。类型有 产业帮扶、就业帮扶、"
        "公益岗位帮扶、金融帮扶、教育帮扶、健康帮扶、住房安全保障、饮水安全保障、综合保障、社会帮扶、搬迁、其他。户级信息。",
        30,
    ),
)
TEMPLATE_HEADERS: tuple[str, ...] = tuple(column.header for column in TEMPLATE_COLUMNS)

GENERAL_RULES: tuple[str, ...] = (
    "每行一人：一户有几口人就填几行，同一户的人填相同的户编号，并排在一起。",
    "每户有且只有一个户主（「与户主关系」填“户主”），户主的性别与配偶不能相同。",
    "同一户的户级信息（户类型、住址、住房、饮水、低保、收入、风险、帮扶措施等）只需在户主行填写，其他成员行留空；如果都填，必须一致。",
    "身份证号列、电话列、户编号列必须设为“文本”格式（模板已设好）；从别处粘贴时请用“选择性粘贴 → 数值”，不要粘成数字。",
    "不要合并单元格，不要改动第一行的列名，不要在数据中间插入空行或小计行。",
    "是/否 列只填“是”或“否”（也认 √、×、有、无）。金额只填数字，单位是元，如 1234.50。",
    "日期可写 2022-12-20、2022年12月20日、20221220；年月可写 202212 或 2022年12月。",
    "一户中有一行出错，整户暂不导入；系统会给出出错行的清单，改正后重新上传即可。",
    "「填写示例」工作表是一个虚构的示例户，请在「花名册」工作表中填写本村的数据。",
)

EXAMPLE_ROWS: tuple[dict[str, object], ...] = (
    {
        "户编号": "0001", "村民小组": "3组", "户类型": "脱贫户", "姓名": "王示例",
        "身份证号": generate_id_number(region=EXAMPLE_REGION, birth_date=date(1972, 5, 8), sex=MALE, sequence=11),
        "与户主关系": "户主", "性别": "男", "民族": "汉族", "联系电话": "13800000000", "健康状况": "长期慢性病",
        "慢性病": "是", "家庭医生签约": "是", "在校生状况": "非在校生", "参加基本医疗保险": "是", "参加大病保险": "是",
        "劳动技能": "普通劳动力", "务工地点": "县内", "住址": "示例村3组15号", "户联系电话": "13800000000",
        "帮扶责任人": "李帮扶", "帮扶责任人电话": "13900000000", "住房安全等级": "B级", "饮水来源": "集中供水（自来水）",
        "饮水安全": "是", "水质检测报告": "是", "季节性缺水": "否", "享受低保": "否", "特困供养": "否",
        "合规自付医疗支出": "1200", "整户无劳动能力兜底保障户": "否", "收入年度": "2023", "工资性收入": "24000",
        "生产经营性收入": "8000", "财产性收入": "500", "转移性收入": "3500", "生产经营性支出": "3000",
        "人均纯收入": "11000", "致贫返贫风险": "因病", "帮扶措施": "产业帮扶：养牛补贴；健康帮扶：家庭医生签约服务",
    },
    {
        "户编号": "0001", "姓名": "张示例",
        "身份证号": generate_id_number(region=EXAMPLE_REGION, birth_date=date(1975, 9, 21), sex=FEMALE, sequence=22),
        "与户主关系": "配偶", "性别": "女", "民族": "汉族", "健康状况": "健康", "在校生状况": "非在校生",
        "参加基本医疗保险": "是", "参加大病保险": "是", "劳动技能": "普通劳动力", "务工地点": "未务工",
    },
    {
        "户编号": "0001", "姓名": "王小例",
        "身份证号": generate_id_number(region=EXAMPLE_REGION, birth_date=date(2012, 3, 15), sex=MALE, sequence=33),
        "与户主关系": "之子", "性别": "男", "民族": "汉族", "健康状况": "健康", "在校生状况": "七年级",
        "参加基本医疗保险": "是", "参加大病保险": "是",
    },
)


def roster_template_workbook() -> bytes:
    """The empty roster template, with its example and instructions, as .xlsx bytes."""
    workbook = Workbook()
    data = workbook.active
    data.title = DATA_SHEET
    _write_roster_sheet(data, rows=())
    _add_validations(data)
    example = workbook.create_sheet(EXAMPLE_SHEET)
    _write_roster_sheet(example, rows=EXAMPLE_ROWS)
    _write_help_sheet(workbook.create_sheet(HELP_SHEET))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_roster_sheet(sheet, *, rows) -> None:
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        if column.text:
            dimension.number_format = "@"
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    for row_number, row in enumerate(rows, start=2):
        for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
            value = row.get(column.header)
            if value in (None, ""):
                continue
            cell = sheet.cell(row=row_number, column=index, value=value)
            if column.text:
                cell.number_format = "@"


def _add_validations(sheet) -> None:
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        if not column.choices:
            continue
        formula = '"' + ",".join(column.choices) + '"'
        if len(formula) > 257:  # Excel's limit for an inline list is 255 characters
            raise ValueError(f"too many choices for an inline list: {column.header}")
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showDropDown=False,  # False shows the arrow (the attribute name is inverted in the file format)
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="请从下拉列表中选择",
            error=f"「{column.header}」请填写：{'、'.join(column.choices)}。",
            promptTitle=column.header,
            prompt=column.help[:250],
            showInputMessage=True,
        )
        validation.add(f"{letter}2:{letter}{LAST_TEMPLATE_ROW}")
        sheet.add_data_validation(validation)


def _write_help_sheet(sheet) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90
    title = sheet.cell(row=1, column=1, value="农户花名册填写说明")
    title.font = Font(bold=True, size=14)
    sheet.cell(row=2, column=1, value="总体要求").font = HEADER_FONT
    row = 3
    for number, rule in enumerate(GENERAL_RULES, start=1):
        sheet.cell(row=row, column=1, value=f"{number}.")
        sheet.cell(row=row, column=3, value=rule).alignment = Alignment(wrap_text=True)
        row += 1
    row += 1
    for index, text in enumerate(("列名", "是否必填", "填写要求/可选值"), start=1):
        cell = sheet.cell(row=row, column=index, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in TEMPLATE_COLUMNS:
        row += 1
        sheet.cell(row=row, column=1, value=column.header)
        sheet.cell(row=row, column=2, value="必填" if column.required else "选填")
        sheet.cell(row=row, column=3, value=column.help).alignment = Alignment(wrap_text=True)


def _check_headers_match_parser() -> None:
    unknown = [header for header in TEMPLATE_HEADERS if header not in CANONICAL_HEADERS]
    if unknown:  # caught by the template test as well; fail at import rather than at a village
        raise ImportError(f"template headers the roster parser does not know: {unknown}")


_check_headers_match_parser()
