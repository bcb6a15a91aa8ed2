from collections.abc import Iterable
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from evalprep.core.audit import AuditFilter, action_label, audit_events_for
from evalprep.core.forms import AuditFilterForm, MilestoneForm
from evalprep.core.jobs import org_check_job
from evalprep.core.models import AuditEvent, Milestone
from evalprep.core.scoping import (
    can_write_village,
    current_campaign_for,
    departments_visible_to,
    get_department_for_user,
    get_township_for_user,
    get_village_for_user,
    require_county_manager,
    scope_for,
)
from evalprep.core.services import milestone_save
from evalprep.core.selectors import home_for, task_force, townships_with_villages, village_people
from evalprep.core.templatetags.evalprep import date_zh
from evalprep.dossiers.services import job_start


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and the load benchmark's baseline: one trivial query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = home_for(request.user)
    context["owed_rows_html"] = _owed_html(context["owed_rows"], _ROW_ACTIONS, "验收")
    context["owed_tasks_html"] = _owed_html(context["owed_tasks"], _TASK_ACTIONS, "报送")
    return render(request, "core/home.html", context)


# What the user is to do with an owed checklist row or task, by its status (else the last argument of
# _owed_html); a returned one is marked in red.
_ROW_ACTIONS = {"missing": "上传", "returned": "退回后重新上传", "submitted": "审核"}
_TASK_ACTIONS = {"submitted": "审核签字", "signed_off": "验收", "returned": "退回后重新报送"}


def _owed_html(entries: list, actions: dict[str, str], otherwise: str) -> SafeString:
    """The home page's rows of owed checklist rows or tasks (OwedEntry), written in one pass: as a
    template loop, its two tables of up to 15 rows were half of the page's time."""
    rows = []
    for entry in entries:
        action = escape(gettext(actions.get(entry.status, otherwise)))
        if entry.status == "returned":
            action = f'<span class="text-danger">{action}</span>'
        overdue = " overdue" if entry.due_class == "overdue" else ""
        rows.append(
            f'<tr><td><a href="{escape(entry.url)}">{escape(entry.title)}</a></td>'
            f'<td class="text-nowrap small">{escape(entry.unit)}</td><td class="text-nowrap small">{action}</td>'
            f'<td class="text-nowrap small{overdue}">{escape(entry.due_label)}</td>'
            f'<td class="text-end text-nowrap small {entry.due_class}">{escape(entry.left_label)}</td></tr>\n'
        )
    return mark_safe("".join(rows))  # every value is escaped above


@login_required
def org_overview(request: HttpRequest) -> HttpResponse:
    townships = townships_with_villages(request.user)
    if not townships:
        raise Http404
    return render(request, "core/org_overview.html", {"townships": townships})


@login_required
def township_detail(request: HttpRequest, pk: int) -> HttpResponse:
    township = get_township_for_user(request, pk)
    villages = township.villages.prefetch_related("groups").order_by("code")
    supervision = township.supervision_groups.prefetch_related("members")
    context = {"township": township, "villages": villages, "supervision_groups": supervision}
    return render(request, "core/township_detail.html", context)


@login_required
def village_detail(request: HttpRequest, pk: int) -> HttpResponse:
    village = get_village_for_user(request, pk)
    context = {
        "village": village,
        "groups": village.groups.all(),
        "people": village_people(village),
        "relocation_sites": village.relocation_sites.all(),
        "can_write": can_write_village(request.user, village),
        "campaign": current_campaign_for(request.user),
    }
    return render(request, "core/village_detail.html", context)


@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    departments = departments_visible_to(request.user).order_by("name")
    if not departments:
        raise Http404
    if not scope_for(request.user).read_county_ids and len(departments) == 1:
        return redirect("core:department_detail", departments[0].pk)
    return render(request, "core/department_list.html", {"departments": departments})


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_department_for_user(request, pk)
    people = department.role_assignments.select_related("user").order_by("role")
    return render(request, "core/department_detail.html", {"department": department, "people": people})


@login_required
def task_force_view(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    return render(request, "core/task_force.html", {"groups": task_force(campaign.county_id)})


@login_required
def campaign_detail(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    context = {
        "campaign": campaign,
        "milestones": campaign.milestones.all(),
        "can_manage": campaign.county_id in scope_for(request.user).write_county_ids,
    }
    return render(request, "core/campaign_detail.html", context)


@login_required
def milestone_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    milestone = Milestone(campaign=campaign)
    if pk is not None:
        milestone = campaign.milestones.filter(pk=pk).first()
        if milestone is None:
            raise Http404
    require_county_manager(request, campaign.county_id)
    form = MilestoneForm(request.POST or None, instance=milestone)
    if request.method == "POST" and form.is_valid():
        milestone_save(milestone=form.save(commit=False), user=request.user)
        messages.success(request, f"已保存时间节点“{milestone.name}”。")
        return redirect("core:campaign_detail")
    return render(request, "core/milestone_form.html", {"form": form, "milestone": milestone})


@login_required
@require_POST
def org_check_start(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    require_county_manager(request, campaign.county_id)
    job = job_start(
        task=org_check_job, kind="org_check", title=f"{campaign.county.name}组织架构自检",
        county_id=campaign.county_id, user=request.user,
    )
    return redirect("dossiers:job_detail", job.pk)


AUDIT_PAGE_SIZE = 50


@login_required
def audit_log_view(request: HttpRequest) -> HttpResponse:
    """The bureau reads who revealed personal data, exported rosters or changed the schedule."""
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    require_county_manager(request, campaign.county_id)
    form = AuditFilterForm(request.GET or None)
    audit_filter = AuditFilter(**form.cleaned_data) if form.is_valid() else AuditFilter()
    events = audit_events_for(county_ids={campaign.county_id}, audit_filter=audit_filter)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows_html": _audit_rows_html(page), "query": query.urlencode()}
    return render(request, "core/audit_log.html", context)


def _audit_rows_html(events: Iterable[AuditEvent]) -> SafeString:
    """The audit log's rows, written in one pass (as households.views._flag_rows_html), every value
    from the database escaped."""
    system = f'<span class="text-muted">{escape(gettext("系统"))}</span>'
    rows = []
    for event in events:
        user = event.user
        who = system
        if user is not None:
            who = f'{escape(user.get_full_name() or user.username)}<span class="text-muted small">（{escape(user.username)}）</span>'
        rows.append(
            f'<tr><td class="text-nowrap">{date_zh(event.at)}</td><td class="text-nowrap">{who}</td>'
            f'<td class="text-nowrap">{escape(action_label(event.action))}</td><td>{escape(event.detail)}</td>'
            f'<td class="text-nowrap small">{escape(event.ip_address or "")}</td></tr>\n'
        )
    return mark_safe("".join(rows))  # every value from the database is escaped above
