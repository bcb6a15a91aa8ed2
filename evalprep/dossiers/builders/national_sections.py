"""Chapters read from the national-export module (households/national*.py):
账机一致 — the village's discrepancies between the roster and the national
system by kind and resolution — and the suspect-data checks' hits by rule with
what was fixed and what was exempted; for the county, the same per village.

The same definitions as households/national_selectors.py (open hit, open
discrepancy), read without a user: the dossier's job checked the scope. A fixed
number of grouped queries; no chapter before the county's first reconciled or
checked snapshot.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from evalprep.core.excel import SheetSpec
from evalprep.core.models import Village
from evalprep.dossiers.builders.base import DossierContext, Section, section
from evalprep.dossiers.builders.sections import _date
from households.models import (
    DiscrepancyKind,
    HitStatus,
    NationalCheckHit,
    NationalDiscrepancy,
    NationalSnapshot,
    SnapshotSource,
    SnapshotStatus,
)
from households.national_checks import RULES_BY_CODE
from households.national_selectors import OPEN_DISCREPANCY

KIND_LABELS = dict(DiscrepancyKind.choices)
SOURCE_LABELS = dict(SnapshotSource.choices)
RESOLUTION_COLUMNS = [
    ("open", "未处理"), ("system_to_fix", "待改国家系统"), ("roster_fixed", "已改花名册"), ("explained", "已说明"),
    ("gone", "已核销"),
]


def _latest_snapshot(ctx: DossierContext) -> NationalSnapshot | None:
    """The latest imported system export covering the unit that was reconciled or checked (one query)."""
    snapshots = NationalSnapshot.objects.filter(county=ctx.county, source=SnapshotSource.SYSTEM, status=SnapshotStatus.READY)
    if ctx.scope == "village":  # a township's own export covers its villages too
        snapshots = snapshots.filter(Q(township__isnull=True) | Q(township_id=ctx.unit.township_id))
    return (
        snapshots.filter(Q(reconciled_at__isnull=False) | Q(checks_run_at__isnull=False))
        .select_related("township").order_by("-taken_on", "-pk").first()
    )


def _resolution_key(resolution: str, gone: bool) -> str:
    if gone:
        return "gone"
    return resolution or "open"


def _hit_rule_rows(rows) -> list[dict]:
    """Grouped counts (source, rule, open, waiting, verified, exempt) as table rows, in rule order."""
    order = {code: index for index, code in enumerate(RULES_BY_CODE)}
    result = []
    for row in sorted(rows, key=lambda r: (r["source"] != SnapshotSource.SYSTEM, order.get(r["rule"], 10_000), r["rule"])):
        rule = RULES_BY_CODE.get(row["rule"])
        result.append({
            "source": str(SOURCE_LABELS.get(row["source"], row["source"])), "rule": row["rule"],
            "title": rule.title if rule else "", "family": rule.family_label if rule else "",
            "open": row["open"], "fixed": row["waiting"], "verified": row["verified"], "exempt": row["exempt"],
            "total": row["total"],
        })
    return result


HIT_COUNTS = {
    "total": Count("pk"),
    "open": Count("pk", filter=Q(gone_snapshot__isnull=True, status=HitStatus.OPEN)),
    "waiting": Count("pk", filter=Q(gone_snapshot__isnull=True, status=HitStatus.FIXED)),
    "verified": Count("pk", filter=Q(gone_snapshot__isnull=False) & ~Q(status=HitStatus.EXEMPT)),
    "exempt": Count("pk", filter=Q(status=HitStatus.EXEMPT)),
}


@section
class VillageReconciliation(Section):
    key = "reconciliation"
    title = "账机一致比对与疑点数据核查"
    template = "dossiers/pdf/sections/reconciliation.html"

    def collect(self, ctx: DossierContext):
        snapshot = _latest_snapshot(ctx)
        if snapshot is None:
            return None  # no national export reconciled or checked yet
        today = timezone.localdate()
        village = ctx.unit
        found = list(
            NationalDiscrepancy.objects.filter(county=ctx.county, village=village)
            .order_by("deadline", "kind", "household_number", "subject_key")  # most urgent first
        )
        by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        open_rows = []
        for d in found:
            key = _resolution_key(d.resolution, d.gone_snapshot_id is not None)
            by_kind[d.kind][key] += 1
            if key in ("open", "system_to_fix"):
                overdue = d.deadline < today
                open_rows.append({
                    "kind": str(KIND_LABELS.get(d.kind, d.kind)), "field": d.get_field_display() if d.field else "",
                    "number": d.household_number, "name": d.name, "roster": d.roster_value, "system": d.system_value,
                    "explanation": d.explanation, "deadline": _date(d.deadline), "overdue": overdue,
                    "days": (today - d.deadline).days if overdue else 0, "resolution": d.get_resolution_display(),
                    "note": d.resolution_note,
                })
        kinds = [
            {"kind": str(label), **{key: by_kind[code][key] for key, _ in RESOLUTION_COLUMNS},
             "total": sum(by_kind[code].values())}
            for code, label in DiscrepancyKind.choices if code in by_kind
        ]
        hits = NationalCheckHit.objects.filter(county=ctx.county, village=village)
        rules = _hit_rule_rows(hits.values("source", "rule").annotate(**HIT_COUNTS).order_by())
        open_hits = [{
            "source": str(SOURCE_LABELS.get(h.source, h.source)), "rule": h.rule,
            "title": RULES_BY_CODE[h.rule].title if h.rule in RULES_BY_CODE else "", "number": h.household_number,
            "name": h.name, "explanation": h.explanation, "reopened": h.reopened,
        } for h in hits.filter(gone_snapshot__isnull=True, status=HitStatus.OPEN).order_by("source", "rule", "subject_key")[:300]]
        return {
            "snapshot": f"{_date(snapshot.taken_on)}导出" + (f"（{snapshot.township.name}）" if snapshot.township else ""),
            "kinds": kinds, "open": open_rows, "overdue": sum(1 for r in open_rows if r["overdue"]),
            "rules": rules, "open_hits": open_hits, "open_hit_total": sum(r["open"] for r in rules),
            "columns": RESOLUTION_COLUMNS,
        }

    def sheets(self, data):
        return [
            SheetSpec("账机差异按类型", ["类型", *[label for _, label in RESOLUTION_COLUMNS], "合计"],
                      [[k["kind"], *[k[key] for key, _ in RESOLUTION_COLUMNS], k["total"]] for k in data["kinds"]],
                      widths=[18, 10, 14, 12, 10, 10, 10]),
            SheetSpec("未处理账机差异", ["类型", "字段", "户编号", "姓名/户主", "花名册", "国家系统", "说明", "整改期限", "是否逾期", "处理结果"],
                      [[r["kind"], r["field"], r["number"], r["name"], r["roster"], r["system"], r["explanation"], r["deadline"],
                        "逾期" if r["overdue"] else "", r["resolution"]] for r in data["open"]],
                      widths=[16, 14, 20, 12, 16, 16, 60, 16, 10, 14]),
            *_hit_sheets(data),
        ]


def _hit_sheets(data) -> list[SheetSpec]:
    sheets = [SheetSpec("疑点数据按规则", ["数据来源", "规则编号", "类别", "规则", "待处理", "已整改待核验", "已核销", "豁免", "合计"],
                        [[r["source"], r["rule"], r["family"], r["title"], r["open"], r["fixed"], r["verified"], r["exempt"], r["total"]]
                         for r in data["rules"]], widths=[14, 10, 18, 40, 10, 14, 10, 8, 8])]
    if "open_hits" in data:
        sheets.append(SheetSpec("待处理疑点", ["数据来源", "规则编号", "规则", "户编号", "姓名", "说明", "核验未通过"],
                                [[h["source"], h["rule"], h["title"], h["number"], h["name"], h["explanation"],
                                  "是" if h["reopened"] else ""] for h in data["open_hits"]],
                                widths=[14, 10, 36, 20, 12, 70, 12]))
    return sheets


@section
class CountyReconciliation(Section):
    key = "county_reconciliation"
    title = "账机一致与疑点数据清零情况"
    template = "dossiers/pdf/sections/county_reconciliation.html"

    def collect(self, ctx: DossierContext):
        snapshot = _latest_snapshot(ctx)
        if snapshot is None:
            return None
        today = timezone.localdate()
        villages = Village.objects.filter(township__county=ctx.county).select_related("township").order_by("township__code", "code")
        rows = {v.pk: {"label": f"{v.township.name}{v.name}", "open_hits": 0, "fixed": 0, "exempt": 0, "verified": 0,
                       "open_discrepancies": 0, "overdue": 0} for v in villages}
        rows[None] = {"label": "未匹配到村", "open_hits": 0, "fixed": 0, "exempt": 0, "verified": 0, "open_discrepancies": 0, "overdue": 0}
        hits = NationalCheckHit.objects.filter(county=ctx.county)
        for row in hits.values("village_id").annotate(**HIT_COUNTS).order_by():
            target = rows.get(row["village_id"])
            if target:
                target.update(open_hits=row["open"], fixed=row["waiting"], exempt=row["exempt"], verified=row["verified"])
        discrepancies = NationalDiscrepancy.objects.filter(county=ctx.county).values("village_id").annotate(
            open=Count("pk", filter=OPEN_DISCREPANCY), overdue=Count("pk", filter=OPEN_DISCREPANCY & Q(deadline__lt=today)),
        ).order_by()
        for row in discrepancies:
            target = rows.get(row["village_id"])
            if target:
                target.update(open_discrepancies=row["open"], overdue=row["overdue"])
        for row in rows.values():
            row["to_zero"] = row["open_hits"] + row["fixed"] + row["open_discrepancies"]
        unmatched = rows.pop(None)
        table = sorted(rows.values(), key=lambda r: -r["to_zero"])
        if unmatched["to_zero"] or unmatched["exempt"]:
            table.append(unmatched)
        rules = _hit_rule_rows(hits.values("source", "rule").annotate(**HIT_COUNTS).order_by())
        totals = {key: sum(r[key] for r in table) for key in ("open_hits", "fixed", "exempt", "verified", "open_discrepancies", "overdue", "to_zero")}
        return {"snapshot": f"{_date(snapshot.taken_on)}导出", "villages": table, "rules": rules, "totals": totals}

    def sheets(self, data):
        headers = ["行政村", "待处理疑点", "已整改待核验", "豁免", "已核销", "未处理账机差异", "其中逾期", "距清零"]
        keys = ["label", "open_hits", "fixed", "exempt", "verified", "open_discrepancies", "overdue", "to_zero"]
        return [
            SheetSpec("账机与疑点按村", headers, [[r[k] for k in keys] for r in data["villages"]], widths=[24, 12, 14, 8, 10, 16, 10, 10]),
            *_hit_sheets(data),
        ]
