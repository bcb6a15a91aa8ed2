"""A small national-system export for tests: two title rows, the header on row 3,
the person, household, work and village sheets, with one planted hit per check
family on top of clean households that no rule finds.

Places follow tests.factories.build_world: 甲县 / 甲县第1镇 (villages 1村, 2村) /
甲县第2镇 (1村). The reference date of the checks is the snapshot date
TAKEN_ON (the world's campaign has no reference date).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from evalprep.core.idnumber import generate_id_number
from tests.households.builders import NATIONAL_HEADER, write_xlsx

TAKEN_ON = date(2026, 6, 30)
COUNTY = "甲县"
V1 = ("甲县第1镇", "甲县第1镇1村")
V2 = ("甲县第1镇", "甲县第1镇2村")
V3 = ("甲县第2镇", "甲县第2镇1村")
PERSON_HEADER = [*NATIONAL_HEADER, "风险说明"]
PERSON_TITLES = ["（自定义）监测对象信息", "导出时间：2026-06-30 09:30:00    导出单位：甲县乡村振兴局"]
HOUSEHOLD_HEADER = ["县(市、区、旗)", "乡(镇)", "行政村", "户编号", "户主姓名", "家庭人口数", "是否危房户"]
WORK_HEADER = [
    "县", "乡", "行政村", "姓名", "证件号码", "是否已务工", "开始时间", "结束时间", "务工所在县", "务工月收入",
    "务工企业名称", "所属行业", "就业渠道", "是否点对点输送", "年度交通费补助",
]
VILLAGE_HEADER = [
    "县", "乡", "村", "是否出列", "总户数", "总人口数", "村级集体经济收入（万元）", "村小学（个数）", "卫生室", "公共厕所",
    "执业医师", "垃圾集中堆放点", "文化室", "低保户数", "低保人口数", "特困供养人口数", "残疾人口数",
    "到乡镇是否通沥青（水泥）路", "未实现饮水安全户数", "危房户数",
]

_sequence = itertools.count(1)
_phones = itertools.count(1)


def person_row(*, place=V1, household: str, relation: str = "户主", sex: str = "男", born: date = date(1975, 5, 1),
               id_number: str | None = None, **cells: str) -> dict[str, str]:
    """One clean person row (a lifted household, nothing any rule finds); cells override by header."""
    if id_number is None:
        id_number = generate_id_number(region="990101", birth_date=born, sex="male" if sex == "男" else "female",
                                       sequence=next(_sequence) % 999)
    adult = (TAKEN_ON.year - born.year) >= 18
    row = {
        "县": COUNTY, "乡": place[0], "村": place[1], "组": "1", "户编号": household, "姓名": f"测试{relation}{household[-3:]}",
        "证件号码": id_number, "证件类型": "居民身份证", "与户主关系": relation, "性别": sex, "民族": "汉族",
        "户类型": "脱贫户", "监测对象类别": "", "户联系电话": "", "家庭成员联系电话": "", "出生日期": born.strftime("%Y%m%d"),
        "文化程度": "初中" if adult else "", "在校生状况": "" if adult else "八年级", "健康状况": "健康",
        "劳动技能": "普通劳动力" if adult else "无劳动力", "是否参加城乡居民基本医疗保险": "是", "是否参加城镇职工基本医疗保险": "否",
        "是否参加大病保险": "是", "是否接受医疗救助": "否", "是否参加城乡居民基本养老保险": "是" if adult else "否",
        "是否参加城镇职工基本养老保险": "否", "享受低保政策情况": "未享受", "享受特困供养政策情况": "不享受",
        "是否危房户": "否", "是否解决安全饮用水": "是", "是否通生活用电": "是", "是否有卫生厕所": "是", "入户道路是否硬化": "是",
        "住房面积": "120", "与村主干路距离": "0.5", "耕地面积（亩）": "5.5", "林地面积（亩）": "0", "牧草地面积": "0",
        "人均纯收入（元）": "12000", "工资性收入": "30000", "生产经营性收入": "5000", "转移性收入": "1000",
        "合规自付支出": "0", "整户无劳动能力兜底保障户": "否", "是否义务教育阶段适龄儿童少年失学辍学": "否",
        "是否有家庭成员未参加城乡居民（职工）基本医疗保险": "否", "风险是否已消除": "", "信息采集人": "李采集",
        "信息采集人联系电话": "13900000000",
    }
    row.update(cells)
    unknown = set(row) - set(PERSON_HEADER)
    if unknown:
        raise KeyError(f"not person-sheet columns: {sorted(unknown)}")
    return row


def household_rows(number: str, *, place=V1, members: int = 3, phone: str | None = None, **household_cells: str) -> list[dict]:
    """A head (1975), a spouse (1977) and a daughter (2012) with the household's values on every row."""
    phone = phone or f"1380000{next(_phones):04d}"
    specs = [("户主", "男", date(1975, 5, 1)), ("配偶", "女", date(1977, 8, 1)), ("之女", "女", date(2012, 3, 1))]
    return [
        person_row(place=place, household=number, relation=relation, sex=sex, born=born, **{"户联系电话": phone, **household_cells})
        for relation, sex, born in specs[:members]
    ]


def monitored_cells(**cells: str) -> dict[str, str]:
    """A monitored household, risk eliminated by assistance after eight months, every after-elimination column filled."""
    base = {
        "户类型": "一般农户", "监测对象类别": "边缘易致贫户", "致贫/返贫风险1": "因病", "健康帮扶": "先诊疗后付费",
        "风险是否已消除": "是", "识别监测时间": "202401", "风险消除方式": "帮扶消除", "消除监测时间": "202409",
        "风险消除后是否义务教育阶段适龄儿童少年失学辍学": "否", "风险消除后是否住房损毁": "否",
        "风险消除后是否有家庭成员未参加城乡居民（职工）基本医疗保险": "否", "风险消除后是否饮水设施损毁": "否",
        "风险消除后工资性收入": "20000", "风险消除后财产性收入": "0", "风险消除后转移性收入": "1000",
        "风险消除后生产经营性收入": "2000", "风险消除后生产经营性支出": "500", "风险消除后家庭纯收入": "22500",
        "风险消除后家庭人均纯收入": "7500", "风险消除后理赔收入": "0", "风险消除后合规自付支出": "3000",
    }
    base.update(cells)
    return base


def work_row(person: dict, **cells: str) -> dict[str, str]:
    row = {
        "县": COUNTY, "乡": person["乡"], "行政村": person["村"], "姓名": person["姓名"], "证件号码": person["证件号码"],
        "是否已务工": "是", "开始时间": "2025年03月", "结束时间": "", "务工所在县": "示例市某某县", "务工月收入": "4000",
        "务工企业名称": "某某制衣厂", "所属行业": "制造业", "就业渠道": "自主就业", "是否点对点输送": "否", "年度交通费补助": "0",
    }
    row.update(cells)
    return row


def village_row(place, **cells: str) -> dict[str, str]:
    row = {
        "县": COUNTY, "乡": place[0], "村": place[1], "是否出列": "是", "总户数": "300", "总人口数": "1000",
        "村级集体经济收入（万元）": "5", "村小学（个数）": "1", "卫生室": "1", "公共厕所": "2", "执业医师": "1",
        "垃圾集中堆放点": "3", "文化室": "1", "低保户数": "10", "低保人口数": "20", "特困供养人口数": "3", "残疾人口数": "15",
        "到乡镇是否通沥青（水泥）路": "是", "未实现饮水安全户数": "0", "危房户数": "0",
    }
    row.update(cells)
    return row


def write_sheet(path: str | Path, header: Sequence[str], rows: Iterable[dict], *, titles: Sequence[str] | None = None,
                sheet_title: str = "Sheet1") -> Path:
    """Two title rows (the first merged), the header on row 3, data from row 4."""
    titles = list(titles or ["国家防返贫监测信息系统导出", "导出时间：2026-06-30"])
    return write_xlsx(path, list(header), [[row.get(name, "") for name in header] for row in rows],
                      title_rows=titles, sheet_title=sheet_title)


class PlantedExport:
    """The files and what the checks must find in them: {(rule, subject key)}."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.persons: list[dict] = []
        self.work: list[dict] = []
        self.villages: list[dict] = []
        self.expected: set[tuple[str, str]] = set()

    def add(self, rows: list[dict]) -> list[dict]:
        self.persons += rows
        return rows

    def files(self, *, person_name: str = "export_a.xlsx") -> list[Path]:
        households = {}
        for row in self.persons:
            households.setdefault(row["户编号"], {
                "县(市、区、旗)": row["县"], "乡(镇)": row["乡"], "行政村": row["村"], "户编号": row["户编号"],
                "户主姓名": row["姓名"], "家庭人口数": "0", "是否危房户": row["是否危房户"],
            })
            households[row["户编号"]]["家庭人口数"] = str(int(households[row["户编号"]]["家庭人口数"]) + 1)
        return [
            write_sheet(self.directory / person_name, PERSON_HEADER, self.persons, titles=PERSON_TITLES),
            write_sheet(self.directory / "下载 (3).xlsx", HOUSEHOLD_HEADER, households.values(),
                        titles=["（乡村建设）户信息", "导出时间：2026-06-30"]),
            write_sheet(self.directory / "work.xlsx", WORK_HEADER, self.work,
                        titles=["（务工月监测）已外出务工信息", "导出时间：2026-06-30"]),
            write_sheet(self.directory / "村.xlsx", VILLAGE_HEADER, self.villages,
                        titles=["（自定义）行政村信息", "导出时间：2026-06-30"]),
        ]


def planted_export(directory: Path) -> PlantedExport:
    """Clean households in every village plus one planted hit per family (several for some)."""
    export = PlantedExport(directory)
    clean = export.add(household_rows("990101001000001"))
    export.add(household_rows("990101001000002", place=V2))
    export.add(household_rows("990101002000001", place=V3))
    export.add(household_rows("990101001000009", **monitored_cells()))
    # 1 identity: a son recorded as female
    rows = export.add(household_rows("990101001000010"))
    son = person_row(household="990101001000010", relation="之子", sex="女", born=date(2000, 2, 2),
                     **{"户联系电话": rows[0]["户联系电话"]})
    export.add([son])
    export.expected.add(("1.07", f"990101001000010/{son['证件号码']}"))
    # 2 required fields: the head's ethnicity left empty
    rows = export.add(household_rows("990101001000011"))
    rows[0]["民族"] = ""
    export.expected.add(("2.01", f"990101001000011/{rows[0]['证件号码']}"))
    # 3 should be monitored: a lifted household below the income line (6000)
    export.add(household_rows("990101001000012", place=V2, **{"人均纯收入（元）": "5000"}))
    export.expected.add(("3.05", "990101001000012"))
    # 4 workflow: identified 2024-01, eliminated 2024-03 (under six months)
    export.add(household_rows("990101001000013", **monitored_cells(**{"消除监测时间": "202403"})))
    rows = export.persons[-3:]
    rows[0]["健康状况"] = "长期慢性病"
    export.expected.add(("4.05", "990101001000013"))
    # 5 risk and measures: 因学 without an education measure
    export.add(household_rows("990101001000014", place=V2, **{"致贫/返贫风险1": "因学"}))
    export.expected.add(("5.03", "990101001000014"))
    # 6 age: a 66-year-old head still an ordinary labourer
    rows = export.add(household_rows("990101002000015", place=V3, members=2))
    old = person_row(place=V3, household="990101002000015", relation="之父", born=date(1960, 1, 1),
                     **{"户联系电话": rows[0]["户联系电话"]})
    export.add([old])
    export.expected.add(("6.03", f"990101002000015/{old['证件号码']}"))
    # 7 work: a monthly wage of 50 yuan (plus a clean spell)
    export.work.append(work_row(clean[0]))
    export.work.append(work_row(clean[1], **{"务工月收入": "50"}))
    # 8 ranges: 8 km from the main village road
    export.add(household_rows("990101002000016", place=V3, **{"与村主干路距离": "8"}))
    export.expected.add(("8.02", "990101002000016"))
    # 9 village: a lifted village without a paved road to the township
    export.villages += [village_row(V1), village_row(V2, **{"到乡镇是否通沥青（水泥）路": "否"})]
    export.expected.add(("9.06", f"{V2[0]}/{V2[1]}"))
    # the monitored households are ill (因病 with an ill member)
    for row in export.persons:
        if row["户编号"] == "990101001000009" and row["与户主关系"] == "户主":
            row["健康状况"] = "长期慢性病"
    return export
