"""Pages of the national export: snapshots, reconciliation (账机一致) and the
suspect-data checks (疑点数据核查)."""

from datetime import date, datetime
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from evalprep.core.http import badge, file_response, url_for_each
from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, Township
from evalprep.core.scoping import (
    can_manage_county,
    current_campaign_for,
    require_county_manager,
    require_village_write,
    scope_for,
    townships_visible_to,
)
from evalprep.core.services import audit_log
from evalprep.core.templatetags.evalprep import date_zh
from evalprep.dossiers.services import job_start
from households.jobs import national_import_job
from households.models import (
    DiscrepancyKind,
    NationalCheckHit,
    NationalDiscrepancy,
    NationalSnapshot,
    SnapshotSource,
    SnapshotStatus,
)
from households.national import national_snapshot_create
from households.national_checks import FAMILIES, RULES, check_context, check_settings_for
from households.national_forms import (
    DiscrepancyFilterForm,
    DiscrepancyResolveForm,
    HitFilterForm,
    HitMarkForm,
    NationalCheckSettingsForm,
    NationalUploadForm,
)
from households.national_selectors import (
    CountyVillage,
    DiscrepancyFilter,
    DiscrepancyRow,
    HitFilter,
    HitRow,
    VillageProgress,
    county_village_list,
    county_villages,
    discrepancies_listed,
    get_discrepancy_for_user,
    get_hit_for_user,
    get_snapshot_for_user,
    hits_filtered,
    hits_listed,
    hits_workbook,
    hits_visible_to,
    latest_snapshot,
    snapshots_visible_to,
    village_progress,
    writable_among,
)
from households.national_services import (
    national_check_settings_save,
    national_hit_mark,
    national_roster_snapshot,
    national_snapshot_process,
)
from households.reconciliation import discrepancy_resolve

PAGE_SIZE = 50
RECENT_SNAPSHOTS = 10  # listed on the overview
INLINE_BYTES = 2 * 1024 * 1024  # larger uploads go to a background job with a progress bar


def _campaign(request: HttpRequest) -> Campaign:
    """The user's current campaign, if they see any village of its county."""
    campaign = current_campaign_for(request.user)
    if campaign is None or not county_villages(request.user, campaign).exists():
        raise Http404
    return campaign


def _campaign_villages(request: HttpRequest) -> tuple[Campaign, list[CountyVillage]]:
    """The user's current campaign and the villages of its county they see (at least one): for the
    list pages, which need those villages anyway."""
    campaign = current_campaign_for(request.user)
    villages = county_village_list(request.user, campaign) if campaign is not None else []
    if not villages:
        raise Http404
    return campaign, villages


def _row_form_fields(request: HttpRequest, template_name: str, rows: list, flag: str) -> str:
    """The fields that every row's form of a list page shares (CSRF token, the address to come back to,
    the choices), rendered once for the page when a row has a form (`flag` set): the rows add only
    their action."""
    if not any(getattr(row, flag) for row in rows):
        return ""
    return render_to_string(template_name, {"csrf_token": get_token(request), "next_url": request.get_full_path()})


def _upload_townships(request: HttpRequest, campaign: Campaign) -> tuple[bool, list[Township]]:
    """(may upload for the whole county, townships the user may upload for)."""
    scope = scope_for(request.user)
    county_wide = campaign.county_id in scope.write_county_ids
    townships = townships_visible_to(request.user).filter(county_id=campaign.county_id).order_by("code")
    if not county_wide:
        townships = townships.filter(pk__in=scope.write_township_ids)
    return county_wide, townships


@login_required
def national_overview(request: HttpRequest) -> HttpResponse:
    campaign, villages = _campaign_villages(request)
    county_wide, townships = _upload_townships(request, campaign)
    progress = village_progress(request.user, campaign, villages=villages)
    snapshots = list(snapshots_visible_to(request.user, campaign)[:RECENT_SNAPSHOTS])
    context = {
        "campaign": campaign,
        "progress": progress,
        "progress_rows": _progress_rows(progress),
        "snapshots": snapshots,
        "latest": _latest_of(snapshots, request, campaign, SnapshotSource.SYSTEM),
        "latest_roster": _latest_of(snapshots, request, campaign, SnapshotSource.ROSTER),
        "can_upload": county_wide or townships.exists(),
        "can_manage": county_wide,
    }
    return render(request, "households/national/overview.html", context)


def _latest_of(recent: list[NationalSnapshot], request: HttpRequest, campaign: Campaign, source: str) -> NationalSnapshot | None:
    """latest_snapshot(), taken from the most recent snapshots (in the same order) when it is among them."""
    found = next((s for s in recent if s.source == source and s.status == SnapshotStatus.READY), None)
    if found is None and len(recent) == RECENT_SNAPSHOTS:
        return latest_snapshot(request.user, campaign, source)
    return found


def _progress_rows(progress: list[VillageProgress]) -> SafeString:
    """The rows of the overview's progress table (a county has some 200 villages), written in one pass:
    as template tags, their 3,000 lookups and escapes would cost more than the rest of the page. Plain
    digits, as before (there is no thousands separator to lose)."""
    hits_url, discrepancies_url = reverse("households:national_hits"), reverse("households:national_discrepancies")
    cleared = escape(gettext("已清零"))
    rows = []
    for row in progress:
        label = escape(row.label)
        to_zero = row.to_zero
        if row.village_id:
            label = f'<a href="{hits_url}?village={row.village_id}">{label}</a>'
            discrepancies = f'<a href="{discrepancies_url}?village={row.village_id}">{row.open_discrepancies}</a>'
        else:
            discrepancies = row.open_discrepancies
        rows.append(
            f'\n      <tr>\n        <td>{label}</td>\n'
            f'        <td class="text-end fw-bold {"text-danger" if to_zero else "text-success"}">{to_zero or cleared}</td>\n'
            f'        <td class="text-end">{row.open_hits}</td><td class="text-end">{row.fixed_waiting}</td>'
            f'<td class="text-end">{row.exempt}</td><td class="text-end">{row.verified}</td>\n'
            f'        <td class="text-end">{discrepancies}</td>\n'
            f'        <td class="text-end {"text-danger" if row.overdue_discrepancies else ""}">{row.overdue_discrepancies}</td>\n'
            f'      </tr>\n    '
        )
    return mark_safe("".join(rows))  # every value from the database is escaped above


@login_required
def national_upload(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    county_wide, townships = _upload_townships(request, campaign)
    if not county_wide and not townships.exists():
        raise PermissionDenied("只有乡村振兴局或乡镇经办人员可以导入国家系统数据。")
    form = NationalUploadForm(request.POST or None, request.FILES or None, townships=townships, county_wide=county_wide)
    if request.method == "POST" and form.is_valid():
        uploads = [(f.name, f.read()) for f in form.cleaned_data["files"]]
        township = form.cleaned_data["township"]
        try:
            with transaction.atomic():
                snapshot = national_snapshot_create(
                    county=campaign.county, township=township, taken_on=form.cleaned_data["taken_on"],
                    uploads=uploads, user=request.user,
                )
                if sum(len(data) for _, data in uploads) > INLINE_BYTES:
                    job = job_start(
                        task=national_import_job, kind="national_import", county_id=campaign.county_id, user=request.user,
                        title=f"导入国家系统数据（{snapshot.taken_on:%Y-%m-%d}，{township.name if township else '全县'}）",
                        params={"snapshot_id": snapshot.pk, "campaign_id": campaign.pk},
                    )
                    return redirect("dossiers:job_detail", job.pk)
                outcome = national_snapshot_process(snapshot=snapshot, campaign=campaign, user=request.user)
        except EvalprepError as exc:
            form.add_error("files", exc.message)
        else:
            messages.success(request, outcome.message)
            return redirect("households:national_snapshot", snapshot.pk)
    return render(request, "households/national/upload.html", {"form": form, "campaign": campaign})


@login_required
def national_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request)
    snapshot = get_snapshot_for_user(request, pk, campaign)
    ctx = check_context(snapshot=snapshot, campaign=campaign)
    found_here = dict(
        hits_visible_to(request.user, campaign).filter(last_snapshot=snapshot).values_list("rule")
        .annotate(n=Count("pk")).values_list("rule", "n")
    )
    rules = [
        (rule, rule.threshold_text(ctx), found_here.get(rule.code, 0))
        for rule in RULES if snapshot.source == SnapshotSource.SYSTEM or rule.roster
    ]
    context = {"snapshot": snapshot, "campaign": campaign, "rules": rules, "families": FAMILIES}
    return render(request, "households/national/snapshot.html", context)


@login_required
@require_POST
def national_roster_check(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    county_wide, townships = _upload_townships(request, campaign)
    if not county_wide and not townships.exists():
        raise PermissionDenied("只有乡村振兴局或乡镇经办人员可以核查花名册。")
    township = None if county_wide else townships.first()
    snapshot, result = national_roster_snapshot(county=campaign.county, township=township, campaign=campaign, user=request.user)
    messages.success(request, f"花名册核查完成：{result.rules_run}条规则，疑点{result.total}条（新增{result.new}，已消失{result.gone}）。")
    return redirect(reverse("households:national_hits") + f"?source={SnapshotSource.ROSTER}")


def _hit_filter(request: HttpRequest, villages: list[CountyVillage]) -> tuple[HitFilterForm, HitFilter]:
    form = HitFilterForm(request.GET or None, villages=villages)
    if not form.is_valid():
        return form, HitFilter()
    data = form.cleaned_data
    return form, HitFilter(
        source=data["source"] or SnapshotSource.SYSTEM, village_id=data["village"], rule=data["rule"],
        status=data["status"] or "open",
    )


@login_required
def national_hits(request: HttpRequest) -> HttpResponse:
    campaign, villages = _campaign_villages(request)
    form, hit_filter = _hit_filter(request, villages)
    hits, per_rule = hits_listed(request.user, campaign, hit_filter, villages)
    page = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    writable = writable_among(request.user, campaign, villages) if page.object_list else set()
    mark_url = url_for_each("households:national_hit_mark")
    for hit in page.object_list:
        hit.can_mark = hit.village_id in writable and hit.gone_on is None
        hit.mark_url = mark_url(hit.pk) if hit.can_mark else ""
    mark_fields = _row_form_fields(request, "households/national/_hit_mark_fields.html", page.object_list, "can_mark")
    query = request.GET.copy()
    query.pop("page", None)
    rule_query = query.copy()
    rule_query.pop("rule", None)
    context = {
        "campaign": campaign, "form": form, "page": page, "per_rule": per_rule, "hit_filter": hit_filter,
        "query": query.urlencode(), "rule_query": rule_query.urlencode(),
        "rule_buttons": _rule_buttons(per_rule, hit_filter.rule, rule_query.urlencode()),
        "rows_html": _hit_rows_html(page.object_list, mark_fields),
    }
    return render(request, "households/national/hits.html", context)


def _hit_rows_html(hits: list[HitRow], mark_fields: str) -> SafeString:
    """The hits list's rows, a heading row before each village's, written in one pass (as
    _progress_rows): as template tags, 50 rows' lookups and escapes cost more than the page's queries."""
    unmatched = escape(gettext("未匹配到村"))
    reopened = " " + badge(gettext("上次标记已整改，最新数据仍有"), "text-bg-warning")
    rows, village = [], None
    for n, hit in enumerate(hits):
        if n == 0 or hit.village_label != village:
            village = hit.village_label
            rows.append(f'<tr class="table-light"><th colspan="5">{escape(village) if village else unmatched}</th></tr>\n')
        status = _gone_html(gettext("已核销（%(d)s数据中已无）"), hit.gone_on) if hit.gone_on else escape(hit.status_label)
        if hit.reason:
            status += _handled_html(hit.reason, hit.status_by_name, hit.status_at)
        rows.append(
            f'<tr><td class="small text-nowrap">{escape(hit.village_name)}</td>'
            f'<td class="small">{badge(hit.rule, "text-bg-secondary")} {escape(hit.rule_title)}</td>'
            f'<td>{escape(hit.explanation)}{reopened if hit.reopened else ""}</td><td class="small text-nowrap">{status}</td>'
            f"<td>{_row_form(hit.mark_url, mark_fields) if hit.can_mark else ''}</td></tr>\n"
        )
    return mark_safe("".join(rows))  # every value from the database is escaped above


def _gone_html(message: str, taken_on: date) -> str:
    """That a row is gone from the snapshot taken on that date (`message` has a %(d)s for the date)."""
    return f'<span class="text-success">{escape(message % {"d": date_zh(taken_on)})}</span>'


def _handled_html(note: str, by_name: str, at: datetime | None) -> str:
    """What whoever handled a row wrote (a hit's reason, a discrepancy's note), who and when."""
    return f'<div class="text-muted">{escape(note)}（{escape(by_name)}，{date_zh(at)}）</div>'


def _row_form(action: str, fields: str) -> str:
    """A row's form: its action and the fields every row shares (_row_form_fields)."""
    return f'<form method="post" action="{action}" class="d-flex gap-1">{fields}</form>'


#: The rule buttons of the hits page show the start of each rule's title.
_SHORT_TITLES = {rule.code: Truncator(rule.title).chars(14) for rule in RULES}


def _rule_buttons(per_rule: list[tuple[str, str, int]], chosen: str, rule_query: str) -> SafeString:
    """A button for each rule with hits, its count on it, which keeps the page's other filters: written
    in one pass (as _hit_rows_html), not by a template loop over up to 90 rules."""
    prefix = f"{escape(rule_query)}&amp;" if rule_query else ""
    return mark_safe("".join(
        f'<a class="btn btn-sm {"btn-secondary" if code == chosen else "btn-outline-secondary"}" '
        f'href="?{prefix}rule={escape(code)}" title="{escape(title)}">{escape(code)} {escape(_SHORT_TITLES[code])} '
        f'<span class="badge text-bg-danger">{n}</span></a>\n'
        for code, title, n in per_rule
    ))  # every value is escaped above


@login_required
def national_hits_export(request: HttpRequest) -> HttpResponse:
    campaign, villages = _campaign_villages(request)
    _, hit_filter = _hit_filter(request, villages)
    content = hits_workbook(
        hits_filtered(request.user, campaign, hit_filter), reveal_village_ids=writable_among(request.user, campaign, villages),
        reveal_unmatched=can_manage_county(request.user, campaign.county_id),
    )
    audit_log(user=request.user, action="national_hits_exported", county_id=campaign.county_id,
              detail=f"条件：{request.GET.urlencode() or '全部'}")
    return file_response(content, f"疑点数据核查-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_POST
def national_hit_mark_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request)
    hit = get_hit_for_user(request, pk, campaign)
    _require_row_write(request, hit)
    form = HitMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理方式。")
    else:
        try:
            national_hit_mark(hit=hit, user=request.user, **form.cleaned_data)
            messages.success(request, f"已记录：{hit.name or hit.village_label} {hit.rule} {hit.get_status_display()}。")
        except EvalprepError as exc:
            messages.error(request, exc.message)
    return _redirect_next(request, "households:national_hits")


def _require_row_write(request: HttpRequest, row: NationalCheckHit | NationalDiscrepancy) -> None:
    """A row with a village is that village's to handle; a row with none is the bureau's."""
    if row.village is None:
        require_county_manager(request, row.county_id)
    else:
        require_village_write(request, row.village)


def _redirect_next(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the filtered list the form was posted from, if that is a local address."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@login_required
def national_discrepancies(request: HttpRequest) -> HttpResponse:
    campaign, villages = _campaign_villages(request)
    form = DiscrepancyFilterForm(request.GET or None, villages=villages)
    flt = DiscrepancyFilter()
    if form.is_valid():
        data = form.cleaned_data
        flt = DiscrepancyFilter(village_id=data["village"], kind=data["kind"], status=data["status"] or "open")
    found, per_kind = discrepancies_listed(request.user, campaign, flt, villages)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    writable = writable_among(request.user, campaign, villages) if page.object_list else set()
    resolve_url = url_for_each("households:national_discrepancy_resolve")
    for item in page.object_list:
        item.can_resolve = item.village_id in writable and item.gone_on is None
        item.resolve_url = resolve_url(item.pk) if item.can_resolve else ""
    resolve_fields = _row_form_fields(
        request, "households/national/_discrepancy_resolve_fields.html", page.object_list, "can_resolve",
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "campaign": campaign, "form": form, "page": page, "query": query.urlencode(), "flt": flt,
        "kinds": [(value, label, per_kind.get(value, 0)) for value, label in DiscrepancyKind.choices],
        "rows_html": _discrepancy_rows_html(page.object_list, resolve_fields),
    }
    return render(request, "households/national/discrepancies.html", context)


def _discrepancy_rows_html(items: list[DiscrepancyRow], resolve_fields: str) -> SafeString:
    """The discrepancies list's rows, written in one pass (as _hit_rows_html)."""
    unmatched, still_open = escape(gettext("未匹配到村")), escape(gettext("未处理"))
    rows = []
    for item in items:
        kind = escape(item.kind_label) + (f"：{escape(item.field_label)}" if item.field_label else "")
        gone = _gone_html(gettext("已消失（%(d)s数据）"), item.gone_on) if item.gone_on else ""
        if item.resolution:
            handled = escape(item.resolution_label) + _handled_html(item.resolution_note, item.resolved_by_name, item.resolved_at)
        else:
            handled = "" if item.gone_on else still_open
        rows.append(
            f'<tr><td class="small text-nowrap">{escape(item.village_name) or unmatched}</td><td class="small">{kind}</td>'
            f'<td>{escape(item.explanation)}</td>'
            f'<td class="small text-nowrap{" text-danger fw-bold" if item.overdue else ""}">{date_zh(item.deadline)}</td>'
            f'<td class="small">{gone} {handled}</td>'
            f"<td>{_row_form(item.resolve_url, resolve_fields) if item.can_resolve else ''}</td></tr>\n"
        )
    return mark_safe("".join(rows))  # every value from the database is escaped above


@login_required
@require_POST
def national_discrepancy_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request)
    found = get_discrepancy_for_user(request, pk, campaign)
    _require_row_write(request, found)
    form = DiscrepancyResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理结果。")
    else:
        try:
            discrepancy_resolve(discrepancy=found, user=request.user, **form.cleaned_data)
            messages.success(request, f"已记录：{found.explanation[:30]}… {found.get_resolution_display()}。")
        except EvalprepError as exc:
            messages.error(request, exc.message)
    return _redirect_next(request, "households:national_discrepancies")


@login_required
def national_settings(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    require_county_manager(request, campaign.county_id)
    form = NationalCheckSettingsForm(request.POST or None, instance=check_settings_for(campaign))
    if request.method == "POST" and form.is_valid():
        settings = form.save(commit=False)
        settings.campaign = campaign
        national_check_settings_save(settings=settings, user=request.user)
        messages.success(request, "已保存疑点核查阈值；下次导入或重新核查时按新阈值计算。")
        return redirect("households:national_overview")
    return render(request, "households/national/settings.html", {"form": form, "campaign": campaign})
