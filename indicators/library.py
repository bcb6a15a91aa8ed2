"""Reading a framework library data file (`frameworks/<name>.json`).

The file lists areas → items → requirements. One requirement entry of the file
stands for one numbered 检查内容 and may name several levels (镇村两级); it
becomes one EvidenceRequirement per level, coded `<item>.<code>-<C|D|T|V>`, so
that codes stay stable whatever else changes. Everything is checked before
anything is written; problems are reported together, in Chinese.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalprep.core.models import DepartmentKind, MilestoneKind
from indicators.errors import LibraryError
from indicators.models import LEVEL_CODES, Level, VillageFilter
from indicators.thresholds import threshold_problem

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"


@dataclass(frozen=True)
class RequirementSpec:
    code: str
    mark: str
    text: str
    level: str
    departments: tuple[str, ...]
    village_filter: str
    milestone_kind: str
    source: str
    order: int


@dataclass(frozen=True)
class ItemSpec:
    code: str
    title: str
    focus: str
    check_note: str
    thresholds: dict[str, Any]
    order: int
    requirements: tuple[RequirementSpec, ...]


@dataclass(frozen=True)
class AreaSpec:
    code: str
    title: str
    focus: str
    order: int
    items: tuple[ItemSpec, ...]


@dataclass(frozen=True)
class FrameworkSpec:
    name: str
    version: int
    title: str
    year: int
    province: str
    source: str
    note: str
    areas: tuple[AreaSpec, ...]


def library_names() -> list[str]:
    return sorted(path.stem for path in FRAMEWORKS_DIR.glob("*.json"))


def library_read(*, name: str, path: Path | None = None) -> FrameworkSpec:
    path = path or FRAMEWORKS_DIR / f"{name}.json"
    if not path.is_file():
        known = "、".join(library_names()) or "无"
        raise LibraryError(f"找不到指标体系「{name}」的数据文件 {path.name}（现有：{known}）。")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(f"指标体系数据文件 {path.name} 不是有效的 UTF-8 JSON：{exc}") from None
    problems: list[str] = []
    spec = _framework(data, problems)
    if spec is not None and spec.name != name:
        problems.append(f"文件中的标识是「{spec.name}」，不是「{name}」")
    if problems:
        shown = "；".join(problems[:10])
        more = f"……共 {len(problems)} 处" if len(problems) > 10 else ""
        raise LibraryError(f"指标体系数据文件 {path.name} 有误：{shown}{more}")
    return spec


def _text(data: dict, key: str, where: str, problems: list[str], *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}缺少「{key}」")
        return ""
    return value.strip()


def _framework(data: Any, problems: list[str]) -> FrameworkSpec | None:
    if not isinstance(data, dict):
        problems.append("顶层应为对象")
        return None
    version, year = data.get("version"), data.get("year")
    if not isinstance(version, int) or version < 1:
        problems.append("「version」应为正整数")
    if not isinstance(year, int):
        problems.append("「year」应为年份")
    areas = data.get("areas")
    if not isinstance(areas, list) or not areas:
        problems.append("缺少「areas」")
        areas = []
    area_specs = tuple(_area(area, order, problems) for order, area in enumerate(areas, start=1))
    _unique([a.code for a in area_specs], "方面编号", problems)
    _unique([i.code for a in area_specs for i in a.items], "指标编号", problems)
    _unique([key for a in area_specs for i in a.items for key in i.thresholds], "量化标准", problems)
    return FrameworkSpec(
        name=_text(data, "name", "", problems),
        version=version if isinstance(version, int) else 0,
        title=_text(data, "title", "", problems),
        year=year if isinstance(year, int) else 0,
        province=_text(data, "province", "", problems, required=False),
        source=_text(data, "source", "", problems, required=False),
        note=_text(data, "note", "", problems, required=False),
        areas=area_specs,
    )


def _area(data: Any, order: int, problems: list[str]) -> AreaSpec:
    if not isinstance(data, dict):
        problems.append(f"第{order}个方面应为对象")
        return AreaSpec(code=f"?{order}", title="", focus="", order=order, items=())
    code = _text(data, "code", f"第{order}个方面", problems)
    items = data.get("items")
    if not isinstance(items, list) or not items:
        problems.append(f"方面 {code} 缺少「items」")
        items = []
    return AreaSpec(
        code=code,
        title=_text(data, "title", f"方面 {code} ", problems),
        focus=_text(data, "focus", "", problems, required=False),
        order=order,
        items=tuple(_item(item, order, problems) for order, item in enumerate(items, start=1)),
    )


def _item(data: Any, order: int, problems: list[str]) -> ItemSpec:
    if not isinstance(data, dict):
        problems.append(f"第{order}个指标应为对象")
        return ItemSpec(code=f"?{order}", title="", focus="", check_note="", thresholds={}, order=order, requirements=())
    code = _text(data, "code", f"第{order}个指标", problems)
    thresholds = data.get("thresholds", {})
    if not isinstance(thresholds, dict):
        problems.append(f"指标 {code} 的「thresholds」应为对象")
        thresholds = {}
    for key, entry in thresholds.items():
        problem = threshold_problem(key, entry)
        if problem:
            problems.append(f"指标 {code}：{problem}")
    entries = data.get("requirements", [])
    if not isinstance(entries, list):
        problems.append(f"指标 {code} 的「requirements」应为列表")
        entries = []
    requirements: list[RequirementSpec] = []
    for entry in entries:
        requirements += _requirements(entry, code, len(requirements), problems)
    _unique([r.code for r in requirements], f"指标 {code} 的检查内容编号", problems)
    return ItemSpec(
        code=code,
        title=_text(data, "title", f"指标 {code} ", problems),
        focus=_text(data, "focus", f"指标 {code} ", problems),
        check_note=_text(data, "check_note", "", problems, required=False),
        thresholds=thresholds,
        order=order,
        requirements=tuple(requirements),
    )


def _requirements(data: Any, item_code: str, first_order: int, problems: list[str]) -> list[RequirementSpec]:
    if not isinstance(data, dict):
        problems.append(f"指标 {item_code} 的检查内容应为对象")
        return []
    code = _text(data, "code", f"指标 {item_code} 的检查内容", problems)
    where = f"检查内容 {item_code}.{code}"
    text = _text(data, "text", f"{where} ", problems)
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels or any(level not in Level.values for level in levels):
        problems.append(f"{where} 的「levels」应为 {'、'.join(Level.values)} 中的一个或几个")
        levels = []
    departments = data.get("departments", [])
    if not isinstance(departments, list) or any(kind not in DepartmentKind.values for kind in departments):
        problems.append(f"{where} 的「departments」含有未知的部门类别")
        departments = []
    if Level.DEPARTMENT in levels and not departments:
        problems.append(f"{where} 由部门保存，须在「departments」中写明哪些部门")
    village_filter = data.get("village_filter", "")
    if village_filter not in VillageFilter.values or (village_filter and levels != [Level.VILLAGE]):
        problems.append(f"{where} 的「village_filter」只能用于村级要求，取值为 {VillageFilter.RELOCATION}")
        village_filter = ""
    milestone = data.get("milestone", "")
    if milestone and milestone not in MilestoneKind.values:
        problems.append(f"{where} 的「milestone」未知：{milestone}")
        milestone = ""
    return [
        RequirementSpec(
            code=f"{item_code}.{code}-{LEVEL_CODES[level]}",
            mark=_text(data, "mark", "", problems, required=False),
            text=text,
            level=level,
            departments=tuple(departments),
            village_filter=village_filter,
            milestone_kind=milestone,
            source=_text(data, "source", "", problems, required=False),
            order=first_order + index,
        )
        for index, level in enumerate(levels, start=1)
    ]


def _unique(codes: list[str], what: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            problems.append(f"{what}「{code}」重复")
        seen.add(code)
