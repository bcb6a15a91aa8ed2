"""Reads for the indicators app: readiness roll-ups, what a user owes, the
rows a user may see, and the thresholds the households screening uses.

Every readiness selector runs a fixed number of aggregate queries, whatever
the number of villages or rows.
"""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce

from evalprep.core.models import Campaign, County, Department, DepartmentKind, Township, Village
from evalprep.core.scoping import scope_for, village_read_q
from indicators.models import Area, ChecklistRow, EvidenceRequirement, Item, Level, RowStatus
from indicators.thresholds import Threshold

ACTIVE_ROWS = Q(requirement__is_active=True, requirement__item__is_active=True)
STATUSES = [status.value for status in RowStatus]


@dataclass(frozen=True)
class Readiness:
    """Row counts by status for one area, item, unit or milestone."""

    key: object
    label: str
    total: int = 0
    missing: int = 0
    submitted: int = 0
    signed_off: int = 0
    accepted: int = 0
    returned: int = 0
    group: str = ""

    @property
    def filed(self) -> int:
        """Rows with something uploaded (returned ones included)."""
        return self.total - self.missing

    @property
    def percent(self) -> int:
        """Share accepted by the bureau: the completeness that counts."""
        return round(100 * self.accepted / self.total) if self.total else 0

    @property
    def filed_percent(self) -> int:
        return round(100 * self.filed / self.total) if self.total else 0


def _status_counts(path: str = "", condition: Q = Q()) -> dict:
    """total plus one filtered Count per status; `path` leads from the model to its rows."""
    pk = f"{path}pk"
    counts = {"total": Count(pk, filter=condition or None)}
    counts.update({status: Count(pk, filter=condition & Q(**{f"{path}status": status})) for status in STATUSES})
    return counts


def _readiness(key, label: str, counts: dict | None, group: str = "") -> Readiness:
    counts = counts or {}
    return Readiness(key=key, label=label, group=group, **{name: counts.get(name, 0) for name in ["total", *STATUSES]})


def _rows(campaign: Campaign) -> QuerySet[ChecklistRow]:
    return ChecklistRow.objects.filter(ACTIVE_ROWS, campaign=campaign)


def readiness_overall(campaign: Campaign) -> Readiness:
    """The whole campaign in one figure (one query)."""
    return _readiness(campaign.pk, campaign.name, _rows(campaign).aggregate(**_status_counts()))


def readiness_by_area(campaign: Campaign) -> list[Readiness]:
    """One entry per area of the campaign's framework, in order (two queries)."""
    counts = {
        row["area"]: row
        for row in _rows(campaign).values(area=F("requirement__item__area")).annotate(**_status_counts())
    }
    areas = Area.objects.filter(framework__name=campaign.framework, items__is_active=True).distinct().order_by("order")
    return [_readiness(area.code, area.title, counts.get(area.pk)) for area in areas]


def readiness_by_item(campaign: Campaign) -> list[Readiness]:
    """One entry per active item, grouped by area title (two queries)."""
    counts = {
        row["item"]: row for row in _rows(campaign).values(item=F("requirement__item")).annotate(**_status_counts())
    }
    items = (
        Item.objects.filter(area__framework__name=campaign.framework, is_active=True)
        .select_related("area")
        .order_by("area__order", "order")
    )
    return [_readiness(item.code, item.title, counts.get(item.pk), group=item.area.title) for item in items]


def _units(campaign: Campaign, level: str) -> QuerySet:
    if level == Level.COUNTY:
        return County.objects.filter(pk=campaign.county_id)
    if level == Level.DEPARTMENT:
        return Department.objects.filter(county_id=campaign.county_id).order_by("name")
    if level == Level.TOWNSHIP:
        return Township.objects.filter(county_id=campaign.county_id).order_by("code")
    return Village.objects.filter(township__county_id=campaign.county_id).select_related("township").order_by("code")


def readiness_by_unit(campaign: Campaign, level: str) -> list[Readiness]:
    """One entry per unit of the level, units without rows included (one query).

    Only the rows the unit holds at that level count: a village's own rows,
    not those its township holds.
    """
    units = _units(campaign, Level(level))
    condition = Q(
        checklist_rows__campaign=campaign,
        checklist_rows__requirement__is_active=True,
        checklist_rows__requirement__item__is_active=True,
    )
    annotated = units.annotate(**_status_counts("checklist_rows__", condition))
    return [
        _readiness(
            unit.pk, unit.name, {name: getattr(unit, name) for name in ["total", *STATUSES]},
            group=unit.township.name if level == Level.VILLAGE else "",
        )
        for unit in annotated
    ]


def readiness_by_milestone(campaign: Campaign) -> list[Readiness]:
    """One entry per milestone rows are due at, then the rows due at the inspection (two queries)."""
    counts = {row["milestone"]: row for row in _rows(campaign).values("milestone").annotate(**_status_counts())}
    result = [
        _readiness(milestone.pk, f"{milestone.name}（{milestone.due_date:%m月%d日}）", counts[milestone.pk])
        for milestone in campaign.milestones.order_by("due_date", "pk")
        if milestone.pk in counts
    ]
    if None in counts:
        result.append(_readiness(None, "评估开始前", counts[None]))
    return result


def checklist_rows_visible_to(user) -> QuerySet[ChecklistRow]:
    """Rows the user may see: the county's for county roles, else those of their units."""
    scope = scope_for(user)
    if scope.is_empty:
        return ChecklistRow.objects.none()
    return ChecklistRow.objects.filter(
        Q(campaign__county_id__in=scope.read_county_ids)
        | village_read_q(scope, "village__")
        | Q(township_id__in=scope.read_township_ids)
        | Q(department_id__in=scope.department_ids)
    )


def rows_owed_by(user, campaign: Campaign) -> QuerySet[ChecklistRow]:
    """What the user has to act on in the campaign, earliest due first (one query).

    Unit members owe uploads for rows missing or returned; heads owe a
    sign-off for submitted rows of their unit (a township head also for its
    villages); the bureau owes acceptance for signed-off rows.
    """
    scope = scope_for(user)
    if scope.is_empty:
        return ChecklistRow.objects.none()
    to_upload = Q(status__in=[RowStatus.MISSING, RowStatus.RETURNED]) & (
        Q(village_id__in=scope.village_ids)
        | Q(township_id__in=scope.write_township_ids)
        | Q(department_id__in=scope.department_ids)
        | Q(level=Level.COUNTY, county_id__in=scope.write_county_ids)
    )
    bureau_heads = Department.objects.filter(kind=DepartmentKind.BUREAU, pk__in=scope.head_department_ids)
    to_sign = Q(status=RowStatus.SUBMITTED) & (
        Q(village__township_id__in=scope.head_township_ids)
        | Q(township_id__in=scope.head_township_ids)
        | Q(department_id__in=scope.head_department_ids)
        | Q(level=Level.COUNTY, county_id__in=bureau_heads.values("county_id"))
    )
    to_accept = Q(status=RowStatus.SIGNED_OFF, campaign__county_id__in=scope.write_county_ids)
    return (
        _rows(campaign)
        .filter(to_upload | to_sign | to_accept)
        .select_related("requirement__item__area", "county", "department", "township", "village", "milestone")
        .annotate(due=Coalesce("milestone__due_date", "campaign__inspection_start"))
        .order_by(
            F("due").asc(nulls_last=True), "requirement__item__area__order", "requirement__item__order",
            "requirement__order", "pk",
        )
    )


def thresholds_for(campaign: Campaign) -> dict[str, Threshold]:
    """The quantitative thresholds of the campaign's framework, by key (one query).

    For example `thresholds_for(c)["net_income_growth_min_pct"].value == 10`.
    """
    result = {}
    items = Item.objects.filter(area__framework__name=campaign.framework, is_active=True)
    for item in items.only("code", "title", "thresholds").order_by("area__order", "order"):
        for key, entry in item.thresholds.items():
            result[key] = Threshold(
                key=key, value=entry["value"], quote=entry.get("quote", ""), item_code=item.code, item_title=item.title
            )
    return result


def requirements_without_holder(campaign: Campaign) -> list[tuple[EvidenceRequirement, list[str]]]:
    """Department requirements naming departments the county has not set up (two queries)."""
    present = set(Department.objects.filter(county_id=campaign.county_id).values_list("kind", flat=True))
    result = []
    requirements = EvidenceRequirement.objects.filter(
        Q(campaign__isnull=True) | Q(campaign=campaign),
        item__area__framework__name=campaign.framework, level=Level.DEPARTMENT, is_active=True, item__is_active=True,
    ).order_by("item__area__order", "item__order", "order")
    for requirement in requirements:
        missing = [str(DepartmentKind(kind).label) for kind in requirement.departments if kind not in present]
        if missing:
            result.append((requirement, missing))
    return result


# ---------------------------------------------------------------------------
# Helpers for the checklist and readiness pages
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowActions:
    """What the user may do to one row (the services check again)."""

    submit: bool = False
    sign_off: bool = False
    review: bool = False

    @property
    def any(self) -> bool:
        return self.submit or self.sign_off or self.review


def checklist_row_actions(user, row: ChecklistRow) -> RowActions:
    """Mirrors the services' member, head and coordinator checks, for buttons and 403s."""
    from evalprep.core.scoping import can_manage_county, can_write_department, can_write_township, can_write_village

    scope = scope_for(user)
    county_id = row.campaign.county_id
    if row.level == Level.VILLAGE:
        submit = can_write_village(user, row.village)
        sign_off = row.village.township_id in scope.head_township_ids
    elif row.level == Level.TOWNSHIP:
        submit = can_write_township(user, row.township)
        sign_off = row.township_id in scope.head_township_ids
    elif row.level == Level.DEPARTMENT:
        submit = can_write_department(user, row.department)
        sign_off = row.department_id in scope.head_department_ids
    else:
        submit = can_manage_county(user, county_id)
        sign_off = Department.objects.filter(
            county_id=county_id, kind=DepartmentKind.BUREAU, pk__in=scope.head_department_ids
        ).exists()
    return RowActions(submit=submit, sign_off=sign_off, review=can_manage_county(user, county_id))


def checklist_rows_for(user, campaign: Campaign) -> QuerySet[ChecklistRow]:
    """The campaign's active rows the user may see, ready for a table (files prefetched)."""
    return (
        checklist_rows_visible_to(user)
        .filter(ACTIVE_ROWS, campaign=campaign)
        .select_related(
            "campaign", "requirement__item__area", "county", "department", "township", "village__township", "milestone"
        )
        .prefetch_related("files")
        .annotate(due=Coalesce("milestone__due_date", "campaign__inspection_start"))
        .order_by("requirement__item__area__order", "requirement__item__order", "requirement__order", "level", "pk")
    )


def readiness_heatmap(campaign: Campaign, level: str) -> dict:
    """Accepted share per unit × item for villages or departments (three queries).

    {"items": [code…], "units": [name…], "cells": [[item index, unit index, percent or None]…]}
    """
    items = list(
        Item.objects.filter(area__framework__name=campaign.framework, is_active=True)
        .order_by("area__order", "order").values_list("pk", "code", "title")
    )
    units = list(_units(campaign, Level(level)).values_list("pk", "name"))
    counts = {
        (row["unit"], row["item"]): row
        for row in _rows(campaign).filter(level=level)
        .values(unit=F(f"{level}_id"), item=F("requirement__item"))
        .annotate(total=Count("pk"), accepted=Count("pk", filter=Q(status=RowStatus.ACCEPTED)))
    }
    cells = []
    for y, (unit_pk, _) in enumerate(units):
        for x, (item_pk, _, _) in enumerate(items):
            found = counts.get((unit_pk, item_pk))
            cells.append([x, y, round(100 * found["accepted"] / found["total"]) if found else None])
    return {
        "items": [f"{code} {title}" for _, code, title in items],
        "units": [name for _, name in units],
        "cells": cells,
    }
