"""Roster import benchmark: our service against django-import-export, same file, same database.

    .venv/bin/python bench/import_roster.py [--rows 50000] [--database-url URL]

Builds a valid person-per-row roster (rows ÷ 4 households × 4 people) as one
.xlsx file, migrates a throwaway database (a SQLite file in a temp dir, or a
PostgreSQL database `evalprep_bench_<pid>` made on the server of --database-url
and dropped afterwards), then imports the file twice, each side in its own
process so that its peak RSS is its own:

- ours: `roster_import_preview` + `roster_import_apply` (read, validate every
  row, compare with the registry, write in one transaction with history);
- peer: django-import-export 4.x in bulk mode with `clean_model_instances`,
  a household resource over the file's households, then a member resource
  over every row (see bench/README.md for its whole configuration).

`Member.id_number` is unique across the registry, so the same people cannot
be in two villages at once: between the sides the registry tables (and their
history) are emptied and compacted, and the peer then imports into a second,
empty village of the same database. Needs django-import-export:
`pip install -r requirements-bench.txt`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402 (after the path is set)

MEMBERS_PER_HOUSEHOLD = 4
INCOME_YEAR = 2025
ROSTER_FILE = "roster.xlsx"
OURS_VILLAGE = "990101001000"
PEER_VILLAGE = "990101002000"
GROUPS = 12
BENCH_USER = "bench"
RESULT_PREFIX = "BENCH-RESULT "
SPEED_TARGET = 5.0
MEMORY_TARGET_MB = 600
PEER_BATCH_SIZE = 1000


class BenchFailure(Exception):
    """A side did not import what it should have: the figures would mean nothing."""


@dataclass
class SideResult:
    side: str
    label: str
    rows: int
    seconds: float
    peak_mb: float
    baseline_mb: float
    written: str
    phases: dict[str, float]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


# The whole run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="people in the roster (a multiple of 4)")
    parser.add_argument("--database-url", default="", help="postgres://… server to make a throwaway database on; SQLite if omitted")
    parser.add_argument("--peer-no-history", action="store_true", help="let the peer skip simple-history rows (plain bulk_create)")
    parser.add_argument("--side", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows <= 0 or args.rows % MEMBERS_PER_HOUSEHOLD:
        parser.error(f"--rows must be a positive multiple of {MEMBERS_PER_HOUSEHOLD}")
    if args.side:
        return _side_main(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    work_dir = Path(tempfile.mkdtemp(prefix="evalprep-bench-"))
    drop_database = None
    try:
        database_url, drop_database = throwaway_database(args.database_url, work_dir, prefix="bench")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "evalprep.settings",
            "EVALPREP_VAR_DIR": str(work_dir / "var"),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        _django_setup()
        households = args.rows // MEMBERS_PER_HOUSEHOLD
        started = time.perf_counter()
        _database_prepare()
        roster = _roster_write(work_dir / ROSTER_FILE, households)
        print(
            f"prepared in {time.perf_counter() - started:.0f} s (not timed): migrated database, "
            f"{roster.stat().st_size / 1e6:.1f} MB .xlsx with {args.rows:,} rows",
            flush=True,
        )
        code = _code_version()
        results = []
        for side in ("ours", "peer"):
            if side == "peer":
                _registry_reset()
            extra = ["--peer-no-history"] if args.peer_no_history else []
            results.append(_side_run(side, args.rows, work_dir, env, extra))
        if _code_version().split("; ")[-1] != code.split("; ")[-1]:
            code += " (the import modules changed while the benchmark ran: run it again)"
        _report(results, code)
        return 0  # the targets are reported, not enforced
    finally:
        _django_disconnect()
        if drop_database:
            drop_database()
        shutil.rmtree(work_dir, ignore_errors=True)


def _django_setup() -> None:
    import django

    django.setup()


def _django_disconnect() -> None:
    try:
        from django.db import connections
    except ImportError:
        return
    connections.close_all()


def _database_prepare() -> None:
    """Migrate, then one county, township and two villages of 12 groups each, and a user."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from evalprep.core.models import County, Township, Village, VillageGroup

    call_command("migrate", verbosity=0)
    county = County.objects.create(name="基准县", code="990100000000")
    township = Township.objects.create(county=county, name="基准镇", code="990101000000")
    for code, name in ((OURS_VILLAGE, "甲村"), (PEER_VILLAGE, "乙村")):
        village = Village.objects.create(township=township, name=name, code=code)
        VillageGroup.objects.bulk_create(
            VillageGroup(village=village, number=n, name=f"{n}组") for n in range(1, GROUPS + 1)
        )
    get_user_model().objects.create_user(BENCH_USER, password=None)
    connections.close_all()


def _roster_write(path: Path, households: int) -> Path:
    from tests.households.builders import roster_rows, write_xlsx

    header, rows = roster_rows(households, members=MEMBERS_PER_HOUSEHOLD, seed=0)
    return write_xlsx(path, header, rows)


def _registry_tables() -> list:
    """The tables an import writes, children before parents, history included."""
    from households.models import Household, IncomeYear, Measure, Member, MonitoringEvent, Risk

    models = [Member, IncomeYear, Risk, Measure, MonitoringEvent, Household]
    history = [m.history.model for m in models if hasattr(m, "history")]
    return models + history


def _registry_reset() -> None:
    """Empty what the first side wrote and compact the tables, so the second starts as the first did."""
    from django.db import connection

    tables = [model._meta.db_table for model in _registry_tables()]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM FULL ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            cursor.execute("VACUUM")
            cursor.execute("ANALYZE")
    connection.close()


def _side_run(side: str, rows: int, work_dir: Path, env: dict[str, str], extra: list[str]) -> SideResult:
    command = [sys.executable, str(Path(__file__).resolve()), "--side", side, "--rows", str(rows), "--work-dir", str(work_dir), *extra]
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    lines = completed.stdout.splitlines()
    payload = next((line[len(RESULT_PREFIX):] for line in reversed(lines) if line.startswith(RESULT_PREFIX)), None)
    for line in lines:
        if not line.startswith(RESULT_PREFIX):
            print(line)
    if completed.returncode or payload is None:
        raise SystemExit(f"the {side} side failed (exit {completed.returncode}); see above")
    return SideResult(**json.loads(payload))


# One side, in its own process


def _side_main(args: argparse.Namespace) -> int:
    _django_setup()
    from django.contrib.auth import get_user_model

    from evalprep.core.models import Village

    work_dir = Path(args.work_dir)
    path = work_dir / ROSTER_FILE
    user = get_user_model().objects.get(username=BENCH_USER)
    if args.side == "ours":
        village = Village.objects.get(code=OURS_VILLAGE)
        run, label = (lambda: _ours_import(path, village, user)), "ours (preview + apply)"
    else:
        village = Village.objects.get(code=PEER_VILLAGE)
        history = not args.peer_no_history
        run = lambda: _peer_import(path, village, history=history)  # noqa: E731
        label = "django-import-export" + ("" if history else " (no history)")
    _modules_load(args.side)
    baseline_mb = _peak_mb()
    started = time.perf_counter()
    phases = run()
    seconds = time.perf_counter() - started
    written = _verify(village, households=args.rows // MEMBERS_PER_HOUSEHOLD, people=args.rows, side=args.side,
                      history=args.side == "ours" or not args.peer_no_history)
    result = SideResult(args.side, label, args.rows, seconds, _peak_mb(), baseline_mb, written, phases)
    print(RESULT_PREFIX + json.dumps(result.__dict__), flush=True)
    return 0


def _modules_load(side: str) -> None:
    """Import each side's code before the clock starts: module loading is not import speed."""
    import importlib

    names = ["households.services"] if side == "ours" else ["tablib", "tablib.formats._xlsx", "import_export.resources"]
    for name in names:
        importlib.import_module(name)


def _peak_mb() -> float:
    """This process's peak RSS since it started its program.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork and
    exec, so a child would report the parent's size (the roster it just wrote).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _ours_import(path: Path, village, user) -> dict[str, float]:
    """The whole user-visible import: upload and preview, then apply; seconds of each."""
    from households.models import ImportStatus
    from households.services import roster_import_apply, roster_import_preview

    clock = _Clock()
    content = path.read_bytes()
    record = roster_import_preview(village=village, content=content, filename=path.name, user=user, income_year=INCOME_YEAR)
    clock.lap("preview (read, validate, compare)")
    record = roster_import_apply(record=record, user=user, accept_valid=False)
    clock.lap("apply (read, validate, compare again, write)")
    if record.status != ImportStatus.APPLIED or record.rejected_rows:
        raise BenchFailure(f"ours: status {record.status}, {record.rejected_rows} rejected rows: {record.report['errors'][:3]}")
    return clock.laps


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


def _verify(village, *, households: int, people: int, side: str, history: bool) -> str:
    """Check the side wrote every household, person and history row; say what it wrote."""
    from households.models import Household, IncomeYear, Measure, Member, Risk

    counts = {
        "households": Household.objects.filter(village=village).count(),
        "members": Member.objects.filter(household__village=village).count(),
        "household history": Household.history.filter(village_id=village.pk).count(),
        "member history": Member.history.count(),
    }
    expected = {"households": households, "members": people}
    if history:
        expected |= {"household history": households, "member history": people}
    wrong = {name: (counts[name], want) for name, want in expected.items() if counts[name] != want}
    if wrong:
        raise BenchFailure(f"{side}: wrong counts (got, expected): {wrong}")
    if side == "ours":
        counts |= {
            "incomes": IncomeYear.objects.filter(household__village=village).count(),
            "risks": Risk.objects.filter(household__village=village).count(),
            "measures": Measure.objects.filter(household__village=village).count(),
        }
    return ", ".join(f"{value:,} {name}" for name, value in counts.items() if value)


# The peer: django-import-export as a Django team would set it up


def _peer_import(path: Path, village, *, history: bool) -> dict[str, float]:
    """Read the .xlsx with tablib, import its households, then its people, in one transaction."""
    import tablib
    from django.db import transaction

    clock = _Clock()
    household_resource, member_resource = _peer_resources()
    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    households = _peer_household_dataset(dataset)
    clock.lap("read (tablib + openpyxl) and pick households")
    with transaction.atomic():
        for resource_class, data, what in ((household_resource, households, "households"), (member_resource, dataset, "members")):
            result = resource_class(village=village, history=history).import_data(
                data, dry_run=False, raise_errors=False, use_transactions=True
            )
            if result.has_errors() or result.has_validation_errors():
                raise BenchFailure(f"peer: {resource_class.__name__} did not import cleanly: {_peer_problems(result)}")
            clock.lap(f"import {len(data):,} {what}")
    return clock.laps


def _peer_household_dataset(dataset):
    """One row per 户编号 (its 户主 row, which carries the household columns) with the number of people."""
    import tablib

    headers = list(dataset.headers)
    number_at, relation_at = headers.index("户编号"), headers.index("与户主关系")
    chosen: dict[object, tuple] = {}
    sizes: dict[object, int] = {}
    for row in dataset:
        number = row[number_at]
        sizes[number] = sizes.get(number, 0) + 1
        if number not in chosen or (row[relation_at] == "户主" and chosen[number][relation_at] != "户主"):
            chosen[number] = row
    households = tablib.Dataset(headers=[*headers, "家庭人口"])
    for number, row in chosen.items():
        households.append([*row, sizes[number]])
    return households


def _peer_problems(result) -> str:
    problems = [str(error.error) for error in result.base_errors[:3]]
    problems += [f"row {number}: {errors[0].error}" for number, errors in result.row_errors()[:3]]
    problems += [f"row {row.number}: {row.error_dict}" for row in result.invalid_rows[:3]]
    return "; ".join(problems)


def _peer_resources():
    """The two ModelResources, built after django.setup(): households, then members."""
    import re
    from datetime import date

    from import_export import fields, resources, widgets
    from simple_history.utils import bulk_create_with_history

    from evalprep.core.models import VillageGroup
    from households.models import (
        Category,
        Household,
        HousingGrade,
        Member,
        MonitoringType,
        WaterSource,
        WorkLocation,
    )

    class LabelWidget(widgets.CharWidget):
        """A choice given by its Chinese label (or its code); anything else is left for full_clean to reject."""

        def __init__(self, choices, **aliases: str) -> None:
            super().__init__(allow_blank=True)
            self.codes = {str(label): value for value, label in choices} | {value: value for value, _ in choices} | aliases

        def clean(self, value, row=None, **kwargs):
            text = super().clean(value, row, **kwargs).strip()
            return self.codes.get(text, text)

    class YesNoWidget(widgets.BooleanWidget):
        TRUE_VALUES = ["是", "√", "有", *widgets.BooleanWidget.TRUE_VALUES]
        FALSE_VALUES = ["否", "×", "无", *widgets.BooleanWidget.FALSE_VALUES]

        def clean(self, value, row=None, **kwargs):
            if value not in self.NULL_VALUES and value not in self.TRUE_VALUES and value not in self.FALSE_VALUES:
                raise ValueError(f"应填“是”或“否”，不是“{value}”")
            return super().clean(value, row, **kwargs)

    class YearMonthWidget(widgets.DateWidget):
        """202303, 2023-03 or 2023年3月 → the first of that month."""

        def clean(self, value, row=None, **kwargs):
            if value in (None, ""):
                return None
            match = re.fullmatch(r"(\d{4})\D?(\d{1,2})\D?", str(value).strip())
            if not match:
                return super().clean(value, row, **kwargs)
            return date(int(match[1]), int(match[2]), 1)

    class BirthDateWidget(widgets.DateWidget):
        """The 出生日期 column, or the birth date inside the 18-digit ID number when it is blank."""

        def clean(self, value, row=None, **kwargs):
            if value not in (None, ""):
                return super().clean(value, row, **kwargs)
            digits = str((row or {}).get("身份证号") or "")[6:14]
            if not digits.isdigit():
                raise ValueError("出生日期为空，身份证号里也读不出出生日期")
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))

    class DisabilityGradeWidget(widgets.IntegerWidget):
        GRADES = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}

        def clean(self, value, row=None, **kwargs):
            return self.GRADES.get(str(value).strip()) or super().clean(value, row, **kwargs)

    class VillageScoped(widgets.CachedForeignKeyWidget):
        """A foreign key looked up within the importing village, all of them loaded with one query."""

        village_id: int | None = None

        def get_queryset(self, value, row, *args, **kwargs):
            return self.model.objects.filter(village_id=self.village_id)

    class GroupWidget(VillageScoped):
        def clean(self, value, row=None, **kwargs):
            text = str(value or "").strip().removeprefix("第").removesuffix("组")
            return super().clean(text, row, **kwargs)

    class BulkResource(resources.ModelResource):
        """Bulk inserts, and (by default) their simple-history rows, as the app keeps every change."""

        def __init__(self, *, village, history: bool) -> None:
            super().__init__()
            self.village = village
            self.history = history
            for field in self.fields.values():
                if isinstance(field.widget, VillageScoped):
                    field.widget.village_id = village.pk

        def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
            if not self.history:
                return super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
            if self.create_instances and (using_transactions or not dry_run):
                try:
                    bulk_create_with_history(self.create_instances, self._meta.model, batch_size=batch_size)
                except Exception as error:
                    self.handle_import_error(result, error, raise_errors)
                finally:
                    self.create_instances.clear()

    class PeerMeta:
        use_bulk = True
        batch_size = PEER_BATCH_SIZE
        skip_diff = True
        skip_unchanged = False
        report_skipped = False
        clean_model_instances = True
        force_init_instance = True  # a first import into an empty village: every row is new
        use_transactions = True
        store_instance = False
        store_row_values = False

    def char(column: str, attribute: str) -> fields.Field:
        return fields.Field(attribute=attribute, column_name=column, widget=widgets.CharWidget(allow_blank=True))

    def yes_no(column: str, attribute: str, *, nullable: bool) -> fields.Field:
        default = fields.NOT_PROVIDED if nullable else False
        return fields.Field(attribute=attribute, column_name=column, widget=YesNoWidget(), default=default)

    def amount(column: str, attribute: str) -> fields.Field:
        return fields.Field(attribute=attribute, column_name=column, widget=widgets.DecimalWidget())

    class HouseholdResource(BulkResource):
        number = char("户编号", "number")
        group = fields.Field(attribute="group", column_name="村民小组", widget=GroupWidget(VillageGroup, field="number"))
        head_name = char("姓名", "head_name")
        category = fields.Field(attribute="category", column_name="户类型", widget=LabelWidget(Category.choices),
                                default=Category.ORDINARY)
        monitoring_type = fields.Field(attribute="monitoring_type", column_name="监测对象类别",
                                       widget=LabelWidget(MonitoringType.choices))
        monitoring_since = fields.Field(attribute="monitoring_since", column_name="识别监测时间", widget=YearMonthWidget())
        address = char("住址", "address")
        phone = char("户联系电话", "phone")
        helper_name = char("帮扶责任人", "helper_name")
        helper_phone = char("帮扶责任人电话", "helper_phone")
        member_count = fields.Field(attribute="member_count", column_name="家庭人口", widget=widgets.IntegerWidget())
        housing_grade = fields.Field(attribute="housing_grade", column_name="住房安全等级",
                                     widget=LabelWidget(HousingGrade.choices, A级="A", B级="B", C级="C", D级="D"))
        housing_renovated_year = fields.Field(attribute="housing_renovated_year", column_name="危房改造年度",
                                              widget=widgets.IntegerWidget())
        water_source = fields.Field(attribute="water_source", column_name="饮水来源", widget=LabelWidget(WaterSource.choices))
        water_safe = yes_no("饮水安全", "water_safe", nullable=True)
        water_quality_report = yes_no("水质检测报告", "water_quality_report", nullable=True)
        water_seasonal_shortage = yes_no("季节性缺水", "water_seasonal_shortage", nullable=True)
        minimum_living = yes_no("享受低保", "minimum_living", nullable=False)
        minimum_living_amount = amount("低保金", "minimum_living_amount")
        destitute_support = yes_no("特困供养", "destitute_support", nullable=False)
        destitute_support_amount = amount("特困供养金", "destitute_support_amount")
        temporary_assistance_amount = amount("临时救助金额", "temporary_assistance_amount")
        medical_out_of_pocket = amount("合规自付医疗支出", "medical_out_of_pocket")
        no_labour_household = yes_no("整户无劳动能力兜底保障户", "no_labour_household", nullable=False)

        class Meta(PeerMeta):
            model = Household
            import_id_fields = ["number"]
            fields = [
                "number", "group", "head_name", "category", "monitoring_type", "monitoring_since", "address", "phone",
                "helper_name", "helper_phone", "member_count", "housing_grade", "housing_renovated_year",
                "water_source", "water_safe", "water_quality_report", "water_seasonal_shortage", "minimum_living",
                "minimum_living_amount", "destitute_support", "destitute_support_amount",
                "temporary_assistance_amount", "medical_out_of_pocket", "no_labour_household",
            ]

        def init_instance(self, row=None):
            return Household(village=self.village)

    class MemberResource(BulkResource):
        household = fields.Field(attribute="household", column_name="户编号", widget=VillageScoped(Household, field="number"))
        name = char("姓名", "name")
        id_number = char("身份证号", "id_number")
        relation = char("与户主关系", "relation")
        sex = fields.Field(attribute="sex", column_name="性别",
                           widget=LabelWidget(Member._meta.get_field("sex").choices))
        birth_date = fields.Field(attribute="birth_date", column_name="出生日期", widget=BirthDateWidget())
        ethnicity = char("民族", "ethnicity")
        phone = char("联系电话", "phone")
        health = char("健康状况", "health")
        disability_grade = fields.Field(attribute="disability_grade", column_name="残疾等级", widget=DisabilityGradeWidget())
        chronic_illness = yes_no("慢性病", "chronic_illness", nullable=False)
        family_doctor_contract = yes_no("家庭医生签约", "family_doctor_contract", nullable=True)
        schooling = char("在校生状况", "schooling")
        out_of_school = yes_no("义务教育阶段失学辍学", "out_of_school", nullable=False)
        out_of_school_reason = char("未上学原因", "out_of_school_reason")
        medical_insurance = yes_no("参加基本医疗保险", "medical_insurance", nullable=True)
        serious_illness_insurance = yes_no("参加大病保险", "serious_illness_insurance", nullable=True)
        labour_capacity = char("劳动技能", "labour_capacity")
        work_location = fields.Field(attribute="work_location", column_name="务工地点",
                                     widget=LabelWidget(WorkLocation.choices, 未务工=""))

        class Meta(PeerMeta):
            model = Member
            import_id_fields = ["id_number"]
            fields = [
                "household", "name", "id_number", "relation", "sex", "birth_date", "ethnicity", "phone", "health",
                "disability_grade", "chronic_illness", "family_doctor_contract", "schooling", "out_of_school",
                "out_of_school_reason", "medical_insurance", "serious_illness_insurance", "labour_capacity",
                "work_location",
            ]

    return HouseholdResource, MemberResource


# The report


def _targets(results: list[SideResult]) -> dict[str, bool]:
    ours, peer = results
    return {
        f"ours ≥ {SPEED_TARGET:.0f}× faster": ours.rows_per_second >= SPEED_TARGET * peer.rows_per_second,
        f"ours' peak memory < {MEMORY_TARGET_MB} MB": ours.peak_mb < MEMORY_TARGET_MB,
    }


def _report(results: list[SideResult], code: str) -> None:
    ours, peer = results
    print()
    print(f"machine: {_cpu_count()} cores (nproc), Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"database: {_database_description()}")
    print(f"libraries: {_versions()}")
    print(f"code: {code}")
    print()
    print(f"{'side':<36}{'rows':>8}{'seconds':>10}{'rows/s':>10}{'peak MB':>10}")
    for result in results:
        print(f"{result.label:<36}{result.rows:>8,}{result.seconds:>10.1f}{result.rows_per_second:>10,.0f}{result.peak_mb:>10.0f}")
    print()
    for result in results:
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
        print(f"{result.label}: {phases}")
        print(f"  wrote {result.written}; RSS before its import {result.baseline_mb:.0f} MB")
    print()
    print(f"ratio (ours / django-import-export): {ours.rows_per_second / peer.rows_per_second:.1f}×")
    for target, met in _targets(results).items():
        print(f"target {target}: {'met' if met else 'NOT met'}")


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} at {connection.settings_dict['HOST']}, throwaway database {connection.settings_dict['NAME']}"
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]} (WAL, synchronous=NORMAL), throwaway file in a temp dir"


def _code_version() -> str:
    """The commit, whether the import's own modules differ from it, and a hash of what they hold now."""
    import hashlib

    paths = ["households/services.py", "households/ledger.py", "households/models.py", "evalprep/core/sheets.py"]
    digest = hashlib.sha256(b"".join((ROOT / path).read_bytes() for path in paths)).hexdigest()[:12]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", *paths], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return f"import modules {digest} (no git)"
    changed = [line[3:] for line in dirty.stdout.splitlines()]
    where = f"commit {head.stdout.strip()}" + (f" with uncommitted changes in {', '.join(changed)}" if changed else "")
    return f"{where}; import modules {digest}"


def _versions() -> str:
    from importlib.metadata import version

    names = ["Django", "django-import-export", "tablib", "openpyxl", "python-calamine", "django-simple-history"]
    return ", ".join(f"{name} {version(name)}" for name in names)


if __name__ == "__main__":
    sys.exit(main())
