"""Reads for the indicators app: readiness roll-ups, what a user owes, the
rows a user may see, and the thresholds the households screening uses.

Every readiness selector runs a fixed number of aggregate queries, whatever
the number of villages or rows.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, DateField, F, Q, QuerySet, Value, Window
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import Truncator

from evalprep.core.http import choice_labels, url_for_each
from evalprep.core.models import Campaign, County, Department, DepartmentKind, Township, Village
from evalprep.core.scoping import readable_village_pks, scope_for
from evalprep.core.sheets import format_date_zh
from evalprep.core.units import unit_names
from indicators.models import UNIT_FIELDS, Area, ChecklistRow, EvidenceFile, EvidenceRequirement, Item, Level, RowStatus
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
    return ChecklistRow.objects.filter(Q(campaign__county_id__in=scope.read_county_ids) | _unit_rows_q(scope))


def _unit_rows_q(scope) -> Q:
    """Rows of the scope's units (a township's also its villages'), on the row's own columns."""
    return (
        Q(village_id__in=readable_village_pks(scope)) | Q(township_id__in=scope.read_township_ids)
        | Q(department_id__in=scope.department_ids)
    )


def _any_of(*conditions: Q) -> Q | None:
    """The conditions or-ed together, the empty ones (Q()) left out; None when all are empty."""
    present = [condition for condition in conditions if condition]
    if not present:
        return None
    result = present[0]
    for condition in present[1:]:
        result |= condition
    return result


def _owed_q(scope, campaign: Campaign) -> Q | None:
    """rows_owed_by's condition on the row's own columns (villages of a township and the bureau's county as
    subqueries), so that no join is planned for it; None when the user owes nothing."""
    to_upload = _any_of(
        Q(village_id__in=scope.village_ids) if scope.village_ids else Q(),
        Q(township_id__in=scope.write_township_ids) if scope.write_township_ids else Q(),
        Q(department_id__in=scope.department_ids) if scope.department_ids else Q(),
        Q(level=Level.COUNTY, county_id__in=scope.write_county_ids) if scope.write_county_ids else Q(),
    )
    to_sign = _any_of(
        Q(village_id__in=Village.objects.filter(township_id__in=scope.head_township_ids).values("pk"))
        if scope.head_township_ids else Q(),
        Q(township_id__in=scope.head_township_ids) if scope.head_township_ids else Q(),
        Q(department_id__in=scope.head_department_ids) if scope.head_department_ids else Q(),
        Q(level=Level.COUNTY, county_id__in=Department.objects.filter(
            kind=DepartmentKind.BUREAU, pk__in=scope.head_department_ids).values("county_id"))
        if scope.head_department_ids else Q(),
    )
    return _any_of(
        Q(status__in=[RowStatus.MISSING, RowStatus.RETURNED]) & to_upload if to_upload else Q(),
        Q(status=RowStatus.SUBMITTED) & to_sign if to_sign else Q(),
        Q(status=RowStatus.SIGNED_OFF) if campaign.county_id in scope.write_county_ids else Q(),
    )


def _due(campaign: Campaign) -> Coalesce:
    """A row's due date: its milestone's, else the start of the inspection (no join to the campaign)."""
    return Coalesce("milestone__due_date", Value(campaign.inspection_start, output_field=DateField()))


def rows_owed_by(user, campaign: Campaign) -> QuerySet[ChecklistRow]:
    """What the user has to act on in the campaign, earliest due first (one query).

    Unit members owe uploads for rows missing or returned; heads owe a
    sign-off for submitted rows of their unit (a township head also for its
    villages); the bureau owes acceptance for signed-off rows.
    """
    scope = scope_for(user)
    owed = None if scope.is_empty else _owed_q(scope, campaign)
    return (
        (_rows(campaign).none() if owed is None else _rows(campaign).filter(owed))
        .select_related("requirement__item__area", "county", "department", "township", "village", "milestone")
        .annotate(due=_due(campaign))
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


def readiness_figures(campaign_pk: int) -> dict:
    """Everything the readiness page shows for a campaign, for the shared cache (evalprep/core/figures.py):
    its tables, some 270 rows, rendered once per computation rather than for every reader (`html`).
    Only the HTML is kept: every reader unpickles what is kept, and the figures it was rendered from,
    thousands of small objects, took 6 ms of each reader's page to unpickle (the HTML, 0.2 ms)."""
    campaign = Campaign.objects.get(pk=campaign_pk)
    figures = {
        "overall": readiness_overall(campaign),
        "areas": readiness_by_area(campaign),
        "items": readiness_by_item(campaign),
        "milestones": readiness_by_milestone(campaign),
        "unit_tables": [
            (label, readiness_by_unit(campaign, level))
            for level, label in [(Level.DEPARTMENT, "部门"), (Level.TOWNSHIP, "乡镇"), (Level.VILLAGE, "行政村")]
        ],
        "county": readiness_by_unit(campaign, Level.COUNTY),
        "heatmap_villages": readiness_heatmap(campaign, Level.VILLAGE),
        "heatmap_departments": readiness_heatmap(campaign, Level.DEPARTMENT),
    }
    return {"html": render_to_string("indicators/partials/readiness_figures.html", figures)}


def checklist_rows_for(user, campaign: Campaign) -> QuerySet[ChecklistRow]:
    """The campaign's active rows the user may see, in checklist order, with their due date (`due`).

    Scoped on the row's own columns (a township's villages as a subquery): the query joins only the
    requirement, item and area it sorts by and the milestone it takes the due date from.
    """
    scope = scope_for(user)
    if scope.is_empty:
        return ChecklistRow.objects.none()
    rows = _rows(campaign)
    if campaign.county_id not in scope.read_county_ids:
        rows = rows.filter(_unit_rows_q(scope))  # checklist_rows_visible_to's rule, within one campaign
    return rows.annotate(due=_due(campaign)).order_by(
        "requirement__item__area__order", "requirement__item__order", "requirement__order", "level", "pk"
    )


def short_text(text: str, length: int) -> str:
    """The truncatechars filter in Python (no work for texts already short enough)."""
    return text if len(text) <= length else Truncator(text).chars(length)


@dataclass
class ChecklistEntry:
    """One checklist row as the tables show it, its labels and links worked out."""

    pk: int
    url: str
    level: str
    item: str  # the item's code and (shortened) title
    text: str  # the requirement's text, shortened
    is_local: bool
    status: str
    status_label: str
    return_reason: str  # only while the row stands returned
    township: str  # a village row's township, written before the village
    unit: str
    due: date | None
    due_label: str
    overdue: bool
    files: list[tuple[str, str]]  # (download link, shortened file name)


ENTRY_FIELDS = (
    "pk", "level", *(f"{unit}_id" for unit in UNIT_FIELDS), "status", "return_reason", "due",
    "requirement__text", "requirement__campaign_id", "requirement__item__code", "requirement__item__title",
)


def checklist_entries(
    rows: QuerySet[ChecklistRow], *, start: int, stop: int, names: dict[tuple[str, int], tuple[str, str]] | None = None
) -> tuple[list[ChecklistEntry], int]:
    """rows[start:stop] (from checklist_rows_for) as table entries, and the number of rows in all.

    Two or three queries: the rows with their total, their files, and the names of their units unless `names`
    (as unit_names gives them) has them all.
    """
    values = list(rows.values(*ENTRY_FIELDS, total=Window(Count("*")))[start:stop])
    if not values:
        return [], 0
    units = {(v["level"], v[f"{v['level']}_id"]) for v in values}
    names = names or {}
    if not units <= names.keys():
        names = unit_names(units)
    files: dict[int, list[tuple[str, str]]] = {}
    download = url_for_each("indicators:evidence_download")
    found = (
        EvidenceFile.objects.filter(row_id__in=[v["pk"] for v in values])
        .order_by("row_id", "uploaded_at", "pk").values_list("row_id", "pk", "original_name")
    )
    for row_id, pk, name in found:
        files.setdefault(row_id, []).append((download(pk), short_text(name, 24)))
    url, today = url_for_each("indicators:row"), timezone.localdate()
    labels = choice_labels(RowStatus)
    entries = []
    for v in values:
        township, unit = names.get((v["level"], v[f"{v['level']}_id"]), ("", ""))
        status, due = v["status"], v["due"]
        entries.append(ChecklistEntry(
            pk=v["pk"], url=url(v["pk"]), level=v["level"],
            item=f"{v['requirement__item__code']} {short_text(v['requirement__item__title'], 16)}",
            text=short_text(v["requirement__text"], 80), is_local=v["requirement__campaign_id"] is not None,
            status=status, status_label=labels[status],
            return_reason=v["return_reason"] if status == RowStatus.RETURNED else "",
            township=township, unit=unit, due=due, due_label=format_date_zh(due) if due else "—",
            overdue=due is not None and due < today and status != RowStatus.ACCEPTED, files=files.get(v["pk"], []),
        ))
    return entries, values[0]["total"]


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
