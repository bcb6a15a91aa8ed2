"""Reads for department tasks: who sees which assignment and finding, what a
user may do, what they owe, the sign-off queue, the bureau's board, the
rectification overview (清零) and the guides of a village."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from evalprep.core.http import choice_labels, url_for_each
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
    readable_village_pks,
    scope_for,
)
from evalprep.core.units import unit_names
from evalprep.core.usercache import kept_with_user
from tasks.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    DeliverableKind,
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
    """The working groups the user is a member of, with their roles in each (one query, read once
    per request and kept with the user: evalprep.core.usercache)."""

    def read() -> dict[int, set[str]]:
        groups: dict[int, set[str]] = defaultdict(set)
        if user.is_authenticated:
            for group_id, role in WorkingGroupMember.objects.filter(user=user).order_by().values_list("group_id", "role"):
                groups[group_id].add(role)
        return dict(groups)

    return kept_with_user(user, "groups", read)


def _unit_read_q(user) -> Q:
    """Assignments of the user's units (a township's also its villages'), on the assignment's own columns:
    the villages come as a subquery so that no join is planned."""
    scope = scope_for(user)
    return (
        Q(department_id__in=scope.department_ids)
        | Q(township_id__in=scope.read_township_ids)
        | Q(village_id__in=readable_village_pks(scope))
        | Q(working_group_id__in=list(_group_memberships(user)))
    )


def assignments_visible_to(user) -> QuerySet[Assignment]:
    """County roles see the county's; others their units' (a township also its villages')."""
    scope = scope_for(user)
    if scope.is_empty:
        return Assignment.objects.none()
    condition = _unit_read_q(user)
    if scope.read_county_ids:
        condition |= Q(campaign__county_id__in=scope.read_county_ids)
    return Assignment.objects.filter(condition)


PEOPLE_FIELDS = ("submitted_by", "signed_off_by", "accepted_by")


def assignment_unit_and_people_load(assignment: Assignment) -> None:
    """Load the assignment's unit (a village with its township) and who submitted, signed off and accepted it:
    two small queries instead of eight joins on the lookup."""
    units = Assignment._meta.get_field(assignment.level).related_model.objects.filter(pk=assignment.unit_id)
    if assignment.level == Level.VILLAGE:
        units = units.select_related("township")
    setattr(assignment, assignment.level, units.get())
    people = {getattr(assignment, f"{name}_id") for name in PEOPLE_FIELDS} - {None}
    if people:
        users = get_user_model().objects.in_bulk(people)
        for name in PEOPLE_FIELDS:
            if getattr(assignment, f"{name}_id") is not None:
                setattr(assignment, name, users[getattr(assignment, f"{name}_id")])


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
    """The campaign's assignments the user sees, earliest due first (joins only the template, for its order)."""
    scope = scope_for(user)
    if scope.is_empty:
        return Assignment.objects.none()
    assignments = Assignment.objects.filter(campaign=campaign)
    if campaign.county_id not in scope.read_county_ids:
        assignments = assignments.filter(_unit_read_q(user))
    return assignments.order_by("due_date", "template__order", "level", "pk")


def unit_labels(units: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The names of units given as (level, pk), a village's after its township's (one query)."""
    return {unit: f"{township}{name}" for unit, (township, name) in unit_names(units).items()}


ROW_FIELDS = (
    "pk", "level", "department_id", "township_id", "village_id", "working_group_id", "due_date", "status",
    "template__code", "template__title", "template__deliverable",
)


@dataclass
class AssignmentRow:
    """One assignment as the lists show it, with its unit's name, link and colour worked out."""

    pk: int
    url: str
    code: str
    title: str
    deliverable: str
    level: str
    unit: str
    due_date: date
    status: str
    status_label: str
    overdue: bool
    left: int
    colour: str


def assignment_rows(
    assignments: QuerySet[Assignment], *, units: bool = True, today: date | None = None
) -> list[AssignmentRow]:
    """`assignments` as list rows (a query for the rows and, unless units=False, one for their units' names)."""
    today = today or timezone.localdate()
    values = list(assignments.values(*ROW_FIELDS))
    labels = unit_labels((v["level"], v[f"{v['level']}_id"]) for v in values) if units else {}
    url = url_for_each("tasks:assignment")
    statuses, deliverables = choice_labels(AssignmentStatus), choice_labels(DeliverableKind)
    rows = []
    for v in values:
        status = v["status"]
        overdue = status != AssignmentStatus.ACCEPTED and v["due_date"] < today
        rows.append(AssignmentRow(
            pk=v["pk"], url=url(v["pk"]), code=v["template__code"], title=v["template__title"],
            deliverable=deliverables[v["template__deliverable"]], level=v["level"],
            unit=labels.get((v["level"], v[f"{v['level']}_id"]), ""), due_date=v["due_date"], status=status,
            status_label=statuses[status], overdue=overdue, left=(v["due_date"] - today).days,
            colour="danger" if overdue else STATUS_COLOURS[status],
        ))
    return rows


def _owing_q(user) -> tuple[Q, Q, Q]:
    """(to hand in, to sign off, to accept) for the user's units."""
    scope = scope_for(user)
    groups = _group_memberships(user)
    head_groups = [pk for pk, roles in groups.items() if roles.intersection(HEAD_GROUP_ROLES)]
    # On the assignment's own columns (a township's villages and the county's campaigns as subqueries), so that
    # no join is planned, and only the user's kinds of unit: each empty `__in` still costs building.
    to_hand_in = Q(status__in=OPEN_STATUSES) & _any_unit(
        department_id__in=scope.department_ids, township_id__in=scope.write_township_ids,
        village_id__in=scope.village_ids, working_group_id__in=list(groups),
    )
    heads_of = scope.head_township_ids
    head_villages = heads_of and Village.objects.filter(township_id__in=heads_of).values("pk")
    to_sign = Q(status=AssignmentStatus.SUBMITTED) & _any_unit(
        department_id__in=scope.head_department_ids, township_id__in=scope.head_township_ids,
        village_id__in=head_villages, working_group_id__in=head_groups,
    )
    campaigns = scope.write_county_ids and Campaign.objects.filter(county_id__in=scope.write_county_ids).values("pk")
    to_accept = Q(status=AssignmentStatus.SIGNED_OFF) & _any_unit(campaign_id__in=campaigns)
    return to_hand_in, to_sign, to_accept


def _any_unit(**lookups) -> Q:
    """The non-empty `__in` lookups (collections or subqueries) or-ed together; one that matches nothing when all
    are empty."""
    present = [Q(**{name: ids}) for name, ids in lookups.items() if isinstance(ids, QuerySet) or ids]
    if not present:
        return Q(pk__in=[])
    condition = present[0]
    for other in present[1:]:
        condition |= other
    return condition


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
    """One assignment on the board: its colour and the short status written in it."""

    pk: int
    url: str
    status: str
    label: str
    colour: str
    short: str


@dataclass
class BoardColumn:
    pk: int
    code: str
    title: str
    url: str


@dataclass
class BoardRow:
    unit: str
    url: str  # the village's board; empty for other levels
    cells: list[BoardCell | None]
    done: int = 0
    total: int = 0


@dataclass
class Board:
    level: str
    templates: list[BoardColumn]
    rows: list[BoardRow]
    counts: dict = field(default_factory=dict)


def _units_of(campaign: Campaign, level: str) -> list[tuple[int, str]]:
    """(pk, name) of the county's units of a level in board order, a village's name after its township's."""
    county_id = campaign.county_id
    if level == Level.DEPARTMENT:
        return list(Department.objects.filter(county_id=county_id).order_by("name").values_list("pk", "name"))
    if level == Level.TOWNSHIP:
        return list(Township.objects.filter(county_id=county_id).order_by("code").values_list("pk", "name"))
    if level == Level.VILLAGE:
        villages = Village.objects.filter(township__county_id=county_id).order_by("code")
        villages = villages.values_list("pk", "township__name", "name")
        return [(pk, f"{township}{name}") for pk, township, name in villages]
    return list(WorkingGroup.objects.filter(county_id=county_id).order_by("order", "name").values_list("pk", "name"))


def _cell_looks(labels: dict[str, str]) -> dict[tuple[str, bool], tuple[str, str, str]]:
    """(status, overdue) → (label, colour, short text) of a board cell."""
    looks = {}
    for status, label in labels.items():
        for overdue in (False, True):
            late = overdue and status not in (AssignmentStatus.SIGNED_OFF, AssignmentStatus.RETURNED)
            colour = "danger" if overdue and status != AssignmentStatus.SIGNED_OFF else STATUS_COLOURS[status]
            looks[status, overdue] = (label, colour, "逾期" if late else STATUS_SHORT[status])
    return looks


def task_board(campaign: Campaign, level: str, *, today: date | None = None) -> Board:
    """Units × templates of one level with each cell's status colour (three queries).

    Only units holding at least one assignment of the level are shown.
    """
    today = today or timezone.localdate()
    assignments = Assignment.objects.filter(campaign=campaign, level=level).order_by().values_list(
        "pk", "template_id", f"{level}_id", "status", "due_date"
    )
    by_cell = {(template_id, unit_id): (pk, status, due) for pk, template_id, unit_id, status, due in assignments}
    held_units = {unit_id for _, unit_id in by_cell}
    used_templates = {template_id for template_id, _ in by_cell}
    template_url = url_for_each("tasks:template")
    columns = campaign.task_templates.filter(level=level).order_by("order").values_list("pk", "code", "title")
    templates = [
        BoardColumn(pk=pk, code=code, title=title, url=template_url(pk))
        for pk, code, title in columns if pk in used_templates
    ]
    cell_url, looks = url_for_each("tasks:assignment"), _cell_looks(choice_labels(AssignmentStatus))
    accepted = str(AssignmentStatus.ACCEPTED)
    village_url = url_for_each("tasks:village_board") if level == Level.VILLAGE else None
    rows, counts = [], defaultdict(int)
    for unit_id, name in _units_of(campaign, level):
        if unit_id not in held_units:
            continue
        row = BoardRow(unit=name, url=village_url(unit_id) if village_url else "", cells=[])
        for template in templates:
            held = by_cell.get((template.pk, unit_id))
            if held is None:
                row.cells.append(None)
                continue
            pk, status, due = held
            overdue = status != accepted and due < today
            label, colour, short = looks[status, overdue]
            row.cells.append(BoardCell(pk=pk, url=cell_url(pk), status=status, label=label, colour=colour, short=short))
            row.total += 1
            row.done += status == accepted
            counts[status] += 1
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


@dataclass(frozen=True)
class ClearanceUnit:
    """A responsible unit as the overview names it: a department or a township."""

    pk: int
    name: str
    level: str


@dataclass
class ClearanceRow:
    unit: ClearanceUnit
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
    """How far each responsible unit is from all-closed (清零), furthest first (one query)."""
    today = today or timezone.localdate()
    tallies = (
        Finding.objects.filter(campaign=campaign).order_by()
        .values("responsible_department_id", "responsible_department__name",
                "responsible_township_id", "responsible_township__name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=FindingStatus.OPEN)),
            rectified=Count("pk", filter=Q(status=FindingStatus.RECTIFIED)),
            closed=Count("pk", filter=Q(status=FindingStatus.CLOSED)),
            overdue=Count("pk", filter=Q(deadline__lt=today) & ~Q(status=FindingStatus.CLOSED)),
        )
    )
    rows = []
    for tally in tallies:
        department_id, department = tally.pop("responsible_department_id"), tally.pop("responsible_department__name")
        township_id, township = tally.pop("responsible_township_id"), tally.pop("responsible_township__name")
        if department_id is not None:
            unit = ClearanceUnit(pk=department_id, name=department, level=Level.DEPARTMENT)
        else:
            unit = ClearanceUnit(pk=township_id, name=township, level=Level.TOWNSHIP)
        rows.append(ClearanceRow(unit=unit, **tally))
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
    guides = {g.group_id: g for g in Guide.objects.filter(campaign=campaign, group__village=village).order_by()}
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
