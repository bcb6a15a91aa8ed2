"""Interview outlines, answer sheets and their review, rehearsal cards and
drill; household rehearsal visits, coverage and the mock inspection sample."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from evalprep.core.http import file_response
from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, Milestone
from evalprep.core.scoping import (
    can_write_village,
    current_campaign_for,
    get_village_for_user,
    require_county_manager,
    require_village_write,
    scope_for,
    villages_visible_to,
)
from evalprep.dossiers.services import job_start
from households.selectors import get_household_for_user
from interviews.cards import respondent_cards_pdf
from interviews.forms import AnswerForm, QuestionForm, RespondentAddForm, ReturnForm, SampleDrawForm, VisitForm
from interviews.jobs import sample_cards_job
from interviews.models import Question, SheetStatus
from interviews.questionnaire import questionnaire_title
from interviews.selectors import (
    can_draw_sample,
    can_edit_sheet,
    can_review_sheet,
    get_outline_for_user,
    get_respondent_for_user,
    latest_sample,
    outlines_due,
    outlines_visible_to,
    rehearsal_coverage,
    rehearsal_due,
    respondent_label,
    sample_entries_for,
    sheet_history,
    sheet_summaries,
    sheets_checked,
    sheets_for,
    village_households_rehearsal,
)
from interviews.services import (
    outline_load,
    question_add,
    question_save,
    respondent_add,
    respondents_assign,
    answer_save,
    sample_draw,
    sheet_approve,
    sheet_return,
    sheet_submit,
    visit_record,
)

PAGE_SIZE = 50


def _campaign_for(request: HttpRequest) -> Campaign:
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    return campaign


def _sees_villages(user) -> bool:
    scope = scope_for(user)
    return bool(scope.read_county_ids or scope.read_township_ids or scope.village_ids)


def _deadline(due: Milestone | None) -> dict:
    return {"due": due, "days_left": due.days_left() if due else None}


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    outlines = outlines_visible_to(request.user, campaign).prefetch_related("questions")
    scope = scope_for(request.user)
    mine = sheets_for(request.user, campaign).filter(
        Q(user=request.user) | Q(department_id__in=scope.department_ids) | Q(village_id__in=scope.village_ids)
        | Q(relocation_site__village_id__in=scope.village_ids)
    )
    mine = sheet_summaries(list(mine))
    context = {
        "campaign": campaign, "outlines": outlines, "mine": mine, **_deadline(outlines_due(campaign)),
        "can_manage": campaign.county_id in scope.write_county_ids,
    }
    return render(request, "interviews/landing.html", context)


@login_required
@require_POST
def outlines_load_view(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    try:
        result = outline_load(campaign=campaign, user=request.user)
        assigned = respondents_assign(campaign=campaign, user=request.user)
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已载入访谈提纲：新增{result.outlines_created}份提纲、{result.questions_created}道题"
                                  f"（保留已有{result.questions_kept}道）；新分配答题人{assigned}份。")
    return redirect("interviews:landing")


@login_required
@require_POST
def respondents_assign_view(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    assigned = respondents_assign(campaign=campaign, user=request.user)
    messages.success(request, f"已按角色分配答题人：新增{assigned}份答卷。")
    return redirect("interviews:landing")


@login_required
def outline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    outline = get_outline_for_user(request, campaign, pk)
    sheets = sheet_summaries(list(sheets_for(request.user, campaign, outline=outline)))
    can_manage = campaign.county_id in scope_for(request.user).write_county_ids
    context = {
        "outline": outline, "questions": outline.questions.all(), "sheets": sheets, **_deadline(outlines_due(campaign)),
        "can_manage": can_manage,
        "add_form": RespondentAddForm(county_id=campaign.county_id) if can_manage else None,
    }
    return render(request, "interviews/outline.html", context)


@login_required
@require_POST
def respondent_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    outline = get_outline_for_user(request, campaign, pk)
    require_county_manager(request, campaign.county_id)
    form = RespondentAddForm(request.POST, county_id=campaign.county_id)
    if not form.is_valid():
        messages.error(request, "请选择要分配的人员。")
        return redirect("interviews:outline", outline.pk)
    try:
        respondent = respondent_add(outline=outline, assignment=form.cleaned_data["assignment"], user=request.user)
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已把“{outline.title}”分配给{respondent.user_label}。")
    return redirect("interviews:outline", outline.pk)


@login_required
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    outline = get_outline_for_user(request, campaign, pk)
    require_county_manager(request, campaign.county_id)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = question_add(outline=outline, user=request.user, **form.cleaned_data)
        messages.success(request, f"已增加第{question.number}题。")
        return redirect("interviews:outline", outline.pk)
    return render(request, "interviews/question_form.html", {"form": form, "outline": outline, "question": None})


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    question = Question.objects.select_related("outline").filter(pk=pk, outline__campaign=campaign).first()
    if question is None or not outlines_visible_to(request.user, campaign).filter(pk=question.outline_id).exists():
        raise Http404
    require_county_manager(request, campaign.county_id)
    form = QuestionForm(request.POST or None, initial={"text": question.text, "data_check": question.data_check})
    if request.method == "POST" and form.is_valid():
        question_save(question=question, user=request.user, **form.cleaned_data)
        messages.success(request, f"已修改第{question.number}题。")
        return redirect("interviews:outline", question.outline_id)
    history = question.history.select_related("history_user").order_by("-history_date")[:20]
    context = {"form": form, "outline": question.outline, "question": question, "history": history}
    return render(request, "interviews/question_form.html", context)


@login_required
def sheets(request: HttpRequest) -> HttpResponse:
    """Every sheet the user may see, with its progress and flags: the reviewers' list."""
    campaign = _campaign_for(request)
    rows = sheets_for(request.user, campaign)
    status = request.GET.get("status", "")
    if status in SheetStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = sheet_summaries(list(page.object_list))
    context = {
        "campaign": campaign, "page": page, "status": status, "statuses": SheetStatus.choices,
        **_deadline(outlines_due(campaign)),
    }
    return render(request, "interviews/sheets.html", context)


def _sheet_context(request: HttpRequest, respondent) -> dict:
    rows = sheets_checked([respondent])[respondent.pk]
    history = sheet_history(respondent)
    for row in rows:
        row.history = history.get(row.question.pk, [])[1:6]
    return {
        "sheet": respondent, "label": respondent_label(respondent), "rows": rows,
        "can_edit": can_edit_sheet(request.user, respondent), "can_review": can_review_sheet(request.user, respondent),
        "peer_flag_count": sum(len(r.peer) for r in rows),
        "data_flag_count": sum(len(r.data) for r in rows), "return_form": ReturnForm(),
        **_deadline(outlines_due(respondent.outline.campaign)),
    }


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    respondent = get_respondent_for_user(request, pk)
    return render(request, "interviews/sheet.html", _sheet_context(request, respondent))


@login_required
@require_POST
def answer_save_view(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    respondent = get_respondent_for_user(request, pk)
    question = respondent.outline.questions.filter(pk=question_pk).first()
    if question is None:
        raise Http404
    if not can_edit_sheet(request.user, respondent):
        raise PermissionDenied("您不能修改这份答卷。")
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer_save(respondent=respondent, question=question, text=form.cleaned_data["text"], user=request.user)
        except EvalprepError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已保存第{question.number}题。")
    else:
        messages.error(request, f"第{question.number}题：回答不能超过5000字。")
    return redirect(reverse("interviews:sheet", args=[pk]) + f"#q{question.number}")


def _review_action(request: HttpRequest, pk: int, action, success: str, *, review: bool) -> HttpResponse:
    respondent = get_respondent_for_user(request, pk)
    allowed = can_review_sheet(request.user, respondent) if review else can_edit_sheet(request.user, respondent)
    if not allowed:
        raise PermissionDenied("您不能对这份答卷执行此操作。")
    try:
        action(respondent)
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("interviews:sheet", pk)


@login_required
@require_POST
def sheet_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(request, pk, lambda r: sheet_submit(respondent=r, user=request.user),
                          "已提交，等待审核。", review=False)


@login_required
@require_POST
def sheet_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    def approve(respondent) -> None:
        rows = sheets_checked([respondent])[respondent.pk]
        sheet_approve(respondent=respondent, user=request.user, peer_flag_count=sum(len(r.peer) for r in rows))

    return _review_action(request, pk, approve, "已审核通过。", review=True)


@login_required
@require_POST
def sheet_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _review_action(request, pk, lambda r: sheet_return(respondent=r, user=request.user, reason=reason),
                          "已退回，答题人会看到退回原因。", review=True)


@login_required
def sheet_cards(request: HttpRequest, pk: int) -> HttpResponse:
    respondent = get_respondent_for_user(request, pk)
    content = respondent_cards_pdf([respondent])
    filename = f"访谈问答卡-{respondent.outline.title}-{respondent.user_label}.pdf"
    return file_response(content, filename, content_type="application/pdf", inline=True)


@login_required
def sheet_drill(request: HttpRequest, pk: int) -> HttpResponse:
    """One question at a time: read it, answer aloud, then show the prepared answer."""
    respondent = get_respondent_for_user(request, pk)
    rows = sheets_checked([respondent])[respondent.pk]
    if not rows:
        raise Http404
    try:
        index = min(max(int(request.GET.get("n", 1)), 1), len(rows))
    except ValueError:
        index = 1
    context = {
        "sheet": respondent, "label": respondent_label(respondent), "row": rows[index - 1], "index": index,
        "total": len(rows), "reveal": request.GET.get("reveal") == "1",
    }
    template = "interviews/partials/drill_card.html" if request.htmx else "interviews/drill.html"
    return render(request, template, context)


# Household rehearsal


@login_required
def rehearsal(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    coverage = rehearsal_coverage(request.user, campaign)
    if not coverage:
        raise Http404
    total = sum(row.households for row in coverage)
    visited = sum(row.visited for row in coverage)
    context = {
        "campaign": campaign, "coverage": coverage, **_deadline(rehearsal_due(campaign)),
        "total": total, "visited": visited, "percent": round(visited * 100 / total) if total else 0,
        "sample": latest_sample(campaign),
    }
    return render(request, "interviews/rehearsal.html", context)


@login_required
def rehearsal_village(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    village = get_village_for_user(request, pk)
    only = request.GET.get("only") == "differences"
    households = village_households_rehearsal(village, campaign, only_differences=only)
    visited = sum(1 for h in households if h.latest_visit)
    context = {
        "village": village, "households": households, "only": only, "visited": visited,
        "can_write": can_write_village(request.user, village), "due": rehearsal_due(campaign),
    }
    return render(request, "interviews/rehearsal_village.html", context)


@login_required
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request)
    household = get_household_for_user(request, pk)
    require_village_write(request, household.village, "您对该村只有查看权限，不能录入演练记录。")
    form = VisitForm(request.POST or None, category=household.category,
                     initial={"visitor_name": (request.user.get_full_name() or request.user.username)[:30]})
    if request.method == "POST" and form.is_valid():
        try:
            visit = visit_record(campaign=campaign, household=household, visit=form.save(commit=False), user=request.user)
        except EvalprepError as exc:
            messages.error(request, exc.message)
        else:
            if visit.differences:
                messages.warning(request, f"已记录{household.head_name}户的演练，有{len(visit.differences)}处与台账不一致，请核实。")
            else:
                messages.success(request, f"已记录{household.head_name}户的演练，回答与台账一致。")
            return redirect("interviews:rehearsal_village", household.village_id)
    context = {"form": form, "household": household, "questionnaire": questionnaire_title(household.category)}
    return render(request, "interviews/visit_form.html", context)


@login_required
def sample(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    if not _sees_villages(request.user):
        raise Http404
    drawn = latest_sample(campaign)
    page = Paginator(sample_entries_for(request.user, drawn), PAGE_SIZE).get_page(request.GET.get("page")) if drawn else None
    context = {
        "campaign": campaign, "sample": drawn, "page": page, "can_draw": can_draw_sample(request.user, campaign),
        "form": SampleDrawForm(initial={"seed": campaign.year, "size": 200}),
    }
    return render(request, "interviews/sample.html", context)


@login_required
@require_POST
def sample_draw_view(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    require_county_manager(request, campaign.county_id)
    form = SampleDrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items()))
        return redirect("interviews:sample")
    try:
        drawn = sample_draw(campaign=campaign, user=request.user, **form.cleaned_data)
    except EvalprepError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已抽取{drawn.size}户（种子{drawn.seed}）。抽中农户在各村演练名单中排在最前。")
    return redirect("interviews:sample")


@login_required
@require_POST
def sample_cards(request: HttpRequest) -> HttpResponse:
    campaign = _campaign_for(request)
    if not _sees_villages(request.user):
        raise Http404
    drawn = latest_sample(campaign)
    if drawn is None:
        messages.error(request, "还没有抽样，请乡村振兴局先抽取模拟样本。")
        return redirect("interviews:sample")
    village_ids = list(villages_visible_to(request.user).values_list("pk", flat=True))
    job = job_start(
        task=sample_cards_job, kind="interview_sample_cards", title=f"模拟抽样农户卡片（种子{drawn.seed}）",
        county_id=campaign.county_id, user=request.user, params={"sample_id": drawn.pk, "village_ids": village_ids},
    )
    return redirect("dossiers:job_detail", job.pk)
