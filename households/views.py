import os
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.http import client_ip, file_response
from evalprep.core.models import Campaign, Village
from evalprep.core.scoping import (
    can_write_village,
    current_campaign_for,
    get_village_for_user,
    require_county_manager,
    require_village_write,
    scope_for,
    villages_visible_to,
    writable_villages,
)
from evalprep.core.services import audit_log
from evalprep.core.sheets import parse_date
from evalprep.dossiers.services import job_start
from households import screening
from households.exports import roster_workbook
from households.forms import (
    HouseholdForm,
    IncomeEstimateForm,
    MonitoringStepForm,
    RosterFilterForm,
    RosterImportForm,
    ScreeningDecisionForm,
    ScreeningFilterForm,
    ScreeningThresholdsForm,
    income_line_formsets,
    income_lines_from,
)
from households.jobs import roster_import_job
from households.ledger_template import roster_template_workbook
from households.models import (
    INCOME_LINE_KINDS,
    STEP_ORDER,
    DecisionOutcome,
    ImportStatus,
    ScreeningRule,
)
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
    HouseholdConflict,
    household_update,
    monitoring_record_step,
    personal_data_reveal,
    roster_import_apply,
    roster_import_errors_workbook,
    roster_import_preview,
)

PAGE_SIZE = 50
REVEALABLE_FIELDS = ("id_number", "phone")


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
    return file_response(content, f"花名册-{timezone.localdate():%Y%m%d}.xlsx")


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
    try:
        as_of = parse_date(request.GET.get("as_of") or None)
    except EvalprepError as exc:
        messages.error(request, f"查看日期有误：{exc.message}")
        as_of = None
    if as_of:
        context["as_of"] = as_of
        context["snapshot"] = household_as_of(household, as_of)
    return render(request, "households/household.html", context)


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_user(request, pk)
    require_village_write(request, household.village)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method != "POST" or not form.is_valid():
        return render(request, "households/household_form.html", {"form": form, "household": household})
    changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
    if not changes:
        messages.info(request, "没有修改任何内容。")
        return redirect("households:household", pk)
    try:
        household_update(household_id=pk, expected_version=form.cleaned_data["version"], changes=changes, user=request.user)
    except HouseholdConflict as conflict:
        attempted = [(form.fields[name].label, _shown(form, name)) for name in changes]
        fresh = get_household_for_user(request, pk)
        context = {"form": HouseholdForm(instance=fresh), "household": fresh, "conflict": conflict.message, "attempted": attempted}
        return render(request, "households/household_form.html", context, status=409)
    messages.success(request, f"已保存{household.head_name}户的修改。")
    return redirect("households:household", pk)


def _shown(form: HouseholdForm, name: str) -> str:
    """A submitted value as the cadre chose it: the label of a choice, 是/否 for a yes/no."""
    value = form.cleaned_data[name]
    if isinstance(value, bool) or value is None:
        return {True: "是", False: "否", None: "未填"}[value]
    choices = dict(getattr(form.fields[name], "choices", ()) or ())
    return str(choices.get(value, value))


@login_required
@require_POST
def member_reveal(request: HttpRequest, pk: int, member_pk: int, field_name: str) -> HttpResponse:
    if field_name not in REVEALABLE_FIELDS:
        raise Http404
    member = get_member_for_user(request, pk, member_pk)
    require_village_write(request, member.household.village, "您的角色不需要查看完整的身份证号和电话。")
    value = personal_data_reveal(user=request.user, member=member, field_name=field_name, ip_address=client_ip(request))
    return render(request, "households/partials/revealed.html", {"value": value})


@login_required
@require_POST
def monitoring_step(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_user(request, pk)
    require_village_write(request, household.village)
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
    require_village_write(request, record.village)
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
    require_village_write(request, record.village, "出错行含完整身份证号，只有本村和上级经办人员可以下载。")
    content = roster_import_errors_workbook(record=record)
    return file_response(content, f"出错行-{record.filename.rsplit('.', 1)[0]}.xlsx")


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    return file_response(roster_template_workbook(), "农户花名册模板.xlsx")


# Screening (应纳未纳筛查): the worklist, decisions, runs, thresholds, the
# worst-ten lists and the village income worksheet.



def _screening_campaign(request: HttpRequest) -> Campaign:
    """The user's current campaign, if they may see any village of its county."""
    campaign = current_campaign_for(request.user)
    if campaign is None or not villages_visible_to(request.user).filter(township__county_id=campaign.county_id).exists():
        raise Http404
    return campaign


def _village_campaign(request: HttpRequest, village: Village) -> Campaign:
    campaign = current_campaign_for(request.user)
    if campaign is None or campaign.county_id != village.township.county_id:
        raise Http404
    return campaign


def _flag_row(flag, writable: set[int], today: date):
    """A worklist row: the flag with its status and what the user may do with it."""
    flag.status, flag.status_label = screening.flag_status(flag, today)
    decision = getattr(flag, "decision", None)  # a missing reverse one-to-one raises an AttributeError
    flag.current_decision = decision
    flag.can_decide = flag.household.village_id in writable and not (decision and decision.outcome == DecisionOutcome.INCLUDE)
    flag.can_include = screening.flag_can_include(flag)
    return flag


@login_required
def screening_worklist(request: HttpRequest) -> HttpResponse:
    campaign = _screening_campaign(request)
    villages = villages_visible_to(request.user).filter(township__county_id=campaign.county_id).order_by("code")
    form = ScreeningFilterForm(request.GET or None, villages=villages)
    flag_filter = screening.FlagFilter()
    if form.is_valid():
        data = form.cleaned_data
        village = data["village"]
        flag_filter = screening.FlagFilter(village_id=village.pk if village else None, rule=data["rule"], status=data["status"] or "open")
    today = timezone.localdate()
    flags, per_rule = screening.screening_flags_filtered(request.user, campaign, flag_filter, today=today)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    writable = set(writable_villages(request.user).filter(township__county_id=campaign.county_id).values_list("pk", flat=True))
    page.object_list = [_flag_row(flag, writable, today) for flag in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    rule_query = query.copy()
    rule_query.pop("rule", None)
    village = form.cleaned_data.get("village") if form.is_valid() else None
    if village is None:
        only = list(villages[:2])
        village = only[0] if len(only) == 1 else None  # a village cadre's own village
    context = {
        "campaign": campaign, "form": form, "page": page, "query": query.urlencode(), "rule_query": rule_query.urlencode(),
        "rule_counts": [(code, ScreeningRule(code).label, n) for code, n in per_rule.items()],
        "flag_filter": flag_filter, "village": village,
        "thresholds_summary": screening.thresholds_summary(screening.screening_thresholds_for(campaign), campaign),
        "last_run": screening.latest_screening_run(campaign),
        "can_run": bool(writable), "can_manage": campaign.county_id in scope_for(request.user).write_county_ids,
        "outcomes": DecisionOutcome.choices,
    }
    return render(request, "households/screening_worklist.html", context)


@login_required
@require_POST
def screening_decide(request: HttpRequest, pk: int) -> HttpResponse:
    flag = screening.get_screening_flag_for_user(request, pk)
    require_village_write(request, flag.household.village)
    form = ScreeningDecisionForm(request.POST, request.FILES)
    error = ""
    if not form.is_valid():
        error = "；".join(" ".join(messages_) for messages_ in form.errors.values())
    else:
        try:
            screening.screening_decision_record(flag=flag, user=request.user, **form.cleaned_data)
        except EvalprepError as exc:
            error = exc.message
    if request.htmx:
        row = _flag_row(screening.screening_flag_row(request.user, pk), {flag.household.village_id}, timezone.localdate())
        context = {"flag": row, "error": error, "outcomes": DecisionOutcome.choices, "saved": not error}
        return render(request, "households/partials/screening_flag_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"已记录对{flag.household.head_name}户“{flag.get_rule_display()}”的决定。")
    return redirect(f"{reverse('households:screening_worklist')}?village={flag.household.village_id}&status=all")


@login_required
def screening_attachment(request: HttpRequest, pk: int) -> FileResponse:
    flag = screening.get_screening_flag_for_user(request, pk)
    decision = getattr(flag, "decision", None)
    if decision is None or not decision.attachment:
        raise Http404
    return FileResponse(decision.attachment.open("rb"), as_attachment=True, filename=os.path.basename(decision.attachment.name))


@login_required
@require_POST
def screening_run_view(request: HttpRequest) -> HttpResponse:
    campaign = _screening_campaign(request)
    village_pk = request.POST.get("village", "")
    if village_pk:
        villages = [get_village_for_user(request, int(village_pk) if village_pk.isdigit() else 0, write=True)]
    elif campaign.county_id in scope_for(request.user).write_county_ids:
        villages = None
    else:
        villages = writable_villages(request.user).filter(township__county_id=campaign.county_id)
        if not villages.exists():
            raise PermissionDenied("您对这些村只有查看权限，不能执行筛查。")
    result = screening.screening_run(campaign=campaign, villages=villages, user=request.user)
    messages.success(
        request,
        f"筛查完成（{result.run.scope}）：共 {result.total('found')} 条提示，其中新发现 {result.total('new')} 条，"
        f"不再符合 {result.total('gone')} 条；已作出的决定均保留。",
    )
    return redirect(reverse("households:screening_worklist") + (f"?village={village_pk}" if village_pk else ""))


@login_required
def screening_thresholds(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    require_county_manager(request, campaign.county_id)
    form = ScreeningThresholdsForm(request.POST or None, instance=screening.screening_thresholds_for(campaign))
    if request.method == "POST" and form.is_valid():
        screening.screening_thresholds_save(thresholds=form.save(commit=False), user=request.user)
        messages.success(request, "已保存筛查阈值。重新筛查后按新阈值提示。")
        return redirect("households:screening_worklist")
    return render(request, "households/screening_thresholds.html", {"form": form, "campaign": campaign})


@login_required
def worst_ten(request: HttpRequest, village_pk: int) -> HttpResponse:
    village = get_village_for_user(request, village_pk)
    campaign = _village_campaign(request, village)
    context = {"lists": screening.worst_ten(village=village, campaign=campaign), "village": village, "campaign": campaign}
    return render(request, "households/screening_worst_ten.html", context)


@login_required
def income_estimate(request: HttpRequest, village_pk: int) -> HttpResponse:
    village = get_village_for_user(request, village_pk, write=request.method == "POST")
    campaign = _village_campaign(request, village)
    estimate = screening.village_income_estimate_for(village=village, campaign=campaign)
    data = request.POST or None
    form = IncomeEstimateForm(data, initial={"year": estimate.year, "note": estimate.note})
    formsets = income_line_formsets(data, lines=estimate.lines)
    if data is not None and form.is_valid() and all(formset.is_valid() for formset in formsets.values()):
        try:
            screening.village_income_estimate_save(
                village=village, campaign=campaign, year=form.cleaned_data["year"], note=form.cleaned_data["note"],
                lines=income_lines_from(formsets), user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, "；".join(exc.messages))
        else:
            messages.success(request, f"已保存{village.name}收入测算。")
            return redirect("households:income_estimate", village.pk)
    roster = screening.village_roster_income(village=village, year=estimate.year)
    context = {
        "village": village, "campaign": campaign, "estimate": estimate, "form": form,
        "formset_sections": [(kind, INCOME_LINE_KINDS[kind][0], formset) for kind, formset in formsets.items()],
        "sections": screening.income_estimate_sections(estimate), "roster": roster,
        "figures": screening.income_comparison(estimate, roster),
        "can_write": can_write_village(request.user, village),
    }
    return render(request, "households/screening_income_estimate.html", context)
