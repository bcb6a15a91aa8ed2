"""The checklist, a row's evidence and its workflow, the bureau's review list,
local requirements and the readiness page."""

import math
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.figures import figures_for
from evalprep.core.models import Campaign
from evalprep.core.scoping import (
    current_campaign_for,
    departments_visible_to,
    require_county_manager,
    scope_for,
    townships_visible_to,
    villages_visible_to,
)
from indicators.errors import ChecklistNotAllowed
from indicators.forms import ChecklistFilterForm, EvidenceSubmitForm, LocalRequirementForm, ReturnForm
from indicators.models import Area, ChecklistRow, EvidenceFile, Level, RowStatus
from indicators.selectors import (
    ChecklistEntry,
    checklist_entries,
    checklist_row_actions,
    checklist_rows_for,
    checklist_rows_visible_to,
)
from indicators.services import (
    checklist_row_accept,
    checklist_row_return,
    checklist_row_sign_off,
    evidence_submit,
    local_requirement_add,
)

PAGE_SIZE = 50
STATUS_BADGES = {
    RowStatus.MISSING: "secondary", RowStatus.SUBMITTED: "info", RowStatus.SIGNED_OFF: "primary",
    RowStatus.ACCEPTED: "success", RowStatus.RETURNED: "danger",
}


def _campaign_for(request: HttpRequest) -> Campaign:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    return campaign


def _get_row_for_user(request: HttpRequest, pk: int) -> ChecklistRow:
    row = (
        checklist_rows_visible_to(request.user)
        .select_related("campaign", "requirement__item__area", "county", "department", "township", "village__township",
                        "milestone", "signed_off_by", "accepted_by")
        .filter(pk=pk).first()
    )
    if row is None:
        raise Http404
    return row


def _get_evidence_for_user(request: HttpRequest, pk: int) -> EvidenceFile:
    evidence = EvidenceFile.objects.filter(pk=pk, row__in=checklist_rows_visible_to(request.user)).first()
    if evidence is None:
        raise Http404
    return evidence


def _visible_units(user, campaign: Campaign) -> dict[tuple[str, int], tuple[str, str]]:
    """The units of the campaign's county the user sees, in filter order: (level, pk) → (a village's township, name).
    They name the checklist's rows too."""
    county = campaign.county_id
    units = {}
    if county in scope_for(user).read_county_ids:
        units[Level.COUNTY, county] = ("", str(campaign.county.name))
    departments = departments_visible_to(user).filter(county_id=county).order_by("name").values_list("pk", "name")
    units.update(((Level.DEPARTMENT, pk), ("", name)) for pk, name in departments)
    townships = townships_visible_to(user).filter(county_id=county).order_by("code").values_list("pk", "name")
    units.update(((Level.TOWNSHIP, pk), ("", name)) for pk, name in townships)
    villages = (
        villages_visible_to(user).filter(township__county_id=county).order_by("code")
        .values_list("pk", "township__name", "name")
    )
    units.update(((Level.VILLAGE, pk), (township, name)) for pk, township, name in villages)
    return units


def _areas_and_items(campaign: Campaign) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """The framework's areas as (pk, title) and active items as (pk, code, title), in order (one query)."""
    areas, items = {}, []
    found = (
        Area.objects.filter(framework__name=campaign.framework).order_by("order", "items__order")
        .values_list("pk", "title", "items__pk", "items__code", "items__title", "items__is_active")
    )
    for pk, title, item_pk, code, item_title, is_active in found:
        areas.setdefault(pk, title)
        if is_active:
            items.append((item_pk, code, item_title))
    return list(areas.items()), items


def _rows_filtered(rows, data: dict):
    if data.get("area"):
        rows = rows.filter(requirement__item__area_id=data["area"])
    if data.get("item"):
        rows = rows.filter(requirement__item_id=data["item"])
    if data.get("level"):
        rows = rows.filter(level=data["level"])
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    if data.get("unit"):
        level, pk = data["unit"].split(":")
        rows = rows.filter(level=level, **{f"{level}_id": int(pk)})
    return rows


def _rows_page(request: HttpRequest, rows, names: dict | None = None) -> Page:
    """The page of checklist entries asked for (the last one if past the end); its rows and their number come
    in one query. `names` are unit names already at hand."""
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except (TypeError, ValueError):
        number = 1
    entries, total = checklist_entries(rows, start=(number - 1) * PAGE_SIZE, stop=number * PAGE_SIZE, names=names)
    if not entries and number > 1:
        number = max(math.ceil(rows.count() / PAGE_SIZE), 1)
        entries, total = checklist_entries(rows, start=(number - 1) * PAGE_SIZE, stop=number * PAGE_SIZE, names=names)
    page = Page(entries, number, Paginator(range(total), PAGE_SIZE))
    page.rows_html = _entries_html(entries)
    return page


def _entries_html(entries: list[ChecklistEntry]) -> SafeString:
    """The checklist table's rows, written in one pass: as a template loop, a page of 50 rows was
    half of the page's time."""
    local, reason = escape(gettext("本地")), escape(gettext("退回原因"))
    rows = []
    for entry in entries:
        marks = f' <span class="badge text-bg-warning">{local}</span>' if entry.is_local else ""
        if entry.return_reason:
            marks += f'\n        <div class="small text-danger">{reason}：{escape(entry.return_reason)}</div>'
        files = "<br>".join(f'<a href="{escape(url)}">{escape(name)}</a>' for url, name in entry.files) or "—"
        rows.append(
            f'<tr data-row="{entry.pk}"><td class="text-nowrap small">{escape(entry.item)}</td>'
            f'<td><a href="{escape(entry.url)}">{escape(entry.text)}</a>{marks}</td>'
            f'<td class="text-nowrap small">{escape(entry.township)}{escape(entry.unit)}</td>'
            f'<td class="text-nowrap small{" overdue" if entry.overdue else ""}">{escape(entry.due_label)}</td>'
            f'<td><span class="badge text-bg-{STATUS_BADGES[entry.status]}">{escape(entry.status_label)}</span></td>'
            f'<td class="small">{files}</td></tr>\n'
        )
    return mark_safe("".join(rows))  # every value is escaped above


@login_required
def checklist(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    areas, items = _areas_and_items(campaign)
    units = _visible_units(request.user, campaign)
    choices = [(f"{level}:{pk}", f"{township}{name}") for (level, pk), (township, name) in units.items()]
    form = ChecklistFilterForm(request.GET or None, areas=areas, items=items, units=choices)
    rows = checklist_rows_for(request.user, campaign)
    if form.is_valid():
        rows = _rows_filtered(rows, form.cleaned_data)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "campaign": campaign, "form": form, "page": _rows_page(request, rows, units), "query": query.urlencode(),
        "can_manage": campaign.county_id in scope_for(request.user).write_county_ids,
        "can_review": campaign.county_id in scope_for(request.user).read_county_ids,
    }
    return render(request, "indicators/checklist.html", context)


@login_required
def row_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = _get_row_for_user(request, pk)
    today = timezone.localdate()
    context = {
        "row": row, "files": list(row.files.select_related("uploaded_by")), "actions": checklist_row_actions(request.user, row),
        "badge": STATUS_BADGES[row.status], "overdue": row.due_date is not None and row.due_date < today
        and row.status != RowStatus.ACCEPTED,
        "submit_form": EvidenceSubmitForm(), "return_form": ReturnForm(), "statuses": RowStatus,
        "history": row.history.select_related("history_user").order_by("-history_date")[:20],
    }
    return render(request, "indicators/row.html", context)


def _row_action(request: HttpRequest, pk: int, allowed: str, action, success: str) -> HttpResponse:
    """Run one workflow service on a row: outsiders 404, read-only 403, refusals as messages."""
    row = _get_row_for_user(request, pk)
    if not getattr(checklist_row_actions(request.user, row), allowed):
        raise PermissionDenied("您不能对该项佐证材料执行此操作。")
    try:
        action(row)
    except ChecklistNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("indicators:row", pk)


@login_required
@require_POST
def row_submit(request: HttpRequest, pk: int) -> HttpResponse:
    form = EvidenceSubmitForm(request.POST, request.FILES)

    def submit(row: ChecklistRow) -> None:
        if not form.is_valid():
            raise EvalprepError("；".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items()))
        data = form.cleaned_data
        evidence_submit(row=row, files=data["files"], note=data["note"], evidence_date=data["evidence_date"], user=request.user)

    return _row_action(request, pk, "submit", submit, "已上传，等待负责人审核。")


@login_required
@require_POST
def row_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    return _row_action(
        request, pk, "sign_off", lambda row: checklist_row_sign_off(row=row, user=request.user), "已审核，等待乡村振兴局验收。"
    )


@login_required
@require_POST
def row_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _row_action(request, pk, "review", lambda row: checklist_row_accept(row=row, user=request.user), "已验收。")


@login_required
@require_POST
def row_return(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _row_action(
        request, pk, "review", lambda row: checklist_row_return(row=row, user=request.user, reason=reason),
        "已退回，经办人会在首页看到退回原因。",
    )


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = _get_evidence_for_user(request, pk)
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )


@login_required
def review(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    if campaign.county_id not in scope_for(request.user).read_county_ids:
        raise Http404
    rows = checklist_rows_for(request.user, campaign).filter(status__in=[RowStatus.SIGNED_OFF, RowStatus.RETURNED])
    status = request.GET.get("status")
    if status in (RowStatus.SIGNED_OFF, RowStatus.RETURNED):
        rows = rows.filter(status=status)
    context = {
        "campaign": campaign, "page": _rows_page(request, rows.order_by("status", "due", "pk")), "status": status,
        "query": f"status={status}" if status else "",
    }
    return render(request, "indicators/review.html", context)


@login_required
def requirement_new(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    form = LocalRequirementForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            requirement = local_requirement_add(
                campaign=campaign, item=data["item"], text=data["text"], level=data["level"], user=request.user,
                departments=data["departments"],
                village_filter=data["village_filter"] if data["level"] == Level.VILLAGE else "",
            )
        except ChecklistNotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except (EvalprepError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or "；".join(exc.messages))
        else:
            messages.success(request, f"已增加本地要求 {requirement.code}，并生成了各单位的清单行。")
            return redirect(f"{reverse('indicators:checklist')}?item={requirement.item_id}")
    return render(request, "indicators/requirement_new.html", {"campaign": campaign, "form": form})


@login_required
def readiness(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    figures = figures_for("readiness", campaign.pk)
    return render(request, "indicators/readiness.html", {
        "campaign": campaign, "figures": figures, **figures.data,
    })
