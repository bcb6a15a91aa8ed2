"""Load benchmark: a county's whole staff at once, against gunicorn on PostgreSQL and Redis.

    .venv/bin/python bench/load.py [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/14] [--villages 200] [--households 100000]
        [--users 200] [--run-time 300] [--max-requests 40000] [--web-workers 5]

Builds the demo county at the given size in a throwaway PostgreSQL database
(timed, not part of the figures), writes a roster file per sampled village,
starts gunicorn and one Celery worker on it (loopback only; the worker at
`nice` 10, as docs/deployment.md runs it), and runs the users
of bench/load_users.py with locust, headless, until the run time or the
request cap is reached. Prints requests per second and p50/p95/p99 per page,
the errors, and the same for the trivial view (/healthz/, one `SELECT 1`)
served by the same gunicorn in the same run; then waits for the dossiers the
leaders asked for. Targets: no errors; every page's p95 within 5× the trivial
view's p95; every dossier built. The exit status is 1 when a target is missed.

`--keep` keeps the database and its files and prints how to run again on them
with `--reuse` (skipping the seeding, which takes most of the time).
"""

import argparse
import csv
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402

TARGET_RATIO = 5.0
BASELINE = "基准：/healthz/"
CADRE_VILLAGES = 40
DOSSIERS = 4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--villages", type=int, default=200)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=200, help="concurrent locust users")
    parser.add_argument("--spawn-rate", type=float, default=1, help="users logging in per second")
    parser.add_argument("--settle", type=int, default=30, help="seconds after the last login before counting")
    parser.add_argument("--run-time", type=int, default=300, help="seconds counted")
    parser.add_argument("--max-requests", type=int, default=40_000)
    parser.add_argument("--web-workers", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database and files for --reuse")
    parser.add_argument("--access-log", action="store_true", help="gunicorn's access log (time, request, µs) in the work dir")
    parser.add_argument("--reuse", nargs=2, metavar=("DATABASE_URL", "WORK_DIR"), help="a database kept by --keep")
    args = parser.parse_args()

    with ExitStack() as stack:
        if args.reuse:
            database_url, work_dir = args.reuse[0], Path(args.reuse[1])
        else:
            work_dir = Path(tempfile.mkdtemp(prefix="evalprep-load-"))
            database_url, drop = throwaway_database(args.database_url, work_dir, prefix="load")
            if drop is None:
                raise SystemExit("--database-url: the load benchmark runs on PostgreSQL (postgres://…)")
            if not args.keep:
                stack.callback(shutil.rmtree, work_dir, ignore_errors=True)
                stack.callback(drop)
        env = _environment(database_url, args.redis_url, work_dir)
        os.environ.update(env)
        _redis_flush(args.redis_url)
        stack.callback(_redis_flush, args.redis_url)
        _manage(env, "migrate", "--noinput", "-v0")
        if not args.reuse:
            _seed(args, env)
        plan_path = _plan_write(work_dir)
        _manage(env, "collectstatic", "--noinput", "-v0")

        port = _free_port()
        _start(stack, env, [".venv/bin/celery", "-A", "evalprep", "worker", "-l", "WARNING", "--concurrency", "1",
                            "-n", f"load-{os.getpid()}@%h"], work_dir / "worker.log", nice=10)
        logging = ["--access-logfile", str(work_dir / "access.log"), "--access-logformat", '%(t)s "%(r)s" %(s)s %(D)s %(p)s']
        web = _start(stack, env, [".venv/bin/gunicorn", "evalprep.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
                                  str(args.web_workers), "--timeout", "120", *(logging if args.access_log else [])],
                     work_dir / "gunicorn.log")
        _wait_for(f"http://127.0.0.1:{port}/healthz/", web)
        ramp = round(args.users / args.spawn_rate) + args.settle
        first_job = _job_high_water()
        started = time.monotonic()
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load_users.py"), "--headless",
             "--host", f"http://127.0.0.1:{port}", "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
             "--run-time", f"{args.run_time + ramp}s", "--stop-timeout", "15", "--csv", str(work_dir / "locust"),
             "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, check=False, capture_output=True, text=True,
            env={**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_MAX_REQUESTS": str(args.max_requests),
                 "LOAD_SETTLE": str(args.settle)},
        )
        (work_dir / "locust.log").write_text(locust.stdout + locust.stderr, encoding="utf-8")
        if not (work_dir / "locust_stats.csv").exists():
            raise SystemExit(f"locust stopped with {locust.returncode}:\n{locust.stderr[-3000:]}")
        elapsed = time.monotonic() - started - ramp
        dossiers = _dossiers_wait(after=first_job, timeout=600)
        _header(args, elapsed)
        ok = _report(work_dir / "locust_stats.csv", work_dir / "locust_failures.csv", dossiers)
        if args.keep:
            print(f"\n保留了数据库和文件，再次运行：bench/load.py --reuse {database_url} {work_dir}")
    return 0 if ok else 1


# --- the county ---------------------------------------------------------------


def _environment(database_url: str, redis_url: str, work_dir: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "evalprep.settings", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "EVALPREP_VAR_DIR": str(work_dir / "var"), "MEDIA_ROOT": str(work_dir / "media"),
        "DEBUG": "false", "SECRET_KEY": f"load-benchmark-{os.getpid()}-not-a-secret",
        "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
    }


def _seed(args, env: dict[str, str]) -> None:
    started = time.monotonic()
    _manage(env, "seed_demo", "--villages", str(args.villages), "--households", str(args.households))
    seeded = time.monotonic()
    # As autovacuum would within minutes of a county's first import: the planner needs the table sizes.
    _manage(env, "dbshell", "--", "-qc", "VACUUM ANALYZE")
    print(f"演示县已生成：{args.villages} 个村、{args.households:,} 户，用时 {seeded - started:.0f} 秒"
          f"（另 VACUUM ANALYZE {time.monotonic() - seeded:.0f} 秒）", flush=True)


def _manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([".venv/bin/python", "manage.py", *command], cwd=ROOT, env={**os.environ, **env},
                   check=True, stdout=subprocess.DEVNULL)


def _plan_write(work_dir: Path) -> Path:
    """Who logs in as whom: accounts with the IDs and roster files their users work with."""
    import random

    import django

    django.setup()
    from django.conf import settings
    from evalprep.core.models import Role, RoleAssignment, Village
    from households.demo import write_sample_rosters
    from households.models import Household
    from tasks.models import Assignment

    rng = random.Random(7)
    cadres = list(
        RoleAssignment.objects.filter(role=Role.VILLAGE_CADRE).select_related("user", "village").order_by("village__code", "pk")
    )
    villages = sorted({c.village for c in cadres}, key=lambda v: v.code)
    chosen = {v.pk for v in rng.sample(villages, min(CADRE_VILLAGES, len(villages)))}
    plan: dict = {"password": settings.DEMO_PASSWORD, "income_year": time.localtime().tm_year - 1,
                  "cadres": [], "townships": [], "departments": [], "leaders": [], "bureau": []}
    rosters: dict[int, str] = {}
    for cadre in cadres:
        village = cadre.village
        if village.pk not in chosen:
            continue
        if village.pk not in rosters:
            folder = work_dir / "rosters" / village.code
            rosters[village.pk] = str(write_sample_rosters(village=village, folder=folder, rng=rng)[0])
        households = list(Household.objects.filter(village=village).order_by("?").values_list("pk", "number")[:30])
        plan["cadres"].append({
            "username": cadre.user.username, "village_id": village.pk, "roster_file": rosters[village.pk],
            "household_ids": [pk for pk, _ in households], "household_numbers": [n for _, n in households],
        })
    for role, kind in ((Role.TOWNSHIP_STAFF, "townships"), (Role.LEADER, "leaders"), (Role.COORDINATOR, "bureau")):
        plan[kind] = [{"username": a.user.username} for a in RoleAssignment.objects.filter(role=role).select_related("user")]
    for staff in RoleAssignment.objects.filter(role=Role.DEPARTMENT_STAFF).select_related("user").order_by("pk"):
        ids = list(Assignment.objects.filter(department_id=staff.department_id).values_list("pk", flat=True)[:20])
        if ids:
            plan["departments"].append({"username": staff.user.username, "assignment_ids": ids})
    plan["dossier_villages"] = list(
        Village.objects.exclude(pk__in=chosen).order_by("?").values_list("pk", flat=True)[:DOSSIERS]
    )
    path = work_dir / "plan.json"
    path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return path


# --- processes ----------------------------------------------------------------


def _start(stack: ExitStack, env: dict[str, str], command: list[str], log: Path, *, nice: int = 0) -> subprocess.Popen:
    """A process in a session of its own (stopped with its children). `nice` lowers its whole session's share
    of the CPU: with the kernel's autogroups each session is scheduled as one group, and a process's own nice
    counts only within its group, as a process's within its systemd unit (docs/deployment.md: CPUWeight)."""
    handle = log.open("ab")
    process = subprocess.Popen(
        ["nice", "-n", str(nice), *command] if nice else command, cwd=ROOT, env={**os.environ, **env},
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )
    if nice:
        with suppress(OSError):  # no autogroups: the process's own nice is all there is
            Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        handle.close()

    stack.callback(stop)
    return process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _job_high_water() -> int:
    from evalprep.dossiers.models import Job

    return Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _dossiers_wait(*, after: int, timeout: float) -> dict[str, int]:
    """Waits for the dossier jobs asked for under load; returns their count by status."""
    from django.db import connection

    from evalprep.dossiers.models import Job, JobStatus

    deadline = time.monotonic() + timeout
    while True:
        counts: dict[str, int] = {}
        for status in Job.objects.filter(kind="dossier", parent=None, pk__gt=after).values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        pending = counts.get(JobStatus.QUEUED, 0) + counts.get(JobStatus.RUNNING, 0)
        if not pending or time.monotonic() > deadline:
            connection.close()
            return counts
        time.sleep(2)


# --- the report ---------------------------------------------------------------


def _header(args, elapsed: float) -> None:
    from django.db import connection

    from households.models import Household, Member

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"\n机器：{os.cpu_count()} 核 {platform.processor() or platform.machine()}，内存 {memory:.0f} GiB；"
          f"PostgreSQL {pg_version.split()[0]}，Redis；Python {platform.python_version()}")
    print(f"数据：{args.villages} 个村，{Household.objects.count():,} 户，{Member.objects.count():,} 人")
    print(f"服务：gunicorn {args.web_workers} 个进程，Celery 1 个进程；locust {args.users} 个用户，"
          f"每秒登录 {args.spawn_rate:g} 人，全部登录 {args.settle} 秒后计时 {elapsed:.0f} 秒（上限 {args.run_time} 秒、{args.max_requests:,} 个请求）\n")


def _report(stats_csv: Path, failures_csv: Path, dossiers: dict[str, int]) -> bool:
    from evalprep.core.demo import pad_columns

    rows = {row["Name"]: row for row in csv.DictReader(stats_csv.open(encoding="utf-8")) if row["Request Count"] != "0"}
    total = rows.pop("Aggregated")
    baseline = float(rows[BASELINE]["95%"])
    names = sorted((n for n in rows if n != BASELINE), key=lambda n: -float(rows[n]["95%"]))
    print(f"{'页面':<18}{'请求数':>8}{'错误':>6}{'每秒':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'p95/基准':>10}  (毫秒)")
    slow = []
    for name in [BASELINE, *names]:
        row = rows[name]
        ratio = float(row["95%"]) / baseline
        note = ""
        if name != BASELINE and ratio > TARGET_RATIO:
            slow.append(name)
            note = "  超过目标"
        print(f"{pad_columns(name, 18)}{int(row['Request Count']):>8}{int(row['Failure Count']):>6}"
              f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}{ratio:>9.1f}×{note}")
    errors = int(total["Failure Count"])
    print(f"{pad_columns('合计', 18)}{int(total['Request Count']):>8}{errors:>6}{float(total['Requests/s']):>8.1f}"
          f"{total['50%']:>8}{total['95%']:>8}{total['99%']:>8}")
    for row in csv.DictReader(failures_csv.open(encoding="utf-8")):
        print(f"  错误 {row['Occurrences']} 次：{row['Method']} {row['Name']}：{row['Error'][:200]}")
    built = dossiers.get("succeeded", 0)
    asked = sum(dossiers.values())
    print(f"\n负载下申请的村级资料：{asked} 份，已生成 {built} 份（{dossiers}）")
    checks = [
        ("没有错误", errors == 0),
        (f"每个页面的 p95 在基准的 {TARGET_RATIO:.0f} 倍以内" + (f"（超过：{'、'.join(slow)}）" if slow else ""), not slow),
        ("负载下申请的资料全部生成", asked > 0 and built == asked),
    ]
    for text, passed in checks:
        print(f"{'达到' if passed else '未达到'}：{text}")
    return all(passed for _, passed in checks)


if __name__ == "__main__":
    sys.exit(main())
