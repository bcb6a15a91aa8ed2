"""Screening the registry: households that should be monitored but are not
(应纳未纳), and monitored households whose help or exit looks wrong; then the
worst-ten lists per village and the village income worksheet.

Each rule is a small function returning a queryset of the households it hits,
annotated with ``hh`` (the household id), ``figure``, ``threshold`` and
``facts`` (a JSON object). A run turns every rule into one
``INSERT … SELECT … ON CONFLICT DO UPDATE`` statement, so the database does the
work and a run costs the same number of queries for a hundred households or a
hundred thousand. Decisions hang off the flags and are never touched by a run;
a flag that no rule finds any more is marked gone (``resolved_at``), and opens
again if a later run finds it again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, JSONObject, Round
from django.http import Http404, HttpRequest
from django.utils import timezone

from evalprep.core.counts import counted, kept, rows_changed
from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, Township, Village
from evalprep.core.paging import GroupedRows
from evalprep.core.scoping import scope_for, village_read_q
from evalprep.core.services import audit_log
from evalprep.core.sheets import format_date_zh
from households.models import (
    INCOME_LINE_KINDS,
    Category,
    DecisionOutcome,
    HealthStatus,
    Household,
    IncomeYear,
    LabourCapacity,
    Measure,
    MeasureType,
    Member,
    MonitoringEvent,
    MonitoringStep,
    ScreeningDecision,
    ScreeningFlag,
    ScreeningRule,
    ScreeningRun,
    ScreeningThresholds,
    VillageIncomeEstimate,
    income_line_amount,
)
from households.services import monitoring_record_step
from indicators.selectors import thresholds_for

COMPULSORY_SCHOOL_AGE = (6, 16)  # inclusive, at the campaign's reference date (national data checks, family 3)
SEVERE_DISABILITY_GRADE = 2  # grades 1–2 are 重度残疾
WORKING_CAPACITIES = (LabourCapacity.ORDINARY, LabourCapacity.SKILLED)
WORKFLOW_CHECKS = (MonitoringStep.VILLAGE_REVIEW, MonitoringStep.TOWNSHIP_CHECK, MonitoringStep.COUNTY_APPROVAL)


# Thresholds


def screening_thresholds_for(campaign: Campaign) -> ScreeningThresholds:
    """The campaign's thresholds. The first time they are made from the figures
    its framework states (growth ≥ 10 %, out-of-pocket ≥ 10,000 yuan), where it
    states them, and the model's defaults otherwise; the bureau edits them after."""
    existing = ScreeningThresholds.objects.filter(campaign=campaign).first()
    if existing is not None:
        return existing
    stated = thresholds_for(campaign)
    defaults = {}
    if "net_income_growth_min_pct" in stated:
        defaults["lifted_growth_min"] = Decimal(str(stated["net_income_growth_min_pct"].value)) / 100
    if "medical_out_of_pocket_near_threshold_yuan" in stated:
        defaults["medical_out_of_pocket"] = Decimal(str(stated["medical_out_of_pocket_near_threshold_yuan"].value))
    thresholds, _ = ScreeningThresholds.objects.get_or_create(campaign=campaign, defaults=defaults)
    return thresholds


def screening_thresholds_save(*, thresholds: ScreeningThresholds, user) -> ScreeningThresholds:
    thresholds.full_clean()
    thresholds.save()
    audit_log(
        user=user, action="screening_thresholds_changed", obj=thresholds, county_id=thresholds.campaign.county_id,
        detail=(
            f"下降{thresholds.income_drop_share}、增幅{thresholds.lifted_growth_min}、医疗{thresholds.medical_out_of_pocket}元、"
            f"上年农村居民人均可支配收入{thresholds.rural_disposable_income_last_year}元、期限{thresholds.decision_days}天"
        ),
    )
    return thresholds


# The rules


@dataclass(frozen=True)
class RuleContext:
    campaign: Campaign
    thresholds: ScreeningThresholds
    village_ids: tuple[int, ...] | None  # None: every village of the campaign's county

    @property
    def reference_date(self) -> date:
        return self.campaign.reference_date or date(self.campaign.year, 12, 31)

    def household_q(self, path: str = "") -> Q:
        q = Q(**{f"{path}village__township__county_id": self.campaign.county_id})
        if self.village_ids is not None:
            q &= Q(**{f"{path}village_id__in": self.village_ids})
        return q

    def households(self) -> QuerySet[Household]:
        return Household.objects.filter(self.household_q()).order_by()

    def latest_incomes(self) -> QuerySet[IncomeYear]:
        """Each household's latest income year up to the campaign year, one row per household."""
        later = IncomeYear.objects.filter(
            household=OuterRef("household"), year__gt=OuterRef("year"), year__lte=self.campaign.year
        )
        return IncomeYear.objects.filter(self.household_q("household__"), year__lte=self.campaign.year).filter(
            ~Exists(later)
        ).order_by()


def _dec(value) -> Value:
    return Value(Decimal(value), output_field=DecimalField())


def _real(expression) -> Cast:
    return Cast(expression, FloatField())


def _income_before(years: int) -> Subquery:
    """Per-capita income `years` before the row's year (on an IncomeYear queryset)."""
    earlier = IncomeYear.objects.filter(household=OuterRef("household"), year=OuterRef("year") - years)
    # order_by(): without it the default ordering (household → village, number) joins two tables per row
    return Subquery(earlier.order_by().values("net_income_per_capita")[:1], output_field=DecimalField())


def _eliminated(outer: str = "pk") -> Exists:
    return Exists(MonitoringEvent.objects.filter(household=OuterRef(outer), step=MonitoringStep.ELIMINATED))


def _open_to_inclusion(path: str = "", outer: str = "pk") -> Q:
    """Not under monitoring now: lifted and ordinary households, and monitored ones whose risk was eliminated."""
    return ~Q(**{f"{path}category": Category.MONITORED}) | Q(_eliminated(outer))


def _under_monitoring() -> Q:
    return Q(category=Category.MONITORED) & ~Q(_eliminated())


def _members(**filters) -> QuerySet[Member]:
    return Member.objects.filter(household=OuterRef("pk"), **filters)


def _member_count(**filters) -> Subquery:
    counted = _members(**filters).order_by().values("household").annotate(n=Count("pk")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _member_name(**filters) -> Subquery:
    return Subquery(_members(**filters).order_by("pk").values("name")[:1])


def _no_number() -> Cast:
    return Cast(Value(None), DecimalField(max_digits=16, decimal_places=4))


def _hits(queryset: QuerySet, *, hh: str = "pk", figure=None, threshold=None, **facts) -> QuerySet:
    """The columns a run reads from every rule: household id, its village, figure, threshold, facts.
    `hh` is the household id: "pk" of a household queryset, "household_id" of one of its rows."""
    return queryset.annotate(
        hh=F(hh),
        hh_village=F("village_id" if hh == "pk" else "household__village_id"),
        figure=figure if figure is not None else _no_number(),
        threshold=threshold if threshold is not None else _no_number(),
        facts=JSONObject(**facts),
    )


def _low_income(ctx: RuleContext) -> QuerySet:
    line = ctx.campaign.monitoring_income_line
    incomes = ctx.latest_incomes().filter(
        _open_to_inclusion("household__", "household"), net_income_per_capita__lt=_dec(line)
    )
    return _hits(incomes, hh="household_id", figure=F("net_income_per_capita"), threshold=_dec(line), year=F("year"))


def _income_drop(ctx: RuleContext) -> QuerySet:
    share = ctx.thresholds.income_drop_share
    incomes = (
        ctx.latest_incomes()
        .filter(_open_to_inclusion("household__", "household"))
        .annotate(previous=_income_before(1))
        .filter(previous__gt=_dec(0), net_income_per_capita__lt=Round(F("previous") * _dec(1 - share), 2))
    )
    drop = Round(Value(1.0) - _real(F("net_income_per_capita")) / _real(F("previous")), 4)
    return _hits(incomes, hh="household_id", figure=drop, threshold=_dec(share),
                 year=F("year"), latest=F("net_income_per_capita"), previous=F("previous"))


def _income_down_two_years(ctx: RuleContext) -> QuerySet:
    incomes = (
        ctx.latest_incomes()
        .filter(_open_to_inclusion("household__", "household"))
        .annotate(previous=_income_before(1), before_previous=_income_before(2))
        .filter(net_income_per_capita__lt=F("previous"), previous__lt=F("before_previous"))
    )
    return _hits(incomes, hh="household_id", figure=F("net_income_per_capita"), threshold=F("previous"),
                 year=F("year"), previous=F("previous"), before_previous=F("before_previous"))


def _lifted_low_growth(ctx: RuleContext) -> QuerySet:
    growth_min = ctx.thresholds.lifted_growth_min
    incomes = (
        ctx.latest_incomes()
        .filter(household__category=Category.LIFTED)
        .annotate(previous=_income_before(1))
        .filter(previous__gt=_dec(0), net_income_per_capita__lt=Round(F("previous") * _dec(1 + growth_min), 2))
    )
    growth = Round(_real(F("net_income_per_capita")) / _real(F("previous")) - Value(1.0), 4)
    return _hits(incomes, hh="household_id", figure=growth, threshold=_dec(growth_min),
                 year=F("year"), latest=F("net_income_per_capita"), previous=F("previous"))


def _medical_expense(ctx: RuleContext) -> QuerySet:
    fixed = ctx.thresholds.medical_out_of_pocket
    twice = ctx.thresholds.rural_disposable_income_last_year * 2
    over_twice = Q(medical_out_of_pocket__gt=_dec(twice))
    households = ctx.households().filter(
        _open_to_inclusion(), Q(medical_out_of_pocket__gte=_dec(fixed)) | over_twice
    )
    return _hits(
        households, figure=F("medical_out_of_pocket"),
        threshold=Case(When(over_twice, then=_dec(twice)), default=_dec(fixed), output_field=DecimalField()),
        basis=Case(When(over_twice, then=Value("twice_income")), default=Value("fixed")),
        income=_dec(ctx.thresholds.rural_disposable_income_last_year),
    )


def _new_assistance(since_field: str) -> Callable[[RuleContext], QuerySet]:
    def rule(ctx: RuleContext) -> QuerySet:
        year = ctx.campaign.year
        households = ctx.households().filter(
            _open_to_inclusion(), **{f"{since_field}__range": (date(year, 1, 1), date(year, 12, 31))}
        )
        return _hits(households, since=F(since_field))

    return rule


def _severe_disability(ctx: RuleContext) -> QuerySet:
    severe = {"disability_grade__lte": SEVERE_DISABILITY_GRADE}
    households = ctx.households().filter(_open_to_inclusion(), Exists(_members(**severe)))
    grade = Subquery(_members(**severe).order_by("disability_grade", "pk").values("disability_grade")[:1])
    return _hits(households, figure=grade, threshold=_dec(SEVERE_DISABILITY_GRADE),
                 name=_member_name(**severe), count=_member_count(**severe))


def _dangerous_house(ctx: RuleContext) -> QuerySet:
    households = ctx.households().filter(_open_to_inclusion(), housing_grade__in=["C", "D"])
    return _hits(households, grade=F("housing_grade"))


def _out_of_school(ctx: RuleContext) -> QuerySet:
    youngest, oldest = COMPULSORY_SCHOOL_AGE
    reference = ctx.reference_date
    band = {
        "out_of_school": True,
        "birth_date__lte": _years_before(reference, youngest),
        "birth_date__gt": _years_before(reference, oldest + 1),
    }
    households = ctx.households().filter(_open_to_inclusion(), Exists(_members(**band)))
    first = _members(**band).order_by("birth_date", "pk")
    return _hits(households, figure=_member_count(**band), name=Subquery(first.values("name")[:1]),
                 birth_date=Subquery(first.values("birth_date")[:1]),
                 reason=Subquery(first.values("out_of_school_reason")[:1]),
                 reference=Value(reference.isoformat()))


def _uninsured(ctx: RuleContext) -> QuerySet:
    households = ctx.households().filter(
        Exists(_members(medical_insurance=False)), category__in=[Category.LIFTED, Category.MONITORED]
    )
    return _hits(households, figure=_member_count(medical_insurance=False),
                 name=_member_name(medical_insurance=False), category=F("category"))


def _unsafe_water(ctx: RuleContext) -> QuerySet:
    households = ctx.households().filter(_open_to_inclusion(), water_safe=False)
    return _hits(households, source=F("water_source"))


def _no_measure(ctx: RuleContext) -> QuerySet:
    households = ctx.households().filter(
        _under_monitoring(), ~Exists(Measure.objects.filter(household=OuterRef("pk")))
    )
    return _hits(households, since=F("monitoring_since"))


def _welfare_only(ctx: RuleContext) -> QuerySet:
    measures = Measure.objects.filter(household=OuterRef("pk"))
    working = {"labour_capacity__in": WORKING_CAPACITIES}
    households = ctx.households().filter(
        _under_monitoring(),
        Exists(measures),
        ~Exists(measures.exclude(kind=MeasureType.WELFARE)),
        Exists(_members(**working)),
    )
    return _hits(households, figure=_member_count(**working), name=_member_name(**working))


def _elimination_unchecked(ctx: RuleContext) -> QuerySet:
    eliminated_on = Subquery(
        MonitoringEvent.objects.filter(household=OuterRef("pk"), step=MonitoringStep.ELIMINATED)
        .order_by().values("household").annotate(on=Min("on")).values("on")
    )

    def done(step: str) -> Exists:
        return Exists(MonitoringEvent.objects.filter(household=OuterRef("pk"), step=step, on__lte=OuterRef("eliminated_on")))

    households = (
        ctx.households()
        .filter(_eliminated())
        .annotate(eliminated_on=eliminated_on, **{f"has_{step}": done(step) for step in WORKFLOW_CHECKS})
        .filter(~Q(**{f"has_{step}": True for step in WORKFLOW_CHECKS}))
    )
    return _hits(households, eliminated_on=F("eliminated_on"), **{step: F(f"has_{step}") for step in WORKFLOW_CHECKS})


RULES: dict[str, Callable[[RuleContext], QuerySet]] = {
    ScreeningRule.LOW_INCOME: _low_income,
    ScreeningRule.INCOME_DROP: _income_drop,
    ScreeningRule.INCOME_DOWN_TWO_YEARS: _income_down_two_years,
    ScreeningRule.LIFTED_LOW_GROWTH: _lifted_low_growth,
    ScreeningRule.MEDICAL_EXPENSE: _medical_expense,
    ScreeningRule.NEW_MINIMUM_LIVING: _new_assistance("minimum_living_since"),
    ScreeningRule.NEW_DESTITUTE_SUPPORT: _new_assistance("destitute_support_since"),
    ScreeningRule.SEVERE_DISABILITY: _severe_disability,
    ScreeningRule.DANGEROUS_HOUSE: _dangerous_house,
    ScreeningRule.OUT_OF_SCHOOL: _out_of_school,
    ScreeningRule.UNINSURED: _uninsured,
    ScreeningRule.UNSAFE_WATER: _unsafe_water,
    ScreeningRule.NO_MEASURE: _no_measure,
    ScreeningRule.WELFARE_ONLY: _welfare_only,
    ScreeningRule.ELIMINATION_UNCHECKED: _elimination_unchecked,
}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# A run


@dataclass(frozen=True)
class RuleCount:
    found: int = 0
    new: int = 0
    gone: int = 0
    open: int = 0


@dataclass
class ScreeningResult:
    run: ScreeningRun
    counts: dict[str, RuleCount] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(getattr(count, name) for count in self.counts.values())


_FLAG_COLUMNS = (
    "campaign_id", "household_id", "village_id", "rule", "figure", "threshold", "facts",
    "first_seen_at", "last_seen_at", "resolved_at", "due_date",
)


def screening_run(*, campaign: Campaign, villages: Iterable[Village] | QuerySet[Village] | None = None, user=None) -> ScreeningResult:
    """Run every rule over the campaign county's households (or only `villages`).

    One upsert per rule, then one update marks the flags no rule found this time
    as gone and one query counts: the number of queries does not depend on the
    number of households. Decisions are never touched.
    """
    village_ids = _village_ids(campaign, villages)
    context = RuleContext(campaign=campaign, thresholds=screening_thresholds_for(campaign), village_ids=village_ids)
    now = timezone.now()
    due = timezone.localdate(now) + timedelta(days=context.thresholds.decision_days)
    flags = ScreeningFlag.objects.filter(campaign=campaign, rule__in=list(RULES))
    if village_ids is not None:
        flags = flags.filter(village_id__in=village_ids)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The correlated subqueries' cost estimates trip JIT compilation, which
            # takes longer (about 0.7 s a statement) than running the statements.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for code, rule in RULES.items():
            _flags_upsert(rule(context), campaign=campaign, rule=code, now=now, due=due)
        flags.filter(resolved_at__isnull=True, last_seen_at__lt=now).update(resolved_at=now)
        rows_changed(ScreeningFlag)
        counts = _run_counts(flags, now)
        run = ScreeningRun.objects.create(
            campaign=campaign, started_at=now, finished_at=timezone.now(), run_by=user if user and user.is_authenticated else None,
            scope=_scope_label(village_ids), village_ids=list(village_ids or []),
            counts={code: count.__dict__ for code, count in counts.items()},
        )
    return ScreeningResult(run=run, counts=counts)


def _village_ids(campaign: Campaign, villages) -> tuple[int, ...] | None:
    if villages is None:
        return None
    if isinstance(villages, QuerySet):
        return tuple(villages.filter(township__county_id=campaign.county_id).values_list("pk", flat=True).order_by("pk"))
    return tuple(sorted({village.pk for village in villages}))


def _scope_label(village_ids: tuple[int, ...] | None) -> str:
    if village_ids is None:
        return "全县"
    names = list(Village.objects.filter(pk__in=village_ids[:4]).order_by("code").values_list("name", flat=True))
    if len(village_ids) > 3:
        return f"{'、'.join(names[:3])}等{len(village_ids)}个村"
    return "、".join(names) or "（无）"


def _flags_upsert(hits: QuerySet, *, campaign: Campaign, rule: str, now, due: date) -> None:
    """INSERT the rule's hits as flags; a flag already there gets the new figures,
    is seen now and, if it had gone, opens again with a new deadline. Its village is the
    household's, again (a household keeps its village; should one ever move, its flags follow)."""
    inner_sql, inner_params = hits.values("hh", "hh_village", "figure", "threshold", "facts").query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(ScreeningFlag._meta.db_table)
    meta = ScreeningFlag._meta
    seen = meta.get_field("last_seen_at").get_db_prep_value(now, connection)
    due_value = meta.get_field("due_date").get_db_prep_value(due, connection)
    updated = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in ("village_id", "figure", "threshold", "facts", "last_seen_at"))
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in _FLAG_COLUMNS)}) "
        f"SELECT %s, hits.hh, hits.hh_village, %s, hits.figure, hits.threshold, hits.facts, %s, %s, NULL, %s "
        f"FROM ({inner_sql}) hits WHERE hits.hh IS NOT NULL "  # the WHERE keeps SQLite's parser from reading ON as a join
        f"ON CONFLICT ({qn('campaign_id')}, {qn('household_id')}, {qn('rule')}) DO UPDATE SET {updated}, "
        f"{qn('due_date')} = CASE WHEN {table}.{qn('resolved_at')} IS NULL THEN {table}.{qn('due_date')} "
        f"ELSE excluded.{qn('due_date')} END, "
        f"{qn('resolved_at')} = NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, str(rule), seen, seen, due_value, *inner_params])


def _run_counts(flags: QuerySet[ScreeningFlag], now) -> dict[str, RuleCount]:
    rows = flags.order_by().values("rule").annotate(
        found=Count("pk", filter=Q(last_seen_at=now)),
        new=Count("pk", filter=Q(first_seen_at=now)),
        gone=Count("pk", filter=Q(resolved_at=now)),
        open=Count("pk", filter=Q(resolved_at__isnull=True, decision__isnull=True)),
    )
    counts = {code: RuleCount() for code in RULES}
    for row in rows:
        counts[row["rule"]] = RuleCount(found=row["found"], new=row["new"], gone=row["gone"], open=row["open"])
    return counts


# Explanations: one Chinese sentence per flag, from what the run stored.


def _num(value) -> Decimal:
    return Decimal(str(value))


def _yuan(value) -> str:
    return f"{_num(value):,.2f}"


def _round_yuan(value) -> str:
    number = _num(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"


def _percent(value) -> str:
    text = f"{abs(_num(value)) * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _date(value) -> str:
    return format_date_zh(date.fromisoformat(str(value)[:10]))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _who(facts: dict, count) -> str:
    """“成员 张三 ” or “成员 张三 等 2 人”."""
    return f"成员 {facts['name']} " + (f"等 {int(count)} 人" if count and int(count) > 1 else "")


def _explain_growth(figure, threshold, facts) -> str:
    year, growth = int(facts["year"]), _num(figure)
    change = f"仅增长 {_percent(growth)}" if growth >= 0 else f"反而下降 {_percent(growth)}"
    return (
        f"脱贫户{year}年人均纯收入 {_yuan(facts['latest'])} 元，比{year - 1}年（{_yuan(facts['previous'])} 元）{change}，"
        f"低于最低增幅 {_percent(threshold)}"
    )


def _explain_medical(figure, threshold, facts) -> str:
    if facts.get("basis") == "twice_income":
        return (
            f"合规自付医疗支出 {_yuan(figure)} 元，超过上年度农村居民人均可支配收入（{_round_yuan(facts['income'])} 元）"
            f"的2倍 {_round_yuan(threshold)} 元"
        )
    return f"合规自付医疗支出 {_yuan(figure)} 元，达到 {_round_yuan(threshold)} 元的提示线"


def _explain_out_of_school(figure, threshold, facts) -> str:
    age = _age(date.fromisoformat(str(facts["birth_date"])[:10]), date.fromisoformat(facts["reference"]))
    reason = f"，原因：{facts['reason']}" if facts.get("reason") else "，未登记原因"
    more = f"等 {int(figure)} 人" if figure and int(figure) > 1 else ""
    return f"成员 {facts['name']}（{age}岁）{more}义务教育阶段失学辍学{reason}"


def _explain_uninsured(figure, threshold, facts) -> str:
    kind = Category(facts["category"]).label if facts.get("category") in Category.values else "重点人群"
    return f"{kind}{_who(facts, figure)}未参加基本医疗保险（重点人群应全部参保）"


def _explain_water(figure, threshold, facts) -> str:
    from households.models import WaterSource

    source = facts.get("source")
    return f"饮水不安全（饮水来源：{WaterSource(source).label}）" if source in WaterSource.values else "饮水不安全"


def _explain_elimination(figure, threshold, facts) -> str:
    missing = "、".join(str(MonitoringStep(step).label) for step in WORKFLOW_CHECKS if not facts.get(step))
    return f"{_date(facts['eliminated_on'])}标注风险消除，但此前缺少{missing}记录"


_EXPLAIN: dict[str, Callable[[Decimal | None, Decimal | None, dict], str]] = {
    ScreeningRule.LOW_INCOME: lambda figure, threshold, facts: (
        f"{facts['year']}年人均纯收入 {_yuan(figure)} 元，低于监测收入线 {_round_yuan(threshold)} 元"
    ),
    ScreeningRule.INCOME_DROP: lambda figure, threshold, facts: (
        f"{facts['year']}年人均纯收入 {_yuan(facts['latest'])} 元，比{int(facts['year']) - 1}年"
        f"（{_yuan(facts['previous'])} 元）下降 {_percent(figure)}，超过 {_percent(threshold)}"
    ),
    ScreeningRule.INCOME_DOWN_TWO_YEARS: lambda figure, threshold, facts: (
        f"人均纯收入连续两年下降：{int(facts['year']) - 2}年 {_yuan(facts['before_previous'])} 元 → "
        f"{int(facts['year']) - 1}年 {_yuan(facts['previous'])} 元 → {facts['year']}年 {_yuan(figure)} 元"
    ),
    ScreeningRule.LIFTED_LOW_GROWTH: _explain_growth,
    ScreeningRule.MEDICAL_EXPENSE: _explain_medical,
    ScreeningRule.NEW_MINIMUM_LIVING: lambda figure, threshold, facts: (
        f"{_date(facts['since'])}新纳入低保（评估年度内），须核实是否符合监测条件"
    ),
    ScreeningRule.NEW_DESTITUTE_SUPPORT: lambda figure, threshold, facts: (
        f"{_date(facts['since'])}新纳入特困供养（评估年度内），须核实是否符合监测条件"
    ),
    ScreeningRule.SEVERE_DISABILITY: lambda figure, threshold, facts: (
        f"{_who(facts, facts.get('count'))}为{int(figure)}级残疾（1–2级为重度残疾）"
    ),
    ScreeningRule.DANGEROUS_HOUSE: lambda figure, threshold, facts: f"住房安全等级为{facts['grade']}级（危房）",
    ScreeningRule.OUT_OF_SCHOOL: _explain_out_of_school,
    ScreeningRule.UNINSURED: _explain_uninsured,
    ScreeningRule.UNSAFE_WATER: _explain_water,
    ScreeningRule.NO_MEASURE: lambda figure, threshold, facts: (
        f"监测户（{_date(facts['since'])}识别）没有任何帮扶措施" if facts.get("since") else "监测户没有任何帮扶措施"
    ),
    ScreeningRule.WELFARE_ONLY: lambda figure, threshold, facts: (
        f"帮扶措施只有综合保障，但{_who(facts, figure)}有劳动能力（普通或技能劳动力），可能“一兜了之”"
    ),
    ScreeningRule.ELIMINATION_UNCHECKED: _explain_elimination,
}


def flag_explanation(flag: ScreeningFlag) -> str:
    """“2025年人均纯收入 5,820.00 元，低于监测收入线 6,000 元”."""
    return _explanation(flag.rule, flag.figure, flag.threshold, flag.facts)


def _explanation(rule: str, figure, threshold, facts: dict | None) -> str:
    explain = _EXPLAIN.get(rule)
    try:
        return explain(figure, threshold, facts or {})
    except (KeyError, TypeError, ValueError, ArithmeticError, InvalidOperation):
        return str(ScreeningRule(rule).label) if rule in ScreeningRule.values else rule


# Decisions


def household_under_monitoring(household: Household) -> bool:
    return household.category == Category.MONITORED and not household.monitoring_events.filter(
        step=MonitoringStep.ELIMINATED
    ).exists()


def screening_decision_record(
    *, flag: ScreeningFlag, outcome: str, reason: str, user, attachment: UploadedFile | None = None,
    on: date | None = None,
) -> ScreeningDecision:
    """Record (or change) what the village decided about a flag.

    “Include” starts the monitoring workflow (step “identified”) unless it has
    started already, and cannot be changed afterwards. Every change is kept.
    """
    on = on or timezone.localdate()
    household = flag.household
    decision = ScreeningDecision.objects.filter(flag=flag).first()
    if decision is not None and decision.outcome == DecisionOutcome.INCLUDE:
        raise EvalprepError("该提示已决定纳入监测并启动了监测流程，不能再更改。")
    reason = reason.strip()
    if outcome == DecisionOutcome.INCLUDE and household_under_monitoring(household):
        raise EvalprepError("该户已是监测户，无需再纳入；请选择“已整改”或“不纳入”，并写明情况。")
    if outcome != DecisionOutcome.INCLUDE and not reason:
        raise EvalprepError("请写明不纳入的理由或整改情况。")
    decision = decision or ScreeningDecision(flag=flag)
    decision.outcome, decision.reason = outcome, reason
    decision.decided_by = user
    decision.decided_by_name = ((user.get_full_name() or user.username) if user else "")[:30]
    decision.decided_at = timezone.now()
    if attachment is not None:
        decision.attachment = attachment
    decision.full_clean()
    with transaction.atomic():
        decision.save()
        started = household.monitoring_events.filter(step=MonitoringStep.IDENTIFIED).exists()
        if outcome == DecisionOutcome.INCLUDE and not started:
            monitoring_record_step(
                household=household, step=MonitoringStep.IDENTIFIED, on=on, by_name=decision.decided_by_name or "系统",
                user=user, note=f"筛查：{flag.explanation}"[:300],
            )
        audit_log(
            user=user, action="screening_decided", obj=decision, county_id=flag.campaign.county_id,
            detail=f"{household.village.name} {household.number} {flag.get_rule_display()}：{decision.get_outcome_display()}",
        )
    return decision


# The worklist


FLAG_STATUSES = {
    "open": "待决定",
    "new": "新发现",
    "overdue": "已逾期",
    "decided": "已决定",
    "gone": "已消失",
    "all": "全部",
}


@dataclass(frozen=True)
class FlagFilter:
    village_id: int | None = None
    rule: str = ""
    status: str = "open"


def screening_flags_visible_to(user) -> QuerySet[ScreeningFlag]:
    return ScreeningFlag.objects.filter(village_read_q(scope_for(user), "village__"))


def get_screening_flag_for_user(request: HttpRequest, pk: int) -> ScreeningFlag:
    flag = (
        screening_flags_visible_to(request.user)
        .select_related("household__village__township", "campaign", "decision")
        .filter(pk=pk)
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def _decided() -> Q:
    # The decided flags' ids as an IN list, which PostgreSQL hashes once and tests each flag
    # against. With EXISTS it joins instead, and where it expects few decisions it rescans them
    # once per flag (a township's 11,000); for the LEFT JOIN of decision__isnull it expects a
    # few hundred rows and looks households up one flag at a time (0.1 s a township).
    return Q(pk__in=ScreeningDecision.objects.values("flag_id"))


def open_flag_q() -> Q:
    """A flag still found by the latest run and not yet decided on."""
    return ~_decided() & Q(resolved_at__isnull=True)


def _status_q(status: str, today: date) -> Q:
    decided = _decided()
    open_q = open_flag_q()
    return {
        "open": open_q,
        "new": open_q & Q(first_seen_at=F("last_seen_at")),
        "overdue": open_q & Q(due_date__lt=today),
        "decided": decided,
        "gone": Q(resolved_at__isnull=False),
    }.get(status, Q())


# What a worklist row shows, in one query: the flag, names from its household and its decision
# (None throughout if there is none); the view names the village from the villages it lists
# anyway. Plain values: a page of rows as model instances (flag, household, village, township,
# decision) cost more than its query.
_ROW_FIELDS = (
    "pk", "rule", "figure", "threshold", "facts", "first_seen_at", "last_seen_at", "resolved_at", "due_date", "household_id",
    "village_id",
)
_ROW_RELATED = {
    "head_name": "household__head_name", "number": "household__number", "category": "household__category",
    "outcome": "decision__outcome", "reason": "decision__reason",
    "attachment": "decision__attachment", "decided_by_name": "decision__decided_by_name",
    "decided_at": "decision__decided_at",
}


def _worklist_rows(flags: QuerySet[ScreeningFlag], today: date, *, for_decision: bool = False) -> list[dict]:
    """The flags as worklist rows (dicts of the columns above), each with its status and
    label, explanation and whether it is decided; `for_decision`, also whether its household
    may be included (the decision form's choices: a list page has no forms)."""
    related = {name: F(path) for name, path in _ROW_RELATED.items()}
    if for_decision:  # whether the household's risk was eliminated (so it may be included again)
        related["eliminated"] = _eliminated("household")
    rows = list(flags.values(*_ROW_FIELDS, **related))
    for row in rows:
        row["decided"] = row["outcome"] is not None
        new = row["resolved_at"] is None and row["first_seen_at"] == row["last_seen_at"]
        row["status"], row["status_label"] = _status(row["resolved_at"], row["decided"], row["due_date"], new, today)
        row["explanation"] = _explanation(row["rule"], row["figure"], row["threshold"], row["facts"])
        if for_decision:
            row["can_include"] = row["category"] != Category.MONITORED or bool(row["eliminated"])
    return rows


def _campaign_flags_visible_to(
    user, campaign: Campaign, village_id: int | None = None, visible_ids: list[int] | None = None,
) -> QuerySet[ScreeningFlag]:
    """The campaign's flags the user may see (of one village of theirs, if `village_id`).
    A campaign's flags are all of its county's households, so a county reader needs no
    filter, and anyone else one on the flag's own village, by id: a list of ids, which
    PostgreSQL estimates well and reads through the (campaign, village, due date) index,
    rather than a join through village and township or a subquery. A village cadre's ids
    are their scope's (no query), a township's `visible_ids` where the caller has read
    them already (the user's villages in the campaign's county).
    """
    flags = ScreeningFlag.objects.filter(campaign=campaign)
    scope = scope_for(user)
    if campaign.county_id in scope.read_county_ids:
        village_ids = None
    elif scope.read_township_ids:
        if visible_ids is None:
            villages = Village.objects.filter(village_read_q(scope), township__county_id=campaign.county_id)
            visible_ids = list(villages.values_list("pk", flat=True))
        village_ids = visible_ids
    else:  # other counties' villages have no flags in this campaign
        village_ids = sorted(scope.village_ids)
    if village_id:
        village_ids = [village_id] if village_ids is None or village_id in village_ids else []
    if village_ids is None:
        return flags
    return flags.filter(village_id__in=village_ids)


WORKLIST_ORDER = ("due_date", "village__code", "household__number", "rule")


def screening_flags_filtered(
    user, campaign: Campaign, flag_filter: FlagFilter, *, today: date, visible_ids: list[int] | None = None,
) -> tuple[GroupedRows, dict[str, int]]:
    """The flags the user may see, filtered, in worklist order (as rows, see _worklist_rows),
    and how many per rule (the rule filter aside), counted in one query by rule and due date.
    `visible_ids`: the user's villages in the campaign's county, if the caller has read them.

    A page reads only the due dates it spans: within one date PostgreSQL walks
    villages and households in order and stops after the page, rather than sort
    every flag of a township or the county first.
    """
    flags = _campaign_flags_visible_to(user, campaign, flag_filter.village_id, visible_ids)
    flags = flags.filter(_status_q(flag_filter.status, today))
    per_rule: Counter[str] = Counter()
    per_date: Counter[date] = Counter()  # of the chosen rule, or of all
    grouped = flags.order_by().values_list("rule", "due_date").annotate(n=Count("pk"))
    for rule, due, n in counted(grouped, ScreeningFlag, ScreeningDecision, Village, Township):
        per_rule[rule] += n
        if flag_filter.rule in ("", rule):
            per_date[due] += n
    if flag_filter.rule:
        flags = flags.filter(rule=flag_filter.rule)

    def read(dates: list[date], offset: int, limit: int) -> list[dict]:
        return _worklist_rows(flags.filter(due_date__in=dates).order_by(*WORKLIST_ORDER)[offset:offset + limit], today)

    return GroupedRows(sorted(per_date.items()), read), {code: per_rule[code] for code in RULES}


def screening_flag_row(user, pk: int, *, today: date) -> dict:
    """One flag as a worklist row (its decision form, and the htmx swap after a decision)."""
    rows = _worklist_rows(screening_flags_visible_to(user).filter(pk=pk).order_by(), today, for_decision=True)
    if not rows:
        raise Http404
    return rows[0]


def flag_status(flag: ScreeningFlag, today: date) -> tuple[str, str]:
    """(code, label) for a flag as the worklist shows it."""
    decided = getattr(flag, "decision", None) is not None  # a missing reverse one-to-one raises an AttributeError
    return _status(flag.resolved_at, decided, flag.due_date, flag.is_new, today)


def _status(resolved_at, decided: bool, due_date: date, new: bool, today: date) -> tuple[str, str]:
    if resolved_at is not None:
        return "gone", "已消失" + ("（已决定）" if decided else "")
    if decided:
        return "decided", "已决定"
    if due_date < today:
        return "overdue", f"已逾期{(today - due_date).days}天"
    if new:
        return "new", "新发现"
    return "open", "待决定"


@dataclass(frozen=True)
class WorklistHeading:
    """What the worklist says above its rows: the thresholds in words and, if it was ever
    screened, when, over which villages and by whom last."""
    thresholds: str
    last_run_at: datetime | None
    last_run_scope: str
    last_run_by: str


def worklist_heading(campaign: Campaign) -> WorklistHeading:
    """The campaign's worklist heading, kept in the cache until its thresholds change or it is
    screened again (two queries on every view of the worklist otherwise)."""

    def make() -> WorklistHeading:
        run = latest_screening_run(campaign)
        return WorklistHeading(
            thresholds_summary(screening_thresholds_for(campaign), campaign), run.started_at if run else None,
            run.scope if run else "", run.run_by_label if run else "",
        )

    # The monitoring line, in the summary, is the campaign's own: a changed line is another entry.
    name = f"screening-heading:{campaign.pk}:{campaign.monitoring_income_line}"
    return kept(name, ScreeningThresholds, ScreeningRun, make=make)


def latest_screening_run(campaign: Campaign) -> ScreeningRun | None:
    """When, over which villages and by whom (run_by_label) the campaign was last screened."""
    shown = ("campaign", "started_at", "scope", "run_by__username", "run_by__first_name", "run_by__last_name")
    return campaign.screening_runs.select_related("run_by").only(*shown).first()


# Worst-ten lists (2021 plan 六(三)6: 每个行政村倒排出一般户中条件最差的10户、脱贫户中条件最差的10户)

WORST_TEN_SIZE = 10
INCOME_POINTS = 40  # at or below the monitoring line; 0 at twice the line or more; linear between
HOUSING_POINTS = 20
SERIOUS_HEALTH_POINTS = 15
OTHER_HEALTH_POINTS = 5
SCHOOL_POINTS = 10
UNINSURED_POINTS = 5
NO_LABOUR_POINTS = 10
WORST_TEN_FACTORS = [
    (f"收入：最新人均纯收入不高于监测收入线得{INCOME_POINTS}分，达到监测收入线2倍及以上得0分，其间按比例计分", INCOME_POINTS),
    ("住房为C/D级危房", HOUSING_POINTS),
    ("有成员患大病或重度残疾（1–2级）", SERIOUS_HEALTH_POINTS),
    ("有成员患长期慢性病或其他残疾（无上一项时）", OTHER_HEALTH_POINTS),
    ("有义务教育阶段失学辍学子女", SCHOOL_POINTS),
    ("有成员未参加基本医疗保险", UNINSURED_POINTS),
    ("家中无普通或技能劳动力", NO_LABOUR_POINTS),
]


@dataclass
class WorstTenRow:
    household: Household
    score: float
    parts: list[tuple[str, float]]


@dataclass
class WorstTen:
    village: Village
    campaign: Campaign
    ordinary: list[WorstTenRow]
    lifted: list[WorstTenRow]
    factors: list[tuple[str, int]] = field(default_factory=lambda: WORST_TEN_FACTORS)


def worst_ten(*, village: Village, campaign: Campaign) -> WorstTen:
    """The ten worst-off ordinary and lifted households of the village, scored in
    the database (two queries, whatever the size of the village)."""
    households = _scored_households(Household.objects.filter(village=village), campaign)
    lists = {}
    for category in (Category.ORDINARY, Category.LIFTED):
        ranked = households.filter(category=category).order_by(
            "-score", F("latest_pc").asc(nulls_last=True), "number"
        )[:WORST_TEN_SIZE]
        lists[category] = [WorstTenRow(household=h, score=h.score, parts=_score_parts(h, campaign)) for h in ranked]
    return WorstTen(village=village, campaign=campaign, ordinary=lists[Category.ORDINARY], lifted=lists[Category.LIFTED])


def _points(condition, points: int) -> Case:
    return Case(When(condition, then=Value(float(points))), default=Value(0.0), output_field=FloatField())


def _scored_households(households: QuerySet[Household], campaign: Campaign) -> QuerySet[Household]:
    line = campaign.monitoring_income_line
    latest = IncomeYear.objects.filter(household=OuterRef("pk"), year__lte=campaign.year).order_by("-year")
    serious = Q(health=HealthStatus.SERIOUS) | Q(disability_grade__lte=SEVERE_DISABILITY_GRADE)
    other = Q(health__in=[HealthStatus.CHRONIC, HealthStatus.DISABLED]) | Q(chronic_illness=True) | Q(disability_grade__isnull=False)
    open_flags = ScreeningFlag.objects.filter(
        household=OuterRef("pk"), campaign=campaign, resolved_at__isnull=True, decision__isnull=True
    )
    return households.annotate(
        latest_pc=Subquery(latest.values("net_income_per_capita")[:1], output_field=DecimalField()),
        latest_year=Subquery(latest.values("year")[:1]),
        p_income=Case(
            When(latest_pc__isnull=True, then=Value(0.0)),
            When(latest_pc__lte=_dec(line), then=Value(float(INCOME_POINTS))),
            When(latest_pc__gte=_dec(line * 2), then=Value(0.0)),
            default=Value(float(INCOME_POINTS)) * (Value(2.0) - _real(F("latest_pc")) / Value(float(line))),
            output_field=FloatField(),
        ),
        p_housing=_points(Q(housing_grade__in=["C", "D"]), HOUSING_POINTS),
        p_health=Case(
            When(Exists(Member.objects.filter(serious, household=OuterRef("pk"))), then=Value(float(SERIOUS_HEALTH_POINTS))),
            When(Exists(Member.objects.filter(other, household=OuterRef("pk"))), then=Value(float(OTHER_HEALTH_POINTS))),
            default=Value(0.0), output_field=FloatField(),
        ),
        p_school=_points(Exists(_members(out_of_school=True)), SCHOOL_POINTS),
        p_uninsured=_points(Exists(_members(medical_insurance=False)), UNINSURED_POINTS),
        p_no_labour=_points(
            Q(no_labour_household=True) | ~Exists(_members(labour_capacity__in=WORKING_CAPACITIES)), NO_LABOUR_POINTS
        ),
        has_open_flags=Exists(open_flags),
    ).annotate(
        score=F("p_income") + F("p_housing") + F("p_health") + F("p_school") + F("p_uninsured") + F("p_no_labour"),
    ).select_related("group")


def _score_parts(household: Household, campaign: Campaign) -> list[tuple[str, float]]:
    line = _round_yuan(campaign.monitoring_income_line)
    if household.latest_pc is None:
        parts = [("无收入记录", 0.0)]
    else:
        parts = [(f"{household.latest_year}年人均纯收入 {_yuan(household.latest_pc)} 元（监测收入线 {line} 元）", household.p_income)]
    labels = {
        "p_housing": f"住房{household.housing_grade}级危房",
        "p_health": "有成员患大病或重度残疾" if household.p_health >= SERIOUS_HEALTH_POINTS else "有成员患慢性病或残疾",
        "p_school": "有义务教育阶段失学辍学子女",
        "p_uninsured": "有成员未参加基本医保",
        "p_no_labour": "无普通或技能劳动力",
    }
    parts += [(label, getattr(household, name)) for name, label in labels.items() if getattr(household, name)]
    return parts


# The village income worksheet (2022 reading: 收入测算)


@dataclass(frozen=True)
class RosterIncome:
    """What the roster says about the village's income: the registered population
    and the latest per-capita incomes, weighted by household size."""

    year: int
    population: int
    households: int
    people_with_income: int
    per_capita: Decimal | None


def village_roster_income(*, village: Village, year: int) -> RosterIncome:
    latest = IncomeYear.objects.filter(household=OuterRef("pk"), year__lte=year).order_by("-year")
    totals = Household.objects.filter(village=village).annotate(
        pc=Subquery(latest.values("net_income_per_capita")[:1], output_field=DecimalField()),
        size=Subquery(latest.values("household_size")[:1], output_field=IntegerField()),
    ).aggregate(
        population=Sum("member_count"),
        households=Count("pk"),
        weighted=Sum(_real(F("pc")) * F("size"), output_field=FloatField()),
        people=Sum("size"),
    )
    people = totals["people"] or 0
    per_capita = None
    if people and totals["weighted"] is not None:
        per_capita = (Decimal(str(totals["weighted"])) / people).quantize(Decimal("0.01"))
    return RosterIncome(
        year=year, population=totals["population"] or 0, households=totals["households"],
        people_with_income=people, per_capita=per_capita,
    )


def village_income_estimate_for(*, village: Village, campaign: Campaign) -> VillageIncomeEstimate:
    """The saved worksheet, or a blank one for the campaign year."""
    estimate = VillageIncomeEstimate.objects.filter(village=village, campaign=campaign).first()
    return estimate or VillageIncomeEstimate(village=village, campaign=campaign, year=campaign.year)


def village_income_estimate_save(
    *, village: Village, campaign: Campaign, year: int, lines: list[dict], note: str, user
) -> VillageIncomeEstimate:
    estimate = village_income_estimate_for(village=village, campaign=campaign)
    estimate.year, estimate.lines, estimate.note = year, lines, note
    estimate.population = village_roster_income(village=village, year=year).population
    estimate.updated_by = user if user and user.is_authenticated else None
    estimate.full_clean()
    estimate.save()
    audit_log(
        user=user, action="income_estimate_saved", obj=estimate, county_id=campaign.county_id,
        detail=f"{village.name}{year}年：合计{estimate.total}元，人均{estimate.per_capita or '—'}元",
    )
    return estimate


@dataclass
class IncomeSection:
    kind: str
    label: str
    rows: list[tuple[str, str, str]]  # name, how it was computed, amount (formatted)
    subtotal: str


def _plain(value) -> str:
    number = _num(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,}"


def _formula(line: dict) -> str:
    values = {name: _plain(line.get(name) or 0) for name in INCOME_LINE_KINDS[line["kind"]][1]}
    return {
        "crop": "{area} 亩 × {yield_per_mu} 公斤/亩 × {price} 元/公斤 − 成本 {cost} 元",
        "livestock": "{head_sold} 头（只）× {margin} 元",
        "wage": "{people} 人 × {average_earnings} 元",
    }.get(line["kind"], "{amount} 元").format(**values)


def income_estimate_sections(estimate: VillageIncomeEstimate) -> list[IncomeSection]:
    """The worksheet by kind of income, with how each line was computed, ready to show."""
    sections = []
    for kind, (label, _) in INCOME_LINE_KINDS.items():
        lines = [line for line in estimate.lines if line.get("kind") == kind]
        amounts = [income_line_amount(line) for line in lines]
        rows = [(line["name"], _formula(line), _yuan(amount)) for line, amount in zip(lines, amounts)]
        sections.append(IncomeSection(kind, str(label), rows, _yuan(sum(amounts, Decimal("0.00")))))
    return sections


def income_comparison(estimate: VillageIncomeEstimate, roster: RosterIncome) -> dict[str, str]:
    """The worksheet's total and per-capita figure beside the roster's, formatted."""
    per_capita = estimate.per_capita
    difference = ""
    if per_capita is not None and roster.per_capita:
        share = (per_capita - roster.per_capita) / roster.per_capita
        difference = f"测算比花名册{'高' if share >= 0 else '低'} {_percent(share)}"
    return {
        "total": _yuan(estimate.total),
        "population": f"{estimate.population or roster.population:,}",
        "per_capita": _yuan(per_capita) if per_capita is not None else "—",
        "roster_per_capita": _yuan(roster.per_capita) if roster.per_capita is not None else "—",
        "difference": difference,
    }


def thresholds_summary(thresholds: ScreeningThresholds, campaign: Campaign) -> str:
    return (
        f"监测收入线 {_round_yuan(campaign.monitoring_income_line)} 元；收入同比下降超过 {_percent(thresholds.income_drop_share)}；"
        f"脱贫户收入增幅低于 {_percent(thresholds.lifted_growth_min)}；自付医疗支出达到 "
        f"{_round_yuan(thresholds.medical_out_of_pocket)} 元，或超过 {_round_yuan(thresholds.medical_twice_income)} 元"
        f"（上年度农村居民人均可支配收入 {_round_yuan(thresholds.rural_disposable_income_last_year)} 元的2倍）；"
        f"发现后 {thresholds.decision_days} 天内作出决定"
    )
