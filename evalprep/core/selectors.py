"""Reads for the organisation pages and the home page."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, QuerySet, Window
from django.urls import reverse
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.http import url_for_each
from evalprep.core.models import Campaign, County, Milestone, RoleAssignment, Township, Village, WorkingGroup
from evalprep.core.scoping import (
    Scope,
    current_campaign_for,
    scope_for,
    townships_visible_to,
    villages_visible_to,
)
from evalprep.core.sheets import format_date_zh
from evalprep.core.templatetags.evalprep import days_left_zh
from evalprep.dossiers.selectors import jobs_visible_to
from evalprep.core.units import unit_names
from indicators.selectors import rows_owed_by, short_text
from tasks.models import AssignmentStatus
from tasks.selectors import owed_assignments


def upcoming_milestones(campaign: Campaign | None, *, limit: int = 8) -> list[Milestone]:
    """Milestones from today on, nearest first; the last overdue ones stay visible."""
    if campaign is None:
        return []
    today = timezone.localdate()
    return list(campaign.milestones.filter(due_date__gte=today - timedelta(days=7)).order_by("due_date", "pk")[:limit])


def townships_with_villages(user) -> QuerySet[Township]:
    visible = villages_visible_to(user).annotate(group_count=Count("groups")).order_by("code")
    return (
        townships_visible_to(user)
        .annotate(village_count=Count("villages"))
        .prefetch_related(Prefetch("villages", queryset=visible, to_attr="visible_villages"))
        .order_by("code")
    )


def village_people(village: Village) -> list[RoleAssignment]:
    return list(
        village.role_assignments.select_related("user").order_by("post", "user__last_name")
    )


def task_force(county_id: int) -> QuerySet[WorkingGroup]:
    return (
        WorkingGroup.objects.filter(county_id=county_id)
        .select_related("township")
        .prefetch_related("members")
        .order_by("order", "name")
    )


@dataclass
class HomeUnit:
    """One of the user's units, for the home page."""

    label: str
    name: str
    url: str


def home_units(scope: Scope, names: dict[tuple[str, int], tuple[str, str]]) -> list[HomeUnit]:
    """The user's units (the scope holds the assignments; `names` from evalprep.core.units.unit_names)."""
    units = []
    for assignment in scope.assignments:
        if assignment.village_id:
            url = reverse("core:village_detail", args=[assignment.village_id])
        elif assignment.department_id:
            url = reverse("core:department_detail", args=[assignment.department_id])
        elif assignment.township_id:
            url = reverse("core:township_detail", args=[assignment.township_id])
        else:
            url = reverse("core:org_overview")
        label = assignment.get_role_display()
        if assignment.post:
            label = f"{label}（{assignment.get_post_display()}）"
        units.append(HomeUnit(label=label, name=_names_get(names, assignment.unit_key), url=url))
    return units


def _names_get(names: dict[tuple[str, int], tuple[str, str]], unit: tuple[str, int] | None) -> str:
    return names[unit][1] if unit in names else ""


def home_for(user) -> dict:
    """Everything the home page shows; the units of the user, of the rows and of the tasks are named in one query."""
    scope = scope_for(user)
    campaign = current_campaign_for(user)
    rows, tasks = rows_owed_for_home(user, campaign), tasks_owed_for_home(user, campaign)
    wanted = {assignment.unit_key for assignment in scope.assignments} - {None}
    wanted |= {entry.unit_key for entry in rows["owed_rows"]} | {entry.unit_key for entry in tasks["owed_tasks"]}
    names = unit_names(wanted)
    for entry in [*rows["owed_rows"], *tasks["owed_tasks"]]:
        entry.unit = _names_get(names, entry.unit_key)
    return {
        "scope": scope,
        "campaign": campaign,
        "units": home_units(scope, names),
        "milestones": upcoming_milestones(campaign),
        "recent_jobs": list(jobs_visible_to(user).filter(created_by=user).only("title", "status", "created_at")[:5]),
        "village_count": villages_visible_to(user).count() if scope.read_county_ids or scope.read_township_ids else None,
        **rows,
        **tasks,
    }


OWED_SHOWN = 15
ROW_UNITS = ("county", "department", "township", "village")


@dataclass
class OwedEntry:
    """A checklist row or a task the user owes, as the home page lists it; `unit` is filled in by home_for."""

    url: str
    title: str
    unit_key: tuple[str, int]
    status: str
    due_label: str
    left_label: str
    due_class: str  # "overdue", "due-soon" or ""
    unit: str = ""


def _left(due: date | None, today: date, soon: int) -> tuple[str, str]:
    """(days left in words, css class) for a due date; `soon` days or fewer is due soon."""
    if due is None:
        return "", ""
    days = (due - today).days
    return days_left_zh(days), "overdue" if days < 0 else "due-soon" if days <= soon else ""


def rows_owed_for_home(user, campaign: Campaign | None) -> dict:
    """The checklist rows the user has to act on, earliest due first, with days left (one query, with the count)."""
    if campaign is None:
        return {"owed_rows": [], "owed_count": 0}
    values = list(
        rows_owed_by(user, campaign)
        .values("pk", "level", *(f"{unit}_id" for unit in ROW_UNITS), "status", "due", "requirement__text",
                "requirement__item__code", total=Window(Count("*")))[:OWED_SHOWN]
    )
    url, today, rows = url_for_each("indicators:row"), timezone.localdate(), []
    for v in values:
        left, due_class = _left(v["due"], today, 7)
        rows.append(OwedEntry(
            url=url(v["pk"]), title=f"{v['requirement__item__code']} {short_text(v['requirement__text'], 50)}",
            unit_key=(v["level"], v[f"{v['level']}_id"]), status=v["status"],
            due_label=format_date_zh(v["due"]) if v["due"] else "—", left_label=left, due_class=due_class,
        ))
    return {"owed_rows": rows, "owed_count": values[0]["total"] if values else 0}


TASK_UNITS = ("department", "township", "village", "working_group")


def tasks_owed_for_home(user, campaign: Campaign | None) -> dict:
    """Department-task assignments the user owes, or waits to sign off or accept (one query, with the count)."""
    if campaign is None:
        return {"owed_tasks": [], "owed_task_count": 0}
    values = list(
        owed_assignments(user, campaign)
        .values("pk", "level", *(f"{unit}_id" for unit in TASK_UNITS), "status", "due_date", "template__title",
                total=Window(Count("*")))[:OWED_SHOWN]
    )
    url, today, tasks = url_for_each("tasks:assignment"), timezone.localdate(), []
    for v in values:
        left, due_class = _left(v["due_date"], today, 3)
        if v["status"] == AssignmentStatus.ACCEPTED and due_class == "overdue":
            due_class = "due-soon"  # an accepted task is never late, but its date may have passed
        tasks.append(OwedEntry(
            url=url(v["pk"]), title=short_text(v["template__title"], 40), unit_key=(v["level"], v[f"{v['level']}_id"]),
            status=v["status"], due_label=format_date_zh(v["due_date"]), left_label=left, due_class=due_class,
        ))
    return {"owed_tasks": tasks, "owed_task_count": values[0]["total"] if values else 0}


def unit_by_code(code: str, *, kind: type[County] | type[Township] | type[Village]):
    """The unit of this kind with this 统计用区划代码, for command-line tools.

    A code that names a unit of another kind gets a message saying which it is.
    """
    code = code.strip()
    if not (len(code) == 12 and code.isdigit()):
        raise EvalprepError(f"区划代码“{code}”应为12位数字，例如 990101101201。")
    for model in (Village, Township, County):
        unit = model.objects.filter(code=code).first()
        if unit is not None:
            if model is not kind:
                raise EvalprepError(
                    f"{code} 是{model._meta.verbose_name}“{unit.name}”，请给出{kind._meta.verbose_name}的区划代码。"
                )
            return unit
    raise EvalprepError(f"没有区划代码为 {code} 的县、乡镇或行政村，请核对代码。")
