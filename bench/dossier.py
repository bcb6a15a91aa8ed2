"""Dossier benchmark.

    .venv/bin/python bench/dossier.py [--households 500] [--villages 35] [--pack-households 57] [--database-url postgres://…]

1. A village of 500 synthetic households (about 8 % monitored, with risks,
   measures and workflow steps): the village dossier built by our builder
   (collect + WeasyPrint), and as the peer the very same HTML printed to PDF
   by headless Chromium (/usr/bin/chromium --print-to-pdf), in the same run.
   Prints both times and the ratio (target: ours within 2× of Chromium).
2. A county of 35 villages (57 households each, like the 2,000-household
   demo): the county pack (briefing pack + one dossier per village, fanned out
   per village and joined) with one and with two Celery worker processes on
   the configured broker (file system, or Redis with REDIS_URL). Prints both
   times and the speed-up (target: two workers ≥ 1.7× faster).

Uses a throwaway database (SQLite file in a temp dir, or a new PostgreSQL
database on the server of --database-url, dropped afterwards).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import django_on_throwaway_database  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-pdf-header-footer"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
SERIALS = itertools.count()
RUNS = 3
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--villages", type=int, default=35)
    parser.add_argument("--pack-households", type=int, default=57)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-pack", action="store_true")
    parser.add_argument("--skip-village", action="store_true")
    args = parser.parse_args()
    with django_on_throwaway_database(args.database_url, prefix="dossier") as (work_dir, database_url):
        return _run(args, work_dir, database_url)


def _county(villages: int):
    from evalprep.core.models import Campaign, County, Township, Village, VillageGroup

    county = County.objects.create(name="示范县", code="990301000000")
    Campaign.objects.create(county=county, year=2026, name="示范县2026年度巩固脱贫成果后评估", framework="",
                            inspection_start=date(2026, 12, 25))
    result = []
    townships = 5
    for t in range(townships):
        township = Township.objects.create(county=county, name=f"第{t + 1}镇", code=f"990301{101 + t:03d}000")
        for v in range(villages // townships + (1 if t < villages % townships else 0)):
            village = Village.objects.create(township=township, name=f"{'东西南北中'[t]}{v + 1}村", code=f"{township.code[:9]}{201 + v:03d}")
            VillageGroup.objects.bulk_create([VillageGroup(village=village, number=g, name=f"第{g}组") for g in (1, 2, 3)])
            result.append(village)
    return county, result


def _households(village, count: int, rng: random.Random, start: int) -> None:
    from evalprep.core.idnumber import generate_id_number
    from households.models import Household, IncomeYear, Measure, Member, MonitoringEvent, Risk

    groups = list(village.groups.all())
    households = []
    for n in range(count):
        monitored = rng.random() < 0.08
        households.append(Household(
            village=village, group=groups[n % len(groups)], number=f"{village.code}{n + 1:04d}",
            head_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            category="monitored" if monitored else rng.choice(["lifted", "lifted", "ordinary"]),
            monitoring_type=rng.choice(["unstable", "marginal", "sudden_hardship"]) if monitored else "",
            monitoring_since=date(2025, 3, 1) if monitored else None,
            phone=f"139{rng.randrange(10**8):08d}", helper_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            helper_phone=f"137{rng.randrange(10**8):08d}", member_count=3,
        ))
    Household.objects.bulk_create(households)
    members, incomes, risks, measures, events = [], [], [], [], []
    for index, h in enumerate(households):
        for m, (relation, sex, year) in enumerate([("户主", "male", 1968), ("配偶", "female", 1970), ("之子", "male", 2000)]):
            serial = next(SERIALS)
            born = date(1940 + serial // 336 % 60, 1 + serial % 12, 1 + (serial // 12) % 28)
            members.append(Member(household=h, name=(h.head_name if m == 0 else rng.choice(SURNAMES) + rng.choice(GIVEN)),
                                  relation=relation, sex=sex, birth_date=born, medical_insurance=True,
                                  id_number=generate_id_number(region="990301", birth_date=born, sex=sex, sequence=serial // 20160 % 1000)))
        wage = Decimal(rng.randrange(8000, 40000))
        incomes.append(IncomeYear(household=h, year=2025, household_size=3, wage=wage, business=Decimal(3000), transfer=Decimal(1500),
                                  net_income_per_capita=((wage + 4500) / 3).quantize(Decimal("0.01"))))
        if h.category == "monitored":
            risks.append(Risk(household=h, kind=rng.choice(["因病", "因残", "因学", "因务工就业不稳"]), identified_on=date(2025, 3, 1)))
            measures.append(Measure(household=h, kind=rng.choice(["产业帮扶", "就业帮扶", "健康帮扶"]), detail="落实到户", started_on=date(2025, 4, 1)))
            events.append(MonitoringEvent(household=h, step="identified", on=date(2025, 3, 1), by_name="村支书"))
    Member.objects.bulk_create(members, batch_size=2000)
    for model, rows in ((IncomeYear, incomes), (Risk, risks), (Measure, measures), (MonitoringEvent, events)):
        model.objects.bulk_create(rows, batch_size=2000)


def _chromium_print(html: str, work_dir: Path) -> float:
    source = work_dir / "dossier.html"
    source.write_text(html, encoding="utf-8")
    target = work_dir / "chromium.pdf"
    started = time.perf_counter()
    subprocess.run([CHROMIUM, *CHROMIUM_ARGS, f"--print-to-pdf={target}", f"file://{source}"],
                   check=True, capture_output=True, timeout=300)
    elapsed = time.perf_counter() - started
    assert target.stat().st_size > 1000
    return elapsed


def _village(args, work_dir: Path, village) -> None:
    from evalprep.dossiers.builders import builder_for
    from evalprep.dossiers.builders.base import NoProgress, pdf_from_html, pdf_page_count
    from evalprep.dossiers.services import dossier_context

    builder = builder_for("village_dossier")
    ctx = dossier_context(scope="village", unit=village)
    builder.render(ctx, "pdf")  # warm-up: fonts, templates, imports
    ours, layout_only, chromium = [], [], []
    html = builder.html(ctx, builder.chapters(ctx, NoProgress))
    _chromium_print(html, work_dir)  # warm-up: the browser's first start is slower
    for _ in range(RUNS):  # interleaved, best of each: the machine's other load hits both alike
        started = time.perf_counter()
        _name, _mime, content = builder.render(ctx, "pdf")
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf_from_html(html)
        layout_only.append(time.perf_counter() - started)
        chromium.append(_chromium_print(html, work_dir))
    ours, layout_only, chromium = min(ours), min(layout_only), min(chromium)
    print(f"village dossier, {args.households} households, {pdf_page_count(content)} pages, {len(content) / 1024:.0f} KiB")
    print(f"  ours (collect + WeasyPrint): {ours:.2f} s   (WeasyPrint on the HTML alone: {layout_only:.2f} s)")
    print(f"  headless Chromium printing the same HTML: {chromium:.2f} s")
    print(f"  ratio ours / Chromium: {ours / chromium:.2f}× (target ≤ 2×)", flush=True)


def _start_workers(count: int, database_url: str, work_dir: Path) -> list[subprocess.Popen]:
    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(settings.MEDIA_ROOT), "REDIS_URL": settings.REDIS_URL}
    workers = []
    for n in range(count):
        log = work_dir / f"worker{n}.log"
        log.write_text("")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "evalprep", "worker", "-P", "solo", "-l", "info", "-n", f"bench{n}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-f", str(log)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        workers.append(process)
    return workers


def _pack(county, user, workers: int, database_url: str, work_dir: Path) -> float:
    from evalprep.celery import app as celery_app
    from evalprep.dossiers.models import JobStatus
    from evalprep.dossiers.services import dossier_request

    celery_app.control.purge()
    processes = _start_workers(workers, database_url, work_dir)
    try:
        started = time.perf_counter()
        job = dossier_request(builder_id="county_pack", scope="county", unit=county, fmt="zip", user=user)
        while True:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        assert job.status == JobStatus.SUCCEEDED, job.error
        logs = [(work_dir / f"worker{n}.log").read_text() for n in range(workers)]
        busy = [sum(float(t) for t in re.findall(r"succeeded in ([0-9.]+)s", log)) for log in logs]
        print(f"  {workers} worker(s): {elapsed:.1f} s; tasks per worker {[log.count('succeeded in') for log in logs]}, "
              f"busy {', '.join(f'{b:.1f}' for b in busy)} s", flush=True)
        return elapsed
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _run(args, work_dir: Path, database_url: str) -> int:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    rng = random.Random(9)
    county, villages = _county(args.villages)
    _households(villages[0], args.households, rng, start=0)
    broker = "redis" if os.environ.get("REDIS_URL") else "filesystem"
    print(f"database: {connection.vendor}; broker: {broker}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    if not args.skip_village:
        _village(args, work_dir, villages[0])
    if args.skip_pack:
        return 0
    from households.models import Household

    Household.objects.filter(village=villages[0]).delete()
    for index, village in enumerate(villages):
        _households(village, args.pack_households, rng, start=index * 7)
    user = User.objects.create(username="bench")
    one = _pack(county, user, 1, database_url, work_dir)
    two = _pack(county, user, 2, database_url, work_dir)
    print(f"county pack, {len(villages)} villages × {args.pack_households} households")
    print(f"  load average now {os.getloadavg()[0]:.1f}")
    print(f"  one worker: {one:.1f} s   two workers: {two:.1f} s   speed-up: {one / two:.2f}× (target ≥ 1.7×)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
