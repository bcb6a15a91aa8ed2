"""Demo data: a national-system snapshot with reconciliation and check results (#6).

The demo county's roster is turned into the national system's person sheet,
then a few things are made to disagree the way they do in real counties: some
households missing on one side, incomes and housing that differ, a handful of
suspect values. The snapshot goes through the same reconciliation and checks
as an upload, and some hits are already marked fixed or exempt.
"""

import random
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from evalprep.core.counts import rows_changed
from evalprep.core.idnumber import generate_id_number
from evalprep.core.models import Campaign, County
from households.models import (
    HitStatus,
    Household,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    NationalCheckHit,
    NationalPerson,
    NationalSnapshot,
    SnapshotSource,
    SnapshotStatus,
)
from households.national import id_number_check_ok, persons_finish, rows_insert
from households.national_checks import national_checks_run
from households.national_services import roster_person_rows
from households.reconciliation import reconciliation_run

# What the national sheet has and the roster does not: filled as a tidy county would.
_FILLED = {
    "county_name": "", "id_type": "居民身份证", "resident_pension": "是", "employee_pension": "否", "employee_medical": "否",
    "electricity": "是", "toilet": "是", "road_hardened": "是", "collector": "村信息员", "collector_phone": "13900000000",
}


def national_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
    if NationalSnapshot.objects.filter(county=county, source=SnapshotSource.SYSTEM).exists():
        return
    rng = random.Random(seed * 7919 + 6)
    households = (
        Household.objects.filter(village__township__county=county).select_related("village__township").order_by("pk")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("pk")),
            Prefetch("incomes", queryset=IncomeYear.objects.order_by("year")),
            "risks", Prefetch("measures", queryset=Measure.objects.order_by("pk")),
            Prefetch("monitoring_events", queryset=MonitoringEvent.objects.order_by("on", "pk")),
        )
    )
    rows = roster_person_rows(households)
    if not rows:
        return  # a demo without households has nothing to compare
    numbers = sorted({row["household_number"] for row in rows})
    dropped = set(rng.sample(numbers, max(1, len(numbers) // 100)))  # only in the roster
    rows = [row for row in rows if row["household_number"] not in dropped]
    _tidy_and_plant(rows, rng)
    rows += _system_only(rows, rng, county_code=county.code)
    taken_on = min(date(campaign.year, 11, 20), timezone.localdate())
    with transaction.atomic():
        snapshot = NationalSnapshot.objects.create(
            county=county, source=SnapshotSource.SYSTEM, taken_on=taken_on, status=SnapshotStatus.PENDING,
        )
        for row in rows:
            row.pop("is_household_row", None)
            row.pop("household_size", None)
        for index, row in enumerate(rows, start=1):
            row["row_number"] = index + 3
            row["sheet"] = "监测对象信息"
            row["raw"] = {"户编号": row["household_number"], "姓名": row["name"], "证件号码": row["id_number"], "与户主关系": row["relation"]}
        for start in range(0, len(rows), 2000):
            rows_insert(NationalPerson, rows[start:start + 2000], snapshot=snapshot)
        persons_finish(snapshot)
        snapshot.persons = len(rows)
        snapshot.households = len({row["household_number"] for row in rows})
        snapshot.sheets = [{"file": "（演示）监测对象信息.xlsx", "sheet": "监测对象信息", "kind": "person",
                            "label": "监测对象信息表（人员）", "header_row": 3, "rows": len(rows)}]
        snapshot.status = SnapshotStatus.READY
        snapshot.save()
        reconciliation_run(snapshot=snapshot, campaign=campaign)
        national_checks_run(snapshot=snapshot, campaign=campaign)
        _mark_some(county, rng)


def _tidy_and_plant(rows: list[dict], rng: random.Random) -> None:
    for row in rows:
        for name, value in _FILLED.items():
            if not row.get(name):
                row[name] = value
        adult = row["birth_date"] is not None and row["birth_date"].year < 2008
        if adult:
            row["education"] = row.get("education") or rng.choice(("小学", "初中", "初中", "高中"))
            if row["schooling"] in ("非在校生", ""):
                row["schooling"] = ""
        row["housing_area"] = row.get("housing_area") or Decimal(rng.randint(60, 180))
        row["road_distance"] = Decimal(rng.randint(1, 30)) / 10
        row["farmland"], row["forest"], row["pasture"] = Decimal(rng.randint(10, 150)) / 10, Decimal(0), Decimal(0)
        if not row["dangerous_house"]:
            row["dangerous_house"] = "否"
        if not row["safe_water"]:
            row["safe_water"] = "是"
        if not row["serious_illness_insurance"]:
            row["serious_illness_insurance"] = "是"
        if not row["resident_medical"]:
            row["resident_medical"] = "是"
        if not row["ethnicity"]:
            row["ethnicity"] = "汉族"
        if not row["health"]:
            row["health"] = "健康"
        if not row["labour_skill"]:
            row["labour_skill"] = "普通劳动力" if adult else "无劳动力"
        draw = rng.random()
        if draw < 0.004:
            row["ethnicity"] = ""  # 2.01
        elif draw < 0.006 and row["relation"] == "之子":
            row["sex"] = "女"  # 1.07
    numbers = sorted({row["household_number"] for row in rows})
    lower_income = set(rng.sample(numbers, max(1, len(numbers) // 60)))  # 账机不一致: the system has an older figure
    far = set(rng.sample(numbers, max(1, len(numbers) // 150)))  # 8.02
    for row in rows:
        if row["household_number"] in lower_income and row.get("income_per_capita"):
            row["income_per_capita"] = (row["income_per_capita"] * Decimal("0.8")).quantize(Decimal("0.01"))
        if row["household_number"] in far:
            row["road_distance"] = Decimal("7.5")


def _system_only(rows: list[dict], rng: random.Random, *, county_code: str) -> list[dict]:
    """A few households the national system has and the roster does not."""
    heads = [row for row in rows if row["relation"] == "户主"]
    extra = []
    for n, template in enumerate(rng.sample(heads, min(6, len(heads)))):
        born = date(rng.randint(1955, 1990), rng.randint(1, 12), rng.randint(1, 28))
        id_number = generate_id_number(region=county_code[:6], birth_date=born, sex="male", sequence=900 + n)
        extra.append({
            **template, "household_number": f"{template['household_number'][:-4]}9{n:03d}", "name": f"系统户{n + 1}",
            "id_number": id_number, "id_check_ok": id_number_check_ok(id_number), "birth_date": born,
            "household_phone": f"1370000{n:04d}",
        })
    return extra


_EXEMPT_REASONS = (
    "经村两委核实，属实际情况（本人长期在外务工，已附说明）。",
    "户籍信息以公安系统为准，已报县乡村振兴局备案。",
    "该户已于今年迁出，按程序在下次系统开放时处理。",
)


def _mark_some(county: County, rng: random.Random) -> None:
    hits = list(NationalCheckHit.objects.filter(county=county, source=SnapshotSource.SYSTEM).order_by("rule", "subject_key"))
    now = timezone.now()
    marked = rng.sample(hits, min(len(hits) // 5, 40))
    for hit in marked:
        if rng.random() < 0.5:
            hit.status, hit.reason = HitStatus.EXEMPT, rng.choice(_EXEMPT_REASONS)
        else:
            hit.status, hit.reason = HitStatus.FIXED, "已在国家系统中更正，待下次导出核验。"
        hit.status_by_name, hit.status_at = "村信息员", now
    NationalCheckHit.objects.bulk_update(marked, ["status", "reason", "status_by_name", "status_at"])
    rows_changed(NationalCheckHit)
