"""National-export benchmark: import a generated 60,000-person export, reconcile it, run every check.

    .venv/bin/python bench/national_checks.py [--persons 60000] [--database-url postgres://…]

Writes one national person sheet (two title rows, the header on row 3, the
export's 178 columns, households of four, a few percent of rows with planted
suspect values) plus a work sheet and a village sheet as .xlsx (not timed),
migrates a throwaway database (a SQLite file in a temp dir, or a PostgreSQL
database `evalprep_natbench_<pid>` on the server of --database-url, dropped
afterwards), then times:

- import: `national_snapshot_create` + `national_snapshot_import` (calamine
  read of every sheet, header found, columns mapped, rows typed, one transaction);
- reconcile: `reconciliation_run` against an empty roster (every household is
  "only in the system", so it writes one discrepancy per household);
- checks: `national_checks_run`, every rule, one query each, hits written;

and prints the number of rules, the queries of the check run and the peak RSS.
No peer tool exists for these checks, so the baseline is the naive way: load the
snapshot's people and call one Python function per person per rule (household
rules query the household's members, as a hand-written script does). It runs
over a sample of the people and is extrapolated to all of them, on a subset of
rules that are easy to write that way; ours is timed on the same subset too.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import django_on_throwaway_database  # noqa: E402 (after the path is set)

TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 5, 7
BASELINE_SAMPLE = 3000
BASELINE_RULES = ("1.07", "1.11", "2.01", "2.02", "3.01", "3.05", "5.01", "5.03", "6.01", "6.03", "7.02", "8.02")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=60000)
    parser.add_argument("--database-url", default="", help="postgres://… (default: a SQLite file)")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    with django_on_throwaway_database(args.database_url, prefix="natbench") as (work_dir, database_url):
        return _run(args, work_dir, database_url)


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _run(args, work_dir: Path, database_url: str) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = str(work_dir / "media")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    county, campaign = _county()
    files = _export_write(work_dir, county, args.persons, random.Random(args.seed))
    size = sum(path.stat().st_size for path in files) / 1e6
    print(f"prepared in {time.perf_counter() - started:.0f} s (not timed): migrated database "
          f"({'PostgreSQL' if database_url.startswith('postgres') else 'SQLite'}), {size:.1f} MB .xlsx, "
          f"{args.persons:,} persons", flush=True)
    reset = _reset_peak()

    from households.national import national_snapshot_create, national_snapshot_import
    from households.national_checks import RULES, RULES_BY_CODE, check_context, national_checks_find, national_checks_run
    from households.reconciliation import reconciliation_run

    t0 = time.perf_counter()
    snapshot = national_snapshot_create(
        county=county, township=None, taken_on=date(2026, 6, 30), user=None,
        uploads=[(path.name, path.read_bytes()) for path in files],
    )
    snapshot = national_snapshot_import(snapshot=snapshot)
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    reconciled = reconciliation_run(snapshot=snapshot, campaign=campaign)
    t_reconcile = time.perf_counter() - t0
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    with CaptureQueriesContext(connection) as queries:
        result = national_checks_run(snapshot=snapshot, campaign=campaign, timings=timings)
    t_checks = time.perf_counter() - t0
    peak = _peak_mb()
    print(f"import:    {t_import:7.1f} s  {snapshot.persons:,} persons, {snapshot.households:,} households, "
          f"{snapshot.work_spells:,} work spells, {snapshot.village_rows} villages "
          f"({snapshot.persons / t_import:,.0f} persons/s)")
    print(f"reconcile: {t_reconcile:7.1f} s  {reconciled.total:,} discrepancies (empty roster: every household only in the system)")
    print(f"checks:    {t_checks:7.1f} s  {result.rules_run} rules run, {result.total:,} hits, {len(queries)} queries")
    slowest = sorted(timings.items(), key=lambda item: -item[1])[:5]
    print(f"           slowest rules: {', '.join(f'{code} {seconds:.1f} s' for code, seconds in slowest)}; "
          f"writing hits {t_checks - sum(timings.values()):.1f} s")
    print(f"peak RSS:  {peak:7.0f} MB{' (since the file was written)' if reset else ' (whole process)'}")

    # Baseline: one Python call per person per rule, on a sample, over the same snapshot.
    from households.models import NationalPerson

    ctx = check_context(snapshot=snapshot, campaign=campaign)
    subset = tuple(RULES_BY_CODE[code] for code in BASELINE_RULES)
    t0 = time.perf_counter()
    ours_subset = national_checks_find(ctx, subset)
    t_ours_subset = time.perf_counter() - t0
    t0 = time.perf_counter()
    people = list(NationalPerson.objects.filter(snapshot=snapshot).order_by("pk")[:BASELINE_SAMPLE])
    naive = _naive(people, ctx)
    t_naive_sample = time.perf_counter() - t0
    t_naive = t_naive_sample * snapshot.persons / max(len(people), 1)
    sample_keys = {(p.household_number, p.id_number) for p in people}
    sample_households = {p.household_number for p in people if p.is_household_row}
    ours_in_sample = {
        (code, item.key) for code, items in ours_subset.items() for item in items
        if (item.key in sample_households if item.rule.subject == "household" else tuple(item.key.split("/", 1)) in sample_keys)
    }
    agree = "agree" if ours_in_sample == naive else f"DISAGREE ({len(ours_in_sample ^ naive)} differ)"
    print(f"baseline:  {len(subset)} rules × {len(people):,} persons naive in {t_naive_sample:.1f} s → "
          f"{t_naive:,.0f} s extrapolated to {snapshot.persons:,}; ours on the same rules {t_ours_subset:.2f} s; "
          f"ratio {t_naive / t_ours_subset:,.0f}× (sample hits {agree})")
    print(f"total rules: {len(RULES)} ({result.rules_run} run over a national snapshot)")
    return 0


def _county():
    from evalprep.core.models import Campaign, County, Township, Village

    county = County.objects.create(name="基准县", code="990909000000")
    for t in range(1, TOWNSHIPS + 1):
        township = Township.objects.create(county=county, name=f"基准{t}镇", code=f"990909{100 + t:03d}000")
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            Village.objects.create(township=township, name=f"基准{t}镇{v}村", code=f"990909{100 + t:03d}{200 + v:03d}")
    campaign = Campaign.objects.create(county=county, year=2026, name="基准县2026年度", reference_date=date(2026, 6, 30),
                                       monitoring_income_line=7300)
    return county, campaign


def _export_write(work_dir: Path, county, persons: int, rng: random.Random) -> list[Path]:
    from openpyxl import Workbook

    from evalprep.core.idnumber import generate_id_number
    from tests.households.national_builders import PERSON_HEADER, VILLAGE_HEADER, WORK_HEADER

    header = list(PERSON_HEADER)
    position = {name: i for i, name in enumerate(header)}
    villages = [(f"基准{t}镇", f"基准{t}镇{v}村") for t in range(1, TOWNSHIPS + 1) for v in range(1, VILLAGES_PER_TOWNSHIP + 1)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("监测对象信息")
    sheet.append(["（自定义）监测对象信息"])
    sheet.append(["导出时间：2026-06-30"])
    sheet.append(header)
    work_rows = []
    members = (("户主", "male", 1960, 1985), ("配偶", "female", 1962, 1987), ("之子", "male", 2005, 2020), ("之母", "female", 1935, 1955))
    households = persons // len(members)
    for h in range(households):
        township, village = villages[h % len(villages)]
        number = f"990909{h:012d}"
        monitored = rng.random() < 0.15
        eliminated = monitored and rng.random() < 0.5
        household = {
            "县": "基准县", "乡": township, "村": village, "户编号": number, "户类型": "一般农户" if monitored else "脱贫户",
            "监测对象类别": rng.choice(("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")) if monitored else "",
            "户联系电话": f"13{rng.randint(0, 9)}{h:08d}", "是否危房户": "是" if rng.random() < 0.01 else "否",
            "是否解决安全饮用水": "否" if rng.random() < 0.01 else "是", "是否通生活用电": "是", "是否有卫生厕所": "是",
            "入户道路是否硬化": "是", "住房面积": str(rng.randint(40, 200)), "与村主干路距离": str(round(rng.uniform(0, 6), 1)),
            "耕地面积（亩）": str(round(rng.uniform(0, 20), 1)), "林地面积（亩）": "0", "牧草地面积": "0",
            "人均纯收入（元）": str(rng.randint(5000, 22000)), "工资性收入": str(rng.randint(0, 40000)),
            "生产经营性收入": str(rng.randint(0, 10000)), "转移性收入": str(rng.randint(0, 5000)), "合规自付支出": "0",
            "整户无劳动能力兜底保障户": "否", "是否义务教育阶段适龄儿童少年失学辍学": "否",
            "是否有家庭成员未参加城乡居民（职工）基本医疗保险": "否", "风险是否已消除": ("是" if eliminated else "否") if monitored else "",
            "信息采集人": "王采集", "信息采集人联系电话": "13900000000",
        }
        if monitored:
            household.update({
                "致贫/返贫风险1": rng.choice(("因病", "因学", "因残", "缺劳动力", "因务工就业不稳")),
                "识别监测时间": f"{rng.choice((2023, 2024))}{rng.randint(1, 12):02d}",
                "产业帮扶": "种植业" if rng.random() < 0.7 else "", "健康帮扶": "先诊疗后付费" if rng.random() < 0.6 else "",
            })
            if eliminated:
                household.update({"风险消除方式": "帮扶消除", "消除监测时间": "202506",
                                  "风险消除后家庭纯收入": "30000", "风险消除后家庭人均纯收入": "7500"})
        for m, (relation, sex, low, high) in enumerate(members):
            born = date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
            id_number = generate_id_number(region=f"99{h % 10000:04d}", birth_date=born, sex=sex, sequence=(h // 10000) * 4 + m)
            adult = born.year < 2008
            row = dict(household)
            row.update({
                "组": "1", "姓名": f"基准{relation}{h}", "证件号码": id_number, "证件类型": "居民身份证", "与户主关系": relation,
                "性别": "男" if sex == "male" else "女", "民族": "" if rng.random() < 0.01 else "汉族",
                "出生日期": born.strftime("%Y%m%d"), "文化程度": "初中" if adult else "", "在校生状况": "" if adult else "小学",
                "健康状况": "长期慢性病" if rng.random() < 0.1 else "健康",
                "劳动技能": ("普通劳动力" if born.year > 1966 or rng.random() < 0.05 else "无劳动力") if adult else "无劳动力",
                "是否参加城乡居民基本医疗保险": "是", "是否参加城镇职工基本医疗保险": "否", "是否参加大病保险": "是",
                "是否参加城乡居民基本养老保险": "是", "享受低保政策情况": "未享受", "享受特困供养政策情况": "不享受",
            })
            if m == 0 and rng.random() < 0.3:
                work_rows.append({
                    "县": "基准县", "乡": township, "行政村": village, "姓名": row["姓名"], "证件号码": id_number, "是否已务工": "是",
                    "开始时间": f"{rng.randint(2019, 2025)}年{rng.randint(1, 12):02d}月", "结束时间": "",
                    "务工所在县": "示例市某某县", "务工月收入": str(rng.choice((50, 3000, 4500, 6000))),
                    "务工企业名称": "某某厂", "所属行业": "制造业", "就业渠道": "自主就业", "是否点对点输送": "否", "年度交通费补助": "0",
                })
            cells = [None] * len(header)
            for name, value in row.items():
                if value != "" and name in position:
                    cells[position[name]] = value
            sheet.append(cells)
    person_path = work_dir / "人员.xlsx"
    book.save(person_path)
    paths = [person_path]
    for name, head, rows in (
        ("务工.xlsx", WORK_HEADER, work_rows),
        ("村.xlsx", VILLAGE_HEADER, [{
            "县": "基准县", "乡": t, "村": v, "是否出列": "是", "总户数": "430", "总人口数": "1700", "村级集体经济收入（万元）": "5",
            "村小学（个数）": "1", "卫生室": "1", "公共厕所": "1", "执业医师": "1", "垃圾集中堆放点": "2", "文化室": "1",
            "低保户数": "10", "低保人口数": "20", "特困供养人口数": "3", "残疾人口数": "15",
            "到乡镇是否通沥青（水泥）路": "是", "未实现饮水安全户数": "0", "危房户数": "0",
        } for t, v in villages]),
    ):
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Sheet1")
        sheet.append([name])
        sheet.append(["导出时间：2026-06-30"])
        sheet.append(list(head))
        for row in rows:
            sheet.append([row.get(column) or None for column in head])
        book.save(work_dir / name)
        paths.append(work_dir / name)
    return paths


def _naive(people, ctx) -> set[tuple[str, str]]:
    """One function per rule, called for every person: how a hand-written script does it."""
    from households.models import NationalPerson

    male_only = ("之子", "之女婿", "之孙子", "之外孙子", "之父", "之公公", "之岳父", "之祖父", "之叔伯", "之侄儿", "之曾孙子")
    female_only = ("之女", "之儿媳", "之孙女", "之外孙女", "之母", "之婆婆", "之岳母", "之祖母", "之侄女", "之曾孙女", "之兄弟媳妇")
    s = ctx.settings

    def risks(p):
        return {p.risk1, p.risk2, p.risk3, p.risk4, p.risk5}

    def lifted_not_monitored(p):
        return "脱贫" in p.household_type and not p.monitoring_type

    def members(p):
        return list(NationalPerson.objects.filter(snapshot_id=p.snapshot_id, household_number=p.household_number))

    rules = {
        "1.07": lambda p: (p.relation in male_only and p.sex == "女") or (p.relation in female_only and p.sex == "男"),
        "1.11": lambda p: p.relation == "",
        "2.01": lambda p: "" in (p.ethnicity, p.health, p.labour_skill, p.serious_illness_insurance),
        "2.02": lambda p: p.resident_medical == "" and p.employee_medical == "",
        "3.01": lambda p: p.is_household_row and lifted_not_monitored(p) and p.dangerous_house == "是",
        "3.05": lambda p: p.is_household_row and lifted_not_monitored(p) and p.income_per_capita is not None and p.income_per_capita < ctx.income_line,
        "5.01": lambda p: p.is_household_row and "因病" in risks(p) and not any(m.health in ("长期慢性病", "患大病") for m in members(p)),
        "5.03": lambda p: p.is_household_row and "因学" in risks(p) and not (p.m_education or p.m_compulsory_education),
        "6.01": lambda p: (ctx.age(p.birth_date) or 99) < s.working_age_min and p.labour_skill in ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力"),
        "6.03": lambda p: p.birth_date is not None and ctx.age(p.birth_date) > s.working_age_max and p.labour_skill in ("普通劳动力", "技能劳动力"),
        "7.02": lambda p: p.is_household_row and p.income_per_capita is not None and p.income_per_capita > s.income_high,
        "8.02": lambda p: p.is_household_row and p.road_distance is not None and p.road_distance > s.distance_max,
    }
    household_rules = {"3.01", "3.05", "5.01", "5.03", "7.02", "8.02"}
    hits = set()
    for person in people:
        for code, rule in rules.items():
            if rule(person):
                key = person.household_number if code in household_rules else (person.household_number, person.id_number)
                hits.add((code, key if isinstance(key, str) else f"{key[0]}/{key[1]}"))
    return {(code, key if "/" not in key else key) for code, key in hits}


if __name__ == "__main__":
    raise SystemExit(main())
