"""A worker killed (SIGKILL) halfway through a dossier leaves a running job;
the next worker to start puts it back in the queue and finishes it. Runs on
the configured broker: Redis when REDIS_URL is set, the file system otherwise."""

import os
import signal
import subprocess
import time

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from evalprep.celery import app as celery_app
from evalprep.dossiers.models import Job, JobStatus
from tests.dossiers.test_worker import start_worker, stop_worker
from tests.factories import PASSWORD, build_world, make_household


def wait_for(job: Job, condition, worker: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if condition(job):
            return
        if worker.poll() is not None:
            break
        time.sleep(0.05)
    worker.kill()
    output = worker.communicate(timeout=20)[0]
    pytest.fail(f"job {job.pk} is {job.status} ({job.progress}%); worker said:\n{output[-4000:]}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_finishes_a_dossier_after_its_worker_was_killed(client):
    world = build_world()
    village = world.villages[0]
    for n in range(40):
        make_household(village, number=f"K{n:04d}", seq=n)
    celery_app.control.purge()
    first = start_worker()
    try:
        client.login(username="village_cadre", password=PASSWORD)
        client.post(reverse("dossiers:dossier_build", args=["village", village.pk]), {"builder": "household_cards", "format": "pdf"})
        job = Job.objects.get()
        wait_for(job, lambda j: j.status == JobStatus.RUNNING, first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.worker.endswith(f":{first.pid}")  # left behind, half done

    second = start_worker()
    try:
        wait_for(job, lambda j: j.is_finished, second)
    finally:
        stop_worker(second)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2 and job.progress == 100
    assert len(PdfReader(job.result_file.path).pages) == 40
    broker = "redis" if settings.REDIS_URL else "filesystem"
    print(f"job {job.pk} killed mid-build and finished by a new worker over the {broker} broker")
