import hashlib

import pytest
from django.urls import reverse

from evalprep.celery import app as celery_app
from evalprep.core.errors import EvalprepError
from evalprep.dossiers.models import Job, JobStatus
from evalprep.dossiers.services import JobOutcome, job_run
from tests.factories import PASSWORD


@pytest.fixture
def jobs_inline(django_capture_on_commit_callbacks):
    """Run enqueued jobs in this process as soon as the request commits."""
    celery_app.conf.task_always_eager = True
    yield django_capture_on_commit_callbacks
    celery_app.conf.task_always_eager = False


def _job(world, **fields) -> Job:
    return Job.objects.create(county=world.county, kind="test", title="测试", created_by=world.users["coordinator"], **fields)


def test_it_records_a_file_with_its_sha256(world):
    job = _job(world)
    job_run(job.pk, lambda job, progress: JobOutcome(message="好了", filename="结果.xlsx", content=b"abc"))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.result_sha256 == hashlib.sha256(b"abc").hexdigest()
    assert job.result_file.read() == b"abc"
    assert job.started_at <= job.finished_at


def test_it_shows_a_users_error_message_when_the_work_refuses(world):
    job = _job(world)

    def work(job, progress):
        progress(40, "一半")
        raise EvalprepError("村代码不存在，请核对。")

    job_run(job.pk, work)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "村代码不存在，请核对。")


def test_it_fails_with_a_plain_message_when_the_work_crashes(world):
    job = _job(world)
    job_run(job.pk, lambda job, progress: 1 / 0)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "内部错误" in job.error and "ZeroDivision" not in job.error


def test_it_leaves_a_finished_job_alone_when_delivered_twice(world):
    job = _job(world)
    calls = []
    work = lambda job, progress: calls.append(1) or JobOutcome(message="好了")  # noqa: E731
    job_run(job.pk, work)
    job_run(job.pk, work)
    job.refresh_from_db()
    assert calls == [1]
    assert job.attempts == 1


def test_it_runs_the_org_check_end_to_end_in_process(world, client, jobs_inline):
    client.login(username="coordinator", password=PASSWORD)
    with jobs_inline(execute=True):
        response = client.post(reverse("core:org_check_start"))
    job = Job.objects.get()
    assert response.url == reverse("dossiers:job_detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.summary["problems"] > 0
    page = client.get(reverse("dossiers:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in page and "下载" in page
    download = client.get(reverse("dossiers:job_download", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_it_keeps_polling_while_the_job_runs(world, client):
    job = _job(world, status=JobStatus.RUNNING, progress=30, message="正在检查")
    client.login(username="coordinator", password=PASSWORD)
    page = client.get(reverse("dossiers:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in page and "30%" in page and "正在检查" in page
