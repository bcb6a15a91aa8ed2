"""账机一致: a snapshot of the national system against the roster.

Households are matched by 户编号 and people by ID number. What differs becomes a
discrepancy owned by the village, with a deadline and, once someone deals with
it, a resolution (fixed in the roster / to be fixed in the system / explained,
by whom, when). Discrepancies are kept across snapshots: one that a later
snapshot no longer shows is marked gone (`gone_snapshot`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from evalprep.core.counts import rows_changed
from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import mask_id_number
from evalprep.core.models import Campaign
from evalprep.core.services import audit_log
from households.models import (
    Category,
    DiscrepancyField,
    DiscrepancyKind,
    Household,
    IncomeYear,
    Member,
    MonitoringEvent,
    MonitoringStep,
    MonitoringType,
    NationalDiscrepancy,
    NationalPerson,
    NationalSnapshot,
    Resolution,
    SnapshotSource,
)
from households.national_checks import check_settings_for, newer_snapshot_exists

YES, NO = "是", "否"
INCOME_TOLERANCE = Decimal("1.00")
MONITORING_LABELS = {str(label): value for value, label in MonitoringType.choices}


class ReconciliationError(EvalprepError):
    pass


@dataclass
class Found:
    kind: str
    field: str
    key: str
    village_id: int | None
    household_number: str
    name: str
    roster_value: str
    system_value: str
    explanation: str


def system_category(household_type: str, monitoring_type: str) -> str:
    if monitoring_type:
        return Category.MONITORED
    if "脱贫" in household_type:
        return Category.LIFTED
    return Category.ORDINARY


def _roster_households(snapshot: NationalSnapshot) -> QuerySet[Household]:
    households = Household.objects.filter(village__township__county_id=snapshot.county_id)
    if snapshot.township_id:
        households = households.filter(village__township_id=snapshot.township_id)
    latest_income = IncomeYear.objects.filter(household=OuterRef("pk")).order_by("-year").values("net_income_per_capita")[:1]
    return households.annotate(
        members_n=Count("members", distinct=True),
        income=Subquery(latest_income),
        eliminated=Exists(MonitoringEvent.objects.filter(household=OuterRef("pk"), step=MonitoringStep.ELIMINATED)),
        any_out_of_school=Exists(Member.objects.filter(household=OuterRef("pk"), out_of_school=True)),
    )


def yes_no_text(value: bool | None) -> str:
    return "" if value is None else (YES if value else NO)


def dangerous_house_text(grade: str) -> str:
    return {"C": YES, "D": YES, "A": NO, "B": NO}.get(grade, "")


def _household_label(number: str, name: str) -> str:
    return f"户编号{number}（户主{name or '未填'}）"


def reconciliation_find(snapshot: NationalSnapshot) -> list[Found]:
    """Every difference between the snapshot's person sheet and the roster."""
    system_rows = list(
        NationalPerson.objects.filter(snapshot=snapshot).values(
            "id_number", "household_number", "name", "village_id", "relation", "is_household_row", "household_size",
            "household_type", "monitoring_type", "income_per_capita", "risk_eliminated", "dangerous_house",
            "safe_water", "out_of_school", "resident_medical", "employee_medical",
        )
    )
    system_households = {row["household_number"]: row for row in system_rows if row["is_household_row"]}
    roster = {h.number: h for h in _roster_households(snapshot).only(
        "pk", "number", "head_name", "village_id", "category", "monitoring_type", "housing_grade", "water_safe",
    )}
    found: list[Found] = []
    for number, household in roster.items():
        if number not in system_households:
            found.append(Found(
                DiscrepancyKind.ONLY_ROSTER_HOUSEHOLD, "", number, household.village_id, number, household.head_name,
                "有", "无", f"{_household_label(number, household.head_name)}在花名册中，国家系统导出中没有此户。",
            ))
    for number, row in system_households.items():
        household = roster.get(number)
        if household is None:
            found.append(Found(
                DiscrepancyKind.ONLY_SYSTEM_HOUSEHOLD, "", number or "（空户编号）", row["village_id"], number,
                row["name"], "无", "有", f"{_household_label(number, row['name'])}在国家系统中，花名册中没有此户。",
            ))
            continue
        found += _field_differences(household, row)
    found += _person_differences(snapshot, system_rows, roster, system_households)
    return found


def _field_differences(household: Household, row: dict) -> list[Found]:
    number, name = household.number, household.head_name
    pairs: list[tuple[str, str, str]] = []
    category = system_category(row["household_type"], row["monitoring_type"])
    pairs.append((DiscrepancyField.CATEGORY, Category(household.category).label, Category(category).label))
    if household.category == Category.MONITORED or category == Category.MONITORED:
        roster_type = MonitoringType(household.monitoring_type).label if household.monitoring_type else ""
        pairs.append((DiscrepancyField.MONITORING_TYPE, roster_type, row["monitoring_type"]))
    pairs.append((DiscrepancyField.MEMBERS, str(household.members_n), str(row["household_size"])))
    if household.income is not None and row["income_per_capita"] is not None:
        if abs(household.income - row["income_per_capita"]) > INCOME_TOLERANCE:
            pairs.append((DiscrepancyField.INCOME, f"{household.income:.2f}", f"{row['income_per_capita']:.2f}"))
    if household.category == Category.MONITORED and category == Category.MONITORED and row["risk_eliminated"] in (YES, NO):
        pairs.append((DiscrepancyField.RISK_ELIMINATED, yes_no_text(household.eliminated), row["risk_eliminated"]))
    for field_name, roster_value, system_value in (
        (DiscrepancyField.DANGEROUS_HOUSE, dangerous_house_text(household.housing_grade), row["dangerous_house"]),
        (DiscrepancyField.SAFE_WATER, yes_no_text(household.water_safe), row["safe_water"]),
        (DiscrepancyField.OUT_OF_SCHOOL, yes_no_text(household.any_out_of_school), row["out_of_school"]),
    ):
        if roster_value and system_value in (YES, NO):
            pairs.append((field_name, roster_value, system_value))
    found = []
    for field_name, roster_value, system_value in pairs:
        if roster_value != system_value:
            label = DiscrepancyField(field_name).label
            found.append(Found(
                DiscrepancyKind.FIELD, field_name, number, household.village_id, number, name, roster_value[:100],
                system_value[:100],
                f"{_household_label(number, name)}的{label}：花名册为“{roster_value or '空'}”，国家系统为“{system_value or '空'}”。",
            ))
    return found


def _person_differences(snapshot, system_rows, roster, system_households) -> list[Found]:
    members = Member.objects.filter(household__in=[h.pk for h in roster.values()]).values(
        "id_number", "name", "medical_insurance", "household__number", "household__village_id",
    ) if roster else []
    roster_people = {m["id_number"]: m for m in members}
    system_people = {row["id_number"]: row for row in system_rows if row["id_number"]}
    found = []
    for id_number, member in roster_people.items():
        number = member["household__number"]
        person = system_people.get(id_number)
        if person is None:
            if number in system_households:  # a household missing as a whole is one discrepancy, not one per person
                found.append(Found(
                    DiscrepancyKind.ONLY_ROSTER_PERSON, "", id_number, member["household__village_id"], number,
                    member["name"], "有", "无",
                    f"{member['name']}（户编号{number}，证件号{mask_id_number(id_number)}）在花名册中，国家系统中没有此人。",
                ))
            continue
        system_insured = YES if YES in (person["resident_medical"], person["employee_medical"]) else (
            NO if person["resident_medical"] == NO else "")
        roster_insured = yes_no_text(member["medical_insurance"])
        if roster_insured and system_insured and roster_insured != system_insured:
            found.append(Found(
                DiscrepancyKind.FIELD, DiscrepancyField.MEDICAL_INSURANCE, id_number, member["household__village_id"],
                number, member["name"], roster_insured, system_insured,
                f"{member['name']}（户编号{number}）的基本医疗保险：花名册为“{roster_insured}”，国家系统为“{system_insured}”。",
            ))
    for id_number, person in system_people.items():
        if id_number not in roster_people and person["household_number"] in roster:
            found.append(Found(
                DiscrepancyKind.ONLY_SYSTEM_PERSON, "", id_number, person["village_id"], person["household_number"],
                person["name"], "无", "有",
                f"{person['name']}（户编号{person['household_number']}，证件号{mask_id_number(id_number)}）在国家系统中，花名册中没有此人。",
            ))
    return found


@dataclass
class ReconciliationResult:
    snapshot: NationalSnapshot
    counts: Counter
    new: int
    gone: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def reconciliation_run(*, snapshot: NationalSnapshot, campaign: Campaign | None) -> ReconciliationResult:
    """Compare the snapshot with the roster and bring the county's discrepancies up to date."""
    if snapshot.source != SnapshotSource.SYSTEM:
        raise ReconciliationError("只有国家系统导出的快照可以与花名册比对。")
    if not snapshot.persons:
        raise ReconciliationError("这份快照没有人员信息表，无法与花名册比对。请一并上传监测对象信息（人员）表。")
    if newer_snapshot_exists(snapshot):
        raise ReconciliationError("已有更新的快照，只能用最新的一份快照与花名册比对。")
    found = reconciliation_find(snapshot)
    deadline = timezone.localdate() + timedelta(days=check_settings_for(campaign).discrepancy_days)
    with transaction.atomic():
        existing = {
            (d.kind, d.field, d.subject_key): d
            for d in NationalDiscrepancy.objects.filter(county_id=snapshot.county_id).only(
                "pk", "kind", "field", "subject_key", "gone_snapshot_id", "explanation"
            )
        }
        create, update, seen = [], [], []
        for item in found:
            known = existing.get((item.kind, item.field, item.key[:40]))
            if known is None:
                create.append(NationalDiscrepancy(
                    county_id=snapshot.county_id, village_id=item.village_id, kind=item.kind, field=item.field,
                    subject_key=item.key[:40], household_number=item.household_number[:40], name=item.name[:60],
                    roster_value=item.roster_value, system_value=item.system_value, explanation=item.explanation[:300],
                    first_snapshot=snapshot, last_snapshot=snapshot, deadline=deadline,
                ))
                continue
            seen.append(known.pk)
            if known.gone_snapshot_id or known.explanation != item.explanation[:300]:
                known.gone_snapshot = None
                known.explanation = item.explanation[:300]
                known.roster_value, known.system_value = item.roster_value, item.system_value
                update.append(known)
        NationalDiscrepancy.objects.bulk_create(create, batch_size=500)
        if update:
            NationalDiscrepancy.objects.bulk_update(update, ["gone_snapshot", "explanation", "roster_value", "system_value"], batch_size=500)
        for start in range(0, len(seen), 5000):
            NationalDiscrepancy.objects.filter(pk__in=seen[start:start + 5000]).update(last_snapshot=snapshot)
        covered = NationalDiscrepancy.objects.filter(county_id=snapshot.county_id, gone_snapshot__isnull=True)
        if snapshot.township_id:
            covered = covered.filter(village__township_id=snapshot.township_id)
        gone = covered.exclude(last_snapshot=snapshot).exclude(first_snapshot=snapshot).update(gone_snapshot=snapshot)
        rows_changed(NationalDiscrepancy)
        NationalSnapshot.objects.filter(pk=snapshot.pk).update(reconciled_at=timezone.now())
    counts = Counter(item.kind for item in found)
    return ReconciliationResult(snapshot=snapshot, counts=counts, new=len(create), gone=gone)


def discrepancy_resolve(*, discrepancy: NationalDiscrepancy, resolution: str, note: str, user) -> NationalDiscrepancy:
    if resolution not in Resolution.values or resolution == Resolution.OPEN:
        raise ReconciliationError("请选择处理结果：已改花名册、待改国家系统或已说明。")
    note = note.strip()
    if resolution != Resolution.SYSTEM_TO_FIX and not note:
        raise ReconciliationError("请填写处理说明：改了什么，或为什么两边不一致也没有问题。")
    discrepancy.resolution, discrepancy.resolution_note = resolution, note[:500]
    discrepancy.resolved_by = user
    discrepancy.resolved_by_name = (user.get_full_name() or user.username)[:60]
    discrepancy.resolved_at = timezone.now()
    discrepancy.full_clean()
    discrepancy.save()
    audit_log(user=user, action="national_discrepancy_resolved", obj=discrepancy, county_id=discrepancy.county_id,
              detail=f"{discrepancy.get_resolution_display()}：{note[:100]}")
    return discrepancy
