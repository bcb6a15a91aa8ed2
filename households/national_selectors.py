"""Reads for the national export: what a user may see (a village only its own
hits and discrepancies, the bureau everything), the per-village distance to
zero, and the results workbook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from evalprep.core.counts import kept
from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.idnumber import mask_id_number
from evalprep.core.http import choice_labels
from evalprep.core.models import Campaign, Township, Village
from evalprep.core.paging import GroupedRows
from evalprep.core.scoping import get_or_404, scope_for, villages_visible_to
from households.models import (
    DiscrepancyField,
    DiscrepancyKind,
    HitStatus,
    NationalCheckHit,
    NationalDiscrepancy,
    NationalSnapshot,
    Resolution,
    SnapshotSource,
    SnapshotStatus,
)
from households.national_checks import RULES, RULES_BY_CODE

#: An open discrepancy: nobody dealt with it yet, or it waits for the national system to be corrected.
OPEN_DISCREPANCY = Q(gone_snapshot__isnull=True, resolution__in=[Resolution.OPEN, Resolution.SYSTEM_TO_FIX])


def county_villages(user, campaign: Campaign) -> QuerySet[Village]:
    return villages_visible_to(user).filter(township__county_id=campaign.county_id)


class CountyVillage(NamedTuple):
    pk: int
    name: str
    code: str
    township_id: int
    township_name: str
    township_code: str


def county_village_list(user, campaign: Campaign) -> list[CountyVillage]:
    """The campaign county's villages the user sees, in list order (township code, village code), which
    the list pages use for their village filter, their row order and who may change what: one query,
    kept in the cache until a village or township changes (the same for every user of the same scope)."""

    def read() -> list[CountyVillage]:
        rows = county_villages(user, campaign).order_by("township__code", "code").values_list(
            "pk", "name", "code", "township_id", "township__name", "township__code",
        )
        return [CountyVillage(*row) for row in rows]

    scope = scope_for(user)
    seen = (sorted(scope.read_county_ids), sorted(scope.read_township_ids), sorted(scope.village_ids))
    return kept(f"county-villages:{campaign.county_id}:{seen}", Village, Township, make=read)


def writable_among(user, campaign: Campaign, villages: list[CountyVillage]) -> set[int]:
    """Which of `villages` (the user's, from county_village_list) the user may change, i.e. handle
    their hits and discrepancies: the rule of evalprep.core.scoping.village_write_q, applied without a query."""
    scope = scope_for(user)
    if campaign.county_id in scope.write_county_ids:
        return {village.pk for village in villages}
    return {
        village.pk for village in villages
        if village.pk in scope.village_ids or village.township_id in scope.write_township_ids
    }


def _visible_rows(rows: QuerySet, user, campaign: Campaign) -> QuerySet:
    """The campaign county's rows the user sees: every one for a reader of the county (a row's village
    is always one of its county's), else those of the villages they see (a row with no village is the
    bureau's)."""
    rows = rows.filter(county_id=campaign.county_id)
    if campaign.county_id in scope_for(user).read_county_ids:
        return rows
    return rows.filter(village__in=villages_visible_to(user))


def snapshots_visible_to(user, campaign: Campaign) -> QuerySet[NationalSnapshot]:
    """A county reader sees all the county's snapshots; anyone else who sees one of its villages the
    county-wide ones and those of their villages' townships."""
    scope = scope_for(user)
    snapshots = NationalSnapshot.objects.filter(county_id=campaign.county_id).select_related("township", "uploaded_by")
    if campaign.county_id in scope.read_county_ids:
        return snapshots
    villages = county_villages(user, campaign)
    if not villages.exists():
        return NationalSnapshot.objects.none()
    return snapshots.filter(Q(township__isnull=True) | Q(township_id__in=villages.values("township_id")))


def get_snapshot_for_user(request: HttpRequest, pk: int, campaign: Campaign) -> NationalSnapshot:
    return get_or_404(snapshots_visible_to(request.user, campaign), pk)


def hits_visible_to(user, campaign: Campaign) -> QuerySet[NationalCheckHit]:
    return _visible_rows(NationalCheckHit.objects.all(), user, campaign)


def get_hit_for_user(request: HttpRequest, pk: int, campaign: Campaign) -> NationalCheckHit:
    return get_or_404(hits_visible_to(request.user, campaign).select_related("village__township__county"), pk)


def discrepancies_visible_to(user, campaign: Campaign) -> QuerySet[NationalDiscrepancy]:
    return _visible_rows(NationalDiscrepancy.objects.all(), user, campaign)


def get_discrepancy_for_user(request: HttpRequest, pk: int, campaign: Campaign) -> NationalDiscrepancy:
    return get_or_404(discrepancies_visible_to(request.user, campaign).select_related("village__township__county"), pk)


@dataclass
class HitFilter:
    source: str = SnapshotSource.SYSTEM
    village_id: int | None = None
    rule: str = ""
    status: str = "open"  # open, fixed, exempt, gone, all


def _hits_of_any_rule(user, campaign: Campaign, hit_filter: HitFilter) -> QuerySet[NationalCheckHit]:
    hits = hits_visible_to(user, campaign).filter(source=hit_filter.source)
    if hit_filter.village_id:
        hits = hits.filter(village_id=hit_filter.village_id)
    return hits.filter({
        "open": Q(gone_snapshot__isnull=True, status=HitStatus.OPEN),
        "fixed": Q(status=HitStatus.FIXED),
        "exempt": Q(status=HitStatus.EXEMPT),
        "gone": Q(gone_snapshot__isnull=False),
        "all": Q(),
    }.get(hit_filter.status, Q()))


def hits_filtered(user, campaign: Campaign, hit_filter: HitFilter) -> QuerySet[NationalCheckHit]:
    """Every hit the filter asks for (the workbook's rows)."""
    hits = _hits_of_any_rule(user, campaign, hit_filter)
    return hits.filter(rule=hit_filter.rule) if hit_filter.rule else hits


@dataclass(slots=True)
class HitRow:
    """One line of the hits list: what the page shows, without a model instance per row."""
    pk: int
    village_id: int | None
    village_label: str
    village_name: str
    rule: str
    rule_title: str
    explanation: str
    reopened: bool
    status: str
    status_label: str
    reason: str
    status_by_name: str
    status_at: datetime | None
    gone_on: date | None  # the date of the snapshot it is gone from (taken_on is never empty)
    can_mark: bool = False  # set by the view
    mark_url: str = ""


_HIT_ROW_FIELDS = (
    "pk", "village_id", "village_label", "village__name", "rule", "explanation", "reopened", "status", "reason",
    "status_by_name", "status_at", "gone_snapshot__taken_on",
)


def hits_listed(
    user, campaign: Campaign, hit_filter: HitFilter, villages: list[CountyVillage],
) -> tuple[GroupedRows, list[tuple[str, str, int]]]:
    """The hits the filter asks for, to page through in village order, and the count per rule (before
    the rule filter): both counts come from one grouped query. `villages` are the user's (county_village_list)."""
    hits = _hits_of_any_rule(user, campaign, hit_filter)
    per_rule, per_village = _grouped_counts(hits, "rule", hit_filter.rule)
    counts = [(rule.code, rule.title, per_rule[rule.code]) for rule in RULES if per_rule.get(rule.code)]
    if hit_filter.rule:
        hits = hits.filter(rule=hit_filter.rule)
    status_labels = choice_labels(HitStatus)

    def hit_row(pk, village_id, village_label, village_name, rule, explanation, reopened, status, reason,
                status_by_name, status_at, gone_on) -> HitRow:
        known = RULES_BY_CODE.get(rule)
        return HitRow(
            pk, village_id, village_label, village_name or village_label, rule, known.title if known else rule,
            explanation, reopened, status, status_labels.get(status, status), reason, status_by_name, status_at, gone_on,
        )

    rows = _village_ordered(
        hits.values_list(*_HIT_ROW_FIELDS), per_village, villages, then_by=("rule", "subject_key"), make=hit_row,
    )
    return rows, counts


def _grouped_counts(rows: QuerySet, field: str, chosen: str) -> tuple[dict[str, int], dict[int | None, int]]:
    """Rows per value of `field`, and per village of the rows whose `field` is `chosen` (all if none is).

    A county's hits are some 5,000 (village, rule) groups, counted from 90,000 rows: the two sums are
    kept in the cache until a row changes (evalprep.core.counts), not the groups, which took longer to
    read back and add up than the rest of the page. When counted, the SQL is run directly, without the
    ORM's per-row conversion (the count is already an int)."""
    grouped = rows.values_list("village_id", field).annotate(n=Count("*")).order_by()
    try:
        sql, params = grouped.query.get_compiler(using=grouped.db).as_sql()
    except EmptyResultSet:  # e.g. village_id__in=[]: nothing to count
        return {}, {}

    def count() -> tuple[dict[str, int], dict[int | None, int]]:
        with connections[grouped.db].cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        per_value: dict[str, int] = defaultdict(int)
        per_village: dict[int | None, int] = defaultdict(int)
        for village_id, value, n in found:
            per_value[value] += n
            if not chosen or value == chosen:
                per_village[village_id] += n
        return dict(per_value), dict(per_village)

    return kept(repr((grouped.db, sql, params, chosen)), rows.model, Village, Township, make=count)


def _village_ordered(
    rows: QuerySet, per_village: dict[int | None, int], villages: list[CountyVillage], *,
    then_by: tuple[str, ...], make: Callable[..., object],
) -> GroupedRows:
    """Rows (a values_list queryset, each made into a row object by `make`) in village order (township
    code, village code; rows with no village last), then by `then_by`: a page reads only the villages it
    spans, and nothing sorts the whole list. `villages` are the user's, already in that order."""
    order: list[int | None] = [village.pk for village in villages if village.pk in per_village]
    if len(order) < len(per_village) - (None in per_village):  # a row of a village the user does not see
        order = list(
            Village.objects.filter(pk__in=[pk for pk in per_village if pk is not None])
            .order_by("township__code", "code").values_list("pk", flat=True)
        )
    if None in per_village:
        order.append(None)

    def read(villages: list[int | None], offset: int, limit: int) -> list:
        spanned = Q(village_id__in=[pk for pk in villages if pk is not None])
        if None in villages:
            spanned |= Q(village__isnull=True)
        ordered = rows.filter(spanned).order_by(
            F("village__township__code").asc(nulls_last=True), F("village__code").asc(nulls_last=True), *then_by
        )
        return [make(*row) for row in ordered[offset:offset + limit]]

    return GroupedRows([(pk, per_village[pk]) for pk in order], read)


@dataclass
class VillageProgress:
    village_id: int | None
    label: str
    open_hits: int = 0
    fixed_waiting: int = 0
    exempt: int = 0
    verified: int = 0
    open_discrepancies: int = 0
    overdue_discrepancies: int = 0

    @property
    def to_zero(self) -> int:
        return self.open_hits + self.fixed_waiting + self.open_discrepancies


def village_progress(
    user, campaign: Campaign, *, villages: list[CountyVillage] | None = None, today: date | None = None,
) -> list[VillageProgress]:
    """How far each village the user sees (`villages`, from county_village_list, read if not given) is
    from zero: two grouped queries."""
    today = today or timezone.localdate()
    if villages is None:
        villages = county_village_list(user, campaign)
    rows = {v.pk: VillageProgress(v.pk, f"{v.township_name}{v.name}") for v in villages}
    rows[None] = VillageProgress(None, "未匹配到村")
    # Per village and status, how many and how many of those gone: grouped in the order of the index
    # nathit_list (migration 0005), so PostgreSQL reads neither the rows nor a sort.
    hits = hits_visible_to(user, campaign).filter(source=SnapshotSource.SYSTEM).values_list("village_id", "status").annotate(
        n=Count("*"), gone=Count("gone_snapshot"),
    ).order_by()
    for village_id, status, n, gone in hits:
        target = rows.get(village_id)
        if target:
            target.verified += gone
            if status == HitStatus.OPEN:
                target.open_hits = n - gone
            elif status == HitStatus.FIXED:
                target.fixed_waiting = n - gone
            elif status == HitStatus.EXEMPT:
                target.exempt = n
    discrepancies = discrepancies_visible_to(user, campaign).values("village_id").annotate(
        open=Count("pk", filter=OPEN_DISCREPANCY), overdue=Count("pk", filter=OPEN_DISCREPANCY & Q(deadline__lt=today)),
    ).order_by()
    for row in discrepancies:
        target = rows.get(row["village_id"])
        if target:
            target.open_discrepancies, target.overdue_discrepancies = row["open"], row["overdue"]
    result = [row for key, row in rows.items() if key is not None]
    if rows[None].to_zero or rows[None].exempt:
        result.append(rows[None])
    return result


@dataclass
class DiscrepancyFilter:
    village_id: int | None = None
    kind: str = ""
    status: str = "open"  # open, resolved, gone, all


@dataclass(slots=True)
class DiscrepancyRow:
    """One line of the discrepancies list, without a model instance per row."""
    pk: int
    village_id: int | None
    village_name: str
    kind_label: str
    field_label: str
    explanation: str
    deadline: date
    overdue: bool
    resolution: str
    resolution_label: str
    resolution_note: str
    resolved_by_name: str
    resolved_at: datetime | None
    gone_on: date | None  # the date of the snapshot it is gone from (taken_on is never empty)
    can_resolve: bool = False  # set by the view
    resolve_url: str = ""


_DISCREPANCY_ROW_FIELDS = (
    "pk", "village_id", "village__name", "kind", "field", "explanation", "deadline", "resolution", "resolution_note",
    "resolved_by_name", "resolved_at", "gone_snapshot__taken_on",
)


def discrepancies_listed(
    user, campaign: Campaign, flt: DiscrepancyFilter, villages: list[CountyVillage], *, today: date | None = None,
) -> tuple[GroupedRows, dict[str, int]]:
    """The discrepancies the filter asks for, to page through in village order, and the count per kind
    (before the kind filter). `villages` are the user's (county_village_list)."""
    found = discrepancies_visible_to(user, campaign)
    if flt.village_id:
        found = found.filter(village_id=flt.village_id)
    found = found.filter({
        "open": Q(gone_snapshot__isnull=True, resolution=Resolution.OPEN),
        "resolved": Q(gone_snapshot__isnull=True) & ~Q(resolution=Resolution.OPEN),
        "gone": Q(gone_snapshot__isnull=False),
        "all": Q(),
    }.get(flt.status, Q()))
    per_kind, per_village = _grouped_counts(found, "kind", flt.kind)
    if flt.kind:
        found = found.filter(kind=flt.kind)
    today = today or timezone.localdate()
    kinds = choice_labels(DiscrepancyKind)
    fields = choice_labels(DiscrepancyField)
    resolutions = choice_labels(Resolution)
    still_open = (Resolution.OPEN, Resolution.SYSTEM_TO_FIX)  # as OPEN_DISCREPANCY

    def discrepancy_row(pk, village_id, village_name, kind, field, explanation, deadline, resolution, resolution_note,
                        resolved_by_name, resolved_at, gone_on) -> DiscrepancyRow:
        return DiscrepancyRow(
            pk, village_id, village_name or "", kinds.get(kind, kind), fields.get(field, field) if field else "",
            explanation, deadline, gone_on is None and resolution in still_open and deadline < today,
            resolution, resolutions.get(resolution, resolution), resolution_note, resolved_by_name, resolved_at, gone_on,
        )

    rows = _village_ordered(
        found.values_list(*_DISCREPANCY_ROW_FIELDS), per_village, villages, then_by=("kind", "subject_key"),
        make=discrepancy_row,
    )
    return rows, per_kind


def latest_snapshot(user, campaign: Campaign, source: str = SnapshotSource.SYSTEM) -> NationalSnapshot | None:
    return snapshots_visible_to(user, campaign).filter(source=source, status=SnapshotStatus.READY).first()


def hits_workbook(hits: QuerySet[NationalCheckHit], *, reveal_village_ids: set[int], reveal_unmatched: bool) -> bytes:
    """A summary sheet (rule × village) and one sheet per rule with the rows and the explanation. ID numbers
    are shown in full only for the villages the user may change (and, without a village, for the bureau)."""
    rows = list(hits.select_related("village__township", "first_snapshot").order_by("rule", "village__code", "subject_key"))
    villages: dict[str, None] = {}
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_rule: dict[str, list[NationalCheckHit]] = defaultdict(list)
    for hit in rows:
        label = hit.village_label or "未匹配到村"
        villages.setdefault(label)
        matrix[hit.rule][label] += 1
        by_rule[hit.rule].append(hit)
    village_labels = list(villages)
    summary = SheetSpec(
        title="汇总",
        headers=["规则编号", "类别", "规则", *village_labels, "合计"],
        rows=[
            [rule.code, rule.family_label, rule.title, *[matrix[rule.code].get(v, 0) for v in village_labels],
             sum(matrix[rule.code].values())]
            for rule in RULES if rule.code in matrix
        ],
        widths=[10, 18, 40, *[14] * len(village_labels), 10],
    )
    sheets = [summary]
    for code, items in by_rule.items():
        rule = RULES_BY_CODE.get(code)
        sheets.append(SheetSpec(
            title=f"{code} {rule.title if rule else ''}"[:31].replace("/", "／").replace("?", "？").replace("*", "＊")
            .replace("[", "【").replace("]", "】").replace(":", "：").replace("\\", "＼"),
            headers=["乡镇/村", "户编号", "姓名", "证件号码", "说明", "状态", "整改情况或豁免理由", "首次发现"],
            rows=[
                [hit.village_label, hit.household_number, hit.name,
                 hit.id_number if _reveal(hit, reveal_village_ids, reveal_unmatched) else mask_id_number(hit.id_number), hit.explanation,
                 "已核销" if hit.gone_snapshot_id else hit.get_status_display(), hit.reason, hit.first_snapshot.taken_on]
                for hit in items
            ],
            widths=[24, 20, 10, 22, 70, 16, 30, 12],
        ))
    return workbook_bytes(sheets)


def _reveal(hit: NationalCheckHit, village_ids: set[int], unmatched: bool) -> bool:
    return unmatched if hit.village_id is None else hit.village_id in village_ids
