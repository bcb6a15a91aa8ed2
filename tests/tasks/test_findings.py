"""Findings and rectification: entry, Excel import (all or nothing), who sees what, closing, 清零 overview."""

from datetime import date

import pytest

from evalprep.core.errors import EvalprepError, ImportRejected
from evalprep.core.models import Department, DepartmentKind
from tasks.errors import TaskNotAllowed
from tasks.models import Finding, FindingSource, FindingStatus
from tasks.selectors import findings_clearance, findings_visible_to
from tasks.services import finding_close, finding_create, finding_rectify, finding_reopen, findings_import
from tests.tasks.conftest import PDF, upload, xlsx_bytes

HEADER = ["序号", "问题来源", "来源说明", "问题描述", "乡镇", "行政村", "户主姓名", "责任单位", "整改措施", "整改时限"]


def _row(n, source="自治区后评估反馈", unit="教育局", village="甲县第1镇1村", deadline="2026年12月25日"):
    return [n, source, "2025年度", f"问题{n}", "甲县第1镇", village, "王某", unit, "入户核实", deadline]


@pytest.mark.django_db
def test_it_imports_a_ledger_and_maps_sources_and_units(world):
    content = xlsx_bytes(HEADER, [_row(1), _row(2, "媒体暗访", "甲县第1镇"), _row(3, "审计局审计", "卫生健康局", "")],
                         title_rows=["问题整改台账"])
    created = findings_import(campaign=world.campaign, content=content, filename="台账.xlsx", user=world.users["coordinator"])
    assert [(f.number, f.source, str(f.responsible)) for f in created] == [
        (1, FindingSource.EVALUATION, "教育局"), (2, FindingSource.MEDIA, "甲县第1镇"), (3, FindingSource.AUDIT, "卫生健康局"),
    ]
    assert created[0].village == world.villages[0] and created[0].deadline == date(2026, 12, 25)
    assert created[2].village is None


@pytest.mark.django_db
def test_it_imports_nothing_when_a_row_is_wrong_and_names_row_and_column(world):
    content = xlsx_bytes(HEADER, [_row(1), _row(2, unit="不存在局"), _row(3, deadline="下周"), _row(4, source="听说")])
    with pytest.raises(ImportRejected) as refused:
        findings_import(campaign=world.campaign, content=content, filename="台账.xlsx", user=world.users["coordinator"])
    message = refused.value.message
    assert "第3行「责任单位」：“不存在局”不是本县的部门或乡镇名称" in message
    assert "第4行「整改时限」：「下周」不是日期" in message
    assert "第5行「问题来源」：「听说」不是认得的问题来源" in message
    assert not Finding.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_ledger_without_the_deadline_column(world):
    content = xlsx_bytes(HEADER[:-1], [_row(1)[:-1]])
    with pytest.raises(ImportRejected, match="缺少必填列「整改时限」"):
        findings_import(campaign=world.campaign, content=content, filename="台账.xlsx", user=world.users["coordinator"])


def _finding(world, *, department=None, township=None, village=None, user="coordinator"):
    return finding_create(
        campaign=world.campaign, user=world.users[user], source=FindingSource.SUPERVISION, description="帮扶手册填写不规范",
        deadline=date(2026, 12, 25), responsible_department=department, responsible_township=township, village=village,
    )


@pytest.mark.django_db
def test_it_shows_a_department_only_its_own_findings(world):
    education, health = world.departments
    own = _finding(world, department=education)
    _finding(world, department=health)
    _finding(world, township=world.townships[1])
    assert list(findings_visible_to(world.users["department_staff"])) == [own]
    assert findings_visible_to(world.users["coordinator"]).count() == 3
    assert findings_visible_to(world.users["other_coordinator"]).count() == 0


@pytest.mark.django_db
def test_it_lets_supervision_file_only_in_its_township(world):
    finding = _finding(world, township=world.townships[0], village=world.villages[0], user="supervision")
    assert finding.created_by == world.users["supervision"]
    with pytest.raises(EvalprepError, match="只能录入所包抓乡镇的问题"):
        _finding(world, township=world.townships[1], user="supervision")
    with pytest.raises(TaskNotAllowed):
        _finding(world, department=world.departments[0], user="department_staff")


@pytest.mark.django_db
def test_it_closes_a_finding_only_after_rectification_with_evidence(world):
    finding = _finding(world, department=world.departments[0])
    with pytest.raises(EvalprepError, match="还没有填报整改情况"):
        finding_close(finding=finding, user=world.users["coordinator"])
    with pytest.raises(EvalprepError, match="请上传整改佐证"):
        finding_rectify(finding=finding, user=world.users["department_staff"], result="已重新填写")
    with pytest.raises(TaskNotAllowed):
        finding_rectify(finding=finding, user=world.users["township_staff"], result="x", files=[upload("a.pdf", PDF)])
    finding_rectify(finding=finding, user=world.users["department_staff"], result="已重新填写", files=[upload("手册.pdf", PDF)])
    finding_reopen(finding=finding, user=world.users["coordinator"], reason="照片不清楚")
    assert finding.status == FindingStatus.OPEN
    finding_rectify(finding=finding, user=world.users["department_staff"], result="已重新填写并拍照")
    finding_close(finding=finding, user=world.users["coordinator"])
    assert finding.status == FindingStatus.CLOSED and finding.evidence.count() == 1


@pytest.mark.django_db
def test_it_orders_units_by_how_far_they_are_from_all_closed(world):
    education, health = world.departments
    for _ in range(3):
        _finding(world, department=education)
    closed = _finding(world, department=health)
    Finding.objects.filter(pk=closed.pk).update(status=FindingStatus.CLOSED)
    _finding(world, department=health)
    _finding(world, township=world.townships[0])
    rows = findings_clearance(world.campaign, today=date(2026, 12, 26))
    assert [(row.unit.name, row.total, row.remaining, row.percent, row.overdue) for row in rows] == [
        ("教育局", 3, 3, 0, 3), ("卫生健康局", 2, 1, 50, 1), ("甲县第1镇", 1, 1, 0, 1),
    ]
    assert Department.objects.filter(kind=DepartmentKind.EDUCATION, county=world.county).exists()


@pytest.mark.django_db
def test_it_shows_the_import_errors_in_the_browser_form_and_takes_a_good_file(world):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    client.login(username="coordinator", password=PASSWORD)
    bad = SimpleUploadedFile("台账.xlsx", xlsx_bytes(HEADER, [_row(1, unit="不存在局")]))
    page = client.post("/tasks/findings/import/", {"file": bad}).content.decode()
    assert "第2行「责任单位」：“不存在局”不是本县的部门或乡镇名称" in page
    good = SimpleUploadedFile("台账.xlsx", xlsx_bytes(HEADER, [_row(1), _row(2)]))
    assert client.post("/tasks/findings/import/", {"file": good})["Location"] == "/tasks/findings/"
    assert Finding.objects.count() == 2


@pytest.mark.django_db
def test_it_lets_a_supervision_group_file_a_finding_in_the_browser(world):
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    client.login(username="supervision", password=PASSWORD)
    response = client.post("/tasks/findings/new/", {
        "source": "supervision", "description": "引导员未培训", "village": world.villages[0].pk,
        "responsible_township": world.townships[0].pk, "deadline": "2026-12-20",
    })
    finding = Finding.objects.get()
    assert response["Location"] == f"/tasks/findings/{finding.pk}/"
    assert finding.created_by == world.users["supervision"] and finding.number == 1
