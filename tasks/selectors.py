"""Reads for department tasks: who sees which assignment and finding, what a
user may do, what they owe, the sign-off queue, the bureau's board, the
rectification overview (清零) and the guides of a village."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from evalprep.core.models import (
    Campaign,
    Department,
    GroupRole,
    Milestone,
    Role,
    RoleAssignment,
    Township,
    Village,
    VillageGroup,
    WorkingGroup,
    WorkingGroupMember,
)
from evalprep.core.scoping import (
    can_manage_county,
    can_write_department,
    can_write_township,
    can_write_village,
    scope_for,
    village_read_q,
)
from tasks.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Finding,
    FindingStatus,
    Guide,
    Level,
    Notification,
    TaskTemplate,
)

HEAD_GROUP_ROLES = (GroupRole.LEADER, GroupRole.DEPUTY)
ASSIGNMENT_RELATED = ("template", "campaign", "department", "township", "village__township", "working_group")


def _group_memberships(user) -> dict[int, set[str]]:
    """The working groups the user is a member of, with their roles in each (one query, cached)."""
    cached = getattr(user, "_tasks_groups", None)
    if cached is not None:
        return cached
    groups: dict[int, set[str]] = defaultdict(set)
    if user.is_authenticated:
        for group_id, role in WorkingGroupMember.objects.filter(user=user).values_list("group_id", "role"):
            groups[group_id].add(role)
    user._tasks_groups = dict(groups)
    return user._tasks_groups


def assignments_visible_to(user) -> QuerySet[Assignment]:
    """County roles see the county's; others their units' (a township also its villages')."""
    scope = scope_for(user)
    if scope.is_empty:
        return Assignment.objects.none()
    return Assignment.objects.filter(
        Q(campaign__county_id__in=scope.read_county_ids)
        | Q(department_id__in=scope.department_ids)
        | Q(township_id__in=scope.read_township_ids)
        | village_read_q(scope, "village__")
        | Q(working_group_id__in=list(_group_memberships(user)))
    )


@dataclass(frozen=True)
class AssignmentActions:
    """What the user may do to one assignment (the services check again)."""

    submit: bool = False
    sign_off: bool = False
    review: bool = False


def assignment_actions(user, assignment: Assignment) -> AssignmentActions:
    scope = scope_for(user)
    if assignment.level == Level.DEPARTMENT:
        submit = can_write_department(user, assignment.department)
        sign_off = assignment.department_id in scope.head_department_ids
    elif assignment.level == Level.TOWNSHIP:
        submit = can_write_township(user, assignment.township)
        sign_off = assignment.township_id in scope.head_township_ids
    elif assignment.level == Level.VILLAGE:
        submit = can_write_village(user, assignment.village)
        sign_off = assignment.village.township_id in scope.head_township_ids
    else:
        roles = _group_memberships(user).get(assignment.working_group_id, set())
        submit = bool(roles) or can_manage_county(user, assignment.campaign.county_id)
        sign_off = bool(roles.intersection(HEAD_GROUP_ROLES))
    return AssignmentActions(submit=submit, sign_off=sign_off, review=can_manage_county(user, assignment.campaign.county_id))


def unit_users(assignment: Assignment, *, heads: bool) -> list:
    """Who acts for the assignment's unit: its staff, or (heads=True) whoever signs off."""
    User = get_user_model()
    if assignment.level == Level.WORKING_GROUP:
        members = WorkingGroupMember.objects.filter(group_id=assignment.working_group_id, user__isnull=False)
        if heads:
            members = members.filter(role__in=HEAD_GROUP_ROLES)
        return list(User.objects.filter(pk__in=members.values("user_id"), is_active=True))
    if assignment.level == Level.DEPARTMENT:
        condition = Q(department_id=assignment.department_id, role=Role.DEPARTMENT_HEAD if heads else Role.DEPARTMENT_STAFF)
    elif assignment.level == Level.TOWNSHIP:
        condition = Q(township_id=assignment.township_id, role=Role.TOWNSHIP_HEAD if heads else Role.TOWNSHIP_STAFF)
    elif heads:
        condition = Q(township_id=assignment.village.township_id, role=Role.TOWNSHIP_HEAD)
    else:
        condition = Q(village_id=assignment.village_id, role=Role.VILLAGE_CADRE)
    users = RoleAssignment.objects.filter(condition).values("user_id")
    return list(User.objects.filter(pk__in=users, is_active=True).order_by("pk"))


def assignments_for(user, campaign: Campaign) -> QuerySet[Assignment]:
    return (
        assignments_visible_to(user).filter(campaign=campaign)
        .select_related(*ASSIGNMENT_RELATED)
        .order_by("due_date", "template__order", "level", "pk")
    )


def _owing_q(user) -> tuple[Q, Q, Q]:
    """(to hand in, to sign off, to accept) for the user's units."""
    scope = scope_for(user)
    groups = _group_memberships(user)
    head_groups = [pk for pk, roles in groups.items() if roles.intersection(HEAD_GROUP_ROLES)]
    to_hand_in = Q(status__in=OPEN_STATUSES) & (
        Q(department_id__in=scope.department_ids)
        | Q(township_id__in=scope.write_township_ids)
        | Q(village_id__in=scope.village_ids)
        | Q(working_group_id__in=list(groups))
    )
    to_sign = Q(status=AssignmentStatus.SUBMITTED) & (
        Q(department_id__in=scope.head_department_ids)
        | Q(township_id__in=scope.head_township_ids)
        | Q(village__township_id__in=scope.head_township_ids)
        | Q(working_group_id__in=head_groups)
    )
    to_accept = Q(status=AssignmentStatus.SIGNED_OFF, campaign__county_id__in=scope.write_county_ids)
    return to_hand_in, to_sign, to_accept


def owed_assignments(user, campaign: Campaign) -> QuerySet[Assignment]:
    """What the user has to act on, earliest due first (one query)."""
    if scope_for(user).is_empty:
        return Assignment.objects.none()
    to_hand_in, to_sign, to_accept = _owing_q(user)
    return (
        Assignment.objects.filter(campaign=campaign).filter(to_hand_in | to_sign | to_accept)
        .select_related(*ASSIGNMENT_RELATED).order_by("due_date", "template__order", "pk")
    )


def waiting_for_sign_off(user, campaign: Campaign) -> QuerySet[Assignment]:
    """The assignments waiting for this head's sign-off."""
    if scope_for(user).is_empty:
        return Assignment.objects.none()
    _, to_sign, _ = _owing_q(user)
    return (
        Assignment.objects.filter(campaign=campaign).filter(to_sign)
        .select_related(*ASSIGNMENT_RELATED).prefetch_related("deliverables").order_by("due_date", "template__order", "pk")
    )


def is_unit_head(user) -> bool:
    scope = scope_for(user)
    groups = _group_memberships(user)
    return bool(
        scope.head_department_ids or scope.head_township_ids
        or any(roles.intersection(HEAD_GROUP_ROLES) for roles in groups.values())
    )


# ---------------------------------------------------------------------------
# The bureau's board
# ---------------------------------------------------------------------------

STATUS_COLOURS = {
    AssignmentStatus.ASSIGNED: "secondary",
    AssignmentStatus.IN_PROGRESS: "info",
    AssignmentStatus.SUBMITTED: "warning",
    AssignmentStatus.SIGNED_OFF: "primary",
    AssignmentStatus.ACCEPTED: "success",
    AssignmentStatus.RETURNED: "danger",
}


STATUS_SHORT = {
    AssignmentStatus.ASSIGNED: "未办", AssignmentStatus.IN_PROGRESS: "办理", AssignmentStatus.SUBMITTED: "待审",
    AssignmentStatus.SIGNED_OFF: "已审", AssignmentStatus.ACCEPTED: "验收", AssignmentStatus.RETURNED: "退回",
}


@dataclass
class BoardCell:
    assignment: Assignment | None
    colour: str = "light"
    overdue: bool = False

    @property
    def short(self) -> str:
        if self.assignment is None:
            return ""
        status = self.assignment.status
        if self.overdue and self.colour == "danger" and status != AssignmentStatus.RETURNED:
            return "逾期"
        return STATUS_SHORT[status]


@dataclass
class BoardRow:
    unit: object
    cells: list[BoardCell]
    done: int = 0
    total: int = 0


@dataclass
class Board:
    level: str
    templates: list[TaskTemplate]
    rows: list[BoardRow]
    counts: dict = field(default_factory=dict)


def _units_of(campaign: Campaign, level: str) -> list:
    county_id = campaign.county_id
    if level == Level.DEPARTMENT:
        return list(Department.objects.filter(county_id=county_id).order_by("name"))
    if level == Level.TOWNSHIP:
        return list(Township.objects.filter(county_id=county_id).order_by("code"))
    if level == Level.VILLAGE:
        return list(Village.objects.filter(township__county_id=county_id).select_related("township").order_by("code"))
    return list(WorkingGroup.objects.filter(county_id=county_id).order_by("order", "name"))


def task_board(campaign: Campaign, level: str, *, today: date | None = None) -> Board:
    """Units × templates of one level with each cell's status colour (three queries).

    Only units holding at least one assignment of the level are shown.
    """
    today = today or timezone.localdate()
    templates = list(campaign.task_templates.filter(level=level).order_by("order"))
    assignments = Assignment.objects.filter(campaign=campaign, level=level).only(
        "pk", "template_id", "status", "due_date", "level", f"{level}_id"
    )
    by_cell = {(a.template_id, getattr(a, f"{level}_id")): a for a in assignments}
    held_units = {unit_id for _, unit_id in by_cell}
    used_templates = {template_id for template_id, _ in by_cell}
    templates = [t for t in templates if t.pk in used_templates]
    rows, counts = [], defaultdict(int)
    for unit in _units_of(campaign, level):
        if unit.pk not in held_units:
            continue
        row = BoardRow(unit=unit, cells=[])
        for template in templates:
            assignment = by_cell.get((template.pk, unit.pk))
            if assignment is None:
                row.cells.append(BoardCell(assignment=None))
                continue
            overdue = assignment.is_overdue(today)
            colour = "danger" if overdue and assignment.status != AssignmentStatus.SIGNED_OFF else STATUS_COLOURS[assignment.status]
            row.cells.append(BoardCell(assignment=assignment, colour=colour, overdue=overdue))
            row.total += 1
            row.done += assignment.status == AssignmentStatus.ACCEPTED
            counts[assignment.status] += 1
            counts["overdue"] += overdue
        rows.append(row)
    return Board(level=level, templates=templates, rows=rows, counts=dict(counts))


@dataclass
class MilestoneCountdown:
    milestone: Milestone
    days_left: int


def milestone_countdown(campaign: Campaign, *, today: date | None = None) -> list[MilestoneCountdown]:
    today = today or timezone.localdate()
    return [MilestoneCountdown(m, (m.due_date - today).days) for m in campaign.milestones.order_by("due_date", "pk")]


def board_summary(campaign: Campaign, *, today: date | None = None) -> dict:
    """Counts by status and overdue for the whole campaign (one query)."""
    today = today or timezone.localdate()
    rows = Assignment.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        accepted=Count("pk", filter=Q(status=AssignmentStatus.ACCEPTED)),
        overdue=Count("pk", filter=Q(due_date__lt=today) & ~Q(status=AssignmentStatus.ACCEPTED)),
        waiting=Count("pk", filter=Q(status__in=[AssignmentStatus.SUBMITTED, AssignmentStatus.SIGNED_OFF])),
    )
    return rows


# ---------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------


def findings_visible_to(user) -> QuerySet[Finding]:
    """County roles see all; a department the findings it owns or that concern it; a
    township (and its supervision group) those in it; a village its own."""
    scope = scope_for(user)
    if scope.is_empty:
        return Finding.objects.none()
    return Finding.objects.filter(
        Q(campaign__county_id__in=scope.read_county_ids)
        | Q(responsible_department_id__in=scope.department_ids)
        | Q(department_id__in=scope.department_ids)
        | Q(responsible_township_id__in=scope.read_township_ids)
        | Q(village__township_id__in=scope.read_township_ids)
        | Q(village_id__in=scope.village_ids)
    )


@dataclass(frozen=True)
class FindingActions:
    rectify: bool = False
    review: bool = False


def finding_actions(user, finding: Finding) -> FindingActions:
    scope = scope_for(user)
    review = can_manage_county(user, finding.campaign.county_id)
    rectify = (
        review
        or finding.responsible_department_id in scope.department_ids
        or finding.responsible_township_id in scope.write_township_ids
        or (finding.village_id is not None and finding.village_id in scope.village_ids
            and finding.responsible_township_id == finding.village.township_id)
    )
    return FindingActions(rectify=rectify, review=review)


def can_file_findings(user, campaign: Campaign) -> bool:
    scope = scope_for(user)
    return can_manage_county(user, campaign.county_id) or (
        campaign.county_id in scope.county_ids and scope.has_role(Role.SUPERVISION)
    )


def findings_for(user, campaign: Campaign) -> QuerySet[Finding]:
    return (
        findings_visible_to(user).filter(campaign=campaign)
        .select_related("village__township", "department", "responsible_department", "responsible_township", "household")
        .annotate(evidence_count=Count("evidence"))
        .order_by("status", "deadline", "number")
    )


@dataclass
class ClearanceRow:
    unit: object
    total: int
    open: int
    rectified: int
    closed: int
    overdue: int

    @property
    def remaining(self) -> int:
        return self.total - self.closed

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 100


def findings_clearance(campaign: Campaign, *, today: date | None = None) -> list[ClearanceRow]:
    """How far each responsible unit is from all-closed (清零), furthest first (three queries)."""
    today = today or timezone.localdate()
    counts = {
        "total": Count("pk"),
        "open": Count("pk", filter=Q(status=FindingStatus.OPEN)),
        "rectified": Count("pk", filter=Q(status=FindingStatus.RECTIFIED)),
        "closed": Count("pk", filter=Q(status=FindingStatus.CLOSED)),
        "overdue": Count("pk", filter=Q(deadline__lt=today) & ~Q(status=FindingStatus.CLOSED)),
    }
    findings = Finding.objects.filter(campaign=campaign)
    rows = []
    for key, model in (("responsible_department", Department), ("responsible_township", Township)):
        tallies = findings.filter(**{f"{key}__isnull": False}).values(f"{key}_id").annotate(**counts)
        units = model.objects.in_bulk([t[f"{key}_id"] for t in tallies])
        for tally in tallies:
            rows.append(ClearanceRow(unit=units[tally.pop(f"{key}_id")], **tally))
    rows.sort(key=lambda row: (-row.remaining, -row.overdue, row.unit.name))
    return rows


# ---------------------------------------------------------------------------
# Guides and the village board
# ---------------------------------------------------------------------------


@dataclass
class GuideRow:
    group: VillageGroup
    guide: Guide | None
    trained: bool


def guides_deadline(campaign: Campaign) -> date | None:
    """Guides must be trained by the guide template's due date, else by the inspection start."""
    template = campaign.task_templates.filter(tracks_guides=True).order_by("order").first()
    due = template.due_date if template else None
    return due or campaign.inspection_start


def village_guides(village: Village, campaign: Campaign) -> tuple[list[GuideRow], date | None]:
    """Each group of the village with its guide; trained means trained on or before the deadline (two queries)."""
    deadline = guides_deadline(campaign)
    guides = {g.group_id: g for g in Guide.objects.filter(campaign=campaign, group__village=village)}
    rows = []
    for group in village.groups.order_by("number"):
        guide = guides.get(group.pk)
        trained = bool(guide and guide.trained_on and (deadline is None or guide.trained_on <= deadline))
        rows.append(GuideRow(group=group, guide=guide, trained=trained))
    return rows, deadline


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def templates_for(campaign: Campaign) -> QuerySet[TaskTemplate]:
    return campaign.task_templates.annotate(
        assigned=Count("assignments"),
        accepted=Count("assignments", filter=Q(assignments__status=AssignmentStatus.ACCEPTED)),
    ).order_by("order")
