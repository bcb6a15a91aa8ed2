"""Reads for interviews and the rehearsal, always through the user's scope."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from evalprep.core.models import Campaign, Milestone, MilestoneKind, Village
from evalprep.core.scoping import scope_for, village_read_q, villages_visible_to
from households.models import Household
from interviews.checks import DataFlag, PeerFlag, data_flags, expected_by_unit, peer_flags
from interviews.models import (
    Answer,
    InspectionSample,
    Outline,
    OutlineLevel,
    Question,
    RehearsalVisit,
    Respondent,
    RespondentKind,
    SampleHousehold,
    SheetStatus,
)
from interviews.numbers import figures_from_json

# Interview outlines


def respondents_visible_to(user) -> QuerySet[Respondent]:
    """Own sheets, and the sheets of the units the user may see."""
    scope = scope_for(user)
    if scope.is_empty:
        return Respondent.objects.none()
    return Respondent.objects.filter(
        Q(user=user)
        | Q(outline__campaign__county_id__in=scope.read_county_ids)
        | Q(department_id__in=scope.department_ids)
        | Q(village__township_id__in=scope.read_township_ids)
        | Q(relocation_site__village__township_id__in=scope.read_township_ids)
        | Q(village_id__in=scope.village_ids)
        | Q(relocation_site__village_id__in=scope.village_ids)
    )


def outlines_visible_to(user, campaign: Campaign) -> QuerySet[Outline]:
    """The county sees every outline; others the outlines they or their unit answer."""
    outlines = Outline.objects.filter(campaign=campaign)
    if campaign.county_id in scope_for(user).read_county_ids:
        return outlines
    return outlines.filter(Exists(respondents_visible_to(user).filter(outline=OuterRef("pk"))))


def get_outline_for_user(request: HttpRequest, campaign: Campaign, pk: int) -> Outline:
    outline = outlines_visible_to(request.user, campaign).filter(pk=pk).first()
    if outline is None:
        raise Http404
    return outline


def get_respondent_for_user(request: HttpRequest, pk: int) -> Respondent:
    respondent = (
        respondents_visible_to(request.user)
        .select_related("outline__campaign__county", "user", "department", "village__township",
                        "relocation_site__village__township", "reviewed_by")
        .filter(pk=pk).first()
    )
    if respondent is None:
        raise Http404
    return respondent


def can_edit_sheet(user, respondent: Respondent) -> bool:
    """The respondent; for a department, its people (staff draft for the head);
    for county leaders, the bureau (it drafts the leaders' answers)."""
    if respondent.status == SheetStatus.APPROVED:
        return False
    if respondent.user_id == user.pk:
        return True
    scope = scope_for(user)
    if respondent.department_id and respondent.department_id in scope.department_ids:
        return True
    kind = respondent.outline.respondent_kind
    return kind == RespondentKind.COUNTY_LEADER and respondent.outline.campaign.county_id in scope.write_county_ids


def can_review_sheet(user, respondent: Respondent) -> bool:
    """Unit head signs off a department's sheet; the township head approves a
    village's or a relocation site's; the bureau reviews the county leaders'."""
    scope = scope_for(user)
    if respondent.department_id:
        return respondent.department_id in scope.head_department_ids
    township_id = None
    if respondent.village_id:
        township_id = respondent.village.township_id
    elif respondent.relocation_site_id:
        township_id = respondent.relocation_site.village.township_id
    if township_id:
        return township_id in scope.head_township_ids
    return respondent.outline.campaign.county_id in scope.write_county_ids


def outlines_due(campaign: Campaign) -> Milestone | None:
    """The campaign's deadline for interview outlines (访谈提纲报送截止)."""
    return campaign.milestones.filter(kind=MilestoneKind.OUTLINES_DUE).order_by("due_date").first()


def respondent_label(respondent: Respondent) -> str:
    post = f"{respondent.post} " if respondent.post else ""
    return f"{post}{respondent.user_label}"


@dataclass
class QuestionRow:
    question: object
    answer: Answer | None
    figures: list
    peer: list[PeerFlag] = field(default_factory=list)
    data: list[DataFlag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    history: list = field(default_factory=list)

    @property
    def flag_count(self) -> int:
        return len(self.peer) + len(self.data)


def _unit_id(respondent: Respondent) -> int | None:
    level = respondent.outline.level
    if level == OutlineLevel.VILLAGE:
        return respondent.village_id
    if level == OutlineLevel.RELOCATION_SITE:
        return respondent.relocation_site_id
    return respondent.outline.campaign.county_id


def _peers(respondents: list[Respondent]) -> dict[int, list[Respondent]]:
    """For each respondent, the others answering the same outline for the same unit (one query)."""
    keys = {r.peer_key for r in respondents}
    outline_ids = {key[0] for key in keys}
    candidates = Respondent.objects.filter(outline_id__in=outline_ids).select_related("user", "outline")
    by_key = defaultdict(list)
    for candidate in candidates:
        if candidate.peer_key in keys:
            by_key[candidate.peer_key].append(candidate)
    return {r.pk: [p for p in by_key[r.peer_key] if p.pk != r.pk] for r in respondents}


def sheets_checked(respondents: list[Respondent]) -> dict[int, list[QuestionRow]]:
    """Every question of each sheet with its answer and its checks.

    A fixed number of queries whatever the number of sheets: questions, the
    peers, all their answers, and one grouped registry query per check and level."""
    if not respondents:
        return {}
    peers = _peers(respondents)
    outline_ids = {r.outline_id for r in respondents}
    questions = defaultdict(list)
    for question in _questions(outline_ids):
        questions[question.outline_id].append(question)
    ids = {r.pk for r in respondents} | {p.pk for group in peers.values() for p in group}
    answers = {(a.respondent_id, a.question_id): a for a in Answer.objects.filter(respondent_id__in=ids)}
    expected = _expected(respondents, questions)
    result = {}
    for respondent in respondents:
        rows = []
        for question in questions[respondent.outline_id]:
            answer = answers.get((respondent.pk, question.pk))
            figures = figures_from_json(answer.figures) if answer else []
            row = QuestionRow(question=question, answer=answer, figures=figures)
            registry = expected.get((question.data_check, respondent.outline.level, _unit_id(respondent)), [])
            if answer and answer.text.strip():
                for peer in peers[respondent.pk]:
                    theirs = answers.get((peer.pk, question.pk))
                    if theirs and theirs.text.strip():
                        row.peer += peer_flags(figures, figures_from_json(theirs.figures), respondent_label(peer))
                if question.data_check:
                    row.data, row.notes = data_flags(answer.text, figures, registry)
            else:
                row.notes = [f"台账：{item.label}{item}" for item in registry]
            rows.append(row)
        result[respondent.pk] = rows
    return result


def _questions(outline_ids):
    return Question.objects.filter(outline_id__in=outline_ids).order_by("outline_id", "number")


def _expected(respondents: list[Respondent], questions: dict) -> dict:
    wanted = defaultdict(set)
    for respondent in respondents:
        for question in questions[respondent.outline_id]:
            if question.data_check:
                wanted[(question.data_check, respondent.outline.level)].add(_unit_id(respondent))
    campaign = respondents[0].outline.campaign
    expected = {}
    for (check, level), unit_ids in wanted.items():
        for unit_id, figures in expected_by_unit(check, campaign=campaign, level=level, unit_ids=unit_ids).items():
            expected[(check, level, unit_id)] = figures
    return expected


def sheet_history(respondent: Respondent) -> dict[int, list]:
    """Earlier versions of each answer (one query), newest first."""
    history = defaultdict(list)
    rows = Answer.history.filter(respondent_id=respondent.pk).select_related("history_user").order_by("-history_date")
    for row in rows:
        history[row.question_id].append(row)
    return history


def sheets_for(user, campaign: Campaign, *, outline: Outline | None = None) -> QuerySet[Respondent]:
    sheets = respondents_visible_to(user).filter(outline__campaign=campaign).select_related(
        "outline__campaign__county", "user", "department", "village__township", "relocation_site__village__township"
    )
    if outline is not None:
        sheets = sheets.filter(outline=outline)
    return sheets.order_by("outline__order", "department__name", "village__code", "relocation_site__name", "pk")


def sheet_summaries(sheets: list[Respondent]) -> list[Respondent]:
    """Attach answered count and flag counts to each sheet (bounded queries)."""
    checked = sheets_checked(sheets)
    for sheet in sheets:
        rows = checked.get(sheet.pk, [])
        sheet.question_count = len(rows)
        sheet.answered_count = sum(1 for row in rows if row.answer and row.answer.text.strip())
        sheet.peer_flag_count = sum(len(row.peer) for row in rows)
        sheet.data_flag_count = sum(len(row.data) for row in rows)
        sheet.label = respondent_label(sheet)
    return sheets


# Household rehearsal


@dataclass
class VillageCoverage:
    village: Village
    households: int
    visited: int
    with_differences: int
    sampled: int
    sampled_visited: int

    @property
    def percent(self) -> int:
        return round(self.visited * 100 / self.households) if self.households else 0


def latest_sample(campaign: Campaign) -> InspectionSample | None:
    return campaign.inspection_samples.order_by("-drawn_at", "-pk").first()


def rehearsal_coverage(user, campaign: Campaign) -> list[VillageCoverage]:
    """Per visible village: households, visited, with differences, sampled (one query)."""
    sample = latest_sample(campaign)
    visits = RehearsalVisit.objects.filter(campaign=campaign, household=OuterRef("pk"))
    differing = visits.exclude(differences=[])
    sampled = SampleHousehold.objects.filter(sample=sample, household=OuterRef("pk"))
    households = Household.objects.filter(village_read_q(scope_for(user), "village__")).filter(
        village__township__county_id=campaign.county_id
    ).annotate(visited=Exists(visits), differs=Exists(differing), sampled=Exists(sampled))
    rows = households.values("village_id").annotate(
        total=Count("pk"), visited_n=Count("pk", filter=Q(visited=True)),
        differs_n=Count("pk", filter=Q(differs=True)), sampled_n=Count("pk", filter=Q(sampled=True)),
        sampled_visited=Count("pk", filter=Q(sampled=True, visited=True)),
    )
    counts = {row["village_id"]: row for row in rows}
    villages = villages_visible_to(user).filter(township__county_id=campaign.county_id).select_related("township")
    result = []
    for village in villages.order_by("code"):
        row = counts.get(village.pk, {})
        result.append(VillageCoverage(
            village=village, households=row.get("total", 0), visited=row.get("visited_n", 0),
            with_differences=row.get("differs_n", 0), sampled=row.get("sampled_n", 0),
            sampled_visited=row.get("sampled_visited", 0),
        ))
    return result


def rehearsal_due(campaign: Campaign) -> Milestone | None:
    return campaign.milestones.filter(kind=MilestoneKind.REHEARSAL_DONE).order_by("due_date").first()


def village_households_rehearsal(village: Village, campaign: Campaign, *, only_differences: bool = False):
    """The village's households, sampled first, each with its latest visit (two queries)."""
    sample = latest_sample(campaign)
    sampled = SampleHousehold.objects.filter(sample=sample, household=OuterRef("pk"))
    households = (
        village.households.annotate(sampled=Exists(sampled))
        .select_related("group").order_by("-sampled", "number")
    )
    visits = {}
    for visit in RehearsalVisit.objects.filter(campaign=campaign, household__village=village).order_by(
        "household_id", "-visited_on", "-pk"
    ):
        visits.setdefault(visit.household_id, visit)
    rows = []
    for household in households:
        household.latest_visit = visits.get(household.pk)
        if only_differences and not (household.latest_visit and household.latest_visit.differences):
            continue
        rows.append(household)
    return rows


def sample_entries_for(user, sample: InspectionSample) -> QuerySet[SampleHousehold]:
    visits = RehearsalVisit.objects.filter(campaign_id=sample.campaign_id, household=OuterRef("household_id"))
    return (
        sample.entries.filter(village_read_q(scope_for(user), "household__village__"))
        .select_related("household__village__township")
        .annotate(visited=Exists(visits))
        .order_by("order")
    )


def can_draw_sample(user, campaign: Campaign) -> bool:
    return campaign.county_id in scope_for(user).write_county_ids
