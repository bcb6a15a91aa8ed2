"""Demo data: department tasks, assignments, findings and guides (#7).

The 2021 plan is loaded and assigned as the plan says; then, once per
campaign, some assignments are moved along the workflow with synthetic lists
and files, a rectification ledger is filled and most village groups get a
guide. Everything comes from ``random.Random`` and a Faker seeded with the
seed; a second run finds the rows there and adds nothing.
"""

import hashlib
import random
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from faker import Faker

from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.idnumber import FEMALE, MALE, generate_id_number
from evalprep.core.models import Campaign, County, Department, DepartmentKind, Village, VillageGroup
from indicators.filetypes import CONTENT_TYPES
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Comment,
    Deliverable,
    DeliverableKind,
    Finding,
    FindingEvidence,
    FindingSource,
    FindingStatus,
    Guide,
    Level,
)
from tasks.selectors import unit_users
from tasks.services import reminders_send, task_plan_assign_all, task_plan_load

PLAN = "2021-plan"
STATUS_WEIGHTS = (
    (AssignmentStatus.ASSIGNED, 42), (AssignmentStatus.IN_PROGRESS, 15), (AssignmentStatus.SUBMITTED, 12),
    (AssignmentStatus.SIGNED_OFF, 10), (AssignmentStatus.ACCEPTED, 15), (AssignmentStatus.RETURNED, 6),
)
RETURN_REASONS = (
    "名单缺少乡镇审核意见，请补充后重新报送。", "部分人员身份证号与系统不一致，请逐一核对。",
    "材料未经单位一把手签字，请签字后扫描上传。", "典型经验材料与去年雷同，请重新梳理。",
)
SAMPLE_VALUES = {
    "疾病名称": ("恶性肿瘤", "尿毒症", "脑梗塞后遗症", "重症肺炎", "白血病"),
    "病种": ("恶性肿瘤", "尿毒症", "慢性肾衰竭", "冠心病"),
    "学段": ("小学", "初中"), "情况类别": ("疑似辍学", "未享受资助"), "劝返或资助情况": ("已劝返复学", "已落实资助", "送教上门"),
    "救助类别": ("低保", "特困供养", "临时救助"), "问题类型": ("冬季冻水", "供水不稳定", "自来水未到户", "养老保险未缴"),
    "房屋等级": ("C级", "D级"), "残疾类别": ("肢体", "视力", "智力", "精神"), "残疾等级": ("一级", "二级", "三级"),
    "风险类型": ("因病", "因残", "因学", "务工就业不稳"), "救治情况": ("住院治疗", "门诊治疗", "已出院康复"),
    "问题描述": ("房屋墙体裂缝", "入户管道冻裂", "水压不足"), "整改计划": ("纳入危房改造计划", "维修加固"),
    "整改措施": ("更换保温管道", "加装增压泵", "协调供水站"), "处理情况": ("已补缴", "已兑付", "正在办理"),
}
FINDINGS = (
    (FindingSource.EVALUATION, "2025年度自治区后评估反馈", "帮扶手册收入数据与全国监测系统不一致。", None),
    (FindingSource.EVALUATION, "2025年度自治区后评估反馈", "监测户帮扶措施单一，仅落实兜底保障，存在“一兜了之”。", DepartmentKind.BUREAU),
    (FindingSource.EVALUATION, "2025年度自治区后评估反馈", "个别脱贫户对享受的教育资助政策不清楚。", DepartmentKind.EDUCATION),
    (FindingSource.AUDIT, "衔接资金专项审计", "衔接资金项目支付进度滞后，部分项目未及时报账。", DepartmentKind.FINANCE),
    (FindingSource.AUDIT, "衔接资金专项审计", "扶贫项目资产登记不全，三本账不一致。", DepartmentKind.AGRICULTURE_WATER),
    (FindingSource.SUPERVISION, "县包抓组督查", "村级“四查四补”台账未按月度规范整理。", None),
    (FindingSource.SUPERVISION, "县包抓组督查", "农户冬季自来水冻管，供水不稳定。", DepartmentKind.AGRICULTURE_WATER),
    (FindingSource.SUPERVISION, "县包抓组督查", "新增重度残疾人未及时鉴定办证。", DepartmentKind.DISABLED_FEDERATION),
    (FindingSource.MEDIA, "媒体暗访", "村内公共区域环境卫生较差，房前屋后杂物堆放。", None),
    (FindingSource.MEDIA, "媒体暗访", "农户反映大病自付费用较高，未享受医疗救助。", DepartmentKind.MEDICAL_INSURANCE),
    (FindingSource.SELF_CHECK, "乡镇自查", "住房存在裂缝，未纳入危房排查台账。", DepartmentKind.HOUSING),
    (FindingSource.SELF_CHECK, "乡镇自查", "公益性岗位工资未按月发放。", DepartmentKind.HUMAN_RESOURCES),
)
PDF_BODY = b"%PDF-1.4\n% evalprep demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def tasks_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
    rng = random.Random(f"tasks-{seed}")
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 7)
    with transaction.atomic():
        task_plan_load(campaign=campaign, name=PLAN)
        task_plan_assign_all(campaign=campaign, user=None)
        if not Deliverable.objects.filter(assignment__campaign=campaign).exists():
            _assignments_progress(campaign=campaign, rng=rng, fake=fake)
        if not campaign.findings.exists():
            _findings_seed(campaign=campaign, rng=rng)
        if not Guide.objects.filter(campaign=campaign).exists():
            _guides_seed(campaign=campaign, rng=rng, fake=fake)
    reminders_send()


def _assignments_progress(*, campaign: Campaign, rng: random.Random, fake: Faker) -> None:
    today = timezone.localdate()
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    people: dict = {}
    assignments = list(
        Assignment.objects.filter(campaign=campaign)
        .select_related("template", "department", "township", "village__township", "working_group")
        .order_by("template__order", "pk")
    )
    for assignment in assignments:
        status = rng.choices(statuses, weights)[0]
        if assignment.level == Level.TOWNSHIP and assignment.template.code == "3-1" and rng.random() < 0.5:
            assignment.due_date = today - timedelta(days=rng.randint(1, 4))  # 培训会 brought forward and missed
        if status == AssignmentStatus.ASSIGNED:
            if assignment.due_date < today:
                assignment.save(update_fields=["due_date"])
            continue
        staff = _person(people, assignment, heads=False)
        _deliverable_add(assignment, staff, rng, fake)
        now = timezone.now()
        assignment.status = status
        if status != AssignmentStatus.IN_PROGRESS:
            assignment.submitted_by, assignment.submitted_at = staff, now - timedelta(days=rng.randint(1, 5))
        if status in (AssignmentStatus.SIGNED_OFF, AssignmentStatus.ACCEPTED):
            head = _person(people, assignment, heads=True)
            assignment.signed_off_by, assignment.signed_off_at = head, now - timedelta(days=1)
        if status == AssignmentStatus.RETURNED:
            assignment.return_reason = rng.choice(RETURN_REASONS)
            Comment.objects.create(assignment=assignment, author=None, text=assignment.return_reason)
        assignment.save()


def _person(people: dict, assignment: Assignment, *, heads: bool):
    """The unit's first staff member (or head) who acts in the demo, cached per unit."""
    key = (assignment.level, assignment.unit_id, heads)
    if key not in people:
        people[key] = (unit_users(assignment, heads=heads) or [None])[0]
    return people[key]


def _deliverable_add(assignment: Assignment, user, rng: random.Random, fake: Faker) -> None:
    template = assignment.template
    if template.deliverable == DeliverableKind.LIST:
        rows = [_list_row(assignment, rng, fake, n) for n in range(rng.randint(3, 12))]
        headers = [column["label"] for column in template.columns]
        content = workbook_bytes([SheetSpec(title=template.title[:31], headers=headers, rows=rows)])
        name, extension, kind = f"{template.title[:20]}.xlsx", "xlsx", DeliverableKind.LIST
    else:
        rows, content = [], PDF_BODY + f"% assignment {assignment.pk}\n".encode()
        name, extension, kind = f"{template.title[:20]}（{assignment.unit}）.pdf", "pdf", DeliverableKind.FILES
    deliverable = Deliverable(
        assignment=assignment, kind=kind, original_name=name, extension=extension, content_type=CONTENT_TYPES[extension],
        sha256=hashlib.sha256(content).hexdigest(), size=len(content), rows=rows, row_count=len(rows), uploaded_by=user,
    )
    deliverable.file.save(name, ContentFile(content), save=False)
    deliverable.save()


def _list_row(assignment: Assignment, rng: random.Random, fake: Faker, n: int) -> list[str]:
    county_code = assignment.campaign.county.code
    values = []
    for column in assignment.template.columns:
        label, kind = column["label"], column["kind"]
        if kind == "id_number":
            born = date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28))
            values.append(generate_id_number(region=county_code[:6], birth_date=born, sex=rng.choice((MALE, FEMALE)),
                                             sequence=rng.randint(1, 999)))
        elif kind == "date":
            values.append(date(assignment.campaign.year, rng.randint(1, 11), rng.randint(1, 28)).isoformat())
        elif kind == "amount":
            values.append(f"{rng.randint(3000, 90000)}.00")
        elif kind == "int":
            values.append(str(rng.randint(0, 400)))
        elif kind == "bool":
            values.append(rng.choice(("是", "否")))
        elif "姓名" in label:
            values.append(fake.name())
        elif label == "乡镇":
            values.append(assignment.village.township.name if assignment.village_id else f"第{rng.randint(1, 4)}镇")
        elif label == "行政村":
            values.append(f"第{rng.randint(1, 9)}村")
        else:
            values.append(rng.choice(SAMPLE_VALUES.get(label, ("已核实",))))
    return values


def _findings_seed(*, campaign: Campaign, rng: random.Random) -> None:
    county_id = campaign.county_id
    departments = {d.kind: d for d in Department.objects.filter(county_id=county_id)}
    villages = list(Village.objects.filter(township__county_id=county_id).select_related("township").order_by("code"))
    today = timezone.localdate()
    rectification_due = campaign.milestones.filter(kind="rectification_due").values_list("due_date", flat=True).first()
    number = 0
    for round_ in range(3):
        for source, detail, text, kind in FINDINGS:
            village = rng.choice(villages)
            department = departments.get(kind) if kind else None
            number += 1
            household = village.households.order_by("pk")[rng.randint(0, 20):][:1].first()
            status = rng.choices((FindingStatus.OPEN, FindingStatus.RECTIFIED, FindingStatus.CLOSED), (40, 25, 35))[0]
            deadline = rectification_due or today + timedelta(days=30)
            if rng.random() < 0.2:
                deadline = today - timedelta(days=rng.randint(1, 10))
            finding = Finding.objects.create(
                campaign=campaign, number=number, source=source, source_detail=detail,
                found_on=today - timedelta(days=rng.randint(15, 60) + 30 * round_), description=text, village=village,
                department=department, household=household, household_name=household.head_name if household else "",
                responsible_department=department, responsible_township=None if department else village.township,
                measures="逐户核实，建立问题清单，明确责任人和完成时限。", deadline=deadline, status=status,
            )
            if status != FindingStatus.OPEN:
                _finding_evidence(finding)


def _finding_evidence(finding: Finding) -> None:
    content = PDF_BODY + f"% finding {finding.pk}\n".encode()
    finding.result = "已完成整改，整改前后照片和说明已上传。"
    finding.rectified_at = timezone.now() - timedelta(days=2)
    if finding.status == FindingStatus.CLOSED:
        finding.closed_at = timezone.now() - timedelta(days=1)
    finding.save()
    evidence = FindingEvidence(
        finding=finding, original_name="整改佐证.pdf", extension="pdf", content_type="application/pdf",
        sha256=hashlib.sha256(content).hexdigest(), size=len(content),
    )
    evidence.file.save("整改佐证.pdf", ContentFile(content), save=False)
    evidence.save()


def _guides_seed(*, campaign: Campaign, rng: random.Random, fake: Faker) -> None:
    today = timezone.localdate()
    groups = VillageGroup.objects.filter(village__township__county_id=campaign.county_id).order_by("village__code", "number")
    guides = []
    for group in groups:
        if rng.random() < 0.08:
            continue  # not chosen yet: a red item on the village board
        trained = rng.random() < 0.85
        guides.append(Guide(
            campaign=campaign, group=group, name=fake.name(), phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            trained_on=today - timedelta(days=rng.randint(1, 12)) if trained else None,
            training_note="农户家庭情况、收支情况、两不愁三保障及饮水安全、政策落实" if trained else "",
        ))
    Guide.objects.bulk_create(guides)
