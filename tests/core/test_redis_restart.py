"""Redis restarts while jobs wait in its queue: every job still finishes.

A private Redis on a free port, configured as docs/deployment.md tells
production (append-only file), a real Celery worker paused while the jobs are
queued, Redis shut down and started again, then the worker let go.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from evalprep.dossiers.models import Job, JobStatus
from tests.factories import build_world

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
JOBS = 4

pytestmark = [
    pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="redis-server is not installed"),
    pytest.mark.skipif(not settings.REDIS_URL, reason="runs once, in the Redis pass of .ci/run"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.process.wait(timeout=10)


def _environment(redis: PrivateRedis) -> dict[str, str]:
    from tests.dossiers.test_worker import _database_url

    return {**os.environ, "DATABASE_URL": _database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "REDIS_URL": redis.url}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_finishes_every_queued_job_after_redis_restarts(tmp_path):
    world = build_world()
    redis = PrivateRedis(tmp_path)
    redis.start()
    environment = _environment(redis)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "evalprep", "worker", "-P", "solo", "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=settings.BASE_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        time.sleep(3)  # let it connect, then hold it still while the jobs pile up
        worker.send_signal(signal.SIGSTOP)
        enqueue = (
            "from evalprep.core.jobs import org_check_job\n"
            "from evalprep.dossiers.services import job_start\n"
            "from evalprep.core.models import County\n"
            "from django.contrib.auth import get_user_model\n"
            f"county = County.objects.get(pk={world.county.pk})\n"
            "user = get_user_model().objects.get(username='coordinator')\n"
            f"for n in range({JOBS}):\n"
            "    job_start(task=org_check_job, kind='org_check', title=f'自检{n}', county_id=county.pk, user=user)\n"
        )
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], cwd=settings.BASE_DIR,
                              env=environment, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert Job.objects.filter(status=JobStatus.QUEUED).count() == JOBS

        redis.stop()
        redis.start()
        worker.send_signal(signal.SIGCONT)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Job.objects.filter(status=JobStatus.SUCCEEDED).count() < JOBS:
            time.sleep(0.5)
        statuses = sorted(Job.objects.values_list("status", flat=True))
    finally:
        worker.send_signal(signal.SIGCONT)
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0]
        redis.stop()
    assert statuses == [JobStatus.SUCCEEDED] * JOBS, f"{statuses}; worker said:\n{output[-3000:]}"
