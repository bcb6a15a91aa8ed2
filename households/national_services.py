"""Writes for the national export: take a snapshot in (read, reconcile, check),
take the roster in as a snapshot for the checks, mark hits fixed or exempt, and
save the check settings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, County, Township
from evalprep.core.services import audit_log
from households.models import (
    Category,
    HitStatus,
    Household,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    MonitoringStep,
    MonitoringType,
    NationalCheckHit,
    NationalCheckSettings,
    NationalPerson,
    NationalSnapshot,
    SnapshotSource,
    SnapshotStatus,
    WorkLocation,
)
from households.national import ProgressFn, id_number_check_ok, month_index, national_snapshot_import, rows_insert
from households.national_checks import CheckRunResult, national_checks_run
from households.reconciliation import ReconciliationResult, dangerous_house_text, reconciliation_run, yes_no_text


@dataclass
class SnapshotOutcome:
    snapshot: NationalSnapshot
    reconciliation: ReconciliationResult | None
    checks: CheckRunResult

    @property
    def message(self) -> str:
        s = self.snapshot
        parts = [f"已导入：人员{s.persons}人、{s.households}户、务工记录{s.work_spells}条、行政村{s.village_rows}个"]
        if self.reconciliation:
            parts.append(f"账机差异{self.reconciliation.total}条（新增{self.reconciliation.new}，已消失{self.reconciliation.gone}）")
        parts.append(f"疑点{self.checks.total}条（{self.checks.rules_run}条规则；已消失{self.checks.gone}条）")
        return "；".join(parts)


def national_snapshot_process(
    *, snapshot: NationalSnapshot, campaign: Campaign | None, user=None, progress: ProgressFn | None = None
) -> SnapshotOutcome:
    """Read the files into the snapshot, reconcile it with the roster (if it has people) and run every check."""
    progress = progress or (lambda percent, message: None)
    national_snapshot_import(snapshot=snapshot, progress=progress)
    reconciliation = None
    if snapshot.persons:
        progress(92, "与花名册比对")
        reconciliation = reconciliation_run(snapshot=snapshot, campaign=campaign)
    progress(95, "疑点数据核查")
    checks = national_checks_run(snapshot=snapshot, campaign=campaign)
    audit_log(user=user, action="national_snapshot_imported", obj=snapshot, county_id=snapshot.county_id,
              detail=f"{snapshot.taken_on}：{snapshot.persons}人；疑点{checks.total}条")
    progress(100, "完成")
    return SnapshotOutcome(snapshot=snapshot, reconciliation=reconciliation, checks=checks)


def roster_person_rows(households) -> list[dict]:
    """The roster as person-sheet rows, so that the same checks run over it."""
    rows: list[dict] = []
    for household in households:
        incomes = list(household.incomes.all())
        income = incomes[-1] if incomes else None
        risks = [risk.kind for risk in household.risks.all()][:5]
        measures: dict[str, list[str]] = defaultdict(list)
        for measure in household.measures.all():
            measures[_MEASURE_FIELD.get(measure.kind, "m_conditions")].append(measure.detail or measure.kind)
        eliminated = next((e for e in household.monitoring_events.all() if e.step == MonitoringStep.ELIMINATED), None)
        members = list(household.members.all())
        monitored = household.category == Category.MONITORED
        base = {
            "village_id": household.village_id, "village_name": household.village.name,
            "township_name": household.village.township.name, "county_name": "",
            "household_number": household.number[:40], "household_size": len(members),
            "household_type": "脱贫户" if household.category == Category.LIFTED else ("" if monitored else "一般农户"),
            "monitoring_type": str(MonitoringType(household.monitoring_type).label) if household.monitoring_type else "",
            "household_phone": household.phone,
            "dangerous_house": dangerous_house_text(household.housing_grade),
            "safe_water": yes_no_text(household.water_safe),
            "no_labour_household": "是" if household.no_labour_household else "否",
            "income_per_capita": income.net_income_per_capita if income else None,
            "wage_income": income.wage if income else None, "business_income": income.business if income else None,
            "transfer_income": income.transfer if income else None, "out_of_pocket": household.medical_out_of_pocket,
            **{f"risk{n}": kind for n, kind in enumerate(risks, start=1)},
            "out_of_school": "是" if any(m.out_of_school for m in members) else "否",
            "member_uninsured": "是" if any(m.medical_insurance is False for m in members) else "否",
            "risk_eliminated": ("是" if eliminated else "否") if monitored else "",
            "identified_month": month_index(household.monitoring_since),
            "eliminated_month": month_index(eliminated.on) if eliminated else None,
            **{name: "，".join(values) for name, values in measures.items()},
        }
        chosen = next((m for m in members if m.relation == "户主"), members[0] if members else None)
        for member in members:
            rows.append({
                **base, "row_number": len(rows) + 1, "sheet": "花名册", "raw": {},
                "name": member.name, "id_number": member.id_number, "id_check_ok": id_number_check_ok(member.id_number),
                "id_type": "居民身份证", "relation": member.relation, "sex": str(member.get_sex_display()),
                "ethnicity": member.ethnicity, "birth_date": member.birth_date, "schooling": member.schooling,
                "not_in_school_reason": member.out_of_school_reason,
                "health": "残疾" if member.disability_grade else member.health,
                "labour_skill": member.labour_capacity,
                "work_place": str(WorkLocation(member.work_location).label) if member.work_location else "",
                "resident_medical": yes_no_text(member.medical_insurance),
                "serious_illness_insurance": yes_no_text(member.serious_illness_insurance),
                "minimum_living": "农村低保" if household.minimum_living else "未享受",
                "destitute": "农村特困" if household.destitute_support else "不享受",
                "member_phone": member.phone, "is_household_row": member is chosen,
            })
    return rows


_MEASURE_FIELD = {
    "产业帮扶": "m_industry", "就业帮扶": "m_employment", "公益岗位帮扶": "m_public_job", "金融帮扶": "m_finance",
    "教育帮扶": "m_education", "健康帮扶": "m_health", "住房安全保障": "m_housing", "饮水安全保障": "m_water",
    "综合保障": "m_welfare", "社会帮扶": "m_social", "搬迁": "m_relocation", "其他": "m_conditions",
}


def national_roster_snapshot(
    *, county: County, township: Township | None, campaign: Campaign | None, user
) -> tuple[NationalSnapshot, CheckRunResult]:
    """Take the roster as it stands today as a snapshot and run every check that applies to it."""
    households = Household.objects.filter(village__township__county=county).select_related("village__township")
    if township is not None:
        households = households.filter(village__township=township)
    households = households.prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by("pk")),
        Prefetch("incomes", queryset=IncomeYear.objects.order_by("year")),
        "risks", Prefetch("measures", queryset=Measure.objects.order_by("pk")),
        Prefetch("monitoring_events", queryset=MonitoringEvent.objects.order_by("on", "pk")),
    )
    with transaction.atomic():
        snapshot = NationalSnapshot.objects.create(
            county=county, township=township, source=SnapshotSource.ROSTER, taken_on=timezone.localdate(),
            uploaded_by=user, status=SnapshotStatus.PENDING,
        )
        rows = roster_person_rows(households.iterator(chunk_size=500))
        for start in range(0, len(rows), 2000):
            rows_insert(NationalPerson, rows[start:start + 2000], snapshot=snapshot)
        snapshot.persons = len(rows)
        snapshot.households = len({row["household_number"] for row in rows})
        snapshot.status = SnapshotStatus.READY
        snapshot.sheets = [{"file": "", "sheet": "花名册", "kind": "person", "label": "本系统花名册", "header_row": 0, "rows": len(rows)}]
        snapshot.save()
        result = national_checks_run(snapshot=snapshot, campaign=campaign)
    audit_log(user=user, action="national_roster_checked", obj=snapshot, county_id=county.pk, detail=f"疑点{result.total}条")
    return snapshot, result


class HitError(EvalprepError):
    pass


def national_hit_mark(*, hit: NationalCheckHit, status: str, reason: str, user) -> NationalCheckHit:
    """A village says a hit is fixed (checked on the next snapshot) or exempt (with why), or takes that back."""
    reason = reason.strip()
    if status not in HitStatus.values:
        raise HitError("请选择处理方式：已整改或豁免。")
    if hit.gone_snapshot_id and status != HitStatus.OPEN:
        raise HitError("这条疑点在最新数据中已经没有了，无需再处理。")
    if status == HitStatus.EXEMPT and not reason:
        raise HitError("豁免须写明理由（例如：经核实属实际情况，附佐证说明）。")
    hit.status, hit.reason = status, reason[:500]
    hit.reopened = False if status != HitStatus.OPEN else hit.reopened
    hit.status_by = user
    hit.status_by_name = (user.get_full_name() or user.username)[:60]
    hit.status_at = timezone.now()
    hit.full_clean()
    hit.save()
    audit_log(user=user, action="national_hit_marked", obj=hit, county_id=hit.county_id,
              detail=f"{hit.rule} {hit.get_status_display()}：{reason[:100]}")
    return hit


def national_check_settings_save(*, settings: NationalCheckSettings, user) -> NationalCheckSettings:
    settings.full_clean()
    settings.save()
    audit_log(user=user, action="national_check_settings_saved", obj=settings, county_id=settings.campaign.county_id)
    return settings
