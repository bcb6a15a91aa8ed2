"""The chapters read from the task and interview modules: a village's interview
answers, open tasks, findings and guides; a department's assignments and
deliverables, answers and sign-offs, findings; the county pack's overdue tasks,
清零 status and leaders' interview cards. Each in the PDF and as its own sheets,
left out where the module holds nothing for the unit, and read in a number of
queries that does not grow with the data."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from pypdf import PdfReader

from evalprep.dossiers.builders import builder_for
from evalprep.dossiers.builders.base import NoProgress
from evalprep.dossiers.services import dossier_context
from tests.dossiers.conftest import fill_modules

MODULE_SHEETS = {
    "village": {"访谈答卷", "访谈问答", "待办任务", "反馈问题整改", "引导员"},
    "department": {"任务与报送材料", "访谈答卷", "访谈问答", "反馈问题整改"},
    "county": {"逾期任务按单位", "逾期任务", "整改清零按单位", "逾期未销号问题", "领导访谈答卷", "领导访谈问答卡"},
}


def _build(kind: str, unit, fmt: str) -> bytes:
    return builder_for(kind).render(dossier_context(scope=kind, unit=unit), fmt)[2]


def _text(content: bytes) -> str:
    """The PDF's text without whitespace (narrow table cells wrap anywhere)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def _workbook(kind: str, unit):
    return load_workbook(io.BytesIO(_build(kind, unit, "xlsx")))


def _rows(workbook, title: str) -> list[tuple]:
    return list(workbook[title].iter_rows(min_row=2, values_only=True))


def _html(kind: str, unit) -> str:
    builder = builder_for(kind)
    ctx = dossier_context(scope=kind, unit=unit)
    return builder.html(ctx, builder.chapters(ctx, NoProgress))


def test_it_adds_answers_open_tasks_findings_and_guides_to_the_village_dossier(modules):
    village = modules.world.villages[0]
    text = _text(_build("village", village, "pdf"))
    for title in ["座谈访谈问答", "待办任务", "反馈问题整改情况", "村民小组引导员"]:
        assert title in text, title
    # both respondents' answers, and the difference between them
    assert "全村参保率100%" in text and "参保率98%" in text and "本村没有出现辍学现象" in text
    assert "与驻村第一书记first_secretary不一致" in text and "起草中" in text
    # open tasks only: the accepted one is left out; the overdue one says by how much
    assert "入户走访台账" in text and "逾期6天" in text and "村级汇报材料" in text and "还剩12天" in text
    assert "村规民约公示照片" not in text and "已验收1项，待办3项" in text
    # the village's finding with its deadline, not the other village's
    assert "部分监测户帮扶措施针对性不强" in text and "逾期4天" in text and "村卫生室无人值守" not in text
    # the group without a trained guide, the guide's phone masked
    assert "尚无按期培训引导员的村民小组：第二组" in text
    assert "136****5678" in text and "13612345678" not in text


def test_it_prints_overdue_tasks_and_findings_in_red(modules):
    html = _html("village", modules.world.villages[0])
    late_rows = [row for row in html.split("<tr") if 'class="late"' in row.split(">", 1)[0]]
    assert any("入户走访台账" in row for row in late_rows)
    assert any("部分监测户帮扶措施针对性不强" in row for row in late_rows)
    assert not any("村级汇报材料" in row for row in late_rows)
    assert ".late { color: #b00000; }" in html


def test_it_writes_the_village_module_sheets(modules):
    workbook = _workbook("village", modules.world.villages[0])
    assert MODULE_SHEETS["village"] <= set(workbook.sheetnames)
    assert workbook.sheetnames.index("访谈答卷") > workbook.sheetnames.index("村情概况")
    sheets = _rows(workbook, "访谈答卷")
    assert [(r[1], r[3], r[4], r[5]) for r in sheets] == [
        ("村党支部书记 village_cadre", "起草中", "2/17", 1), ("驻村第一书记 first_secretary", "起草中", "1/17", 1),
    ]
    answers = _rows(workbook, "访谈问答")
    assert len(answers) == 2 * 17
    secretary_q2 = next(r for r in answers if r[1].endswith("village_cadre") and r[2] == 2)
    assert secretary_q2[4].startswith("全村参保率100%") and "不一致" in secretary_q2[5]
    tasks = _rows(workbook, "待办任务")
    assert [(r[0], r[1], r[4], r[5]) for r in tasks] == [
        ("V-2", "入户走访台账", "逾期", 6), ("V-1", "村级汇报材料", None, None), ("V-9", "引导员培训", None, None),
    ]
    findings = _rows(workbook, "反馈问题整改")
    assert [(r[0], r[2], r[8], r[9]) for r in findings] == [(1, "部分监测户帮扶措施针对性不强", "整改中", "逾期")]
    assert [(r[0], r[1], r[5]) for r in _rows(workbook, "引导员")] == [("第一组", "引导员甲", "是"), ("第二组", None, "否")]


def test_it_adds_assignments_answers_sign_offs_and_findings_to_the_department_dossier(modules):
    department = modules.world.departments[0]
    text = _text(_build("department", department, "pdf"))
    for title in ["任务分派与报送材料", "座谈访谈问答与审核签字", "反馈问题整改情况"]:
        assert title in text, title
    assert "控辍保学工作总结" in text and "控辍保学总结.pdf" in text and "department_head" in text
    assert "教育资助名单" in text and "退回：缺少学段一栏" in text and "逾期2天" in text
    assert "教育局准备的第6题回答" in text and "已审核" in text and "审核签字：department_head" in text
    assert "教育资助资金发放不及时" in text and "已全部销号（清零）" in text and "村卫生室无人值守" not in text

    workbook = _workbook("department", department)
    assert MODULE_SHEETS["department"] <= set(workbook.sheetnames)
    tasks = _rows(workbook, "任务与报送材料")
    assert [(r[0], r[2], r[4], r[5]) for r in tasks] == [
        ("D-1", "已验收", None, "控辍保学总结.pdf"), ("D-2", "已退回", "逾期", "资助名单.pdf"),
    ]
    assert tasks[0][7].startswith("department_head ") and tasks[0][8].startswith("coordinator ")
    assert tasks[1][7] is None and tasks[1][9] == "缺少学段一栏"
    sheet = _rows(workbook, "访谈答卷")
    assert len(sheet) == 1 and sheet[0][3] == "已审核" and sheet[0][4] == "6/6" and sheet[0][7].startswith("department_head ")
    assert len(_rows(workbook, "访谈问答")) == 6
    assert [(r[0], r[8]) for r in _rows(workbook, "反馈问题整改")] == [(2, "已销号")]


def test_it_adds_overdue_tasks_clearance_and_leader_cards_to_the_county_briefing(modules):
    county = modules.world.county
    text = _text(_build("county", county, "pdf"))
    for title in ["逾期未验收的任务（2项）", "问题整改清零情况", "县级负责同志访谈问答卡"]:
        assert title in text, title
    assert "入户走访台账" in text and "教育资助名单" in text and "村级汇报材料" not in text
    assert "距清零还差2个" in text and "已清零" in text and "卫生健康局" in text
    assert "成立了由县委书记、县长任双组长的乡村振兴领导小组" in text and "已答1/10题" in text
    assert text.index("逾期未验收的佐证资料") < text.index("逾期未验收的任务") < text.index("逾期未决定的筛查提示")

    workbook = _workbook("county", county)
    assert MODULE_SHEETS["county"] <= set(workbook.sheetnames)
    by_unit = {r[0]: r[1:] for r in _rows(workbook, "逾期任务按单位")}
    assert by_unit == {"甲县第1镇甲县第1镇1村": ("行政村", 1, 0, 6), "教育局": ("部门", 1, 1, 2)}
    assert {r[3] for r in _rows(workbook, "逾期任务")} == {"入户走访台账", "教育资助名单"}
    clearance = {r[0]: r[1:] for r in _rows(workbook, "整改清零按单位")}
    assert clearance == {"甲县第1镇": (1, 1, 0, 0, 1, 1, 0), "卫生健康局": (1, 1, 0, 0, 0, 1, 0), "教育局": (1, 0, 0, 1, 0, 0, 100)}
    assert [r[3] for r in _rows(workbook, "逾期未销号问题")] == ["部分监测户帮扶措施针对性不强"]
    assert len(_rows(workbook, "领导访谈问答卡")) == 10 and _rows(workbook, "领导访谈答卷")[0][4] == "1/10"


def test_it_leaves_the_module_chapters_out_where_there_is_no_data(world):
    for kind, unit in [("village", world.villages[2]), ("department", world.departments[1]), ("county", world.county)]:
        text = _text(_build(kind, unit, "pdf"))
        for title in ["访谈问答", "待办任务", "任务分派", "反馈问题整改", "引导员", "逾期未验收的任务", "问题整改清零", "访谈问答卡"]:
            assert title not in text, (kind, title)
        assert not MODULE_SHEETS[kind] & set(_workbook(kind, unit).sheetnames), kind


def test_it_leaves_out_what_another_unit_has(modules):
    """V3 has nothing in the modules while V1 has all; D2 has only a finding."""
    world = modules.world
    assert not MODULE_SHEETS["village"] & set(_workbook("village", world.villages[2]).sheetnames)
    sheets = set(_workbook("department", world.departments[1]).sheetnames)
    assert "反馈问题整改" in sheets and not {"任务与报送材料", "访谈答卷"} & sheets


def _queries(kind: str, unit) -> int:
    ctx = dossier_context(scope=kind, unit=unit)
    with CaptureQueriesContext(connection) as captured:
        builder_for(kind).chapters(ctx, NoProgress)
    return len(captured)


@pytest.mark.parametrize("kind", ["village", "department", "county"])
def test_it_reads_the_same_number_of_queries_however_many_tasks_findings_and_answers(world, kind):
    units = {"village": world.villages[0], "department": world.departments[0], "county": world.county}
    fill_modules(world)
    few = _queries(kind, units[kind])
    fill_modules_more(world)
    assert _queries(kind, units[kind]) == few


def fill_modules_more(world) -> None:
    """Eight more assignments, findings and deliverables for V1 and D1, and more answers."""
    from datetime import timedelta

    from django.utils import timezone

    from interviews.models import Question, Respondent
    from interviews.services import answer_save
    from tasks.models import FindingSource
    from tasks.services import deliverable_files_add, finding_create, task_assign
    from tests.dossiers.conftest import _template, _upload

    campaign, coordinator, today = world.campaign, world.users["coordinator"], timezone.localdate()
    for n in range(8):
        for level, unit in (("village", world.villages[0]), ("department", world.departments[0])):
            template = _template(campaign, f"{level[0]}{n}", f"补充任务{n}", level, order=50 + n)
            assignment = task_assign(template=template, units=[unit], user=coordinator, due_date=today - timedelta(days=n + 1))[0]
            user = world.users["village_cadre" if level == "village" else "department_staff"]
            deliverable_files_add(assignment=assignment, files=[_upload(f"材料{n}.pdf", salt=f"{level}{n}")], user=user)
        finding_create(campaign=campaign, user=coordinator, source=FindingSource.SELF_CHECK, description=f"自查问题{n}",
                       deadline=today - timedelta(days=1), responsible_township=world.townships[n % 2], village=world.villages[0])
        finding_create(campaign=campaign, user=coordinator, source=FindingSource.SELF_CHECK, description=f"部门问题{n}",
                       deadline=today + timedelta(days=1), responsible_department=world.departments[0])
    for respondent in Respondent.objects.filter(outline__campaign=campaign).exclude(status="approved"):
        for question in Question.objects.filter(outline=respondent.outline)[:6]:
            answer_save(respondent=respondent, question=question, user=coordinator, text=f"准备的回答：{question.number}户，95%")


# The national export: reconciliation (账机一致) and the suspect-data checks


def test_it_adds_the_villages_reconciliation_and_check_hits(world):
    from tests.dossiers.conftest import fill_national

    fill_national(world)
    village = world.villages[0]
    text = _text(_build("village", village, "pdf"))
    assert "账机一致比对与疑点数据核查" in text
    assert "户编号H001家庭人口：花名册4人，国家系统3人" in text and "逾期3天" in text
    assert "户编号H002在花名册中" in text and "收入口径不同" not in text  # explained ones only counted
    assert "身份证号校验码错误" in text and "姓名P1（户编号HP1）的身份证号校验码不对" in text
    assert "姓名P5" not in text  # another village's hit

    workbook = _workbook("village", village)
    kinds = {r[0]: r[1:] for r in _rows(workbook, "账机差异按类型")}
    assert kinds == {"户仅在花名册": (0, 1, 0, 0, 0, 1), "人仅在国家系统": (0, 0, 0, 0, 1, 1), "字段不一致": (1, 0, 0, 1, 0, 2)}
    assert [(r[2], r[8]) for r in _rows(workbook, "未处理账机差异")] == [("H001", "逾期"), ("H002", None)]
    rules = {r[1]: r[4:] for r in _rows(workbook, "疑点数据按规则")}
    assert rules == {"1.02": (1, 1, 0, 1, 3), "1.03": (1, 0, 0, 0, 1)}
    assert [r[1] for r in _rows(workbook, "待处理疑点")] == ["1.02", "1.03"]
    # V3 has no discrepancy and no hit: the chapter says so rather than disappearing
    assert "花名册与国家系统一致，没有账机差异" in _text(_build("village", world.villages[2], "pdf"))


def test_it_adds_the_countys_distance_to_zero_per_village(world):
    from tests.dossiers.conftest import fill_national

    fill_national(world)
    text = _text(_build("county", world.county, "pdf"))
    assert "账机一致与疑点数据清零情况" in text and "距清零还差6条" in text
    by_village = {r[0]: r[1:] for r in _rows(_workbook("county", world.county), "账机与疑点按村")}
    assert by_village["甲县第1镇甲县第1镇1村"] == (2, 1, 1, 0, 2, 1, 5)
    assert by_village["甲县第1镇甲县第1镇2村"] == (1, 0, 0, 0, 0, 0, 1)


def test_it_leaves_the_national_chapters_out_before_any_export_is_reconciled(world):
    for kind, unit in [("village", world.villages[0]), ("county", world.county)]:
        sheets = set(_workbook(kind, unit).sheetnames)
        assert not {"账机差异按类型", "疑点数据按规则", "账机与疑点按村"} & sheets


@pytest.mark.parametrize("kind", ["village", "county"])
def test_it_reads_the_national_chapters_in_the_same_number_of_queries_however_many_rows(world, kind):
    from tests.dossiers.conftest import fill_national

    unit = world.villages[0] if kind == "village" else world.county
    fill_national(world)
    few = _queries(kind, unit)
    fill_national(world, extra=20, base=False)
    assert _queries(kind, unit) == few
