"""Writes and checks on the organisation tree and the campaign."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.models import (
    AuditEvent,
    County,
    Department,
    GroupRole,
    Milestone,
    Role,
    RoleAssignment,
    Township,
    Village,
    VillagePost,
    WorkingGroup,
    WorkingGroupKind,
)
from evalprep.dossiers.services import JobOutcome, ProgressFn


@dataclass(frozen=True)
class OrgProblem:
    unit: str
    problem: str
    fix: str


def audit_log(*, user, action: str, obj=None, detail: str = "", county_id: int | None = None, ip_address: str | None = None) -> AuditEvent:
    """Keep who did what to which record (reveals, exports, schedule changes)."""
    return AuditEvent.objects.create(
        user=user if user and user.is_authenticated else None,
        county_id=county_id,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
        ip_address=ip_address,
    )


def milestone_save(*, milestone: Milestone, user) -> Milestone:
    is_new = milestone.pk is None
    milestone.full_clean()
    milestone.save()
    audit_log(
        user=user, action="milestone_created" if is_new else "milestone_changed", obj=milestone,
        county_id=milestone.campaign.county_id, detail=f"{milestone.name}：{milestone.due_date:%Y-%m-%d}",
    )
    return milestone


def org_tree_check(*, county: County, progress: ProgressFn) -> list[OrgProblem]:
    """Check that the county's tree is complete enough to run the campaign.

    Division codes nest, every village has its cadres and groups, every
    department has a head, every township a supervision group, every working
    group a leader and a liaison. A fixed number of queries, whatever the size.
    """
    problems: list[OrgProblem] = []
    townships = list(county.townships.order_by("code"))
    villages = defaultdict(list)
    for village in Village.objects.filter(township__county=county).annotate(group_count=Count("groups")):
        villages[village.township_id].append(village)
    cadre_posts = defaultdict(set)
    head_departments, head_townships = set(), set()
    for assignment in RoleAssignment.objects.filter(county=county).values("role", "village_id", "post", "department_id", "township_id"):
        if assignment["role"] == Role.VILLAGE_CADRE:
            cadre_posts[assignment["village_id"]].add(assignment["post"])
        elif assignment["role"] == Role.DEPARTMENT_HEAD:
            head_departments.add(assignment["department_id"])
        elif assignment["role"] == Role.TOWNSHIP_HEAD:
            head_townships.add(assignment["township_id"])
    supervised = set(
        WorkingGroup.objects.filter(county=county, kind=WorkingGroupKind.SUPERVISION).values_list("township_id", flat=True)
    )

    for index, township in enumerate(townships, start=1):
        progress(int(70 * index / max(len(townships), 1)), f"正在检查{township.name}")
        problems += _township_problems(county, township, villages[township.pk], cadre_posts, head_townships, supervised)
    progress(75, "正在检查部门")
    for department in Department.objects.filter(county=county).order_by("name"):
        if department.pk not in head_departments:
            problems.append(OrgProblem(department.name, "没有部门负责人账号，材料无法审核签字", "在角色分配中为该部门指定“部门负责人”"))
    progress(90, "正在检查工作组")
    for group in WorkingGroup.objects.filter(county=county).prefetch_related("members"):
        roles = {member.role for member in group.members.all()}
        for role, label in ((GroupRole.LEADER, "组长"), (GroupRole.LIAISON, "联络员")):
            if role not in roles:
                problems.append(OrgProblem(group.name, f"没有{label}", f"在工作专班中为该组添加{label}"))
    return problems


def _township_problems(county, township: Township, villages, cadre_posts, head_townships, supervised) -> list[OrgProblem]:
    problems = []
    if not township.code.startswith(county.code[:6]):
        problems.append(OrgProblem(township.name, f"区划代码 {township.code} 与县代码 {county.code[:6]} 不一致", "核对统计用区划代码"))
    if township.pk not in head_townships:
        problems.append(OrgProblem(township.name, "没有乡镇负责人账号，村级材料无法审核盖章", "为该乡镇指定“乡镇负责人”"))
    if township.pk not in supervised:
        problems.append(OrgProblem(township.name, "没有乡镇包抓组", "在工作专班中添加该乡镇的包抓组"))
    if not villages:
        problems.append(OrgProblem(township.name, "没有行政村", "添加行政村"))
    for village in villages:
        unit = f"{township.name}{village.name}"
        if not village.code.startswith(township.code[:9]):
            problems.append(OrgProblem(unit, f"区划代码 {village.code} 与乡镇代码 {township.code[:9]} 不一致", "核对统计用区划代码"))
        if village.group_count == 0:
            problems.append(OrgProblem(unit, "没有村民小组", "添加村民小组（每组需配备1名引导员）"))
        posts = cadre_posts.get(village.pk, set())
        for post in (VillagePost.SECRETARY, VillagePost.FIRST_SECRETARY):
            if post not in posts:
                problems.append(OrgProblem(unit, f"没有{post.label}账号，村级访谈提纲无人作答", f"为该村添加“{post.label}”"))
    return problems


def org_check_outcome(*, county: County, progress: ProgressFn) -> JobOutcome:
    problems = org_tree_check(county=county, progress=progress)
    progress(95, "正在生成报告")
    content = workbook_bytes([
        SheetSpec(
            title="组织架构自检",
            headers=["单位", "问题", "处理办法"],
            rows=[(p.unit, p.problem, p.fix) for p in problems],
            widths=[24, 48, 40],
        )
    ])
    message = f"发现 {len(problems)} 个问题" if problems else "组织架构完整，未发现问题"
    return JobOutcome(
        message=message,
        summary={"problems": len(problems), "townships": county.townships.count()},
        filename=f"{county.name}组织架构自检报告.xlsx",
        content=content,
    )
