"""Screening benchmark: run every rule over a county of synthetic households, at
two sizes in the same database, and show that the number of queries does not
grow with the number of households.

    .venv/bin/python bench/screen.py [--sizes 10000,100000] [--database-url postgres://…]

Migrates a throwaway database (a SQLite file in a temp dir, or a PostgreSQL
database `evalprep_screen_<pid>` made on the server of --database-url and
dropped afterwards), bulk-creates light synthetic households (members, three
income years, measures and monitoring events, with planted problems for every
rule) up to the first size, times `screening_run` over the whole county and
counts its queries; then grows the county to the next size and does it again,
and finally re-runs at the largest size (every flag already there: the
steady-state cost of a re-run). Building the rows is not timed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import django_on_throwaway_database  # noqa: E402 (after the path is set)

TOWNSHIPS = 10
VILLAGES_PER_TOWNSHIP = 10
CAMPAIGN_YEAR = 2026
INCOME_YEARS = (2023, 2024, 2025)
BATCH = 2000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="household counts, ascending, comma-separated")
    parser.add_argument("--database-url", default="", help="postgres://… server to make a throwaway database on; SQLite if omitted")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(sizes) or sizes[0] <= 0:
        parser.error("--sizes must be positive and ascending")

    with django_on_throwaway_database(args.database_url, prefix="screen") as (work_dir, database_url):
        return _run(sizes, random.Random(args.seed), database_url)


def _run(sizes: list[int], rng: random.Random, database_url: str) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from households.screening import screening_run, screening_thresholds_for

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    campaign, villages = _county()
    screening_thresholds_for(campaign)  # made once, so that every run below costs the same
    connection.features.supports_json_field  # noqa: B018 (SQLite probes this once per connection, on first use)
    print(f"database: {connection.vendor} ({database_url.split('@')[-1]}); migrated in {time.perf_counter() - started:.0f} s", flush=True)

    query_counts = {}
    made = 0
    for size in sizes:
        started = time.perf_counter()
        _households_add(villages, made, size, rng)
        made = size
        print(f"prepared {size:,} households in {time.perf_counter() - started:.0f} s (not timed)", flush=True)
        _analyze(connection)
        query_counts[size] = _timed_run(f"screening {size:,} households", campaign, screening_run, CaptureQueriesContext, connection)
    query_counts["rerun"] = _timed_run(f"re-run at {made:,} households", campaign, screening_run, CaptureQueriesContext, connection, rules=True)
    counts = [query_counts[size] for size in sizes] + [query_counts["rerun"]]
    same = len(set(counts)) == 1
    print(
        "queries per run: " + ", ".join(f"{size:,} households → {query_counts[size]}" for size in sizes)
        + f", re-run → {query_counts['rerun']}: " + ("the same at every size" if same else "NOT CONSTANT"),
        flush=True,
    )
    return 0 if same else 1


def _timed_run(label, campaign, screening_run, capture, connection, *, rules: bool = False) -> int:
    with capture(connection) as queries:
        started = time.perf_counter()
        result = screening_run(campaign=campaign)
        seconds = time.perf_counter() - started
    print(
        f"{label}: {seconds:.2f} s, {len(queries)} queries; flags found {result.total('found'):,}, "
        f"new {result.total('new'):,}, gone {result.total('gone'):,}",
        flush=True,
    )
    if rules:
        print("  per rule (the upsert statement): " + ", ".join(
            f"{code} {count.found:,} in {seconds_:.2f} s" for code, count, seconds_ in _rule_times(result, queries)
        ), flush=True)
    return len(queries)


def _rule_times(result, queries):
    """Each rule's upsert time, read from the captured statements (in RULES order)."""
    upserts = [float(q["time"]) for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT INTO") and "screeningflag" in q["sql"]]
    return [(code, count, seconds) for (code, count), seconds in zip(result.counts.items(), upserts)]


def _analyze(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _county():
    from evalprep.core.models import Campaign, County, Township, Village, VillageGroup

    county = County.objects.create(name="基准县", code="990300000000")
    villages = []
    for t in range(1, TOWNSHIPS + 1):
        township = Township.objects.create(county=county, name=f"基准{t}镇", code=f"990301{t:03d}000")
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            village = Village.objects.create(township=township, name=f"基准{t}镇{v}村", code=f"{township.code[:9]}{v:03d}")
            VillageGroup.objects.create(village=village, number=1, name="第一组")
            villages.append(village)
    campaign = Campaign.objects.create(county=county, year=CAMPAIGN_YEAR, name=f"基准县{CAMPAIGN_YEAR}年度后评估")
    return campaign, villages


def _households_add(villages, start: int, stop: int, rng: random.Random) -> None:
    """Households start … stop-1, spread over the villages, with planted problems."""
    for chunk_start in range(start, stop, BATCH):
        _chunk_write(villages, range(chunk_start, min(chunk_start + BATCH, stop)), rng)


def _chunk_write(villages, numbers: range, rng: random.Random) -> None:
    from django.db import transaction

    from households.models import (
        Category,
        Household,
        IncomeYear,
        Measure,
        MeasureType,
        Member,
        MonitoringEvent,
        MonitoringStep,
    )

    households = []
    for n in numbers:
        roll = rng.random()
        category = Category.LIFTED if roll < 0.30 else Category.MONITORED if roll < 0.36 else Category.ORDINARY
        households.append(Household(
            village=villages[n % len(villages)], number=f"{n:07d}", head_name=f"户主{n}", category=category,
            member_count=3, monitoring_since=date(2025, 3, 1) if category == Category.MONITORED else None,
            housing_grade=rng.choice("CD") if rng.random() < 0.01 else "B",
            water_safe=rng.random() >= 0.01,
            medical_out_of_pocket=Decimal(rng.randint(8000, 40000)) if rng.random() < 0.03 else None,
            minimum_living_since=date(CAMPAIGN_YEAR, rng.randint(1, 12), 1) if rng.random() < 0.01 else None,
            destitute_support_since=date(CAMPAIGN_YEAR, 6, 1) if rng.random() < 0.003 else None,
        ))
    with transaction.atomic():
        Household.objects.bulk_create(households, batch_size=500)
        members, incomes, measures, events = [], [], [], []
        for household in households:
            for index, (relation, born) in enumerate((("户主", 1970), ("配偶", 1972), ("之子", 2012))):
                members.append(Member(
                    household=household, name=f"{household.head_name}{index}", id_number=f"S{household.number}{index:02d}",
                    sex="male", birth_date=date(born, 3, 1), relation=relation,
                    labour_capacity="普通劳动力" if index < 2 else "",
                    disability_grade=rng.choice((1, 2, 3)) if index == 0 and rng.random() < 0.01 else None,
                    out_of_school=index == 2 and rng.random() < 0.003,
                    medical_insurance=not (rng.random() < 0.02),
                ))
            base, growth = rng.uniform(4500, 30000), rng.uniform(1.03, 1.25)
            path = [base / growth ** 2, base / growth, base]
            if rng.random() < 0.05:  # income fell last year
                path[2] = path[1] * rng.uniform(0.5, 0.95)
            elif rng.random() < 0.02:  # and two years running
                path = [base * 1.2, base * 1.1, base]
            for year, per_capita in zip(INCOME_YEARS, path):
                incomes.append(IncomeYear(
                    household=household, year=year, household_size=3,
                    net_income_per_capita=Decimal(f"{per_capita:.2f}"), wage=Decimal(f"{per_capita * 3:.2f}"),
                ))
            if household.category == Category.MONITORED:
                kinds = [] if rng.random() < 0.08 else [MeasureType.WELFARE] if rng.random() < 0.2 else [MeasureType.EMPLOYMENT, MeasureType.WELFARE]
                measures += [Measure(household=household, kind=kind, detail=str(kind)) for kind in kinds]
                events += [
                    MonitoringEvent(household=household, step=MonitoringStep.IDENTIFIED, on=date(2025, 2, 20), by_name="网格员"),
                    MonitoringEvent(household=household, step=MonitoringStep.INCLUDED, on=date(2025, 3, 1), by_name="乡镇"),
                ]
                if kinds and rng.random() < 0.2:
                    chain = [MonitoringStep.VILLAGE_REVIEW, MonitoringStep.TOWNSHIP_CHECK, MonitoringStep.COUNTY_APPROVAL]
                    if rng.random() < 0.1:
                        chain.remove(rng.choice(chain))
                    events += [MonitoringEvent(household=household, step=step, on=date(2026, 5, 1) + timedelta(days=i), by_name="经办")
                               for i, step in enumerate(chain)]
                    events.append(MonitoringEvent(household=household, step=MonitoringStep.ELIMINATED, on=date(2026, 5, 10), by_name="县级"))
        Member.objects.bulk_create(members, batch_size=1000)
        IncomeYear.objects.bulk_create(incomes, batch_size=1000)
        Measure.objects.bulk_create(measures, batch_size=1000)
        MonitoringEvent.objects.bulk_create(events, batch_size=1000)


if __name__ == "__main__":
    sys.exit(main())
