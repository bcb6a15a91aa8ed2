"""Reading task plan data files (tasks/plans/<name>.json).

A plan lists the duties of one year's work plan with the deadline as the plan
wrote it ("due": "2021-12-20") and the plan's own inspection start
("reference_inspection_start"); the loader turns each deadline into days
before the inspection (倒排工期), so a later campaign moves every deadline by
its own inspection date. "due_fixed": "12-24" is a fixed day of each year.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from evalprep.core.models import DepartmentKind, WorkingGroupKind
from tasks.errors import PlanError
from tasks.models import DeliverableKind, Level, Section

PLANS_DIR = Path(__file__).resolve().parent / "plans"
COLUMN_KINDS = {"text", "id_number", "date", "amount", "int", "bool"}
ALL_DEPARTMENTS = "*"


@dataclass
class TemplateSpec:
    code: str
    section: str
    section_label: str
    title: str
    text: str
    level: str
    department_kinds: list[str] = field(default_factory=list)
    working_group_name: str = ""
    working_group_kind: str = ""
    village_filter: str = ""
    due_offset_days: int | None = None
    due_fixed: tuple[int, int] | None = None
    deliverable: str = DeliverableKind.FILES
    columns: list[dict] = field(default_factory=list)
    head_signature_in_plan: bool = False
    tracks_guides: bool = False


@dataclass
class PlanSpec:
    name: str
    title: str
    templates: list[TemplateSpec]


def plan_names() -> list[str]:
    return sorted(path.stem for path in PLANS_DIR.glob("*.json"))


def plan_read(name: str, path: Path | None = None) -> PlanSpec:
    path = path or PLANS_DIR / f"{name}.json"
    if not path.exists():
        known = "、".join(plan_names()) or "（无）"
        raise PlanError(f"没有名为“{name}”的任务方案文件，现有：{known}。")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"任务方案文件 {path.name} 无法读取：{exc}") from None
    reference = _date(data.get("reference_inspection_start"), "reference_inspection_start")
    sets = data.get("department_sets", {})
    sections = data.get("sections", {})
    templates, codes = [], set()
    for index, raw in enumerate(data.get("templates", []), start=1):
        spec = _template(raw, index=index, reference=reference, sets=sets, sections=sections)
        if spec.code in codes:
            raise PlanError(f"任务方案第{index}项的编号 {spec.code} 重复。")
        codes.add(spec.code)
        templates.append(spec)
    if not templates:
        raise PlanError(f"任务方案文件 {path.name} 没有任何任务。")
    return PlanSpec(name=data.get("name") or name, title=data.get("title", name), templates=templates)


def _date(value, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PlanError(f"任务方案的 {where} 应为 YYYY-MM-DD 形式的日期，现在是“{value}”。") from None


def _template(raw: dict, *, index: int, reference: date, sets: dict, sections: dict) -> TemplateSpec:
    where = f"任务方案第{index}项（{raw.get('code', '?')}）"
    for key in ("code", "section", "title", "text", "level"):
        if not str(raw.get(key, "")).strip():
            raise PlanError(f"{where}缺少 {key}。")
    if raw["level"] not in Level.values:
        raise PlanError(f"{where}的层级 {raw['level']} 不认识，应为 {'、'.join(Level.values)} 之一。")
    if raw["section"] not in Section.values:
        raise PlanError(f"{where}的章节 {raw['section']} 不认识。")
    spec = TemplateSpec(
        code=raw["code"], section=raw["section"], section_label=sections.get(raw["section"], ""),
        title=raw["title"], text=raw["text"], level=raw["level"],
        village_filter=raw.get("village_filter", ""), head_signature_in_plan=bool(raw.get("sign_off")),
        tracks_guides=bool(raw.get("guides")), deliverable=raw.get("deliverable", DeliverableKind.FILES),
    )
    if "due_fixed" in raw:
        month, _, day = str(raw["due_fixed"]).partition("-")
        try:
            spec.due_fixed = (int(month), int(day))
            date(2000, *spec.due_fixed)
        except ValueError:
            raise PlanError(f"{where}的 due_fixed 应为 MM-DD，现在是“{raw['due_fixed']}”。") from None
    elif "due" in raw:
        spec.due_offset_days = (_date(raw["due"], f"{where} due") - reference).days
    else:
        raise PlanError(f"{where}没有截止日期（due 或 due_fixed）。")
    if spec.level == Level.DEPARTMENT:
        kinds = raw.get("departments")
        if isinstance(kinds, str):
            kinds = [ALL_DEPARTMENTS] if kinds == ALL_DEPARTMENTS else sets.get(kinds)
        if not kinds:
            raise PlanError(f"{where}是部门任务，须写明 departments。")
        unknown = [kind for kind in kinds if kind != ALL_DEPARTMENTS and kind not in DepartmentKind.values]
        if unknown:
            raise PlanError(f"{where}的部门类别 {'、'.join(unknown)} 不认识。")
        spec.department_kinds = list(kinds)
    if spec.level == Level.WORKING_GROUP:
        spec.working_group_name = raw.get("working_group", "")
        spec.working_group_kind = raw.get("working_group_kind", "")
        if not spec.working_group_name and spec.working_group_kind not in WorkingGroupKind.values:
            raise PlanError(f"{where}是工作组任务，须写明 working_group 或 working_group_kind。")
    if spec.deliverable not in DeliverableKind.values:
        raise PlanError(f"{where}的报送方式 {spec.deliverable} 不认识。")
    if spec.deliverable == DeliverableKind.LIST:
        spec.columns = [_column(column, where) for column in raw.get("columns", [])]
        if not any(column["required"] for column in spec.columns):
            raise PlanError(f"{where}是名单报送，须至少有一个必填列。")
    return spec


def _column(raw: dict, where: str) -> dict:
    label = str(raw.get("label", "")).strip()
    kind = raw.get("kind", "text")
    if not label or kind not in COLUMN_KINDS:
        raise PlanError(f"{where}的名单列 {raw} 不完整（须有 label，kind 为 {'、'.join(sorted(COLUMN_KINDS))} 之一）。")
    return {"label": label, "kind": kind, "required": bool(raw.get("required")), "aliases": list(raw.get("aliases", []))}
