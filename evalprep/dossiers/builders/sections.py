"""The chapters dossiers are made of. Each one reads what exists in the
module that owns the data: households, screening and evidence here; task
assignments, findings and guides in task_sections.py; interview answers in
interview_sections.py; reconciliation with the national export and its
suspect-data checks in national_sections.py.

Every `collect` runs a fixed number of queries whatever the number of
households, and masks ID numbers and phones before anything is rendered.
"""

from collections import Counter, defaultdict
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from evalprep.core.excel import SheetSpec
from evalprep.core.idnumber import mask_id_number, mask_phone
from evalprep.core.models import Township, Village
from evalprep.core.sheets import format_date_zh
from evalprep.dossiers.builders.base import DossierContext, Section, section
from households.models import (
    STEP_ORDER,
    Category,
    Household,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    MonitoringStep,
    MonitoringType,
    Risk,
    ScreeningFlag,
)
from households.screening import flag_status, open_flag_q
from indicators.models import ChecklistRow, EvidenceFile, RowStatus
from indicators.selectors import (
    ACTIVE_ROWS,
    readiness_by_area,
    readiness_by_item,
    readiness_by_unit,
    readiness_overall,
)

CATEGORY_LABELS = dict(Category.choices)
TYPE_LABELS = dict(MonitoringType.choices)
STEP_LABELS = dict(MonitoringStep.choices)


def _yuan(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _date(value: date | None) -> str:
    return format_date_zh(value) if value else ""


def _households(ctx: DossierContext):
    if ctx.scope == "village":
        return Household.objects.filter(village=ctx.unit)
    return Household.objects.filter(village__township__county=ctx.county)


def _flags(ctx: DossierContext, **filters):
    """The campaign's screening flags of the dossier's village or county, by the flags' own village."""
    if ctx.scope == "village":
        return ScreeningFlag.objects.filter(village=ctx.unit, **filters)
    return ScreeningFlag.objects.filter(village__township__county=ctx.county, **filters)


# Village and county figures


@section
class VillageBasics(Section):
    key = "village_basics"
    title = "村情概况"
    template = "dossiers/pdf/sections/village_basics.html"

    def collect(self, ctx):
        village = ctx.unit
        households = Household.objects.filter(village=village)
        by_category = dict(households.values_list("category").annotate(n=Count("pk")).order_by())
        people = Member.objects.filter(household__village=village).count()
        cadres = [
            {"name": a.user.get_full_name() or a.user.username, "post": a.get_post_display() or a.get_role_display(),
             "phone": mask_phone(a.phone)}
            for a in village.role_assignments.select_related("user").order_by("post", "pk")
        ]
        facts = [
            ("行政村", village.name), ("村代码", village.code), ("所属乡镇", village.township.name),
            ("是否脱贫村", "是" if village.is_lifted_village else "否"),
            ("村民小组", f"{village.groups.count()}个"),
            ("易地搬迁安置点", "、".join(village.relocation_sites.values_list("name", flat=True)) or "无"),
            ("登记农户", f"{sum(by_category.values())}户 {people}人"),
            *[(str(label), f"{by_category.get(code, 0)}户") for code, label in Category.choices],
        ]
        return {"facts": facts, "cadres": cadres}

    def sheets(self, data):
        return [
            SheetSpec("村情概况", ["项目", "内容"], data["facts"], widths=[20, 50]),
            SheetSpec("村干部", ["姓名", "职务", "联系电话"], [[c["name"], c["post"], c["phone"]] for c in data["cadres"]], widths=[14, 20, 16]),
        ]


@section
class CountyFigures(Section):
    key = "county_figures"
    title = "全县基本数据"
    template = "dossiers/pdf/sections/county_figures.html"

    def collect(self, ctx):
        county = ctx.county
        households = _households(ctx)
        rows = households.values("village__township_id", "category").annotate(
            n=Count("pk"), people=Sum("member_count")
        ).order_by()
        townships = list(Township.objects.filter(county=county).order_by("code").annotate(village_count=Count("villages")))
        table = {t.pk: {"name": t.name, "villages": t.village_count, **{c: 0 for c in Category.values}, "people": 0} for t in townships}
        for row in rows:
            entry = table.get(row["village__township_id"])
            if entry:
                entry[row["category"]] += row["n"]
                entry["people"] += row["people"] or 0
        by_type = dict(
            households.filter(category=Category.MONITORED).values_list("monitoring_type").annotate(n=Count("pk")).order_by()
        )
        totals = {key: sum(entry[key] for entry in table.values()) for key in ["villages", *Category.values, "people"]}
        figures = [
            ("乡镇", len(townships)), ("行政村", totals["villages"]),
            ("脱贫村", Village.objects.filter(township__county=county, is_lifted_village=True).count()),
            ("登记农户", sum(totals[c] for c in Category.values)), ("登记人口", totals["people"]),
            *[(str(label), totals[code]) for code, label in Category.choices],
            *[(f"其中{label}", by_type.get(code, 0)) for code, label in MonitoringType.choices],
        ]
        return {"figures": figures, "townships": list(table.values()), "totals": totals}

    def sheets(self, data):
        headers = ["乡镇", "行政村", "脱贫户", "监测户", "一般户", "登记人口"]
        rows = [[t["name"], t["villages"], t["lifted"], t["monitored"], t["ordinary"], t["people"]] for t in data["townships"]]
        return [
            SheetSpec("全县基本数据", ["项目", "数值"], data["figures"], widths=[24, 14]),
            SheetSpec("分乡镇", headers, rows, widths=[18, 10, 10, 10, 10, 12]),
        ]


# Roster


@section
class RosterSummary(Section):
    key = "roster_summary"
    title = "农户分类统计与花名册"
    template = "dossiers/pdf/sections/roster_summary.html"

    def collect(self, ctx):
        households = _households(ctx)
        counts = households.values("category", "monitoring_type").annotate(n=Count("pk"), people=Sum("member_count")).order_by()
        summary = []
        for row in sorted(counts, key=lambda r: (Category.values.index(r["category"]), r["monitoring_type"] or "")):
            label = str(CATEGORY_LABELS[row["category"]])
            if row["monitoring_type"]:
                label += f"（{TYPE_LABELS.get(row['monitoring_type'], row['monitoring_type'])}）"
            summary.append({"label": label, "households": row["n"], "people": row["people"] or 0})
        latest_income = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year")
        listing = [
            {
                "number": h["number"], "head": h["head_name"], "group": h["group__name"] or "",
                "category": CATEGORY_LABELS.get(h["category"], ""),
                "type": TYPE_LABELS.get(h["monitoring_type"], "") if h["monitoring_type"] else "",
                "people": h["member_count"], "income": _yuan(h["income"]),
                "helper": h["helper_name"], "phone": mask_phone(h["phone"]),
            }
            for h in households.order_by("number").values(
                "number", "head_name", "group__name", "category", "monitoring_type", "member_count",
                "helper_name", "phone",
            ).annotate(income=latest_income.values("net_income_per_capita")[:1])
        ] if ctx.scope == "village" else []
        return {
            "summary": summary,
            "total": {"households": sum(r["households"] for r in summary), "people": sum(r["people"] for r in summary)},
            "listing": listing,
        }

    def sheets(self, data):
        sheets = [SheetSpec("分类统计", ["类别", "户数", "人数"], [[r["label"], r["households"], r["people"]] for r in data["summary"]], widths=[30, 10, 10])]
        if data["listing"]:
            headers = ["户编号", "户主", "村民小组", "户类型", "监测类型", "人口", "人均纯收入（元）", "帮扶责任人", "联系电话"]
            keys = ["number", "head", "group", "category", "type", "people", "income", "helper", "phone"]
            sheets.append(SheetSpec("花名册", headers, [[h[k] for k in keys] for h in data["listing"]], widths=[16, 12, 12, 10, 16, 6, 16, 12, 14]))
        return sheets


@section
class MonitoredHouseholds(Section):
    key = "monitored"
    title = "监测户风险、帮扶措施与监测流程"
    template = "dossiers/pdf/sections/monitored.html"

    def collect(self, ctx):
        households = (
            _households(ctx).filter(category=Category.MONITORED)
            .select_related("village")
            .prefetch_related(
                Prefetch("risks", queryset=Risk.objects.order_by("identified_on", "pk")),
                Prefetch("measures", queryset=Measure.objects.order_by("started_on", "pk")),
                Prefetch("monitoring_events", queryset=MonitoringEvent.objects.order_by("on", "pk")),
            )
            .order_by("village__code", "number")
        )
        rows = []
        for h in households:
            events = list(h.monitoring_events.all())
            stage = max(events, key=lambda e: (STEP_ORDER.index(e.step), e.on)) if events else None
            rows.append({
                "village": h.village.name, "number": h.number, "head": h.head_name,
                "type": TYPE_LABELS.get(h.monitoring_type, ""), "since": _date(h.monitoring_since),
                "risks": "；".join(f"{r.kind}{('：' + r.note) if r.note else ''}" for r in h.risks.all()) or "—",
                "measures": "；".join(f"{m.kind}{('：' + m.detail) if m.detail else ''}" for m in h.measures.all()) or "未落实",
                "stage": f"{STEP_LABELS[stage.step]}（{_date(stage.on)}）" if stage else "未启动",
                "helper": h.helper_name,
            })
        return {"rows": rows, "show_village": ctx.scope != "village"}

    def sheets(self, data):
        headers = ["行政村", "户编号", "户主", "监测类型", "识别时间", "风险", "帮扶措施", "流程环节", "帮扶责任人"]
        keys = ["village", "number", "head", "type", "since", "risks", "measures", "stage", "helper"]
        return [SheetSpec("监测户", headers, [[r[k] for k in keys] for r in data["rows"]], widths=[14, 16, 10, 14, 14, 36, 40, 22, 12])]


# Screening


@section
class ScreeningFlags(Section):
    key = "screening"
    title = "应纳未纳筛查提示与处理"
    template = "dossiers/pdf/sections/screening.html"

    def collect(self, ctx):
        campaign = ctx.campaign
        if campaign is None or not campaign.screening_runs.exists():
            return None  # never screened: nothing to show, and nothing to claim
        flags = (
            _flags(ctx, campaign=campaign, resolved_at__isnull=True)
            .select_related("household", "village", "decision")
            .order_by("village__code", "household__number", "rule")
        )
        today = timezone.localdate()
        rows = []
        for flag in flags:
            decision = getattr(flag, "decision", None)
            rows.append({
                "village": flag.village.name, "number": flag.household.number, "head": flag.household.head_name,
                "rule": flag.get_rule_display(), "explanation": flag.explanation, "due": _date(flag.due_date),
                "status": flag_status(flag, today)[1],
                "decision": f"{decision.get_outcome_display()}：{decision.reason}".rstrip("：") if decision else "",
            })
        run = campaign.screening_runs.order_by("-started_at").first()
        return {
            "rows": rows, "run_at": timezone.localtime(run.started_at).strftime("%Y年%m月%d日 %H:%M"),
            "open": sum(1 for r in rows if not r["decision"]), "show_village": ctx.scope != "village",
        }

    def sheets(self, data):
        headers = ["行政村", "户编号", "户主", "筛查规则", "说明", "处理期限", "状态", "处理决定"]
        keys = ["village", "number", "head", "rule", "explanation", "due", "status", "decision"]
        return [SheetSpec("筛查提示", headers, [[r[k] for k in keys] for r in data["rows"]], widths=[14, 16, 10, 22, 50, 14, 12, 40])]


# Evidence checklist


def _checklist_rows(ctx: DossierContext):
    rows = ChecklistRow.objects.filter(ACTIVE_ROWS, campaign=ctx.campaign)
    if ctx.scope == "village":
        return rows.filter(village=ctx.unit)
    if ctx.scope == "department":
        return rows.filter(department=ctx.unit)
    return rows.filter(county=ctx.unit)


@section
class EvidenceChecklist(Section):
    key = "checklist"
    title = "佐证资料清单及在档情况"
    template = "dossiers/pdf/sections/checklist.html"

    def collect(self, ctx):
        if ctx.campaign is None:
            return None
        rows = list(
            _checklist_rows(ctx)
            .select_related("requirement__item__area", "milestone", "campaign")
            .prefetch_related(Prefetch("files", queryset=EvidenceFile.objects.order_by("uploaded_at", "pk")))
            .order_by("requirement__item__area__order", "requirement__item__order", "requirement__code", "pk")
        )
        if not rows:
            return None  # no framework expanded for this unit yet
        entries = [{
            "item": f"{r.requirement.item.code} {r.requirement.item.title}",
            "requirement": f"{r.requirement.mark or r.requirement.code} {r.requirement.text}",
            "status": r.get_status_display(), "due": _date(r.due_date),
            "files": "；".join(f"{f.original_name}（{_date(f.evidence_date)}）" for f in r.files.all()) or "—",
            "reason": r.return_reason,
        } for r in rows]
        counts = Counter(r.status for r in rows)
        return {
            "rows": entries, "total": len(rows),
            "counts": [(str(label), counts.get(code, 0)) for code, label in RowStatus.choices],
        }

    def sheets(self, data):
        headers = ["指标", "佐证要求", "状态", "截止日期", "在档文件", "退回原因"]
        keys = ["item", "requirement", "status", "due", "files", "reason"]
        return [SheetSpec("佐证清单", headers, [[r[k] for k in keys] for r in data["rows"]], widths=[28, 60, 12, 14, 50, 30])]


# Department


@section
class DepartmentBasics(Section):
    key = "department_basics"
    title = "部门职责与人员"
    template = "dossiers/pdf/sections/department_basics.html"

    def collect(self, ctx):
        department = ctx.unit
        people = [
            {"name": a.user.get_full_name() or a.user.username, "role": a.get_role_display(), "phone": mask_phone(a.phone)}
            for a in department.role_assignments.select_related("user").order_by("role", "pk")
        ]
        return {"name": department.name, "kind": department.get_kind_display(), "duties": department.duties, "people": people}

    def sheets(self, data):
        return [
            SheetSpec("部门职责", ["项目", "内容"], [["部门", data["name"]], ["类别", data["kind"]], ["迎评职责", data["duties"]]], widths=[14, 80]),
            SheetSpec("部门人员", ["姓名", "角色", "联系电话"], [[p["name"], p["role"], p["phone"]] for p in data["people"]], widths=[14, 18, 16]),
        ]


# County briefing pack


def _readiness_rows(entries) -> list[dict]:
    return [{
        "group": e.group, "label": e.label, "total": e.total, "missing": e.missing, "submitted": e.submitted,
        "signed_off": e.signed_off, "accepted": e.accepted, "returned": e.returned, "percent": e.percent,
    } for e in entries]


READINESS_HEADERS = ["分组", "名称", "清单行", "未上传", "已提交", "负责人已审核", "已验收", "已退回", "验收率（%）"]
READINESS_KEYS = ["group", "label", "total", "missing", "submitted", "signed_off", "accepted", "returned", "percent"]


@section
class Readiness(Section):
    key = "readiness"
    title = "迎评资料完成度"
    template = "dossiers/pdf/sections/readiness.html"

    def collect(self, ctx):
        campaign = ctx.campaign
        if campaign is None:
            return None
        overall = readiness_overall(campaign)
        if not overall.total:
            return None
        return {
            "overall": _readiness_rows([overall])[0],
            "tables": [
                ("按领域", _readiness_rows(readiness_by_area(campaign))),
                ("按指标", _readiness_rows(readiness_by_item(campaign))),
                ("按乡镇", _readiness_rows(readiness_by_unit(campaign, "township"))),
                ("按行政村", _readiness_rows(readiness_by_unit(campaign, "village"))),
                ("按部门", _readiness_rows(readiness_by_unit(campaign, "department"))),
            ],
        }

    def sheets(self, data):
        return [
            SheetSpec(f"完成度{title}", READINESS_HEADERS, [[r[k] for k in READINESS_KEYS] for r in rows], widths=[18, 40, 8, 8, 8, 12, 8, 8, 12])
            for title, rows in data["tables"]
        ]


@section
class TopRisks(Section):
    key = "top_risks"
    title = "主要风险"
    template = "dossiers/pdf/sections/top_risks.html"

    def collect(self, ctx):
        households = _households(ctx)
        risks = list(
            Risk.objects.filter(household__in=households.filter(category=Category.MONITORED))
            .values_list("kind").annotate(n=Count("pk")).order_by("-n", "kind")
        )
        unmeasured = households.filter(category=Category.MONITORED).exclude(
            Exists(Measure.objects.filter(household=OuterRef("pk")))
        ).count()
        flags = []
        villages = []
        if ctx.campaign is not None:
            open_flags = _flags(ctx, campaign=ctx.campaign).filter(open_flag_q())
            flags = [(str(label), n) for label, n in self._by_rule(open_flags)]
            villages = list(
                open_flags.values(name=F("village__name"), township=F("village__township__name"))
                .annotate(n=Count("pk")).order_by("-n", "name")[:10]
            )
        return {"risks": risks, "flags": flags, "villages": villages, "unmeasured": unmeasured}

    @staticmethod
    def _by_rule(flags):
        labels = dict(ScreeningFlag._meta.get_field("rule").choices)
        return [(labels.get(rule, rule), n) for rule, n in flags.values_list("rule").annotate(n=Count("pk")).order_by("-n", "rule")]

    def sheets(self, data):
        return [
            SheetSpec("风险类型", ["风险类型", "监测户数"], data["risks"], widths=[24, 12]),
            SheetSpec("待处理筛查提示", ["筛查规则", "提示数"], data["flags"], widths=[36, 12]),
            SheetSpec("提示最多的村", ["乡镇", "行政村", "待处理提示"], [[v["township"], v["name"], v["n"]] for v in data["villages"]], widths=[18, 18, 12]),
        ]


@section
class OverdueWork(Section):
    key = "overdue"
    title = "逾期事项"
    template = "dossiers/pdf/sections/overdue.html"

    def collect(self, ctx):
        campaign = ctx.campaign
        if campaign is None:
            return None
        today = timezone.localdate()
        due = Q(milestone__due_date__lt=today) | Q(milestone__isnull=True, campaign__inspection_start__lt=today)
        rows = (
            ChecklistRow.objects.filter(ACTIVE_ROWS, due, campaign=campaign)
            .exclude(status=RowStatus.ACCEPTED)
            .select_related("requirement__item", "milestone", "campaign", "county", "department", "township", "village")
            .order_by("milestone__due_date", "requirement__item__code", "pk")
        )
        overdue_rows = [{
            "unit": str(r.unit), "item": f"{r.requirement.item.code} {r.requirement.text}", "due": _date(r.due_date),
            "status": r.get_status_display(), "days": (today - r.due_date).days if r.due_date else 0,
        } for r in rows[:500]]
        flags = ScreeningFlag.objects.filter(
            open_flag_q(), campaign=campaign, village__township__county=ctx.county, due_date__lt=today,
        )
        by_village = defaultdict(int)
        for name in flags.values_list("village__name", flat=True):
            by_village[name] += 1
        from evalprep.dossiers.builders.task_sections import overdue_assignments

        return {
            "rows": overdue_rows, "total_rows": rows.count(),
            "tasks": overdue_assignments(ctx),  # None when the county does not use task assignments
            "flags": sorted(by_village.items(), key=lambda kv: (-kv[1], kv[0])), "total_flags": sum(by_village.values()),
        }

    def sheets(self, data):
        from evalprep.dossiers.builders.task_sections import overdue_assignment_sheets

        headers = ["责任单位", "佐证要求", "截止日期", "状态", "逾期天数"]
        keys = ["unit", "item", "due", "status", "days"]
        return [
            SheetSpec("逾期佐证", headers, [[r[k] for k in keys] for r in data["rows"]], widths=[20, 60, 14, 12, 10]),
            *overdue_assignment_sheets(data.get("tasks")),
            SheetSpec("逾期筛查提示", ["行政村", "逾期未决定提示"], data["flags"], widths=[20, 16]),
        ]


# Household information card (one per household)


def household_cards(village: Village) -> list[dict]:
    """What each 明白卡 shows, for every household of a village (five queries)."""
    households = (
        Household.objects.filter(village=village).select_related("group")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("pk")),
            Prefetch("measures", queryset=Measure.objects.order_by("started_on", "pk")),
            Prefetch("incomes", queryset=IncomeYear.objects.order_by("-year")),
        )
        .order_by("number")
    )
    cards = []
    for h in households:
        members = sorted(h.members.all(), key=lambda m: (m.relation != "户主", m.pk))
        income = next(iter(h.incomes.all()), None)
        policies = []
        if h.minimum_living:
            policies.append(f"低保{('：' + _yuan(h.minimum_living_amount) + '元/年') if h.minimum_living_amount else ''}")
        if h.destitute_support:
            policies.append(f"特困供养{('：' + _yuan(h.destitute_support_amount) + '元/年') if h.destitute_support_amount else ''}")
        if h.temporary_assistance_amount:
            policies.append(f"临时救助：{_yuan(h.temporary_assistance_amount)}元")
        insured = sum(1 for m in members if m.medical_insurance)
        policies.append(f"基本医疗保险：{insured}/{len(members)}人参保")
        contracted = sum(1 for m in members if m.family_doctor_contract)
        if contracted:
            policies.append(f"家庭医生签约：{contracted}人")
        if h.housing_renovated_year:
            policies.append(f"{h.housing_renovated_year}年危房改造")
        cards.append({
            "number": h.number, "head": h.head_name, "group": h.group.name if h.group else "",
            "category": CATEGORY_LABELS.get(h.category, ""), "type": TYPE_LABELS.get(h.monitoring_type, "") if h.monitoring_type else "",
            "phone": mask_phone(h.phone), "address": h.address,
            "members": [{
                "name": m.name, "relation": m.relation, "sex": m.get_sex_display(), "id": mask_id_number(m.id_number),
                "health": m.get_health_display(), "schooling": m.get_schooling_display(), "labour": m.get_labour_capacity_display(),
            } for m in members],
            "policies": policies,
            "measures": [{"kind": m.kind, "detail": m.detail, "since": _date(m.started_on), "amount": _yuan(m.amount)} for m in h.measures.all()],
            "helper": h.helper_name, "helper_phone": mask_phone(h.helper_phone),
            "income": income and {
                "year": income.year, "wage": _yuan(income.wage), "business": _yuan(income.business),
                "property": _yuan(income.property_income), "transfer": _yuan(income.transfer),
                "costs": _yuan(income.production_costs), "per_capita": _yuan(income.net_income_per_capita),
            },
        })
    return cards
