"""Department tasks: the plan and its templates, assignments and their
workflow, the sign-off queue, the bureau's board and contact sheet,
notifications, findings and rectification, and a village's board with its
guides."""

from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.http import badge, file_response, url_for_each
from evalprep.core.models import Campaign
from evalprep.core.scoping import (
    can_manage_county,
    can_write_village,
    current_campaign_for,
    get_village_for_user,
    require_county_manager,
    scope_for,
    townships_visible_to,
    villages_visible_to,
)
from evalprep.core.selectors import task_force
from evalprep.core.templatetags.evalprep import date_zh, days_left_zh
from indicators.models import RowStatus
from indicators.selectors import rows_owed_by
from tasks import services
from tasks.errors import TaskNotAllowed
from tasks.forms import (
    AssignForm,
    AssignmentFilterForm,
    DueForm,
    FilesForm,
    FindingFilterForm,
    FindingForm,
    GuidesForm,
    ImportForm,
    ListUploadForm,
    ReasonForm,
    RectifyForm,
)
from tasks.library import plan_names
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Deliverable,
    DeliverableKind,
    Finding,
    FindingEvidence,
    FindingStatus,
    Guide,
    Level,
    Notification,
    TaskTemplate,
)
from tasks.selectors import (
    STATUS_COLOURS,
    AssignmentRow,
    BoardRow,
    assignment_actions,
    assignment_rows,
    assignment_unit_and_people_load,
    assignments_for,
    assignments_visible_to,
    board_summary,
    can_file_findings,
    finding_actions,
    findings_clearance,
    findings_for,
    findings_visible_to,
    is_unit_head,
    milestone_countdown,
    notifications_for,
    task_board,
    templates_for,
    village_guides,
    waiting_for_sign_off,
)

PAGE_SIZE = 50


def _campaign_for(request: HttpRequest) -> Campaign:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    return campaign


def _is_county(request: HttpRequest, campaign: Campaign) -> bool:
    return campaign.county_id in scope_for(request.user).read_county_ids


def _county_reader(request: HttpRequest, campaign: Campaign) -> None:
    if not _is_county(request, campaign):
        raise Http404


def _get_template_for_user(request: HttpRequest, pk: int) -> TaskTemplate:
    template = TaskTemplate.objects.filter(pk=pk, campaign=_campaign_for(request)).select_related("campaign__county").first()
    if template is None:
        raise Http404
    return template


def _get_assignment_for_user(request: HttpRequest, pk: int) -> Assignment:
    assignment = assignments_visible_to(request.user).filter(pk=pk).select_related("template", "campaign").first()
    if assignment is None:
        raise Http404
    return assignment


def _get_deliverable_for_user(request: HttpRequest, pk: int) -> Deliverable:
    deliverable = Deliverable.objects.filter(pk=pk, assignment__in=assignments_visible_to(request.user)).first()
    if deliverable is None:
        raise Http404
    return deliverable


def _get_finding_for_user(request: HttpRequest, pk: int) -> Finding:
    finding = findings_visible_to(request.user).filter(pk=pk).select_related(
        "campaign", "village__township", "department", "household", "responsible_department", "responsible_township",
        "created_by", "rectified_by", "closed_by",
    ).first()
    if finding is None:
        raise Http404
    return finding


def _mark(assignments, today=None) -> None:
    today = today or timezone.localdate()
    for assignment in assignments:
        assignment.overdue = assignment.is_overdue(today)
        assignment.left = assignment.days_left(today)
        assignment.colour = "danger" if assignment.overdue else STATUS_COLOURS[assignment.status]


# ---------------------------------------------------------------------------
# Assignments
# ---------------------------------------------------------------------------


@login_required
def assignment_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    form = AssignmentFilterForm(request.GET or None)
    assignments = assignments_for(request.user, campaign)
    if form.is_valid():
        data = form.cleaned_data
        if data["section"]:
            assignments = assignments.filter(template__section=data["section"])
        if data["level"]:
            assignments = assignments.filter(level=data["level"])
        if data["status"] == "overdue":
            assignments = assignments.filter(due_date__lt=timezone.localdate()).exclude(status=AssignmentStatus.ACCEPTED)
        elif data["status"]:
            assignments = assignments.filter(status=data["status"])
    page = Paginator(assignments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "campaign": campaign, "form": form, "page": page, "rows_html": _assignment_rows_html(assignment_rows(page.object_list)),
        "query": query.urlencode(),
        "can_manage": can_manage_county(request.user, campaign.county_id),
        "is_county": _is_county(request, campaign),
        "is_head": is_unit_head(request.user),
        "village_boards": _village_boards(request, campaign),
    }
    return render(request, "tasks/assignment_list.html", context)


def _assignment_rows_html(rows: list[AssignmentRow]) -> SafeString:
    """The task list's rows, written in one pass (as households.views._flag_rows_html): as template
    tags, a page's 50 rows cost as much as its queries. Every value from the database is escaped."""
    html = []
    for a in rows:
        urgency = "overdue" if a.overdue else "due-soon" if a.left <= 3 else ""
        left = days_left_zh(a.left) if a.status != AssignmentStatus.ACCEPTED else ""
        status = badge(a.status_label + ("·逾期" if a.overdue else ""), f"text-bg-{a.colour}",
                       f' data-testid="status-{a.pk}" data-status="{escape(a.status)}"')
        html.append(
            f'<tr><td class="small text-nowrap">{escape(a.code)}</td><td><a href="{a.url}">{escape(a.title)}</a></td>'
            f'<td class="small">{escape(a.unit)}</td><td class="small text-nowrap">{escape(a.deliverable)}</td>'
            f'<td class="small text-nowrap{" overdue" if a.overdue else ""}">{date_zh(a.due_date)}</td>'
            f'<td class="small text-nowrap {urgency}">{left}</td><td>{status}</td></tr>\n'
        )
    return mark_safe("".join(html))  # every value from the database is escaped above


def _village_boards(request: HttpRequest, campaign: Campaign) -> SafeString:
    """Links to the boards of a township's or a cadre's villages (the bureau reaches them from its board),
    written in one pass (a township's 50 links as a template loop were a fifth of the task list)."""
    if _is_county(request, campaign):
        return mark_safe("")
    url = url_for_each("tasks:village_board")
    villages = villages_visible_to(request.user).order_by("code").values_list("pk", "name")[:60]
    return mark_safe(" · ".join(f'<a href="{url(pk)}">{escape(name)}</a>' for pk, name in villages))  # names escaped


@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_user(request, pk)
    assignment_unit_and_people_load(assignment)
    _mark([assignment])
    deliverables = list(assignment.deliverables.select_related("uploaded_by"))
    current_list = next((d for d in deliverables if d.kind == DeliverableKind.LIST and d.is_current), None)
    context = {
        "a": assignment, "template": assignment.template, "actions": assignment_actions(request.user, assignment),
        "deliverables": deliverables, "current_list": current_list,
        "list_rows": _list_cells(assignment.template, current_list),
        "comments": assignment.comments.select_related("author"),
        "due_form": DueForm(initial={"due_date": assignment.due_date}),
        "guides": village_guides(assignment.village, assignment.campaign)[0]
        if assignment.template.tracks_guides and assignment.village_id else None,
    }
    return render(request, "tasks/assignment.html", context)


LIST_ROWS_SHOWN = 200


def _list_cells(template: TaskTemplate, deliverable: Deliverable | None) -> list[list[tuple[str, str]]]:
    """The first rows of the current list as (value, kind) pairs; ID numbers are masked in the template."""
    if deliverable is None:
        return []
    kinds = [column["kind"] for column in template.columns]
    return [list(zip(row, kinds, strict=False)) for row in deliverable.rows[:LIST_ROWS_SHOWN]]


def _require_member(request: HttpRequest, assignment: Assignment) -> None:
    if not assignment_actions(request.user, assignment).submit:
        raise TaskNotAllowed(f"您不是{assignment.unit}的经办人员，不能上传该任务的材料。")


def _run_action(request: HttpRequest, obj, action, success: str, url_name: str) -> HttpResponse:
    """Run one service on an object already scoped to the user: refusals by role 403,
    other errors as messages; then back to the object's page."""
    try:
        action(obj)
    except TaskNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(url_name, obj.pk)


def _assignment_action(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    """Run one service on an assignment: outsiders 404, refusals by role 403, others as messages."""
    return _run_action(request, _get_assignment_for_user(request, pk), action, success, "tasks:assignment")


@login_required
@require_POST
def assignment_files(request: HttpRequest, pk: int) -> HttpResponse:
    form = FilesForm(request.POST, request.FILES)

    def upload(assignment: Assignment) -> None:
        _require_member(request, assignment)
        if not form.is_valid():
            raise EvalprepError("请选择要上传的文件。")
        services.deliverable_files_add(assignment=assignment, files=form.cleaned_data["files"], user=request.user)

    return _assignment_action(request, pk, upload, "已上传。材料齐全后请点“提交审核”。")


@login_required
@require_POST
def assignment_list_upload(request: HttpRequest, pk: int) -> HttpResponse:
    form = ListUploadForm(request.POST, request.FILES)

    def upload(assignment: Assignment) -> None:
        _require_member(request, assignment)
        if not form.is_valid():
            raise EvalprepError("请选择要上传的名单文件。")
        deliverable = services.deliverable_list_add(assignment=assignment, file=form.cleaned_data["file"], user=request.user)
        messages.info(request, f"名单检查通过，共{deliverable.row_count}行。")

    return _assignment_action(request, pk, upload, "名单已收下。核对无误后请点“提交审核”。")


@login_required
@require_POST
def assignment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _assignment_action(
        request, pk, lambda a: services.assignment_submit(assignment=a, user=request.user), "已提交，等待单位负责人审核签字。"
    )


@login_required
@require_POST
def assignment_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    return _assignment_action(
        request, pk, lambda a: services.assignment_sign_off(assignment=a, user=request.user), "已审核签字，等待乡村振兴局验收。"
    )


@login_required
@require_POST
def assignment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _assignment_action(request, pk, lambda a: services.assignment_accept(assignment=a, user=request.user), "已验收。")


@login_required
@require_POST
def assignment_return(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _assignment_action(
        request, pk, lambda a: services.assignment_return(assignment=a, user=request.user, reason=reason),
        "已退回，经办人会收到通知和退回原因。",
    )


@login_required
@require_POST
def assignment_comment(request: HttpRequest, pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _assignment_action(request, pk, lambda a: services.comment_add(assignment=a, user=request.user, text=text), "留言已发布。")


@login_required
@require_POST
def assignment_due(request: HttpRequest, pk: int) -> HttpResponse:
    form = DueForm(request.POST)

    def change(assignment: Assignment) -> None:
        if not assignment_actions(request.user, assignment).review:
            raise TaskNotAllowed("只有乡村振兴局统筹人员可以调整截止日期。")
        if not form.is_valid():
            raise EvalprepError("请填写正确的截止日期。")
        services.assignment_due_change(assignment=assignment, due_date=form.cleaned_data["due_date"], user=request.user)

    return _assignment_action(request, pk, change, "截止日期已调整。")


@login_required
def deliverable_download(request: HttpRequest, pk: int) -> FileResponse:
    deliverable = _get_deliverable_for_user(request, pk)
    return FileResponse(
        deliverable.file.open("rb"), as_attachment=True, filename=deliverable.original_name,
        content_type=deliverable.content_type,
    )


@login_required
def sign_off_queue(request: HttpRequest) -> HttpResponse:
    """Everything waiting for this head's sign-off: assignments and evidence rows."""
    campaign = _campaign_for(request)
    assignments = list(waiting_for_sign_off(request.user, campaign))
    _mark(assignments)
    rows = list(rows_owed_by(request.user, campaign).filter(status=RowStatus.SUBMITTED))
    return render(request, "tasks/sign_off_queue.html", {
        "campaign": campaign, "assignments": assignments, "rows": rows, "is_head": is_unit_head(request.user),
        "is_county": _is_county(request, campaign),
    })


# ---------------------------------------------------------------------------
# The plan and its templates
# ---------------------------------------------------------------------------


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    templates = list(templates_for(campaign))
    return render(request, "tasks/plan.html", {
        "campaign": campaign, "templates": templates, "plans": plan_names(),
        "can_manage": can_manage_county(request.user, campaign.county_id),
        "is_county": _is_county(request, campaign),
    })


@login_required
@require_POST
def plan_load(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    name = request.POST.get("plan", "")
    if name not in plan_names():
        messages.error(request, "请选择一个任务方案。")
        return redirect("tasks:plan")
    result = services.task_plan_load(campaign=campaign, name=name, user=request.user)
    messages.success(request, f"已载入任务方案：新增{result.created}项，更新{result.updated}项，未变{result.unchanged}项。")
    return redirect("tasks:plan")


@login_required
@require_POST
def plan_assign_all(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    try:
        count = services.task_plan_assign_all(campaign=campaign, user=request.user)
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已按方案分派{count}项任务（已分派过的不重复）。")
    return redirect("tasks:plan")


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_template_for_user(request, pk)
    can_manage = can_manage_county(request.user, template.campaign.county_id)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("只有乡村振兴局统筹人员可以分派任务。")
    assignments = assignment_rows(assignments_for(request.user, template.campaign).filter(template=template))
    form = None
    if can_manage:
        defaults = services.template_default_units(template)
        units = defaults if template.level != Level.DEPARTMENT else _all_departments(template)
        held = {a.unit_id for a in template.assignments.all()}
        default = [str(u.pk) for u in defaults if u.pk not in held]
        form = AssignForm(request.POST or None, units=units, held=held, initial={"units": default})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = services.task_assign(
                    template=template, units=data["units"], due_date=data["due_date"], note=data["note"], user=request.user
                )
            except EvalprepError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已分派给{len(created)}个单位。")
                return redirect("tasks:template", pk)
    return render(request, "tasks/template.html", {"template": template, "assignments": assignments, "form": form})


def _all_departments(template: TaskTemplate) -> list:
    return list(template.campaign.county.departments.order_by("name"))


@login_required
def template_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_template_for_user(request, pk)
    if template.deliverable != DeliverableKind.LIST:
        raise Http404
    headers = [c["label"] + ("（必填）" if c["required"] else "") for c in template.columns]
    content = workbook_bytes([SheetSpec(title=template.title[:31], headers=headers, rows=[])])
    return file_response(content, f"{template.title}模板.xlsx")


# ---------------------------------------------------------------------------
# The board and the contact sheet
# ---------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    _county_reader(request, campaign)
    level = request.GET.get("level", Level.DEPARTMENT)
    if level not in Level.values:
        level = Level.DEPARTMENT
    board = task_board(campaign, level)
    return render(request, "tasks/board.html", {
        "campaign": campaign, "board": board, "rows_html": _board_rows_html(board.rows),
        "level": level, "levels": Level.choices, "milestones": milestone_countdown(campaign),
        "summary": board_summary(campaign),
        "statuses": [(value, label, STATUS_COLOURS[value]) for value, label in AssignmentStatus.choices],
    })


def _board_rows_html(rows: list[BoardRow]) -> SafeString:
    """The board's rows, a unit and its cells each, written in one pass: a county's board has thousands
    of cells and, at the village level, hundreds of rows, too many to render one by one in the template
    (or through format_html). Every value from the database is escaped."""
    html = []
    for row in rows:
        unit = f'<a href="{escape(row.url)}">{escape(row.unit)}</a>' if row.url else escape(row.unit)
        cells = "".join(
            "<td></td>" if cell is None else
            f'<td class="text-center text-bg-{escape(cell.colour)}" data-testid="cell-{cell.pk}"'
            f' data-status="{escape(cell.status)}"><a class="text-reset text-decoration-none" href="{escape(cell.url)}"'
            f' title="{escape(cell.label)}">{escape(cell.short)}</a></td>'
            for cell in row.cells
        )
        html.append(f'<tr><th class="text-nowrap fw-normal">{unit}</th>{cells}'
                    f'<td class="text-end text-nowrap">{row.done} / {row.total}</td></tr>\n')
    return mark_safe("".join(html))  # every value from the database is escaped above


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    return render(request, "tasks/contacts.html", {
        "campaign": campaign, "groups": task_force(campaign.county_id), "is_county": _is_county(request, campaign),
    })


# ---------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    open_url = url_for_each("tasks:notification_open")
    notes = [(note, open_url(note.pk)) for note in page.object_list]
    return render(request, "tasks/notifications.html", {"page": page, "notes": notes})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = Notification.objects.filter(pk=pk, user=request.user).first()
    if notification is None:
        raise Http404
    services.notification_read(notification=notification)
    target = notification.url or reverse("tasks:notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("tasks:notifications")
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(user=request.user)
    messages.success(request, f"已将{count}条通知标为已读。")
    return redirect("tasks:notifications")


# ---------------------------------------------------------------------------
# Findings and rectification
# ---------------------------------------------------------------------------


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    form = FindingFilterForm(request.GET or None)
    findings = findings_for(request.user, campaign)
    if form.is_valid():
        data = form.cleaned_data
        if data["source"]:
            findings = findings.filter(source=data["source"])
        if data["status"] == "overdue":
            findings = findings.filter(deadline__lt=timezone.localdate()).exclude(status=FindingStatus.CLOSED)
        elif data["status"]:
            findings = findings.filter(status=data["status"])
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for finding in page.object_list:
        finding.overdue = finding.is_overdue(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tasks/finding_list.html", {
        "campaign": campaign, "form": form, "page": page, "query": query.urlencode(),
        "can_file": can_file_findings(request.user, campaign),
        "can_manage": can_manage_county(request.user, campaign.county_id),
        "is_county": _is_county(request, campaign),
    })


@login_required
def finding_new(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    if not can_file_findings(request.user, campaign):
        raise PermissionDenied("只有乡村振兴局统筹人员和包抓组可以录入反馈问题。")
    villages = villages_visible_to(request.user).filter(township__county_id=campaign.county_id)
    townships = townships_visible_to(request.user).filter(county_id=campaign.county_id)
    if not can_manage_county(request.user, campaign.county_id):
        townships = townships.filter(pk__in=scope_for(request.user).read_township_ids)
    form = FindingForm(request.POST or None, campaign=campaign, villages=villages, townships=townships)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(campaign=campaign, user=request.user, **form.cleaned_data)
        except TaskNotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except EvalprepError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已录入问题{finding.number}。")
            return redirect("tasks:finding", finding.pk)
    return render(request, "tasks/finding_form.html", {"campaign": campaign, "form": form})


@login_required
def findings_import(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = services.findings_import(campaign=campaign, content=upload.read(), filename=upload.name, user=request.user)
        except EvalprepError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"已导入{len(created)}条反馈问题。")
            return redirect("tasks:findings")
    return render(request, "tasks/findings_import.html", {"campaign": campaign, "form": form})


@login_required
def findings_export(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    findings = findings_for(request.user, campaign).order_by("number")
    rows = (
        [f.number, f.get_source_display(), f.source_detail, f.found_on, f.description,
         f.village.township.name if f.village else "", f.village.name if f.village else "",
         f.department.name if f.department else "", f.household_name, str(f.responsible), f.measures, f.deadline,
         f.get_status_display(), f.result]
        for f in findings
    )
    headers = ["序号", "问题来源", "来源说明", "发现日期", "问题描述", "乡镇", "行政村", "涉及部门", "户主姓名",
               "责任单位", "整改措施", "整改时限", "整改状态", "整改情况"]
    content = workbook_bytes([SheetSpec(title="问题整改台账", headers=headers, rows=rows,
                                        widths=[6, 14, 18, 12, 40, 10, 10, 12, 10, 14, 30, 12, 12, 30])])
    return file_response(content, "问题整改台账.xlsx")


@login_required
def findings_overview(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    _county_reader(request, campaign)
    rows = findings_clearance(campaign)
    totals = {key: sum(getattr(row, key) for row in rows) for key in ("total", "open", "rectified", "closed", "overdue")}
    milestone = campaign.milestones.filter(kind="rectification_due").order_by("due_date").first()
    return render(request, "tasks/findings_overview.html", {
        "campaign": campaign, "rows": rows, "totals": totals, "milestone": milestone,
    })


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _get_finding_for_user(request, pk)
    finding.overdue = finding.is_overdue()
    return render(request, "tasks/finding.html", {
        "finding": finding, "actions": finding_actions(request.user, finding),
        "evidence": list(finding.evidence.select_related("uploaded_by")),
        "rectify_form": RectifyForm(initial={"result": finding.result}), "reopen_form": ReasonForm(),
    })


def _finding_action(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    return _run_action(request, _get_finding_for_user(request, pk), action, success, "tasks:finding")


@login_required
@require_POST
def finding_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    form = RectifyForm(request.POST, request.FILES)

    def rectify(finding: Finding) -> None:
        if not finding_actions(request.user, finding).rectify:
            raise TaskNotAllowed(f"只有责任单位{finding.responsible}可以填报整改情况。")
        if not form.is_valid():
            raise EvalprepError("请填写整改情况。")
        services.finding_rectify(
            finding=finding, user=request.user, result=form.cleaned_data["result"], files=form.cleaned_data["files"] or []
        )

    return _finding_action(request, pk, rectify, "整改情况已填报，等待乡村振兴局核验销号。")


@login_required
@require_POST
def finding_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _finding_action(request, pk, lambda f: services.finding_close(finding=f, user=request.user), "已销号。")


@login_required
@require_POST
def finding_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _finding_action(
        request, pk, lambda f: services.finding_reopen(finding=f, user=request.user, reason=reason), "已退回重新整改。"
    )


@login_required
def finding_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = FindingEvidence.objects.filter(pk=pk, finding__in=findings_visible_to(request.user)).first()
    if evidence is None:
        raise Http404
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)


# ---------------------------------------------------------------------------
# A village's board and guides
# ---------------------------------------------------------------------------


@login_required
def village_board(request: HttpRequest, pk: int) -> HttpResponse:
    village = get_village_for_user(request, pk)
    campaign = _campaign_for(request)
    assignments = assignment_rows(
        Assignment.objects.filter(campaign=campaign, village=village).order_by("due_date", "template__order"), units=False
    )
    guides, deadline = village_guides(village, campaign)
    findings = list(
        Finding.objects.filter(campaign=campaign, village=village).exclude(status=FindingStatus.CLOSED)
        .select_related("responsible_department", "responsible_township").order_by("deadline")
    )
    return render(request, "tasks/village_board.html", {
        "village": village, "campaign": campaign, "assignments": assignments, "guides": guides,
        "assignments_html": _village_assignments_html(assignments), "guides_html": _guides_html(guides),
        "guides_deadline": deadline, "untrained": [row for row in guides if not row.trained], "findings": findings,
        "can_write": can_write_village(request.user, village),
    })


def _village_assignments_html(assignments: list[AssignmentRow]) -> SafeString:
    """The village board's tasks, written in one pass (as _assignment_rows_html)."""
    overdue = "·逾期"
    return mark_safe("".join(
        f'<tr><td><a href="{a.url}">{escape(a.title)}</a></td>'
        f'<td class="text-nowrap{" overdue" if a.overdue else ""}">{date_zh(a.due_date)}</td>'
        f'<td><span class="badge text-bg-{a.colour}" data-testid="status-{a.pk}" data-status="{escape(a.status)}">'
        f'{escape(a.status_label)}{overdue if a.overdue else ""}</span></td></tr>\n'
        for a in assignments
    ))  # every value from the database is escaped above


def _guides_html(guides: list) -> SafeString:
    """The village board's guides, a row per group (GuideRow), written in one pass."""
    return mark_safe("".join(
        f'<tr class="{"" if row.trained else "table-danger"}"><td>{escape(row.group.name)}</td>'
        f'<td>{escape(row.guide.name) if row.guide and row.guide.name else "—"}</td>'
        f'<td>{date_zh(row.guide.trained_on) if row.guide and row.guide.trained_on else "—"}</td></tr>'
        for row in guides
    ))  # every value from the database is escaped above


@login_required
def guides_edit(request: HttpRequest, pk: int) -> HttpResponse:
    village = get_village_for_user(request, pk, write=True)
    campaign = _campaign_for(request)
    groups = list(village.groups.order_by("number"))
    guides = {g.group_id: g for g in Guide.objects.filter(campaign=campaign, group__village=village).order_by()}
    form = GuidesForm(request.POST or None, groups=groups, guides=guides)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entries = [
            services.GuideEntry(group=group, name=data[f"g{group.pk}_name"], phone=data[f"g{group.pk}_phone"],
                                trained_on=data[f"g{group.pk}_trained_on"], training_note=data[f"g{group.pk}_note"])
            for group in groups
        ]
        try:
            services.guides_save(campaign=campaign, village=village, entries=entries, user=request.user)
        except EvalprepError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "引导员已保存。")
            return redirect("tasks:village_board", pk)
    return render(request, "tasks/guides_form.html", {"village": village, "campaign": campaign, "form": form})

