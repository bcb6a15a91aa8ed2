"""Demo data: interview outlines, answers and rehearsal visits (#8).

The 2021 outlines are loaded and given to the demo's people. Village sheets are
answered from the registry's own figures, with a few deliberate slips (a first
secretary's enrolment rate that differs from the secretary's, a village that
says it has no dangerous houses when the roster has some) so the checks have
something to show. The first township's sheets are approved, the second's
submitted. Households in the first two townships get rehearsal visits, a few
with answers that differ from the registry; the mock sample is drawn.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from evalprep.core.models import Campaign, County, Township
from households.models import Household
from interviews.checks import expected_by_unit
from interviews.models import (
    Answer,
    DataCheck,
    OutlineLevel,
    Question,
    RehearsalVisit,
    Respondent,
    Satisfaction,
    SheetStatus,
)
from interviews.numbers import figures_in, figures_to_json
from interviews.services import household_facts, outline_load, respondents_assign, sample_draw, visit_differences

VISITED_SHARE = 0.7
SLIP_SHARE = 0.06

GENERIC = {
    OutlineLevel.VILLAGE: "本村已按要求落实，情况清楚，相关台账和佐证资料已整理装订，可随时查阅。",
    OutlineLevel.RELOCATION_SITE: "本安置点已按要求落实，搬迁群众情况清楚，相关台账已整理。",
    OutlineLevel.COUNTY: "已按要求落实，具体情况见本单位工作总结和佐证资料。",
}


def _answer_text(question: Question, figures: list, rng: random.Random, slip: bool) -> str:
    """A plausible answer; where the registry knows the figures, it states them (or slips)."""
    values = {item.label: item for item in figures}
    check = question.data_check
    if check == DataCheck.MEDICAL_INSURANCE_RATE and figures:
        overall = "100" if slip else str(values["参保率"]).rstrip("%")
        return (f"今年本村基本医疗保险参保率为{overall}%，其中脱贫户（含监测户）参保率{values['脱贫户（含监测户）参保率']}，"
                f"其他农户参保率{values['其他农户参保率']}。脱贫户按政策享受分类资助参保。")
    if check == DataCheck.CHILDREN_OUT_OF_SCHOOL and figures:
        count = int(values["义务教育阶段失学辍学"].value)
        if count and not slip:
            return f"本村有{count}名义务教育阶段学生未在校，均为因病休学或送教上门，已建立特殊档案。"
        return "今年以来本村没有出现因贫辍学现象，控辍保学工作落实到位。"
    if check == DataCheck.DANGEROUS_HOUSES and figures:
        count = int(values["C/D级危房"].value)
        if count and not slip:
            return f"经排查，本村有{count}户住房鉴定为C/D级，已纳入危房改造计划，改造期间安排周转住房。"
        return "本村没有住危房的情况，住房安全有保障。"
    if check == DataCheck.MONITORED_HOUSEHOLDS and figures:
        return (f"全县纳入监测户{values['监测户'].value}户，其中今年新纳入{values['今年新纳入监测'].value}户，"
                "均落实了针对性帮扶措施。")
    if check == DataCheck.RELOCATION_HOUSEHOLDS and figures:
        return f"共安置易地搬迁群众{values['易地搬迁'].value}户{values['搬迁人口'].value}人，均已入住。"
    return GENERIC[question.outline.level] if rng.random() < 0.8 else GENERIC[question.outline.level] + "下一步将持续巩固。"


def _expected(campaign: Campaign, respondents: list[Respondent], questions: dict) -> dict:
    wanted: dict = {}
    for respondent in respondents:
        level = respondent.outline.level
        unit = {OutlineLevel.VILLAGE: respondent.village_id, OutlineLevel.RELOCATION_SITE: respondent.relocation_site_id}.get(
            level, campaign.county_id
        )
        respondent.demo_unit = unit
        for question in questions[respondent.outline_id]:
            if question.data_check:
                wanted.setdefault((question.data_check, level), set()).add(unit)
    expected = {}
    for (check, level), units in wanted.items():
        for unit, figures in expected_by_unit(check, campaign=campaign, level=level, unit_ids=units).items():
            expected[(check, level, unit)] = figures
    return expected


def _answers_seed(*, campaign: Campaign, rng: random.Random) -> None:
    respondents = list(
        Respondent.objects.filter(outline__campaign=campaign, answers__isnull=True)
        .select_related("outline", "village__township", "relocation_site__village__township")
        .order_by("outline__order", "pk")
    )
    if not respondents:
        return
    questions: dict = {}
    for question in Question.objects.filter(outline__campaign=campaign).select_related("outline").order_by("number"):
        questions.setdefault(question.outline_id, []).append(question)
    expected = _expected(campaign, respondents, questions)
    townships = list(Township.objects.filter(county_id=campaign.county_id).order_by("code"))
    now = timezone.now()
    answers = []
    for respondent in respondents:
        # First secretaries slip now and then; the checks will catch it.
        slipping = respondent.post.endswith("第一书记") and rng.random() < 0.25
        for question in questions[respondent.outline_id]:
            figures = expected.get((question.data_check, respondent.outline.level, respondent.demo_unit), [])
            text = _answer_text(question, figures, rng, slip=slipping and bool(question.data_check))
            answers.append(Answer(respondent=respondent, question=question, text=text,
                                  figures=figures_to_json(figures_in(text)), updated_at=now))
    bulk_create_with_history(answers, Answer, batch_size=500)
    for respondent in respondents:
        village = respondent.village or (respondent.relocation_site.village if respondent.relocation_site else None)
        township_index = townships.index(village.township) if village else 0
        if village and township_index in (0, 1):
            respondent.status, respondent.submitted_at = SheetStatus.SUBMITTED, now
    Respondent.objects.bulk_update(respondents, ["status", "submitted_at"], batch_size=500)
    _approve_agreeing(campaign=campaign, township=townships[0] if townships else None)


def _approve_agreeing(*, campaign: Campaign, township: Township | None) -> None:
    """The first township approves the sheets whose numbers agree."""
    from interviews.selectors import sheets_checked

    if township is None:
        return
    head = township.role_assignments.filter(role="township_head").select_related("user").first()
    sheets = list(
        Respondent.objects.filter(outline__campaign=campaign, village__township=township, status=SheetStatus.SUBMITTED)
        .select_related("outline__campaign", "user", "village")
    )
    checked = sheets_checked(sheets)
    agreeing = [s for s in sheets if not any(row.peer for row in checked[s.pk])]
    now = timezone.now()
    for sheet in agreeing:
        sheet.status, sheet.reviewed_at, sheet.reviewed_by = SheetStatus.APPROVED, now, head.user if head else None
    Respondent.objects.bulk_update(agreeing, ["status", "reviewed_at", "reviewed_by"])


def _visits_seed(*, campaign: Campaign, rng: random.Random) -> None:
    if RehearsalVisit.objects.filter(campaign=campaign).exists():
        return
    townships = list(Township.objects.filter(county_id=campaign.county_id).order_by("code")[:2])
    households = list(
        Household.objects.filter(village__township__in=townships).order_by("village__code", "number")
        .values_list("pk", flat=True)
    )
    chosen = [pk for pk in households if rng.random() < VISITED_SHARE]
    facts = household_facts(chosen)
    last = min(timezone.localdate(), (campaign.inspection_start or date(campaign.year, 12, 25)) - timedelta(days=5))
    visits = []
    for pk in chosen:
        fact = facts[pk]
        slip = rng.random() < SLIP_SHARE
        income = fact.income if fact.income is not None else Decimal(rng.randrange(6000, 20000, 100))
        measures = sorted(fact.measures)
        if slip and rng.random() < 0.5:
            income = (income * Decimal("0.6")).quantize(Decimal(1))
        elif slip and measures:
            measures = measures[1:]
        visit = RehearsalVisit(
            campaign=campaign, household_id=pk, questionnaire=fact.category,
            visited_on=last - timedelta(days=rng.randrange(0, 20)), visitor_name="帮扶责任人",
            food_clothing_ok=True, schooling_ok=not fact.out_of_school, medical_insured=not fact.uninsured,
            housing_safe=fact.housing_grade not in ("C", "D"), water_safe=fact.water_safe is not False,
            stated_income_per_capita=income.quantize(Decimal(1)), stated_income_sources=["wage", "transfer"],
            stated_measures=measures, stated_category=fact.category, knows_helper=not slip,
            satisfaction=rng.choice([Satisfaction.SATISFIED] * 4 + [Satisfaction.FAIRLY]),
        )
        visit.differences = visit_differences(facts=fact, visit=visit)
        visits.append(visit)
    RehearsalVisit.objects.bulk_create(visits, batch_size=500)


def interviews_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
    rng = random.Random(seed * 7919 + 8)
    with transaction.atomic():
        outline_load(campaign=campaign)
        respondents_assign(campaign=campaign)
        _answers_seed(campaign=campaign, rng=rng)
        _visits_seed(campaign=campaign, rng=rng)
        has_households = Household.objects.filter(village__township__county=county).exists()
        if has_households and not campaign.inspection_samples.filter(seed=seed).exists():
            sample_draw(campaign=campaign, seed=seed)
