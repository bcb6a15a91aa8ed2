"""Writes for interviews: loading outlines, editing questions, assigning
respondents, answers and their review; rehearsal visits; the mock sample."""

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, DepartmentKind, RelocationSite, Role, RoleAssignment, VillagePost
from evalprep.core.services import audit_log
from households.models import Category, Household, IncomeYear, Measure, Member, MonitoringType, RiskType
from interviews.models import (
    Answer,
    DataCheck,
    InspectionSample,
    Outline,
    OutlineLevel,
    Question,
    RehearsalVisit,
    Respondent,
    RespondentKind,
    SampleHousehold,
    SheetStatus,
    StatedCategory,
)
from interviews.numbers import figures_in, figures_to_json

OUTLINE_DIR = Path(settings.BASE_DIR) / "interviews" / "outlines"
DEFAULT_LIBRARY = "2021-plan"


class InterviewError(EvalprepError):
    """A refusal a user can act on; the message says what to do."""


@dataclass(frozen=True)
class OutlineLoadResult:
    outlines_created: int
    questions_created: int
    questions_kept: int


def _library(name: str, path: Path | None) -> dict:
    path = path or OUTLINE_DIR / f"{name}.json"
    if not path.exists():
        raise InterviewError(f"找不到访谈提纲文件“{path.name}”。请确认文件名，或联系系统管理员。")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InterviewError(f"访谈提纲文件“{path.name}”格式不对（{exc}），未导入任何内容。") from exc
    kinds = set(DepartmentKind.values)
    for index, outline in enumerate(data.get("outlines", []), start=1):
        where = f"第{index}份提纲（{outline.get('title', '无名称')}）"
        if outline.get("level") not in OutlineLevel.values or outline.get("respondent_kind") not in RespondentKind.values:
            raise InterviewError(f"{where}：层级或访谈对象不对，未导入任何内容。")
        if not set(outline.get("department_kinds", [])) <= kinds:
            raise InterviewError(f"{where}：部门类别不对，未导入任何内容。")
        numbers = [q.get("number") for q in outline.get("questions", [])]
        if len(numbers) != len(set(numbers)) or not all(isinstance(n, int) and n > 0 for n in numbers):
            raise InterviewError(f"{where}：题号重复或不是正整数，未导入任何内容。")
        for question in outline["questions"]:
            if not str(question.get("text", "")).strip():
                raise InterviewError(f"{where}第{question['number']}题：问题为空，未导入任何内容。")
            if question.get("check", "") not in ("", *DataCheck.values):
                raise InterviewError(f"{where}第{question['number']}题：数据核对项“{question['check']}”不认识。")
    if not data.get("outlines"):
        raise InterviewError(f"访谈提纲文件“{path.name}”中没有提纲。")
    return data


@transaction.atomic
def outline_load(*, campaign: Campaign, name: str = DEFAULT_LIBRARY, path: Path | None = None, user=None) -> OutlineLoadResult:
    """Load a library of outlines into a campaign. Existing questions are kept as
    they are (the bureau may have edited them); missing ones are added."""
    data = _library(name, path)
    outlines_created = questions_created = kept = 0
    for order, spec in enumerate(data["outlines"], start=1):
        outline, created = Outline.objects.get_or_create(
            campaign=campaign, code=spec["code"],
            defaults={
                "library": data.get("name", name), "level": spec["level"], "respondent_kind": spec["respondent_kind"],
                "department_kinds": spec.get("department_kinds", []), "title": spec["title"],
                "respondents_note": spec.get("respondents", ""), "order": order,
            },
        )
        outlines_created += created
        existing = set(outline.questions.values_list("number", flat=True))
        new = [
            Question(outline=outline, number=q["number"], text=q["text"].strip(), data_check=q.get("check", ""))
            for q in spec["questions"] if q["number"] not in existing
        ]
        for question in new:
            question.full_clean(exclude=["outline"], validate_unique=False, validate_constraints=False)
        bulk_create_with_history(new, Question)
        questions_created += len(new)
        kept += len(spec["questions"]) - len(new)
    if outlines_created or questions_created:
        audit_log(user=user, county_id=campaign.county_id, action="outlines_loaded", obj=campaign,
                  detail=f"{data.get('title', name)}：新增提纲{outlines_created}份、问题{questions_created}题")
    return OutlineLoadResult(outlines_created, questions_created, kept)


def question_save(*, question: Question, text: str, data_check: str, user) -> Question:
    text = text.strip()
    if not text:
        raise InterviewError("问题不能为空。")
    question.text, question.data_check, question.edited = text, data_check, True
    question._history_user = user
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_add(*, outline: Outline, text: str, data_check: str, user) -> Question:
    text = text.strip()
    if not text:
        raise InterviewError("问题不能为空。")
    Outline.objects.select_for_update().filter(pk=outline.pk).first()
    number = (outline.questions.aggregate(top=Max("number"))["top"] or 0) + 1
    question = Question(outline=outline, number=number, text=text, data_check=data_check, is_local=True)
    question._history_user = user
    question.full_clean()
    question.save()
    return question


VILLAGE_POSTS = (VillagePost.SECRETARY, VillagePost.HEAD, VillagePost.FIRST_SECRETARY)


@transaction.atomic
def respondents_assign(*, campaign: Campaign, user=None) -> int:
    """Give every outline to the people whose roles answer it; returns how many sheets were created.

    County leaders answer the county outline; each matching department's head
    (its staff if it has no head) answers the department outline; each village's
    secretary, head and first secretary the village outline; the cadres of the
    village a relocation site sits in answer the site's outline."""
    assignments = RoleAssignment.objects.filter(county=campaign.county).select_related("village", "department")
    sites = list(RelocationSite.objects.filter(county=campaign.county))
    wanted: list[Respondent] = []
    for outline in campaign.outlines.all():
        kind = outline.respondent_kind
        if kind == RespondentKind.COUNTY_LEADER:
            wanted += [Respondent(outline=outline, user_id=a.user_id, post="县级负责同志")
                       for a in assignments if a.role == Role.LEADER]
        elif kind == RespondentKind.DEPARTMENT:
            units = [a for a in assignments if a.department and a.department.kind in outline.department_kinds]
            for department_id in {a.department_id for a in units}:
                people = [a for a in units if a.department_id == department_id]
                heads = [a for a in people if a.role == Role.DEPARTMENT_HEAD] or people
                wanted += [Respondent(outline=outline, user_id=a.user_id, department_id=department_id,
                                      post=f"{a.department.name}{a.get_role_display()}") for a in heads]
        elif kind == RespondentKind.VILLAGE:
            wanted += [Respondent(outline=outline, user_id=a.user_id, village_id=a.village_id, post=a.get_post_display())
                       for a in assignments if a.role == Role.VILLAGE_CADRE and a.post in VILLAGE_POSTS]
        else:
            for site in sites:
                wanted += [Respondent(outline=outline, user_id=a.user_id, relocation_site=site, post=a.get_post_display())
                           for a in assignments
                           if a.role == Role.VILLAGE_CADRE and a.village_id == site.village_id and a.post in VILLAGE_POSTS]
    existing = set(Respondent.objects.filter(outline__campaign=campaign).values_list("outline_id", "user_id"))
    new, seen = [], set(existing)
    for respondent in wanted:
        key = (respondent.outline_id, respondent.user_id)
        if key not in seen:
            seen.add(key)
            new.append(respondent)
    Respondent.objects.bulk_create(new)
    if new:
        audit_log(user=user, county_id=campaign.county_id, action="respondents_assigned", obj=campaign,
                  detail=f"新分配答题人{len(new)}份")
    return len(new)


def respondent_add(*, outline: Outline, assignment: RoleAssignment, user) -> Respondent:
    """The bureau gives an outline to one more person; the unit comes from their role."""
    if assignment.county_id != outline.campaign.county_id:
        raise InterviewError("只能分配给本县人员。")
    if Respondent.objects.filter(outline=outline, user_id=assignment.user_id).exists():
        raise InterviewError("该人员已是这份提纲的答题人。")
    respondent = Respondent(outline=outline, user_id=assignment.user_id, post=assignment.post and assignment.get_post_display()
                            or assignment.get_role_display())
    if outline.level == OutlineLevel.VILLAGE:
        if not assignment.village_id:
            raise InterviewError("村级提纲只能分配给村干部。")
        respondent.village_id = assignment.village_id
    elif outline.level == OutlineLevel.RELOCATION_SITE:
        site = RelocationSite.objects.filter(village_id=assignment.village_id).order_by("name").first()
        if site is None:
            raise InterviewError("安置点提纲只能分配给安置点所在村的村干部。")
        respondent.relocation_site = site
    elif outline.respondent_kind == RespondentKind.DEPARTMENT:
        if not assignment.department_id:
            raise InterviewError("部门提纲只能分配给部门人员。")
        respondent.department_id = assignment.department_id
    elif assignment.department_id or assignment.township_id or assignment.village_id:
        raise InterviewError("县级负责同志提纲只能分配给县级人员（县领导或乡村振兴局）。")
    respondent.full_clean()
    respondent.save()
    audit_log(user=user, county_id=outline.campaign.county_id, action="respondent_added", obj=respondent,
              detail=f"{outline.title} · {respondent.user_label}")
    return respondent


@transaction.atomic
def answer_save(*, respondent: Respondent, question: Question, text: str, user) -> Answer:
    """Save a draft answer (kept in its history) with the figures it contains.
    Changing a submitted sheet sends it back to draft: it must be submitted again."""
    if question.outline_id != respondent.outline_id:
        raise InterviewError("该问题不属于这份提纲。")
    respondent = Respondent.objects.select_for_update().get(pk=respondent.pk)
    if respondent.status == SheetStatus.APPROVED:
        raise InterviewError("这份答卷已审核通过，不能再修改；如需修改，请审核人先退回。")
    text = text.strip()
    if len(text) > 5000:
        raise InterviewError("回答不能超过5000字，请精简。")
    answer = Answer.objects.filter(respondent=respondent, question=question).first() or Answer(
        respondent=respondent, question=question
    )
    if answer.pk and answer.text == text:
        return answer
    answer.text, answer.figures = text, figures_to_json(figures_in(text))
    answer.updated_at, answer.updated_by = timezone.now(), user
    answer._history_user = user
    answer.save()
    if respondent.status == SheetStatus.SUBMITTED:
        respondent.status = SheetStatus.DRAFT
        respondent.save(update_fields=["status"])
    return answer


def sheet_submit(*, respondent: Respondent, user) -> Respondent:
    if respondent.status not in (SheetStatus.DRAFT, SheetStatus.RETURNED):
        raise InterviewError("这份答卷已提交或已审核。")
    answered = set(respondent.answers.exclude(text="").values_list("question_id", flat=True))
    missing = [str(n) for pk, n in respondent.outline.questions.values_list("pk", "number") if pk not in answered]
    if missing:
        raise InterviewError(f"还有第{'、'.join(missing)}题没有回答，请答完再提交。")
    respondent.status, respondent.submitted_at, respondent.return_reason = SheetStatus.SUBMITTED, timezone.now(), ""
    respondent._history_user = user
    respondent.save()
    return respondent


def sheet_approve(*, respondent: Respondent, user, peer_flag_count: int) -> Respondent:
    """Unit head's sign-off or township approval. Refused while the numbers
    still differ from another respondent's for the same unit: they must agree."""
    if respondent.status != SheetStatus.SUBMITTED:
        raise InterviewError("只有已提交的答卷可以审核。")
    if peer_flag_count:
        raise InterviewError(f"还有{peer_flag_count}处数字与同单位其他答题人不一致，请先核对一致后再审核。")
    respondent.status, respondent.reviewed_by, respondent.reviewed_at = SheetStatus.APPROVED, user, timezone.now()
    respondent._history_user = user
    respondent.save()
    audit_log(user=user, county_id=respondent.outline.campaign.county_id, action="interview_sheet_approved",
              obj=respondent, detail=f"{respondent.outline.title} · {respondent.user_label}")
    return respondent


def sheet_return(*, respondent: Respondent, user, reason: str) -> Respondent:
    reason = reason.strip()
    if not reason:
        raise InterviewError("请写明退回原因，答题人会看到。")
    if respondent.status not in (SheetStatus.SUBMITTED, SheetStatus.APPROVED):
        raise InterviewError("只有已提交或已审核的答卷可以退回。")
    respondent.status, respondent.return_reason = SheetStatus.RETURNED, reason[:300]
    respondent.reviewed_by, respondent.reviewed_at = user, timezone.now()
    respondent._history_user = user
    respondent.save()
    return respondent


# Household rehearsal


INCOME_TOLERANCE = Decimal("0.10")


@dataclass(frozen=True)
class HouseholdFacts:
    """What the registry holds about a household that a rehearsal visit is compared with."""

    category: str
    housing_grade: str
    water_safe: bool | None
    income: Decimal | None
    income_year: int | None
    measures: frozenset[str]
    uninsured: int
    out_of_school: int


def household_facts(household_ids: list[int]) -> dict[int, HouseholdFacts]:
    """The registry's facts for many households in four queries."""
    incomes: dict[int, IncomeYear] = {}
    for income in IncomeYear.objects.filter(household_id__in=household_ids).order_by("household_id", "-year"):
        incomes.setdefault(income.household_id, income)
    measures = defaultdict(set)
    for household_id, kind in Measure.objects.filter(household_id__in=household_ids).values_list("household_id", "kind"):
        measures[household_id].add(kind)
    members = {
        row["household_id"]: row for row in Member.objects.filter(household_id__in=household_ids).values("household_id")
        .annotate(uninsured=Count("pk", filter=Q(medical_insurance=False)), out=Count("pk", filter=Q(out_of_school=True)))
    }
    facts = {}
    for household in Household.objects.filter(pk__in=household_ids).only("category", "housing_grade", "water_safe"):
        income = incomes.get(household.pk)
        counts = members.get(household.pk, {})
        facts[household.pk] = HouseholdFacts(
            category=household.category, housing_grade=household.housing_grade, water_safe=household.water_safe,
            income=income.net_income_per_capita if income else None, income_year=income.year if income else None,
            measures=frozenset(measures[household.pk]), uninsured=counts.get("uninsured", 0),
            out_of_school=counts.get("out", 0),
        )
    return facts


def visit_differences(*, facts: HouseholdFacts, visit: RehearsalVisit) -> list[dict]:
    """What the household said that the registry does not: one dict per difference."""
    differences = []
    stated = visit.stated_income_per_capita
    if facts.income is not None and abs(stated - facts.income) > max(facts.income * INCOME_TOLERANCE, Decimal(500)):
        differences.append({"field": "income", "label": "人均纯收入",
                            "stated": f"{stated:.0f}元", "recorded": f"{facts.income:.0f}元（{facts.income_year}年）"})
    named = set(visit.stated_measures)
    if facts.measures - named:
        differences.append({"field": "measures_missing", "label": "未说出的帮扶措施",
                            "stated": "、".join(sorted(named)) or "无", "recorded": "、".join(sorted(facts.measures - named))})
    if named - facts.measures:
        differences.append({"field": "measures_extra", "label": "台账中没有的帮扶措施",
                            "stated": "、".join(sorted(named - facts.measures)), "recorded": "、".join(sorted(facts.measures)) or "无"})
    if visit.stated_category != facts.category:
        differences.append({"field": "category", "label": "户类型",
                            "stated": str(StatedCategory(visit.stated_category).label),
                            "recorded": str(Category(facts.category).label)})
    dangerous = facts.housing_grade in ("C", "D")
    if facts.housing_grade and visit.housing_safe == dangerous:
        differences.append({"field": "housing", "label": "住房安全",
                            "stated": "安全" if visit.housing_safe else "不安全", "recorded": f"{facts.housing_grade}级"})
    if facts.water_safe is not None and visit.water_safe != facts.water_safe:
        differences.append({"field": "water", "label": "饮水安全",
                            "stated": "安全" if visit.water_safe else "不安全", "recorded": "安全" if facts.water_safe else "不安全"})
    if visit.medical_insured and facts.uninsured:
        differences.append({"field": "insurance", "label": "基本医疗保险", "stated": "都参保",
                            "recorded": f"{facts.uninsured}人未参保"})
    if visit.schooling_ok and facts.out_of_school:
        differences.append({"field": "schooling", "label": "义务教育", "stated": "无失学辍学",
                            "recorded": f"{facts.out_of_school}人失学辍学"})
    return differences


@transaction.atomic
def visit_record(*, campaign: Campaign, household: Household, visit: RehearsalVisit, user) -> RehearsalVisit:
    """Record a rehearsal visit and compare each answer with the registry."""
    visit.campaign, visit.household, visit.recorded_by = campaign, household, user
    visit.questionnaire = household.category  # the questionnaire the inspectors would use at this door
    if visit.visited_on and visit.visited_on > timezone.localdate():
        raise InterviewError("走访日期不能晚于今天。")
    visit.differences = visit_differences(facts=household_facts([household.pk])[household.pk], visit=visit)
    visit.full_clean()
    visit.save()
    return visit


# The mock inspection sample (seed 2021 plan, 二): about 200 households in a
# county like ours, weighted towards monitored, marginal, sudden-hardship,
# disaster-hit and relocated households and the key villages.
SAMPLE_WEIGHTS = {
    "monitored": 3.0, "marginal": 2.0, "sudden_hardship": 2.0, "disaster": 2.0, "relocated": 2.0,
    "lifted": 1.5, "key_village": 1.5,
}
DEFAULT_SAMPLE_SIZE = 200


def _reasons(row: dict) -> list[str]:
    reasons = []
    if row["category"] == Category.MONITORED:
        reasons.append("monitored")
        if row["monitoring_type"] == MonitoringType.MARGINAL:
            reasons.append("marginal")
        if row["monitoring_type"] == MonitoringType.SUDDEN_HARDSHIP:
            reasons.append("sudden_hardship")
    if row["category"] == Category.LIFTED:
        reasons.append("lifted")
    if row["disaster"]:
        reasons.append("disaster")
    if row["relocation_site_id"]:
        reasons.append("relocated")
    if row["village__is_lifted_village"]:
        reasons.append("key_village")
    return reasons


@transaction.atomic
def sample_draw(*, campaign: Campaign, seed: int, size: int = DEFAULT_SAMPLE_SIZE, user=None) -> InspectionSample:
    """Draw a weighted sample without replacement, reproducibly: the same seed
    over the same registry draws the same households in the same order."""
    if not 1 <= size <= 2000:
        raise InterviewError("抽样户数应在1到2000之间。")
    disaster = Household.objects.filter(pk=OuterRef("pk"), risks__kind=RiskType.DISASTER)
    rows = list(
        Household.objects.filter(village__township__county_id=campaign.county_id)
        .annotate(disaster=Exists(disaster))
        .values("pk", "category", "monitoring_type", "relocation_site_id", "village__is_lifted_village", "disaster")
        .order_by("pk")
    )
    if not rows:
        raise InterviewError("本县台账中还没有农户，无法抽样。请先导入各村花名册。")
    rng = random.Random(seed)
    keyed = []
    for row in rows:
        reasons = _reasons(row)
        weight = 1.0
        for reason in reasons:
            weight *= SAMPLE_WEIGHTS[reason]
        # Efraimidis–Spirakis: the largest u^(1/w) are a weighted sample without replacement.
        keyed.append((rng.random() ** (1.0 / weight), row["pk"], reasons))
    keyed.sort(key=lambda item: (-item[0], item[1]))
    chosen = keyed[:size]
    summary: dict[str, int] = {"households": len(chosen), "registry": len(rows)}
    for _, _, reasons in chosen:
        for reason in reasons:
            summary[reason] = summary.get(reason, 0) + 1
    sample = InspectionSample(campaign=campaign, seed=seed, size=len(chosen), drawn_by=user, summary=summary)
    sample.full_clean()
    sample.save()
    SampleHousehold.objects.bulk_create(
        SampleHousehold(sample=sample, household_id=pk, order=index, reasons=reasons)
        for index, (_, pk, reasons) in enumerate(chosen, start=1)
    )
    audit_log(user=user, county_id=campaign.county_id, action="inspection_sample_drawn", obj=sample,
              detail=f"种子{seed}，抽取{len(chosen)}户")
    return sample

