import os
from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.http import badge, choice_labels, client_ip, file_response, url_for_each
from evalprep.core.idnumber import mask_id_number, mask_phone
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
from evalprep.core.templatetags.evalprep import date_zh
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
    Category,
    DecisionOutcome,
    ImportStatus,
    IncomeYear,
    Member,
    MonitoringType,
    ScreeningRule,
)
from households.national_selectors import county_village_list, writable_among
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
    roster_listed,
    roster_villages_for,
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


def _roster_filter(request: HttpRequest, villages: list[tuple[int, str, str]]) -> tuple[RosterFilterForm, RosterFilter]:
    form = RosterFilterForm(request.GET or None, villages=villages)
    if not form.is_valid():
        return form, RosterFilter()
    data = form.cleaned_data
    return form, RosterFilter(
        village_id=data["village"], group_id=data["group"], category=data["category"],
        monitoring_type=data["monitoring_type"], flag=data["flag"], query=data["q"],
    )


@login_required
def roster(request: HttpRequest) -> HttpResponse:
    villages = roster_villages_for(request.user)
    if not villages:
        raise Http404
    form, roster_filter = _roster_filter(request, villages)
    rows = roster_listed([pk for pk, _, _ in villages], roster_filter)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    rows_html = _roster_rows_html(page.object_list, {pk: f"{township}{name}" for pk, name, township in villages})
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "page": page, "rows_html": rows_html, "query": query.urlencode(),
        "can_import": writable_villages(request.user).exists(),
    }
    return render(request, "households/roster.html", context)


def _roster_rows_html(households: list[dict], village_labels: dict[int, str]) -> SafeString:
    """The roster's table rows, labels and links worked out once per page and the rows written in
    one pass (as _flag_rows_html), every value from the database escaped; phones masked."""
    categories = choice_labels(Category)
    monitoring_types = choice_labels(MonitoringType)
    household_url = url_for_each("households:household")
    html = []
    for row in households:
        grade = row["housing_grade"]
        housing = badge(f"{grade}级", "text-bg-danger") if grade in ("C", "D") else escape(grade)
        category, monitoring = row["category"], row["monitoring_type"]
        html.append(
            f'<tr><td class="text-nowrap"><a href="{household_url(row["pk"])}">{escape(row["number"])}</a></td>'
            f'<td>{escape(row["head_name"])}</td><td class="text-nowrap">{escape(village_labels[row["village_id"]])}</td>'
            f'<td>{escape(row["group__name"] or "")}</td><td>{escape(categories.get(category, category))}</td>'
            f'<td>{escape(monitoring_types.get(monitoring, monitoring))}</td><td class="text-end">{row["member_count"]}</td>'
            f'<td>{housing}</td><td class="text-nowrap">{escape(mask_phone(row["phone"]))}</td></tr>\n'
        )
    return mark_safe("".join(html))  # every value from the database is escaped above


@login_required
def roster_export(request: HttpRequest) -> HttpResponse:
    villages = roster_villages_for(request.user)
    if not villages:
        raise Http404
    _, roster_filter = _roster_filter(request, villages)
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
    detail = household_detail(household)
    can_write = can_write_village(request.user, household.village)
    context = {
        "household": household, **detail, "can_write": can_write,
        "member_rows_html": _member_rows_html(household.pk, detail["members"], can_write=can_write),
        "income_rows_html": _income_rows_html(detail["incomes"]),
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


def _member_rows_html(household_id: int, members: list[Member], *, can_write: bool) -> SafeString:
    """The household's members, written in one pass (as _roster_rows_html): a dozen columns of lookups,
    filters and tags per member were most of the page's template time. Every value from the database
    is escaped; ID numbers and phones are masked, and whoever may write gets the buttons that reveal
    them (member_reveal, which logs it)."""
    insured, chronic = escape(gettext("已参保")), escape(gettext("慢病"))
    uninsured, out_of_school = badge(gettext("未参保"), "text-bg-danger"), badge(gettext("失学辍学"), "text-bg-danger")
    reveal_url = {field: url_for_each("households:member_reveal", household_id, None, field) for field in REVEALABLE_FIELDS}
    html = []
    for member in members:
        health = escape(member.health)
        if member.disability_grade:
            health += " " + badge(gettext("残疾%(g)s级") % {"g": member.disability_grade}, "text-bg-secondary")
        if member.chronic_illness:
            health += f" {chronic}"
        schooling = escape(member.schooling)
        if member.out_of_school:
            schooling += f" {out_of_school} {escape(member.out_of_school_reason)}"
        insurance = "—" if member.medical_insurance is None else insured if member.medical_insurance else uninsured
        id_reveal = _reveal_button(reveal_url["id_number"](member.pk)) if can_write else ""
        phone_reveal = _reveal_button(reveal_url["phone"](member.pk)) if can_write and member.phone else ""
        html.append(
            f'<tr><td class="text-nowrap">{escape(member.name)}</td><td class="text-nowrap">{escape(member.relation)}</td>'
            f'<td class="text-nowrap"><span class="font-monospace">{escape(mask_id_number(member.id_number))}</span>{id_reveal}</td>'
            f'<td>{escape(member.get_sex_display())}</td><td class="text-nowrap">{date_zh(member.birth_date)}</td>'
            f'<td>{health}</td><td>{schooling}</td><td>{insurance}</td><td>{escape(member.labour_capacity)}</td>'
            f'<td>{escape(member.get_work_location_display())}</td>'
            f'<td class="text-nowrap"><span class="font-monospace">{escape(mask_phone(member.phone))}</span>{phone_reveal}</td></tr>\n'
        )
    return mark_safe("".join(html))  # every value from the database is escaped above


def _reveal_button(url: str) -> str:
    """The button beside a masked ID number or phone that asks for it in full (member_reveal logs it)."""
    return (f' <button class="btn btn-link btn-sm p-0 ms-1" hx-post="{url}" hx-target="closest td" hx-swap="innerHTML">'
            f'{escape(gettext("显示"))}</button>')


def _income_rows_html(incomes: list[IncomeYear]) -> SafeString:
    """The household's income years, written in one pass; numbers as the template writes them (localize)."""
    html = []
    for i in incomes:
        cells = "".join(f'<td class="text-end">{localize(amount)}</td>'
                        for amount in (i.wage, i.business, i.property_income, i.transfer, i.production_costs, i.household_size))
        html.append(f'<tr><td>{localize(i.year)}</td>{cells}<td class="text-end fw-semibold">{localize(i.net_income_per_capita)}</td></tr>')
    return mark_safe("".join(html))  # numbers only (integers and decimals from the database)


@login_required
def household_history_part(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's change list, fetched by its page when the list scrolls into view."""
    household = get_household_for_user(request, pk)
    return render(request, "households/partials/household_history.html", {"history": household_history(household)})


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
    form = RosterImportForm(request.POST or None, request.FILES or None, villages=writable_villages(request.user).order_by("code"))
    villages = form.fields["village"].queryset  # read once, for this check, the choices and the recent imports
    if not villages:
        if not villages_visible_to(request.user).exists():
            raise Http404
        raise PermissionDenied("您没有导入花名册的权限。")
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
    imports = roster_imports_visible_to(request.user).filter(village__in=[v.pk for v in villages]).select_related("village", "user").defer("report")[:20]
    return render(request, "households/import_upload.html", {"form": form, "imports": imports})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_roster_import_for_user(request, pk)
    report = record.report or {}
    errors, warnings = report.get("errors") or [], report.get("warnings") or []
    context = {
        "record": record, "can_write": can_write_village(request.user, record.village),
        # Up to 2,000 errors and 500 warnings: written here, not row by row in the template.
        "errors": errors, "error_count": report.get("error_count", len(errors)),
        "error_rows": format_html_join("", '<tr><td>{}</td><td class="text-nowrap">{}</td><td>{}</td><td>{}</td></tr>', errors),
        "warning_items": format_html_join("", "<li>{}「{}」：{}</li>", (
            (gettext("第%(row)s行") % {"row": row}, column, message) for row, column, _, message in warnings
        )),
    }
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


def _rule_buttons_html(per_rule: dict[str, int], chosen: str, rule_query: str) -> SafeString:
    """A button for each rule with its number of flags, which keeps the page's other filters: written in
    one pass (as households.national_views._rule_buttons), not by a template loop over the 15 rules."""
    prefix = f"{escape(rule_query)}&amp;" if rule_query else ""
    rules = choice_labels(ScreeningRule)
    return mark_safe("".join(
        f'<a class="btn btn-sm {"btn-secondary" if code == chosen else "btn-outline-secondary"}" '
        f'href="?{prefix}rule={escape(code)}">{escape(rules[code])} '
        f'<span class="badge {"text-bg-danger" if n else "text-bg-light"}">{n}</span></a>\n'
        for code, n in per_rule.items()
    ))  # every value is escaped above


def _flag_rows(rows: list[dict], writable: set[int], places: dict[int, str]) -> list[dict]:
    """Worklist rows (screening._worklist_rows) with what the user may do and the labels
    and links each row shows, worked out here once (a reverse per kind of link, not per
    row) so that the template only writes them out. `places` name the rows' villages
    (township and village) by id."""
    household_url, decide_url, attachment_url = (
        url_for_each(f"households:{name}") for name in ("household", "screening_decide", "screening_attachment")
    )
    categories = choice_labels(Category)
    rules = choice_labels(ScreeningRule)
    outcomes = choice_labels(DecisionOutcome)
    badges = {"overdue": "text-bg-danger", "new": "text-bg-warning", "open": "text-bg-primary", "decided": "text-bg-success"}
    for row in rows:
        row["can_decide"] = row["village_id"] in writable and row["outcome"] != DecisionOutcome.INCLUDE
        row["badge"] = badges.get(row["status"], "text-bg-secondary")
        row["household_url"] = household_url(row["household_id"])
        row["place"] = places[row["village_id"]]
        row["category_label"] = categories.get(row["category"], row["category"])
        row["rule_label"] = rules.get(row["rule"], row["rule"])
        row["decide_url"] = decide_url(row["pk"])
        row["outcome_label"] = outcomes.get(row["outcome"], "")
        row["attachment_url"] = attachment_url(row["pk"]) if row["attachment"] else ""
    return rows


def _flag_rows_html(rows: list[dict], *, saved: bool = False, error: str = "", form_html: str = "") -> SafeString:
    """The worklist's rows (from _flag_rows), written in one pass: as template tags, a page's
    thousand lookups and escapes cost as much as its queries. Every value is escaped with
    html.escape (what Django's escape does, without its lazy-string wrapper).

    Also the one row an htmx decision swaps in, saying it was saved, or the error and the
    form again (`form_html`). Otherwise a row's decision form is fetched (hx-get) when its
    “作出决定” is first opened: fifty forms were most of the page."""
    decide, change, attachment, opening = (escape(gettext(text)) for text in ("作出决定", "修改决定", "附件", "正在打开…"))
    notes = f'<div class="small text-success">{escape(gettext("已保存。"))}</div>' if saved else ""
    if error:
        notes += f'<div class="small text-danger" role="alert">{escape(error)}</div>'
    html = []
    for row in rows:
        decision = notes
        if row["decided"]:
            reason = f"：{escape(row['reason'])}" if row["reason"] else ""
            file = f' · <a href="{row["attachment_url"]}">{attachment}</a>' if row["attachment_url"] else ""
            decision = (
                f'<div class="small" data-testid="decision"><strong>{escape(row["outcome_label"])}</strong>{reason}'
                f'<div class="text-muted">{escape(row["decided_by_name"])} · {date_zh(row["decided_at"])}{file}</div></div>'
            ) + notes
        if row["can_decide"]:
            summary = f'<summary class="small">{change if row["decided"] else decide}</summary>'
            if form_html:
                decision += f"<details open>{summary}{form_html}</details>"
            else:
                decision += (
                    f'<details hx-get="{row["decide_url"]}" hx-trigger="toggle once" hx-target="find .decision-form" '
                    f'hx-swap="outerHTML">{summary}<div class="decision-form small text-muted mt-1">{opening}</div></details>'
                )
        html.append(
            f'<tr id="flag-{row["pk"]}" data-testid="flag-row">'
            f'<td class="text-nowrap"><a href="{row["household_url"]}">{escape(row["head_name"])}</a>'
            f'<div class="small text-muted">{escape(row["number"])}</div></td>'
            f'<td class="text-nowrap">{escape(row["place"])}</td><td class="text-nowrap">{escape(row["category_label"])}</td>'
            f'<td>{escape(row["rule_label"])}</td><td data-testid="explanation">{escape(row["explanation"])}</td>'
            f'<td class="text-nowrap small">{date_zh(row["first_seen_at"])}</td><td class="text-nowrap small">{date_zh(row["due_date"])}</td>'
            f'<td class="text-nowrap">{badge(row["status_label"], row["badge"])}</td>'
            f"<td>{decision}</td></tr>\n"
        )
    return mark_safe("".join(html))  # every value from the database is escaped above


@login_required
def screening_worklist(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign_for(request.user)
    # As tuples, read once: the filter bar, the rows' places and who may decide (as _screening_campaign,
    # no village of the campaign's county in sight is a 404).
    visible = county_village_list(request.user, campaign) if campaign is not None else []
    if not visible:
        raise Http404
    form = ScreeningFilterForm(request.GET or None, villages=visible)
    flag_filter = screening.FlagFilter()
    village = visible[0] if len(visible) == 1 else None  # a village cadre's own village
    if form.is_valid():
        data = form.cleaned_data
        if data["village"]:
            village = next(v for v in visible if v.pk == data["village"])
        flag_filter = screening.FlagFilter(village_id=data["village"], rule=data["rule"], status=data["status"] or "open")
    today = timezone.localdate()
    flags, per_rule = screening.screening_flags_filtered(
        request.user, campaign, flag_filter, today=today, visible_ids=[v.pk for v in visible],
    )
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    writable = writable_among(request.user, campaign, visible)
    places = {v.pk: f"{v.township_name}{v.name}" for v in visible}
    rows_html = _flag_rows_html(_flag_rows(page.object_list, writable, places))
    query = request.GET.copy()
    query.pop("page", None)
    rule_query = query.copy()
    rule_query.pop("rule", None)
    context = {
        "campaign": campaign, "form": form, "page": page, "rows_html": rows_html,
        "query": query.urlencode(), "rule_query": rule_query.urlencode(),
        "rule_counts": [(code, ScreeningRule(code).label, n) for code, n in per_rule.items()],
        "rule_buttons": _rule_buttons_html(per_rule, flag_filter.rule, rule_query.urlencode()),
        "flag_filter": flag_filter, "village": village,
        "heading": screening.worklist_heading(campaign),
        "can_run": bool(writable), "can_manage": campaign.county_id in scope_for(request.user).write_county_ids,
    }
    return render(request, "households/screening_worklist.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def screening_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the decision form of one worklist row, which the row fetches (htmx) when its
    “作出决定” is opened. POST: record the decision; the row again for htmx, else back to the list."""
    flag = screening.get_screening_flag_for_user(request, pk)
    require_village_write(request, flag.household.village)
    village = flag.household.village
    writable, places = {village.pk}, {village.pk: f"{village.township.name}{village.name}"}
    if request.method == "GET":
        row = _flag_rows([screening.screening_flag_row(request.user, pk, today=timezone.localdate())], writable, places)[0]
        return render(request, "households/partials/screening_decision_form.html", {"flag": row, "outcomes": DecisionOutcome.choices})
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
        rows = _flag_rows([screening.screening_flag_row(request.user, pk, today=timezone.localdate())], writable, places)
        form_html = ""
        if error and rows[0]["can_decide"]:
            context = {"flag": rows[0], "outcomes": DecisionOutcome.choices}
            form_html = render_to_string("households/partials/screening_decision_form.html", context, request)
        return HttpResponse(_flag_rows_html(rows, saved=not error, error=error, form_html=form_html))
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
