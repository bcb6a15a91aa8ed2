"""A real Celery worker process takes a real job from the configured broker
(Redis when REDIS_URL is set, as in CI's second run; the file-system broker
otherwise) and finishes it against the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from evalprep.celery import app as celery_app
from evalprep.dossiers.models import Job, JobStatus
from tests.factories import PASSWORD, build_world


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker() -> subprocess.Popen:
    """A real Celery worker on the test database and the configured broker."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "REDIS_URL": settings.REDIS_URL}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "evalprep", "worker", "-P", "solo", "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(settings.BASE_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def worker():
    celery_app.control.purge()
    process = start_worker()
    yield process
    stop_worker(process)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_finishes_a_job_in_a_real_worker(client, worker):
    build_world()
    client.login(username="coordinator", password=PASSWORD)
    client.post(reverse("core:org_check_start"))
    job = Job.objects.get()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished or worker.poll() is not None:
            break
        time.sleep(0.5)
    if not job.is_finished:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        pytest.fail(f"job still {job.status} after 90 s; worker said:\n{output[-4000:]}")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 1 and job.progress == 100
    assert Path(job.result_file.path).read_bytes()[:2] == b"PK"
    broker = "redis" if settings.REDIS_URL else "filesystem"
    print(f"job {job.pk} finished by a real worker over the {broker} broker")
