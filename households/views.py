from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.scoping import can_write_village, scope_for, villages_visible_to, writable_villages
from evalprep.core.services import audit_log
from evalprep.core.sheets import parse_date
from evalprep.dossiers.services import job_start
from households.exports import roster_workbook
from households.forms import MonitoringStepForm, RosterFilterForm, RosterImportForm
from households.jobs import roster_import_job
from households.ledger_template import roster_template_workbook
from households.models import STEP_ORDER, ImportStatus
from households.selectors import (
    RosterFilter,
    get_household_for_user,
    get_member_for_user,
    get_roster_import_for_user,
    household_as_of,
    household_detail,
    household_history,
    roster_filtered,
    roster_imports_visible_to,
)
from households.services import (
    monitoring_record_step,
    personal_data_reveal,
    roster_import_apply,
    roster_import_errors_workbook,
    roster_import_preview,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
REVEALABLE_FIELDS = ("id_number", "phone")


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _roster_filter(request: HttpRequest) -> tuple[RosterFilterForm, RosterFilter]:
    form = RosterFilterForm(request.GET or None, villages=villages_visible_to(request.user).order_by("code"))
    if not form.is_valid():
        return form, RosterFilter()
    data = form.cleaned_data
    return form, RosterFilter(
        village_id=data["village"].pk if data["village"] else None,
        group_id=data["group"].pk if data["group"] else None, category=data["category"],
        monitoring_type=data["monitoring_type"], flag=data["flag"], query=data["q"],
    )


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    if not villages_visible_to(request.user).exists():
        raise Http404
    form, roster_filter = _roster_filter(request)
    page = Paginator(roster_filtered(request.user, roster_filter), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "can_import": writable_villages(request.user).exists()}
    return render(request, "households/roster.html", context)


@login_required
def roster_export(request: HttpRequest) -> HttpResponse:
    if not villages_visible_to(request.user).exists():
        raise Http404
    _, roster_filter = _roster_filter(request)
    households = roster_filtered(request.user, roster_filter)
    content, count = roster_workbook(households, reveal_for=request.user)
    audit_log(
        user=request.user, action="roster_exported", county_id=min(scope_for(request.user).county_ids),
        detail=f"{count}户；条件：{request.GET.urlencode() or '全部'}",
    )
    return _xlsx_response(content, f"花名册-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_user(request, pk)
    context = {
        "household": household,
        **household_detail(household),
        "history": household_history(household),
        "can_write": can_write_village(request.user, household.village),
    }
    done = {event.step for event in context["events"]}
    next_step = next((step for step in STEP_ORDER if step not in done), None)
    if next_step:
        context["step_form"] = MonitoringStepForm(initial={"on": timezone.localdate(), "step": next_step})
    as_of = parse_date(request.GET.get("as_of") or None) if request.GET.get("as_of") else None
    if as_of:
        context["as_of"] = as_of
        context["snapshot"] = household_as_of(household, as_of)
    return render(request, "households/household.html", context)


@login_required
@require_POST
def member_reveal(request: HttpRequest, pk: int, member_pk: int, field_name: str) -> HttpResponse:
    if field_name not in REVEALABLE_FIELDS:
        raise Http404
    member = get_member_for_user(request, pk, member_pk)
    if not can_write_village(request.user, member.household.village):
        raise PermissionDenied("您的角色不需要查看完整的身份证号和电话。")
    value = personal_data_reveal(user=request.user, member=member, field_name=field_name, ip_address=request.META.get("REMOTE_ADDR"))
    return render(request, "households/partials/revealed.html", {"value": value})


@login_required
@require_POST
def monitoring_step(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_user(request, pk)
    if not can_write_village(request.user, household.village):
        raise PermissionDenied("您对该村只有查看权限。")
    form = MonitoringStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items()))
    else:
        try:
            event = monitoring_record_step(household=household, user=request.user, **form.cleaned_data)
            messages.success(request, f"已记录“{event.get_step_display()}”。")
        except EvalprepError as exc:
            messages.error(request, exc.message)
    return redirect("households:household", pk)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    villages = writable_villages(request.user).order_by("code")
    if not villages.exists():
        if not villages_visible_to(request.user).exists():
            raise Http404
        raise PermissionDenied("您没有导入花名册的权限。")
    form = RosterImportForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = roster_import_preview(
                village=form.cleaned_data["village"], content=upload.read(), filename=upload.name,
                user=request.user, income_year=form.cleaned_data["income_year"],
            )
        except EvalprepError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("households:import_detail", record.pk)
    imports = roster_imports_visible_to(request.user).filter(village__in=villages).select_related("village", "user")[:20]
    return render(request, "households/import_upload.html", {"form": form, "imports": imports})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_roster_import_for_user(request, pk)
    context = {"record": record, "can_write": can_write_village(request.user, record.village)}
    return render(request, "households/import_detail.html", context)


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_roster_import_for_user(request, pk)
    if not can_write_village(request.user, record.village):
        raise PermissionDenied("您对该村只有查看权限。")
    if record.status != ImportStatus.PREVIEWED:
        messages.info(request, "这份文件已经处理过了。")
        return redirect("households:import_detail", pk)
    accept_valid = request.POST.get("accept_valid") == "1"
    if record.rows > settings.ROSTER_INLINE_ROWS:
        job = job_start(
            task=roster_import_job, kind="roster_import", title=f"{record.village.name}花名册导入：{record.filename}",
            county_id=record.village.township.county_id, user=request.user,
            params={"record_id": record.pk, "accept_valid": accept_valid},
        )
        return redirect("dossiers:job_detail", job.pk)
    try:
        roster_import_apply(record=record, user=request.user, accept_valid=accept_valid)
        messages.success(request, f"已导入：新增{record.new_households}户，更新{record.updated_households}户。")
    except EvalprepError as exc:
        messages.error(request, exc.message)
    return redirect("households:import_detail", pk)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_roster_import_for_user(request, pk)
    if not record.rejected_rows:
        raise Http404
    if not can_write_village(request.user, record.village):
        raise PermissionDenied("出错行含完整身份证号，只有本村和上级经办人员可以下载。")
    content = roster_import_errors_workbook(record=record)
    return _xlsx_response(content, f"出错行-{record.filename.rsplit('.', 1)[0]}.xlsx")


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    return _xlsx_response(roster_template_workbook(), "农户花名册模板.xlsx")
