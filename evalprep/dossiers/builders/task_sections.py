"""Chapters read from the department-task module (tasks/): a unit's task
assignments and what it handed in, overdue assignments across the county,
findings on the rectification ledger (问题整改台账) and the village's guides.

Each `collect` runs a fixed number of queries; a unit the module holds
nothing for gets no chapter.
"""

from collections import Counter

from django.db.models import Prefetch, Q
from django.utils import timezone

from evalprep.core.excel import SheetSpec
from evalprep.core.idnumber import mask_phone
from evalprep.dossiers.builders.base import DossierContext, Section, section
from evalprep.dossiers.builders.sections import _date
from tasks.models import (
    Assignment,
    AssignmentStatus,
    Deliverable,
    DeliverableKind,
    Finding,
    FindingStatus,
    Level,
)
from tasks.selectors import findings_clearance, village_guides

LEVEL_LABELS = dict(Level.choices)


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _when(moment) -> str:
    return _date(timezone.localdate(moment)) if moment else ""


def _assignment_row(a: Assignment, today) -> dict:
    overdue = a.is_overdue(today)
    return {
        "code": a.template.code, "title": a.template.title, "status": a.get_status_display(),
        "due": _date(a.due_date), "overdue": overdue,
        "days": (today - a.due_date).days if overdue else 0,
        "days_left": a.days_left(today) if not overdue and a.status != AssignmentStatus.ACCEPTED else None,
        "reason": a.return_reason, "note": a.note,
    }


# Village: open tasks


@section
class VillageTasks(Section):
    key = "village_tasks"
    title = "待办任务"
    template = "dossiers/pdf/sections/village_tasks.html"

    def collect(self, ctx: DossierContext):
        if ctx.campaign is None:
            return None
        today = timezone.localdate()
        assignments = list(
            Assignment.objects.filter(campaign=ctx.campaign, village=ctx.unit)
            .select_related("template").order_by("due_date", "template__order", "pk")
        )
        if not assignments:
            return None  # nothing assigned to this village
        open_rows = [_assignment_row(a, today) for a in assignments if a.status != AssignmentStatus.ACCEPTED]
        return {
            "rows": open_rows, "total": len(assignments), "accepted": len(assignments) - len(open_rows),
            "overdue": sum(1 for r in open_rows if r["overdue"]),
        }

    def sheets(self, data):
        headers = ["编号", "任务", "状态", "截止日期", "是否逾期", "逾期天数", "退回原因"]
        rows = [[r["code"], r["title"], r["status"], r["due"], "逾期" if r["overdue"] else "", r["days"] or None, r["reason"]]
                for r in data["rows"]]
        return [SheetSpec("待办任务", headers, rows, widths=[10, 40, 14, 16, 10, 10, 36])]


# Department: assignments and deliverables


def _deliverables_label(a: Assignment) -> str:
    files = list(a.deliverables.all())
    parts = []
    for d in files:
        if d.kind == DeliverableKind.LIST:
            parts.append(f"{d.original_name}（名单{d.row_count}行{'' if d.is_current else '，已被替换'}）")
        else:
            parts.append(d.original_name)
    return "；".join(parts)


@section
class DepartmentTasks(Section):
    key = "department_tasks"
    title = "任务分派与报送材料"
    template = "dossiers/pdf/sections/department_tasks.html"

    def collect(self, ctx: DossierContext):
        if ctx.campaign is None:
            return None
        today = timezone.localdate()
        assignments = list(
            Assignment.objects.filter(campaign=ctx.campaign, department=ctx.unit)
            .select_related("template", "submitted_by", "signed_off_by", "accepted_by")
            .prefetch_related(Prefetch("deliverables", queryset=Deliverable.objects.order_by("uploaded_at", "pk")))
            .order_by("due_date", "template__order", "pk")
        )
        if not assignments:
            return None
        rows = []
        for a in assignments:
            row = _assignment_row(a, today)
            row.update({
                "deliverables": _deliverables_label(a) or "—",
                "submitted": f"{_person(a.submitted_by)} {_when(a.submitted_at)}".strip(),
                "signed_off": f"{_person(a.signed_off_by)} {_when(a.signed_off_at)}".strip(),
                "accepted": f"{_person(a.accepted_by)} {_when(a.accepted_at)}".strip(),
            })
            rows.append(row)
        counts = Counter(a.status for a in assignments)
        return {
            "rows": rows, "total": len(rows), "overdue": sum(1 for r in rows if r["overdue"]),
            "counts": [(str(label), counts[code]) for code, label in AssignmentStatus.choices if counts[code]],
        }

    def sheets(self, data):
        headers = ["编号", "任务", "状态", "截止日期", "是否逾期", "报送材料", "提交", "负责人审核签字", "验收", "退回原因"]
        keys = ["code", "title", "status", "due", "overdue", "deliverables", "submitted", "signed_off", "accepted", "reason"]
        rows = [[("逾期" if r[k] else "") if k == "overdue" else r[k] for k in keys] for r in data["rows"]]
        return [SheetSpec("任务与报送材料", headers, rows, widths=[10, 36, 14, 16, 10, 50, 24, 24, 24, 30])]


# County: overdue assignments by unit (shown in the overdue-work chapter)


def overdue_assignments(ctx: DossierContext, *, limit: int = 500) -> dict | None:
    """Assignments past their due date and not accepted, by unit (two queries).
    None when the campaign has no assignments at all (the module is not in use)."""
    campaign = ctx.campaign
    assignments = Assignment.objects.filter(campaign=campaign)
    if not assignments.exists():
        return None
    today = timezone.localdate()
    overdue = list(
        assignments.filter(due_date__lt=today).exclude(status=AssignmentStatus.ACCEPTED)
        .select_related("template", "department", "township", "village__township", "working_group")
        .order_by("due_date", "template__order", "pk")
    )
    by_unit: dict[tuple, dict] = {}
    rows = []
    for a in overdue:
        unit = a.unit
        name = f"{unit.township.name}{unit.name}" if a.level == Level.VILLAGE else unit.name
        entry = by_unit.setdefault((a.level, a.unit_id), {
            "unit": name, "level": str(LEVEL_LABELS[a.level]), "count": 0, "longest": 0, "returned": 0,
        })
        days = (today - a.due_date).days
        entry["count"] += 1
        entry["longest"] = max(entry["longest"], days)
        entry["returned"] += a.status == AssignmentStatus.RETURNED
        if len(rows) < limit:
            rows.append({"unit": name, "level": entry["level"], "code": a.template.code, "title": a.template.title,
                         "due": _date(a.due_date), "status": a.get_status_display(), "days": days})
    units = sorted(by_unit.values(), key=lambda u: (-u["count"], -u["longest"], u["unit"]))
    return {"units": units, "rows": rows, "total": len(overdue)}


def overdue_assignment_sheets(data: dict | None) -> list[SheetSpec]:
    if data is None:
        return []
    return [
        SheetSpec("逾期任务按单位", ["责任单位", "层级", "逾期任务", "其中被退回", "最长逾期天数"],
                  [[u["unit"], u["level"], u["count"], u["returned"], u["longest"]] for u in data["units"]],
                  widths=[24, 10, 10, 12, 14]),
        SheetSpec("逾期任务", ["责任单位", "层级", "编号", "任务", "截止日期", "状态", "逾期天数"],
                  [[r["unit"], r["level"], r["code"], r["title"], r["due"], r["status"], r["days"]] for r in data["rows"]],
                  widths=[24, 10, 10, 40, 16, 14, 10]),
    ]


# Findings (问题整改台账)


def _finding_row(f: Finding, today) -> dict:
    overdue = f.is_overdue(today)
    unit = f.responsible_department or f.responsible_township
    return {
        "number": f.number, "source": f.get_source_display() + (f"（{f.source_detail}）" if f.source_detail else ""),
        "description": f.description, "village": f.village.name if f.village else "",
        "household": f.household_name, "responsible": unit.name if unit else "", "measures": f.measures,
        "deadline": _date(f.deadline), "status": f.get_status_display(), "closed": f.status == FindingStatus.CLOSED,
        "overdue": overdue, "days": (today - f.deadline).days if overdue else 0, "result": f.result,
        "reopen": f.reopen_reason,
    }


class _UnitFindings(Section):
    template = "dossiers/pdf/sections/findings.html"

    def findings(self, ctx: DossierContext):
        raise NotImplementedError

    def collect(self, ctx: DossierContext):
        if ctx.campaign is None:
            return None
        today = timezone.localdate()
        findings = list(
            self.findings(ctx).filter(campaign=ctx.campaign)
            .select_related("village", "responsible_department", "responsible_township")
            .order_by("number")
        )
        if not findings:
            return None
        rows = [_finding_row(f, today) for f in findings]
        return {
            "rows": rows, "total": len(rows), "closed": sum(1 for r in rows if r["closed"]),
            "overdue": sum(1 for r in rows if r["overdue"]),
            "show_village": ctx.scope != "village" and any(r["village"] for r in rows),
            "counts": [(str(label), sum(1 for f in findings if f.status == code)) for code, label in FindingStatus.choices],
        }

    def sheets(self, data):
        headers = ["序号", "问题来源", "问题描述", "涉及行政村", "涉及农户", "责任单位", "整改措施", "整改时限", "整改状态",
                   "是否逾期", "整改情况"]
        keys = ["number", "source", "description", "village", "household", "responsible", "measures", "deadline", "status",
                "overdue", "result"]
        rows = [[("逾期" if r[k] else "") if k == "overdue" else r[k] for k in keys] for r in data["rows"]]
        return [SheetSpec("反馈问题整改", headers, rows, widths=[6, 20, 50, 16, 12, 16, 40, 16, 14, 10, 40])]


@section
class VillageFindings(_UnitFindings):
    key = "village_findings"
    title = "反馈问题整改情况"

    def findings(self, ctx):
        return Finding.objects.filter(village=ctx.unit)


@section
class DepartmentFindings(_UnitFindings):
    key = "department_findings"
    title = "反馈问题整改情况"

    def findings(self, ctx):
        return Finding.objects.filter(Q(responsible_department=ctx.unit) | Q(department=ctx.unit))


@section
class FindingsStatus(Section):
    """County: how far each responsible unit is from all-closed (清零)."""

    key = "findings_status"
    title = "问题整改清零情况"
    template = "dossiers/pdf/sections/findings_status.html"

    def collect(self, ctx: DossierContext):
        if ctx.campaign is None:
            return None
        today = timezone.localdate()
        clearance = findings_clearance(ctx.campaign, today=today)
        if not clearance:
            return None
        units = [{
            "unit": row.unit.name, "total": row.total, "open": row.open, "rectified": row.rectified,
            "closed": row.closed, "overdue": row.overdue, "remaining": row.remaining, "percent": row.percent,
        } for row in clearance]
        totals = {key: sum(u[key] for u in units) for key in ("total", "open", "rectified", "closed", "overdue", "remaining")}
        totals["percent"] = round(100 * totals["closed"] / totals["total"]) if totals["total"] else 100
        overdue = [
            _finding_row(f, today) for f in
            Finding.objects.filter(campaign=ctx.campaign, deadline__lt=today).exclude(status=FindingStatus.CLOSED)
            .select_related("village", "responsible_department", "responsible_township").order_by("deadline", "number")[:200]
        ]
        return {"units": units, "totals": totals, "overdue": overdue}

    def sheets(self, data):
        headers = ["责任单位", "问题总数", "整改中", "已整改待销号", "已销号", "逾期未销号", "距清零", "销号率（%）"]
        keys = ["unit", "total", "open", "rectified", "closed", "overdue", "remaining", "percent"]
        return [
            SheetSpec("整改清零按单位", headers, [[u[k] for k in keys] for u in data["units"]], widths=[24, 10, 10, 14, 10, 12, 10, 12]),
            SheetSpec("逾期未销号问题", ["序号", "责任单位", "涉及行政村", "问题描述", "整改时限", "整改状态", "逾期天数"],
                      [[r["number"], r["responsible"], r["village"], r["description"], r["deadline"], r["status"], r["days"]]
                       for r in data["overdue"]], widths=[6, 18, 16, 50, 16, 14, 10]),
        ]


# Village: guides (引导员)


@section
class VillageGuides(Section):
    key = "village_guides"
    title = "村民小组引导员"
    template = "dossiers/pdf/sections/guides.html"

    def collect(self, ctx: DossierContext):
        campaign = ctx.campaign
        if campaign is None:
            return None
        asked = Assignment.objects.filter(campaign=campaign, village=ctx.unit, template__tracks_guides=True).exists()
        rows, deadline = village_guides(ctx.unit, campaign)
        if not rows or (not asked and not any(r.guide for r in rows)):
            return None  # the village was not asked to name guides and has recorded none
        entries = [{
            "group": r.group.name, "name": r.guide.name if r.guide else "", "phone": mask_phone(r.guide.phone) if r.guide else "",
            "trained_on": _date(r.guide.trained_on) if r.guide else "", "note": r.guide.training_note if r.guide else "",
            "trained": r.trained,
        } for r in rows]
        return {
            "rows": entries, "deadline": _date(deadline), "missing": [e["group"] for e in entries if not e["trained"]],
        }

    def sheets(self, data):
        headers = ["村民小组", "引导员", "联系电话", "培训日期", "培训内容", "按期培训"]
        rows = [[e["group"], e["name"], e["phone"], e["trained_on"], e["note"], "是" if e["trained"] else "否"] for e in data["rows"]]
        return [SheetSpec("引导员", headers, rows, widths=[14, 12, 16, 16, 36, 10])]
