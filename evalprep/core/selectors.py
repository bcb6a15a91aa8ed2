"""Reads for the organisation pages and the home page."""

from dataclasses import dataclass

from datetime import timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, County, Milestone, RoleAssignment, Township, Village, WorkingGroup
from evalprep.core.scoping import (
    Scope,
    current_campaign_for,
    scope_for,
    townships_visible_to,
    villages_visible_to,
)
from evalprep.dossiers.selectors import jobs_visible_to
from indicators.selectors import rows_owed_by
from tasks.selectors import owed_assignments


def upcoming_milestones(campaign: Campaign | None, *, limit: int = 8) -> list[Milestone]:
    """Milestones from today on, nearest first; the last overdue ones stay visible."""
    if campaign is None:
        return []
    today = timezone.localdate()
    return list(campaign.milestones.filter(due_date__gte=today - timedelta(days=7))[:limit])


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


def home_units(scope: Scope) -> list[HomeUnit]:
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
        units.append(HomeUnit(label=label, name=assignment.unit_name, url=url))
    return units


def home_for(user) -> dict:
    scope = scope_for(user)
    campaign = current_campaign_for(user)
    return {
        "scope": scope,
        "campaign": campaign,
        "units": home_units(scope),
        "milestones": upcoming_milestones(campaign),
        "recent_jobs": list(jobs_visible_to(user).filter(created_by=user)[:5]),
        "village_count": villages_visible_to(user).count() if scope.read_county_ids or scope.read_township_ids else None,
        **rows_owed_for_home(user, campaign),
        **tasks_owed_for_home(user, campaign),
    }


OWED_SHOWN = 15


def rows_owed_for_home(user, campaign: Campaign | None) -> dict:
    """The checklist rows the user has to act on, earliest due first, with days left (two queries)."""
    if campaign is None:
        return {"owed_rows": [], "owed_count": 0}
    owed = rows_owed_by(user, campaign)
    rows = list(owed[:OWED_SHOWN])
    today = timezone.localdate()
    for row in rows:
        row.days_left = (row.due - today).days if row.due else None
    return {"owed_rows": rows, "owed_count": len(rows) if len(rows) < OWED_SHOWN else owed.count()}


def tasks_owed_for_home(user, campaign: Campaign | None) -> dict:
    """Department-task assignments the user owes, or waits to sign off or accept (one or two queries)."""
    if campaign is None:
        return {"owed_tasks": [], "owed_task_count": 0}
    owed = owed_assignments(user, campaign)
    tasks = list(owed[:OWED_SHOWN])
    today = timezone.localdate()
    for assignment in tasks:
        assignment.days_left_value = assignment.days_left(today)
        assignment.overdue = assignment.is_overdue(today)
    count = len(tasks) if len(tasks) < OWED_SHOWN else owed.count()
    return {"owed_tasks": tasks, "owed_task_count": count}


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
