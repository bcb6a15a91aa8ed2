"""A small county with what a dossier shows: a few households per village
(one monitored, with risks, measures and workflow steps), a screening run,
the tiny framework's checklist and evidence files (a real PDF and an image)."""

import io
import json
from dataclasses import dataclass
from datetime import date

import pytest
from pypdf import PdfWriter

from households.models import (
    Category,
    Household,
    Measure,
    MonitoringEvent,
    MonitoringType,
    Risk,
)
from households.screening import screening_run
from indicators.models import ChecklistRow
from indicators.services import evidence_submit
from tests.factories import World, make_household
from tests.indicators.conftest import (
    EVIDENCE_DATE,
    TINY,
    campaign_use,
    image_bytes,
    upload,
)


def pdf_pages(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Filled:
    world: World
    monitored: Household
    households: list


def fill_county(world: World, tmp_path, *, per_village: int = 3) -> Filled:
    households = []
    for v, village in enumerate(world.villages):
        for n in range(per_village):
            households.append(make_household(village, number=f"{village.code}{n + 1:04d}", seq=v * 10 + n))
    monitored = households[0]
    Household.objects.filter(pk=monitored.pk).update(
        category=Category.MONITORED, monitoring_type=MonitoringType.MARGINAL, monitoring_since=date(2025, 3, 1),
        helper_name="帮扶人甲", helper_phone="13912345678", minimum_living=True, minimum_living_amount=3600,
        head_name="=HYPERLINK(\"x\")",
    )
    monitored.refresh_from_db()
    Risk.objects.create(household=monitored, kind="因病", identified_on=date(2025, 3, 1), note="慢性病长期用药")
    Measure.objects.create(household=monitored, kind="健康帮扶", detail="家庭医生签约服务", started_on=date(2025, 4, 1))
    MonitoringEvent.objects.create(household=monitored, step="identified", on=date(2025, 3, 1), by_name="村支书")
    MonitoringEvent.objects.create(household=monitored, step="included", on=date(2025, 3, 10), by_name="村支书")
    Household.objects.filter(pk=households[1].pk).update(housing_grade="D")
    path = tmp_path / "tiny-dossier.json"
    path.write_text(json.dumps(TINY, ensure_ascii=False), encoding="utf-8")
    campaign_use(world.campaign, "tiny", path)
    screening_run(campaign=world.campaign)
    row = ChecklistRow.objects.get(campaign=world.campaign, village=world.villages[0])
    evidence_submit(row=row, files=[upload("会议记录.pdf", pdf_pages(2)), upload("签到表.png", image_bytes("PNG"))],
                    note="", evidence_date=EVIDENCE_DATE, user=world.users["village_cadre"])
    department_row = ChecklistRow.objects.get(campaign=world.campaign, department=world.departments[0])
    evidence_submit(row=department_row, files=[upload("补贴发放名单.pdf", pdf_pages(1))], note="",
                    evidence_date=EVIDENCE_DATE, user=world.users["department_staff"])
    return Filled(world=world, monitored=monitored, households=households)


@pytest.fixture
def filled(world, tmp_path) -> Filled:
    return fill_county(world, tmp_path)


# Data of the task and interview modules for the dossiers' own chapters.

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Modules:
    world: World
    open_task: object
    late_task: object
    done_task: object
    department_done: object
    department_returned: object


def _template(campaign, code: str, title: str, level: str, *, order: int, tracks_guides: bool = False):
    from tasks.models import TaskTemplate

    return TaskTemplate.objects.create(
        campaign=campaign, plan="test", code=code, order=order, section="local", title=title, text=title,
        level=level, due_offset_days=-10, tracks_guides=tracks_guides,
    )


def _upload(name: str, content: bytes = PDF_BYTES, salt: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content + salt.encode())


def fill_modules(world: World, *, tasks: int = 1, findings: int = 1) -> Modules:
    """V1 and D1 with task assignments (open, overdue, accepted, returned), findings,
    a guide for one of V1's two groups, and prepared interview answers that disagree."""
    from datetime import timedelta

    from django.utils import timezone

    from evalprep.core.models import VillageGroup
    from interviews.models import Outline
    from interviews.services import (
        answer_save,
        outline_load,
        respondents_assign,
        sheet_approve,
        sheet_submit,
    )
    from tasks.models import FindingSource
    from tasks.services import (
        GuideEntry,
        assignment_accept,
        assignment_return,
        assignment_sign_off,
        assignment_submit,
        deliverable_files_add,
        finding_close,
        finding_create,
        finding_rectify,
        guides_save,
        task_assign,
    )
    from tests.interviews.conftest import add_first_secretary, sheet

    campaign, users = world.campaign, world.users
    v1, t1, d1, d2 = world.villages[0], world.townships[0], world.departments[0], world.departments[1]
    coordinator = users["coordinator"]
    today = timezone.localdate()

    def assign(code, title, level, unit, due, order):
        return task_assign(template=_template(campaign, code, title, level, order=order), units=[unit], user=coordinator, due_date=due)[0]

    open_task = assign("V-1", "村级汇报材料", "village", v1, today + timedelta(days=12), 1)
    late_task = assign("V-2", "入户走访台账", "village", v1, today - timedelta(days=6), 2)
    done_task = assign("V-3", "村规民约公示照片", "village", v1, today - timedelta(days=20), 3)
    deliverable_files_add(assignment=done_task, files=[_upload("公示照片.pdf")], user=users["village_cadre"])
    assignment_submit(assignment=done_task, user=users["village_cadre"])
    assignment_sign_off(assignment=done_task, user=users["township_head"])
    assignment_accept(assignment=done_task, user=coordinator)
    for n in range(tasks - 1):  # more of the same, for the query-count tests
        assign(f"V-X{n}", f"补充任务{n}", "village", v1, today - timedelta(days=1), 10 + n)
        assign(f"D-X{n}", f"部门补充任务{n}", "department", d1, today - timedelta(days=1), 100 + n)

    department_done = assign("D-1", "控辍保学工作总结", "department", d1, today - timedelta(days=3), 4)
    deliverable_files_add(assignment=department_done, files=[_upload("控辍保学总结.pdf")], user=users["department_staff"])
    assignment_submit(assignment=department_done, user=users["department_staff"])
    assignment_sign_off(assignment=department_done, user=users["department_head"])
    assignment_accept(assignment=department_done, user=coordinator)
    department_returned = assign("D-2", "教育资助名单", "department", d1, today - timedelta(days=2), 5)
    deliverable_files_add(assignment=department_returned, files=[_upload("资助名单.pdf", salt="x")], user=users["department_staff"])
    assignment_submit(assignment=department_returned, user=users["department_staff"])
    assignment_return(assignment=department_returned, user=coordinator, reason="缺少学段一栏")

    guides = _template(campaign, "V-9", "引导员培训", "village", order=9, tracks_guides=True)
    task_assign(template=guides, units=[v1], user=coordinator, due_date=today + timedelta(days=20))
    second = VillageGroup.objects.create(village=v1, number=2, name="第二组")
    guides_save(campaign=campaign, village=v1, user=coordinator, entries=[
        GuideEntry(group=v1.groups.get(number=1), name="引导员甲", phone="13612345678", trained_on=today - timedelta(days=1)),
        GuideEntry(group=second, name="", phone=""),
    ])

    finding_create(
        campaign=campaign, user=coordinator, source=FindingSource.EVALUATION, source_detail="2025年度",
        description="部分监测户帮扶措施针对性不强", deadline=today - timedelta(days=4), responsible_township=t1, village=v1,
        measures="逐户制定帮扶计划",
    )
    closed = finding_create(
        campaign=campaign, user=coordinator, source=FindingSource.AUDIT, description="教育资助资金发放不及时",
        deadline=today + timedelta(days=30), responsible_department=d1, department=d1,
    )
    finding_rectify(finding=closed, user=users["department_staff"], result="已补发到位", files=[_upload("补发凭证.pdf", salt="y")])
    finding_close(finding=closed, user=coordinator)
    finding_create(
        campaign=campaign, user=coordinator, source=FindingSource.MEDIA, description="村卫生室无人值守",
        deadline=today + timedelta(days=30), responsible_department=d2, village=world.villages[1],
    )
    for n in range(findings - 1):
        finding_create(campaign=campaign, user=coordinator, source=FindingSource.SELF_CHECK, description=f"自查问题{n}",
                       deadline=today - timedelta(days=1), responsible_township=t1, village=v1)
        finding_create(campaign=campaign, user=coordinator, source=FindingSource.SELF_CHECK, description=f"部门自查问题{n}",
                       deadline=today - timedelta(days=1), responsible_department=d1)

    if "first_secretary" not in users:
        add_first_secretary(world)
    outline_load(campaign=campaign)
    respondents_assign(campaign=campaign)
    village_outline = Outline.objects.get(campaign=campaign, code="village")
    q1, q2 = village_outline.questions.get(number=1), village_outline.questions.get(number=2)
    answer_save(respondent=sheet(world, "village", "village_cadre"), question=q2, user=users["village_cadre"],
                text="全村参保率100%，脱贫户参保率100%，其他农户参保率100%。")
    answer_save(respondent=sheet(world, "village", "first_secretary"), question=q2, user=users["first_secretary"],
                text="参保率98%，脱贫户参保率100%，其他农户参保率97%。")
    answer_save(respondent=sheet(world, "village", "village_cadre"), question=q1, user=users["village_cadre"],
                text="本村没有出现辍学现象。")
    education = sheet(world, "education", "department_head")
    for question in education.outline.questions.order_by("number"):
        answer_save(respondent=education, question=question, user=users["department_staff"],
                    text=f"教育局准备的第{question.number}题回答：控辍保学实行双线责任制。")
    sheet_submit(respondent=education, user=users["department_staff"])
    sheet_approve(respondent=education, user=users["department_head"], peer_flag_count=0)
    leaders = Outline.objects.get(campaign=campaign, code="county-leaders")
    answer_save(respondent=sheet(world, "county-leaders", "leader"), question=leaders.questions.get(number=1),
                user=coordinator, text="成立了由县委书记、县长任双组长的乡村振兴领导小组。")
    return Modules(world=world, open_task=open_task, late_task=late_task, done_task=done_task,
                   department_done=department_done, department_returned=department_returned)


@pytest.fixture
def modules(world) -> Modules:
    return fill_modules(world)


def fill_national(world: World, *, extra: int = 0, base: bool = True):
    """A reconciled and checked export of the national system: for V1 two open
    discrepancies (one overdue), one explained, one gone; three hits of rule 1.02
    (open, fixed, exempt) and one of 1.03; one open hit in V2."""
    from datetime import timedelta

    from django.utils import timezone

    from households.models import (
        DiscrepancyKind,
        HitStatus,
        NationalCheckHit,
        NationalDiscrepancy,
        NationalSnapshot,
        Resolution,
        SnapshotSource,
        SnapshotStatus,
    )

    today, now = timezone.localdate(), timezone.now()
    county, v1, v2 = world.county, world.villages[0], world.villages[1]
    if not base:  # only `extra` more of each, on the snapshots already there
        old, snapshot = NationalSnapshot.objects.filter(county=county).order_by("taken_on")[:2]
        return _national_extra(county, v1, old, snapshot, today, extra)
    old = NationalSnapshot.objects.create(county=county, taken_on=today - timedelta(days=30), status=SnapshotStatus.READY,
                                          reconciled_at=now, checks_run_at=now)
    snapshot = NationalSnapshot.objects.create(county=county, taken_on=today - timedelta(days=2), status=SnapshotStatus.READY,
                                               reconciled_at=now, checks_run_at=now)

    def discrepancy(key, kind, *, village=v1, field="", resolution=Resolution.OPEN, note="", gone=None, days=5, **values):
        return NationalDiscrepancy.objects.create(
            county=county, village=village, kind=kind, field=field, subject_key=key, household_number=key,
            first_snapshot=old, last_snapshot=snapshot, gone_snapshot=gone, deadline=today + timedelta(days=days),
            resolution=resolution, resolution_note=note, **values,
        )

    discrepancy("H001", DiscrepancyKind.FIELD, field="members", name="户主甲", roster_value="4", system_value="3",
                explanation="户编号H001家庭人口：花名册4人，国家系统3人。", days=-3)
    discrepancy("H002", DiscrepancyKind.ONLY_ROSTER_HOUSEHOLD, name="户主乙", explanation="户编号H002在花名册中，国家系统中没有此户。",
                resolution=Resolution.SYSTEM_TO_FIX)
    discrepancy("H003", DiscrepancyKind.FIELD, field="income_per_capita", name="户主丙", explanation="人均纯收入不一致。",
                resolution=Resolution.EXPLAINED, note="收入口径不同，已说明")
    discrepancy("H004", DiscrepancyKind.ONLY_SYSTEM_PERSON, name="某人", explanation="国家系统中有此人，花名册中没有。",
                gone=snapshot)

    def hit(rule, key, *, village=v1, status=HitStatus.OPEN, reason=""):
        return NationalCheckHit.objects.create(
            county=county, source=SnapshotSource.SYSTEM, rule=rule, subject_key=key, village=village,
            village_label=f"{village.township.name}{village.name}", household_number=f"H{key}", name=f"姓名{key}",
            explanation=f"姓名{key}（户编号H{key}）的身份证号校验码不对。", first_snapshot=snapshot, last_snapshot=snapshot,
            status=status, reason=reason,
        )

    hit("1.02", "P1")
    hit("1.02", "P2", status=HitStatus.FIXED, reason="已在系统中更正")
    hit("1.02", "P3", status=HitStatus.EXEMPT, reason="港澳居民证件")
    hit("1.03", "P4")
    hit("1.03", "P5", village=v2)
    _national_extra(county, v1, old, snapshot, today, extra)
    return snapshot


def _national_extra(county, village, old, snapshot, today, extra: int):
    from datetime import timedelta

    from households.models import (
        DiscrepancyKind,
        NationalCheckHit,
        NationalDiscrepancy,
        SnapshotSource,
    )

    for n in range(extra):
        NationalDiscrepancy.objects.create(
            county=county, village=village, kind=DiscrepancyKind.FIELD, field="members", subject_key=f"X{n:03d}",
            household_number=f"X{n:03d}", explanation=f"补充差异{n}", first_snapshot=old, last_snapshot=snapshot,
            deadline=today - timedelta(days=n),
        )
        NationalCheckHit.objects.create(
            county=county, source=SnapshotSource.SYSTEM, rule=f"1.0{1 + n % 4}", subject_key=f"Y{n}", village=village,
            explanation=f"补充疑点{n}", first_snapshot=snapshot, last_snapshot=snapshot,
        )
    return snapshot
