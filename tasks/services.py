"""Writes for department tasks: loading a plan into a campaign, assigning
templates to units, deliverables (files, or Excel lists checked against the
template's columns), the sign-off workflow, comments, notifications and the
daily reminders, findings and their rectification, and guides.

Assignment states: assigned → in_progress (first deliverable) → submitted →
signed_off (the unit's head; a village's by its township's head, 乡级审核; a
working group's by its leader) → accepted by the bureau. The bureau may return
a submitted or signed-off assignment with a reason; the unit then uploads
again and resubmits. Sign-offs, acceptances and returns go to the audit log.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from evalprep.core.errors import EvalprepError, ImportRejected
from evalprep.core.idnumber import parse_id_number
from evalprep.core.models import (
    Campaign,
    Department,
    DepartmentKind,
    Role,
    Township,
    Village,
    VillageGroup,
    WorkingGroup,
)
from evalprep.core.scoping import can_manage_county, scope_for
from evalprep.core.services import audit_log
from evalprep.core.sheets import (
    CellError,
    SheetError,
    column_letter,
    find_header_row,
    format_date_zh,
    normalize_text,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    read_workbook_rows,
)
from evalprep.core.usercache import user_changed
from indicators.filetypes import CONTENT_TYPES, file_kind_detect
from tasks.errors import FileRejected, ListRejected, TaskNotAllowed
from tasks.library import ALL_DEPARTMENTS, plan_read
from tasks.models import (
    OPEN_STATUSES,
    UNIT_FIELDS,
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
    Notification,
    NotificationKind,
    ReminderSent,
    ReminderStage,
    TaskTemplate,
)
from tasks.selectors import assignment_actions, finding_actions, unit_users

logger = logging.getLogger(__name__)
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LIST_ERRORS = 20


# ---------------------------------------------------------------------------
# Plans and assignments
# ---------------------------------------------------------------------------


@dataclass
class PlanLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


TEMPLATE_FIELDS = (
    "plan", "order", "section", "section_label", "title", "text", "level", "department_kinds", "working_group_name",
    "working_group_kind", "village_filter", "due_offset_days", "due_fixed_month", "due_fixed_day", "deliverable",
    "columns", "head_signature_in_plan", "tracks_guides",
)


def task_plan_load(*, campaign: Campaign, name: str, path: Path | None = None, user=None) -> PlanLoadResult:
    """Load (or update) the plan's templates into the campaign; idempotent.

    Assignments already made keep their own due dates.
    """
    plan = plan_read(name, path)
    result = PlanLoadResult()
    existing = {template.code: template for template in campaign.task_templates.all()}
    with transaction.atomic():
        for order, spec in enumerate(plan.templates, start=1):
            values = {
                "plan": plan.name, "order": order, "section": spec.section, "section_label": spec.section_label,
                "title": spec.title, "text": spec.text, "level": spec.level, "department_kinds": spec.department_kinds,
                "working_group_name": spec.working_group_name, "working_group_kind": spec.working_group_kind,
                "village_filter": spec.village_filter, "due_offset_days": spec.due_offset_days,
                "due_fixed_month": spec.due_fixed[0] if spec.due_fixed else None,
                "due_fixed_day": spec.due_fixed[1] if spec.due_fixed else None,
                "deliverable": spec.deliverable, "columns": spec.columns,
                "head_signature_in_plan": spec.head_signature_in_plan, "tracks_guides": spec.tracks_guides,
            }
            template = existing.get(spec.code)
            if template is None:
                template = TaskTemplate(campaign=campaign, code=spec.code, **values)
                result.created += 1
            elif any(getattr(template, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(template, key, value)
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            template.full_clean()
            template.save()
        if result.created or result.updated:
            audit_log(
                user=user, action="task_plan_loaded", obj=campaign, county_id=campaign.county_id,
                detail=f"{plan.name}：新增{result.created}项，更新{result.updated}项",
            )
    return result


def template_default_units(template: TaskTemplate) -> list:
    """The units the plan names for a template, among those the county has."""
    county_id = template.campaign.county_id
    if template.level == Level.DEPARTMENT:
        departments = Department.objects.filter(county_id=county_id)
        if ALL_DEPARTMENTS in template.department_kinds:
            return list(departments.exclude(kind=DepartmentKind.BUREAU).order_by("name"))
        return list(departments.filter(kind__in=template.department_kinds).order_by("name"))
    if template.level == Level.TOWNSHIP:
        return list(Township.objects.filter(county_id=county_id).order_by("code"))
    if template.level == Level.VILLAGE:
        villages = Village.objects.filter(township__county_id=county_id).select_related("township")
        if template.village_filter == "relocation":
            villages = villages.filter(relocation_sites__isnull=False).distinct()
        return list(villages.order_by("code"))
    groups = WorkingGroup.objects.filter(county_id=county_id)
    if template.working_group_name:
        return list(groups.filter(name=template.working_group_name))
    return list(groups.filter(kind=template.working_group_kind).order_by("order"))


def task_assign(
    *, template: TaskTemplate, units: Sequence, user, due_date: date | None = None, note: str = "", people: dict | None = None
) -> list[Assignment]:
    """Give the template to each unit (units already holding it are skipped); each unit's staff are notified.

    `user=None` is the command line or the demo seeder, acting as the bureau.
    `people` may carry a cache of each unit's staff across calls.
    """
    campaign = template.campaign
    if user is not None and not can_manage_county(user, campaign.county_id):
        raise TaskNotAllowed("只有乡村振兴局统筹人员可以分派任务。")
    due = due_date or template.due_date
    if due is None:
        raise EvalprepError("评估开始日期还没有确定，请先在“评估节点”里填写预计评估开始日期，或为本次分派指定截止日期。")
    field_name = template.level
    held = set(template.assignments.values_list(f"{field_name}_id", flat=True))
    fresh = []
    for unit in units:
        if _unit_county_id(unit) != campaign.county_id:
            raise TaskNotAllowed("只能把任务分派给本县的单位。")
        if unit.pk in held:
            continue
        assignment = Assignment(
            campaign=campaign, template=template, level=template.level, due_date=due, note=note.strip(),
            created_by=user if user is not None and user.is_authenticated else None, **{field_name: unit},
        )
        # Units and template come checked from above; the database enforces the constraints.
        assignment.clean_fields(exclude=["campaign", "template", "created_by", *UNIT_FIELDS])
        held.add(unit.pk)
        fresh.append(assignment)
    if not fresh:
        return []
    people = {} if people is None else people
    with transaction.atomic():
        created = Assignment.objects.bulk_create(fresh)
        audit_log(
            user=user, action="task_assigned", obj=template, county_id=campaign.county_id,
            detail=f"{template.code} {template.title}：分派给{len(created)}个单位，截止{due:%Y-%m-%d}",
        )
        notes = []
        for assignment in created:
            key = (assignment.level, assignment.unit_id)
            if key not in people:
                people[key] = unit_users(assignment, heads=False)
            title = f"新任务：{template.title}（{assignment.unit}，截止{format_date_zh(assignment.due_date)}）"
            url = reverse("tasks:assignment", args=[assignment.pk])
            notes += [_event(user=person, county_id=campaign.county_id, title=title, url=url) for person in people[key]]
        Notification.objects.bulk_create(notes)
        user_changed(*(note.user_id for note in notes))
    return created


def task_plan_assign_all(*, campaign: Campaign, user) -> int:
    """Every template of the campaign to the units the plan names; returns how many were new."""
    total, people = 0, {}
    with transaction.atomic():
        for template in campaign.task_templates.select_related("campaign__county").order_by("order"):
            units = template_default_units(template)
            total += len(task_assign(template=template, units=units, user=user, people=people))
    return total


def _unit_county_id(unit) -> int:
    if isinstance(unit, Village):
        return unit.township.county_id
    return unit.county_id


# ---------------------------------------------------------------------------
# Deliverables
# ---------------------------------------------------------------------------


@dataclass
class _Checked:
    name: str
    content: bytes
    extension: str
    sha256: str


def deliverable_files_add(*, assignment: Assignment, files: Sequence[File], user) -> list[Deliverable]:
    """A member of the unit hands in one or more files (PDF, images, Word, Excel by content)."""
    _member_check(assignment, user)
    _editable_check(assignment)
    if not files:
        raise FileRejected("请至少选择一个文件。")
    checked = [_file_check(file) for file in files]
    _duplicates_check(assignment, checked)
    with transaction.atomic():
        saved = [_deliverable_save(assignment, item, DeliverableKind.FILES, user) for item in checked]
        _started(assignment, user)
    return saved


def deliverable_list_add(*, assignment: Assignment, file: File, user) -> Deliverable:
    """A member of the unit uploads the structured list; it must have the template's columns.

    A required column missing is refused with the column named; rows with a
    blank required cell or an unreadable value are refused with row and
    column. Nothing is stored unless the whole list is good; the newest good
    list replaces the earlier one (which stays on record).
    """
    _member_check(assignment, user)
    _editable_check(assignment)
    template = assignment.template
    if template.deliverable != DeliverableKind.LIST:
        raise ListRejected("该任务报送文件，不需要上传名单。")
    item = _file_check(file)
    if item.extension not in ("xlsx", "xls") and not item.name.lower().endswith(".ods"):
        raise ListRejected(f"「{item.name}」不是 Excel 表格，请上传 xlsx、xls 或 ods 文件。")
    rows = list_rows_read(template=template, content=item.content, filename=item.name)
    _duplicates_check(assignment, [item])
    with transaction.atomic():
        assignment.deliverables.filter(kind=DeliverableKind.LIST, is_current=True).update(is_current=False)
        deliverable = _deliverable_save(assignment, item, DeliverableKind.LIST, user, rows=rows)
        _started(assignment, user)
    return deliverable


def list_rows_read(*, template: TaskTemplate, content: bytes, filename: str) -> list[list[str]]:
    """The list's rows in the template's column order, as text; raises ListRejected in Chinese."""
    columns = template.columns
    known = {}
    for index, column in enumerate(columns):
        for spelling in (column["label"], *column.get("aliases", [])):
            known.setdefault(spelling, index)
    try:
        rows = read_workbook_rows(content, filename=filename)
        header_index, mapping, _unused = find_header_row(rows, known_headers=known, min_matches=1)
    except SheetError as exc:
        raise ListRejected(exc.message) from None
    found = set(mapping.values())
    missing = [column["label"] for index, column in enumerate(columns) if column["required"] and index not in found]
    if missing:
        shown = "、".join(f"「{label}」" for label in missing)
        raise ListRejected(
            f"名单缺少必填列 {shown}。请在第{header_index + 1}行表头补上{shown}这一列并填好内容后重新上传"
            "（可先下载本任务的名单模板对照列名）。"
        )
    position = {field: column for column, field in mapping.items()}
    result, errors = [], []
    for row_index in range(header_index + 1, len(rows)):
        raw = rows[row_index]
        if not any(normalize_text(cell) for cell in raw):
            continue
        values = []
        for index, column in enumerate(columns):
            cell = raw[position[index]] if index in position and position[index] < len(raw) else None
            try:
                values.append(_cell_text(cell, column))
            except CellError as exc:
                errors.append(f"第{row_index + 1}行{column_letter(position[index])}列「{column['label']}」：{exc.message}")
        result.append(values)
    if errors:
        more = f"……共{len(errors)}处错误" if len(errors) > MAX_LIST_ERRORS else ""
        raise ListRejected("名单有错误，整份未收下，请改正后重新上传：" + "；".join(errors[:MAX_LIST_ERRORS]) + more)
    if not result:
        raise ListRejected(f"「{filename}」只有表头，没有名单内容。如本单位确无符合条件的人员，请上传说明文件。")
    return result


def _cell_text(cell, column: dict) -> str:
    kind = column["kind"]
    text = normalize_text(cell)
    if not text:
        if column["required"]:
            raise CellError("不能为空，请补填。")
        return ""
    if kind == "id_number":
        try:
            return parse_id_number(cell).value
        except EvalprepError as exc:
            raise CellError(exc.message) from None
    if kind == "date":
        return parse_date(cell).isoformat()
    if kind == "amount":
        return str(parse_amount(cell))
    if kind == "int":
        return str(parse_int(cell))
    if kind == "bool":
        value = parse_bool(cell)
        if value is None:
            raise CellError(f"「{text}」应填“是”或“否”。")
        return "是" if value else "否"
    return text


def _file_check(file: File) -> _Checked:
    name = Path(file.name or "未命名").name
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise FileRejected(f"「{name}」超过了 {MAX_FILE_BYTES // 1024 // 1024} MB 的上限，请压缩或拆分后再上传。")
    if not content:
        raise FileRejected(f"「{name}」是空文件。")
    kind = file_kind_detect(content)
    if kind is None and name.lower().endswith(".ods") and content.startswith(b"PK"):
        return _Checked(name=name, content=content, extension="ods", sha256=hashlib.sha256(content).hexdigest())
    if kind is None:
        raise FileRejected(
            f"「{name}」不是可以接受的文件类型（按文件内容判断，与文件名无关）。"
            "只接受 PDF、JPG/PNG 图片、Word（doc、docx）和 Excel（xls、xlsx）文件。"
        )
    return _Checked(name=name, content=content, extension=str(kind), sha256=hashlib.sha256(content).hexdigest())


def _duplicates_check(assignment: Assignment, checked: list[_Checked]) -> None:
    known = set(assignment.deliverables.values_list("sha256", flat=True))
    for item in checked:
        if item.sha256 in known:
            raise FileRejected(f"「{item.name}」已经上传过了（内容相同）。")
        known.add(item.sha256)


def _deliverable_save(assignment, item: _Checked, kind: str, user, rows: list | None = None) -> Deliverable:
    deliverable = Deliverable(
        assignment=assignment, kind=kind, original_name=item.name[-200:], extension=item.extension,
        content_type=CONTENT_TYPES.get(item.extension, "application/vnd.oasis.opendocument.spreadsheet"),
        sha256=item.sha256, size=len(item.content), rows=rows or [], row_count=len(rows or []),
        uploaded_by=user, uploaded_at=timezone.now(),
    )
    deliverable.file.save(item.name, ContentFile(item.content), save=False)
    deliverable.save()
    return deliverable


def _started(assignment: Assignment, user) -> None:
    if assignment.status in (AssignmentStatus.ASSIGNED, AssignmentStatus.RETURNED):
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.save(update_fields=["status", "updated_at"])


# ---------------------------------------------------------------------------
# The workflow
# ---------------------------------------------------------------------------

_REFUSED = {
    ("edit", AssignmentStatus.SUBMITTED): "材料已提交，等待负责人审核，不能再改动；如需修改，请联系乡村振兴局退回。",
    ("edit", AssignmentStatus.SIGNED_OFF): "材料已经负责人审核，不能再改动；如需修改，请联系乡村振兴局退回。",
    ("edit", AssignmentStatus.ACCEPTED): "该任务已经验收，不能再改动。",
    ("submit", AssignmentStatus.SUBMITTED): "材料已经提交过了，等待负责人审核。",
    ("submit", AssignmentStatus.SIGNED_OFF): "材料已经负责人审核，等待乡村振兴局验收。",
    ("submit", AssignmentStatus.ACCEPTED): "该任务已经验收。",
    ("sign_off", AssignmentStatus.ASSIGNED): "经办人还没有提交材料，不能审核。",
    ("sign_off", AssignmentStatus.IN_PROGRESS): "经办人还没有提交材料，不能审核。",
    ("sign_off", AssignmentStatus.SIGNED_OFF): "该任务已经审核过了。",
    ("sign_off", AssignmentStatus.ACCEPTED): "该任务已经验收，不需要再审核。",
    ("sign_off", AssignmentStatus.RETURNED): "该任务已被退回，须经办人修改并重新提交后再审核。",
    ("accept", AssignmentStatus.ASSIGNED): "该任务还没有提交材料，不能验收。",
    ("accept", AssignmentStatus.IN_PROGRESS): "该任务还没有提交材料，不能验收。",
    ("accept", AssignmentStatus.SUBMITTED): "该任务尚未经单位负责人审核签字（村级须经乡镇审核），不能验收。",
    ("accept", AssignmentStatus.ACCEPTED): "该任务已经验收过了。",
    ("accept", AssignmentStatus.RETURNED): "该任务已被退回，等待重新提交，不能验收。",
    ("return", AssignmentStatus.ASSIGNED): "该任务还没有提交材料，无需退回。",
    ("return", AssignmentStatus.IN_PROGRESS): "该任务还没有提交材料，无需退回。",
    ("return", AssignmentStatus.ACCEPTED): "该任务已经验收，不能退回。",
    ("return", AssignmentStatus.RETURNED): "该任务已经退回，正等待重新提交。",
}


def _state_check(assignment: Assignment, action: str) -> None:
    message = _REFUSED.get((action, assignment.status))
    if message:
        raise EvalprepError(message)


def _editable_check(assignment: Assignment) -> None:
    _state_check(assignment, "edit")


def assignment_submit(*, assignment: Assignment, user) -> Assignment:
    """The unit hands the assignment in for its head's sign-off."""
    _member_check(assignment, user)
    _state_check(assignment, "submit")
    deliverables = assignment.deliverables.all()
    if assignment.template.deliverable == DeliverableKind.LIST:
        if not deliverables.filter(kind=DeliverableKind.LIST, is_current=True).exists():
            raise EvalprepError("请先上传通过检查的名单（Excel），再提交审核。")
    elif not deliverables.exists():
        raise EvalprepError("请先上传材料，再提交审核。")
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_by, assignment.submitted_at = user, timezone.now()
    assignment.return_reason = ""
    _transition(assignment, user, action="task_submitted", detail="提交审核")
    _notify(
        users=unit_users(assignment, heads=True), county_id=assignment.campaign.county_id,
        title=f"待审核：{assignment.template.title}（{assignment.unit}）",
        url=reverse("tasks:assignment", args=[assignment.pk]),
    )
    return assignment


def assignment_sign_off(*, assignment: Assignment, user) -> Assignment:
    """The unit's head signs off (审核签字); a village's by its township's head."""
    if not assignment_actions(user, assignment).sign_off:
        raise TaskNotAllowed(_head_message(assignment))
    _state_check(assignment, "sign_off")
    assignment.status = AssignmentStatus.SIGNED_OFF
    assignment.signed_off_by, assignment.signed_off_at = user, timezone.now()
    return _transition(assignment, user, action="task_signed_off", detail="负责人审核签字")


def assignment_accept(*, assignment: Assignment, user) -> Assignment:
    _coordinator_check(assignment, user, "验收")
    _state_check(assignment, "accept")
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.accepted_by, assignment.accepted_at = user, timezone.now()
    return _transition(assignment, user, action="task_accepted", detail="验收")


def assignment_return(*, assignment: Assignment, user, reason: str) -> Assignment:
    """The bureau returns a submitted or signed-off assignment; the sign-off lapses."""
    _coordinator_check(assignment, user, "退回")
    _state_check(assignment, "return")
    reason = reason.strip()
    if not reason:
        raise EvalprepError("请填写退回原因，让经办人知道要改什么。")
    assignment.status = AssignmentStatus.RETURNED
    assignment.return_reason = reason
    assignment.signed_off_by = assignment.signed_off_at = None
    _transition(assignment, user, action="task_returned", detail=f"退回：{reason[:80]}")
    _notify(
        users=unit_users(assignment, heads=False), county_id=assignment.campaign.county_id,
        title=f"被退回：{assignment.template.title}（{reason[:40]}）",
        url=reverse("tasks:assignment", args=[assignment.pk]),
    )
    return assignment


def assignment_due_change(*, assignment: Assignment, due_date: date, user) -> Assignment:
    _coordinator_check(assignment, user, "调整截止日期")
    old = assignment.due_date
    assignment.due_date = due_date
    return _transition(assignment, user, action="task_due_changed", detail=f"截止日期 {old:%Y-%m-%d} → {due_date:%Y-%m-%d}")


def comment_add(*, assignment: Assignment, user, text: str) -> Comment:
    text = text.strip()
    if not text:
        raise EvalprepError("留言不能为空。")
    if len(text) > 2000:
        raise EvalprepError("留言太长了，请控制在2000字以内。")
    comment = Comment(assignment=assignment, author=user, text=text)
    comment.full_clean()
    comment.save()
    return comment


def _transition(assignment: Assignment, user, *, action: str, detail: str) -> Assignment:
    with transaction.atomic():
        assignment.full_clean()
        assignment.save()
        audit_log(
            user=user, action=action, obj=assignment, county_id=assignment.campaign.county_id,
            detail=f"{assignment.template.code} {assignment.unit}：{detail}",
        )
    return assignment


def _member_check(assignment: Assignment, user) -> None:
    if not assignment_actions(user, assignment).submit:
        raise TaskNotAllowed(f"您不是{assignment.unit}的经办人员，不能上传或提交该任务的材料。")


def _head_message(assignment: Assignment) -> str:
    if assignment.level == Level.VILLAGE:
        return f"村级任务须由{assignment.village.township.name}负责人审核。"
    if assignment.level == Level.WORKING_GROUP:
        return f"工作组任务须由{assignment.working_group.name}组长或副组长审核。"
    return f"须由{assignment.unit}负责人审核签字。"


def _coordinator_check(assignment: Assignment, user, what: str) -> None:
    if not can_manage_county(user, assignment.campaign.county_id):
        raise TaskNotAllowed(f"只有乡村振兴局统筹人员可以{what}任务。")


# ---------------------------------------------------------------------------
# Notifications and reminders
# ---------------------------------------------------------------------------


def _event(*, user, county_id: int, title: str, url: str) -> Notification:
    return Notification(
        user=user, county_id=county_id, kind=NotificationKind.EVENT, day=timezone.localdate(), title=title[:200], url=url
    )


def _notify(*, users, county_id: int, title: str, url: str) -> None:
    notes = Notification.objects.bulk_create([_event(user=user, county_id=county_id, title=title, url=url) for user in users])
    user_changed(*(note.user_id for note in notes))


def notification_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user) -> int:
    read = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    user_changed(user.pk)
    return read


@dataclass
class ReminderRun:
    digests: int = 0
    reminders: int = 0
    emails: int = 0
    people: set = field(default_factory=set)


STAGE_WORDS = {
    ReminderStage.DUE_IN_3: "3天后到期",
    ReminderStage.DUE_TOMORROW: "明天到期",
    ReminderStage.OVERDUE: "已逾期",
}


def reminders_send(*, today: date | None = None) -> ReminderRun:
    """Once a day: remind those who owe an assignment due in 3 days, due tomorrow or overdue.

    Each person gets one digest notification a day (a database constraint);
    each reminder (assignment × person × stage × due date) is sent at most once
    (another constraint), so running twice on the same day sends nothing new.
    Those who still have to hand in are reminded; for submitted assignments,
    the head who has to sign off. E-mail goes out too when EMAIL_HOST is set.
    """
    today = today or timezone.localdate()
    stage_for = {today + timedelta(days=3): ReminderStage.DUE_IN_3, today + timedelta(days=1): ReminderStage.DUE_TOMORROW}
    assignments = (
        Assignment.objects.filter(campaign__is_current=True)
        .filter(status__in=[*OPEN_STATUSES, AssignmentStatus.SUBMITTED])
        .filter(Q(due_date__in=list(stage_for)) | Q(due_date__lt=today))
        .select_related("template", "campaign", "department", "township", "village__township", "working_group")
    )
    wanted: dict[int, list[tuple[Assignment, str]]] = defaultdict(list)
    users_by_id, people = {}, {}
    for assignment in assignments:
        stage = stage_for.get(assignment.due_date, ReminderStage.OVERDUE)
        heads = assignment.status == AssignmentStatus.SUBMITTED
        key = (assignment.level, assignment.unit_id, heads)
        if key not in people:
            people[key] = unit_users(assignment, heads=heads)
        for user in people[key]:
            users_by_id[user.pk] = user
            wanted[user.pk].append((assignment, stage))
    sent = set(
        ReminderSent.objects.filter(user_id__in=list(wanted), assignment__in=[a for items in wanted.values() for a, _ in items])
        .values_list("assignment_id", "user_id", "stage", "due_date")
    )
    run = ReminderRun()
    for user_id, items in wanted.items():
        fresh = [(a, stage) for a, stage in items if (a.pk, user_id, stage, a.due_date) not in sent]
        if fresh:
            _digest_add(run, users_by_id[user_id], fresh, today)
    return run


def _digest_add(run: ReminderRun, user, items: list[tuple[Assignment, str]], today: date) -> None:
    lines = [
        {
            "stage": stage, "text": f"{STAGE_WORDS[stage]}：{a.template.title}（{a.unit}，截止{format_date_zh(a.due_date)}）",
            "url": reverse("tasks:assignment", args=[a.pk]),
        }
        for a, stage in sorted(items, key=lambda pair: (pair[0].due_date, pair[0].pk))
    ]
    try:
        with transaction.atomic():
            digest, created = Notification.objects.select_for_update().get_or_create(
                user=user, kind=NotificationKind.DIGEST, day=today,
                defaults={"county_id": items[0][0].campaign.county_id, "title": "", "url": reverse("tasks:notifications")},
            )
            digest.items = [*digest.items, *lines]
            overdue = sum(1 for line in digest.items if line["stage"] == ReminderStage.OVERDUE)
            digest.title = f"任务提醒：{len(digest.items)}项待办" + (f"，其中{overdue}项已逾期" if overdue else "")
            digest.save(update_fields=["items", "title"])
            ReminderSent.objects.bulk_create([
                ReminderSent(assignment=a, user=user, stage=stage, due_date=a.due_date, notification=digest, sent_on=today)
                for a, stage in items
            ])
    except IntegrityError:
        logger.info("reminders for user %s already sent by another run", user.pk)
        return
    run.digests += int(created)
    run.reminders += len(items)
    run.people.add(user.pk)
    if settings.EMAIL_HOST and user.email:
        _digest_email(run, user, digest, lines)


def _digest_email(run: ReminderRun, user, digest: Notification, lines: list[dict]) -> None:
    body = "\n".join(line["text"] for line in lines) + "\n\n请登录迎评准备系统办理。"
    try:
        send_mail(digest.title, body, None, [user.email])
    except OSError as exc:  # an unreachable mail server must not lose the in-app reminder
        logger.warning("reminder e-mail to user %s failed: %s", user.pk, exc)
        return
    Notification.objects.filter(pk=digest.pk).update(emailed_at=timezone.now())
    run.emails += 1


# ---------------------------------------------------------------------------
# Findings and rectification
# ---------------------------------------------------------------------------


def finding_create(
    *, campaign: Campaign, user, source: str, description: str, deadline: date, responsible_department=None,
    responsible_township=None, source_detail: str = "", found_on: date | None = None, village=None, department=None,
    household=None, household_name: str = "", measures: str = "",
) -> Finding:
    """Enter one finding. The bureau enters any; a supervision group only for its township."""
    _finding_author_check(campaign, user, village=village, township=responsible_township)
    with transaction.atomic():
        finding = _finding_build(
            campaign=campaign, user=user, source=source, description=description, deadline=deadline,
            responsible_department=responsible_department, responsible_township=responsible_township,
            source_detail=source_detail, found_on=found_on, village=village, department=department,
            household=household, household_name=household_name or (household.head_name if household else ""),
            measures=measures, number=_next_number(campaign),
        )
        audit_log(user=user, action="finding_created", obj=finding, county_id=campaign.county_id,
                  detail=f"问题{finding.number}：{finding.description[:60]}")
    return finding


def _finding_build(*, campaign, user, number: int, **values) -> Finding:
    if (values["responsible_department"] is None) == (values["responsible_township"] is None):
        raise EvalprepError("请选择一个责任单位（部门或乡镇，只选一个）。")
    finding = Finding(campaign=campaign, number=number, created_by=user, **values)
    finding.full_clean()
    finding.save()
    return finding


def _next_number(campaign: Campaign) -> int:
    return (Finding.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"] or 0) + 1


def _finding_author_check(campaign: Campaign, user, *, village, township) -> None:
    scope = scope_for(user)
    if can_manage_county(user, campaign.county_id):
        return
    if not scope.has_role(Role.SUPERVISION):
        raise TaskNotAllowed("只有乡村振兴局统筹人员和包抓组可以录入反馈问题。")
    supervised = {a.township_id for a in scope.assignments if a.role == Role.SUPERVISION}
    place = village.township_id if village else (township.pk if township else None)
    if place not in supervised:
        raise EvalprepError("包抓组只能录入所包抓乡镇的问题，请选择该乡镇的行政村或把责任单位设为该乡镇。")


FINDING_COLUMNS = {
    "问题来源": "source", "来源": "source", "来源说明": "source_detail", "反馈来源": "source_detail",
    "发现日期": "found_on", "反馈日期": "found_on", "问题描述": "description", "存在问题": "description",
    "问题": "description", "乡镇": "township", "行政村": "village", "村": "village", "涉及部门": "department",
    "户主姓名": "household_name", "涉及农户": "household_name", "户编号": "household_number",
    "责任单位": "responsible", "整改措施": "measures", "整改时限": "deadline", "完成时限": "deadline",
}
FINDING_REQUIRED = {"source": "问题来源", "description": "问题描述", "responsible": "责任单位", "deadline": "整改时限"}
SOURCE_WORDS = (
    ("暗访", FindingSource.MEDIA), ("媒体", FindingSource.MEDIA), ("审计", FindingSource.AUDIT),
    ("督查", FindingSource.SUPERVISION), ("巡察", FindingSource.SUPERVISION), ("巡视", FindingSource.SUPERVISION),
    ("包抓", FindingSource.SUPERVISION), ("自查", FindingSource.SELF_CHECK), ("评估", FindingSource.EVALUATION),
    ("考核", FindingSource.EVALUATION), ("核查", FindingSource.EVALUATION),
)


def finding_source_parse(text: str) -> str:
    for value, label in FindingSource.choices:
        if text in (value, str(label)):
            return value
    for word, value in SOURCE_WORDS:
        if word in text:
            return value
    raise CellError(f"「{text}」不是认得的问题来源，请填写 上级考核评估反馈、审计、督查巡查、媒体暗访 或 自查。")


def findings_import(*, campaign: Campaign, content: bytes, filename: str, user) -> list[Finding]:
    """Take in a rectification ledger from Excel: every row or none.

    Each bad cell is named by row, column and what to do; the responsible unit
    must be one of the county's departments or townships by name.
    """
    if not can_manage_county(user, campaign.county_id):
        raise TaskNotAllowed("只有乡村振兴局统筹人员可以导入问题整改台账。")
    try:
        rows = read_workbook_rows(content, filename=filename)
        header_index, mapping, _unused = find_header_row(rows, known_headers=FINDING_COLUMNS)
    except SheetError as exc:
        raise ImportRejected(exc.message) from None
    missing = [label for key, label in FINDING_REQUIRED.items() if key not in mapping.values()]
    if missing:
        raise ImportRejected(f"台账缺少必填列{'、'.join(f'「{m}」' for m in missing)}，请补上后重新导入。")
    lookup = _finding_lookups(campaign)
    parsed, errors = [], []
    for row_index in range(header_index + 1, len(rows)):
        raw = rows[row_index]
        if not any(normalize_text(cell) for cell in raw):
            continue
        values = {key: raw[column] if column < len(raw) else None for column, key in mapping.items()}
        try:
            parsed.append(_finding_row(values, lookup))
        except CellError as exc:
            errors.append(f"第{row_index + 1}行{exc.message}")
    if errors:
        more = f"……共{len(errors)}处错误" if len(errors) > MAX_LIST_ERRORS else ""
        raise ImportRejected("台账有错误，整份未导入，请改正后重新导入：" + "；".join(errors[:MAX_LIST_ERRORS]) + more)
    if not parsed:
        raise ImportRejected(f"「{filename}」只有表头，没有问题记录。")
    created = []
    with transaction.atomic():
        number = _next_number(campaign)
        for values in parsed:
            created.append(_finding_build(campaign=campaign, user=user, number=number, **values))
            number += 1
        audit_log(user=user, action="findings_imported", obj=campaign, county_id=campaign.county_id,
                  detail=f"从「{filename}」导入{len(created)}条反馈问题")
    return created


def _finding_lookups(campaign: Campaign) -> dict:
    county_id = campaign.county_id
    departments = {d.name: d for d in Department.objects.filter(county_id=county_id)}
    for kind, label in DepartmentKind.choices:
        department = next((d for d in departments.values() if d.kind == kind), None)
        if department:
            departments.setdefault(str(label), department)
    townships = {t.name: t for t in Township.objects.filter(county_id=county_id)}
    villages = defaultdict(list)
    for village in Village.objects.filter(township__county_id=county_id).select_related("township"):
        villages[village.name].append(village)
    return {"departments": departments, "townships": townships, "villages": villages}


def _finding_row(values: dict, lookup: dict) -> dict:
    text = {key: normalize_text(value) for key, value in values.items()}
    for key, label in FINDING_REQUIRED.items():
        if not text.get(key):
            raise CellError(f"「{label}」为空，请补填。")

    def cell(label: str, parse):
        try:
            return parse()
        except CellError as exc:
            raise CellError(f"「{label}」：{exc.message}") from None

    responsible = text["responsible"]
    department = lookup["departments"].get(responsible)
    township = lookup["townships"].get(responsible) if department is None else None
    if department is None and township is None:
        raise CellError(f"「责任单位」：“{responsible}”不是本县的部门或乡镇名称，请按系统里的名称填写（如 教育局、某某镇）。")
    village = None
    if text.get("village"):
        candidates = lookup["villages"].get(text["village"], [])
        if text.get("township"):
            candidates = [v for v in candidates if v.township.name == text["township"]]
        if len(candidates) != 1:
            problem = "找不到" if not candidates else "有重名，请同时填写乡镇"
            raise CellError(f"「行政村」：“{text['village']}”{problem}。")
        village = candidates[0]
    concerned = None
    if text.get("department"):
        concerned = lookup["departments"].get(text["department"])
        if concerned is None:
            raise CellError(f"「涉及部门」：“{text['department']}”不是本县的部门名称。")
    household = None
    if village and text.get("household_number"):
        household = village.households.filter(number=text["household_number"]).first()
    return {
        "source": cell("问题来源", lambda: finding_source_parse(text["source"])),
        "source_detail": text.get("source_detail", "")[:100],
        "found_on": cell("发现日期", lambda: parse_date(values.get("found_on"))),
        "description": text["description"], "village": village, "department": concerned, "household": household,
        "household_name": (household.head_name if household else text.get("household_name", ""))[:30],
        "responsible_department": department, "responsible_township": township,
        "measures": text.get("measures", ""), "deadline": cell("整改时限", lambda: parse_date(values["deadline"])),
    }


def finding_rectify(*, finding: Finding, user, result: str, files: Sequence[File] = ()) -> Finding:
    """The responsible unit reports what it did, with evidence; the bureau then closes it (销号)."""
    if not finding_actions(user, finding).rectify:
        raise TaskNotAllowed(f"只有责任单位{finding.responsible}可以填报整改情况。")
    if finding.status == FindingStatus.CLOSED:
        raise EvalprepError("该问题已经销号，不能再改动。")
    result = result.strip()
    if not result:
        raise EvalprepError("请填写整改情况：做了什么、何时完成。")
    checked = [_file_check(file) for file in files]
    if not checked and not finding.evidence.exists():
        raise EvalprepError("请上传整改佐证材料（照片、文件等）。")
    known = set(finding.evidence.values_list("sha256", flat=True))
    with transaction.atomic():
        for item in checked:
            if item.sha256 in known:
                continue
            known.add(item.sha256)
            evidence = FindingEvidence(
                finding=finding, original_name=item.name[-200:], extension=item.extension,
                content_type=CONTENT_TYPES.get(item.extension, "application/octet-stream"), sha256=item.sha256,
                size=len(item.content), uploaded_by=user,
            )
            evidence.file.save(item.name, ContentFile(item.content), save=False)
            evidence.save()
        finding.result = result
        finding.status = FindingStatus.RECTIFIED
        finding.rectified_by, finding.rectified_at = user, timezone.now()
        finding.reopen_reason = ""
        finding.full_clean()
        finding.save()
        audit_log(user=user, action="finding_rectified", obj=finding, county_id=finding.campaign.county_id,
                  detail=f"问题{finding.number}：{result[:60]}")
    return finding


def finding_close(*, finding: Finding, user) -> Finding:
    if not finding_actions(user, finding).review:
        raise TaskNotAllowed("只有乡村振兴局统筹人员可以销号。")
    if finding.status != FindingStatus.RECTIFIED:
        raise EvalprepError("责任单位还没有填报整改情况和佐证，不能销号。")
    finding.status = FindingStatus.CLOSED
    finding.closed_by, finding.closed_at = user, timezone.now()
    return _finding_save(finding, user, "finding_closed", "销号")


def finding_reopen(*, finding: Finding, user, reason: str) -> Finding:
    if not finding_actions(user, finding).review:
        raise TaskNotAllowed("只有乡村振兴局统筹人员可以退回整改。")
    if finding.status == FindingStatus.OPEN:
        raise EvalprepError("该问题正在整改中，无需退回。")
    reason = reason.strip()
    if not reason:
        raise EvalprepError("请填写退回原因，让责任单位知道还差什么。")
    finding.status = FindingStatus.OPEN
    finding.reopen_reason = reason
    finding.closed_by = finding.closed_at = None
    return _finding_save(finding, user, "finding_reopened", f"退回重新整改：{reason[:60]}")


def _finding_save(finding: Finding, user, action: str, detail: str) -> Finding:
    with transaction.atomic():
        finding.full_clean()
        finding.save()
        audit_log(user=user, action=action, obj=finding, county_id=finding.campaign.county_id,
                  detail=f"问题{finding.number}：{detail}")
    return finding


# ---------------------------------------------------------------------------
# Guides
# ---------------------------------------------------------------------------


@dataclass
class GuideEntry:
    group: VillageGroup
    name: str
    phone: str = ""
    trained_on: date | None = None
    training_note: str = ""


def guides_save(*, campaign: Campaign, village: Village, entries: Sequence[GuideEntry], user) -> int:
    """Record each group's guide and training; a blank name removes the group's guide."""
    today = timezone.localdate()
    saved = 0
    with transaction.atomic():
        for entry in entries:
            if entry.group.village_id != village.pk:
                raise EvalprepError("只能填报本村村民小组的引导员。")
            name = entry.name.strip()
            if not name:
                Guide.objects.filter(campaign=campaign, group=entry.group).delete()
                continue
            if entry.trained_on and entry.trained_on > today:
                raise EvalprepError(f"{entry.group.name}的培训日期不能晚于今天；还没培训的请留空。")
            Guide.objects.update_or_create(
                campaign=campaign, group=entry.group,
                defaults={"name": name[:30], "phone": entry.phone.strip()[:20], "trained_on": entry.trained_on,
                          "training_note": entry.training_note.strip()[:200], "updated_by": user},
            )
            saved += 1
    return saved
