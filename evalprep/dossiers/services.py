"""Starting background jobs and recording what they do."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import Task
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.dossiers.models import Job, JobStatus

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, str], None]


@dataclass
class JobOutcome:
    """What a job's work returns: a message, figures, and optionally a file."""

    message: str
    summary: dict = field(default_factory=dict)
    filename: str = ""
    content: bytes = b""


def job_start(*, task: Task, kind: str, title: str, county_id: int, user, params: dict | None = None) -> Job:
    """Record a job and enqueue it once the surrounding transaction commits."""
    job = Job(kind=kind, title=title, county_id=county_id, created_by=user, params=params or {})
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_report_progress(job_id: int, percent: int, message: str) -> None:
    Job.objects.filter(pk=job_id).update(progress=max(0, min(100, percent)), message=message[:200])


def job_run(job_id: int, work: Callable[[Job, ProgressFn], JobOutcome]) -> None:
    """Run one job's work and record the outcome.

    Safe to run again for the same job (late acknowledgement may redeliver it):
    a finished job is left alone, a half-done one starts over.
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("job %s no longer exists; message dropped", job_id)
        return
    if job.status == JobStatus.SUCCEEDED:
        return
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=job.attempts + 1,
        progress=0, error="",
    )

    def progress(percent: int, message: str) -> None:
        job_report_progress(job_id, percent, message)

    try:
        outcome = work(job, progress)
    except EvalprepError as exc:
        _job_fail(job_id, exc.message)
        return
    except Exception:
        logger.exception("job %s (%s) crashed", job_id, job.kind)
        _job_fail(job_id, "任务执行时发生内部错误，请稍后重试；如仍失败请联系系统管理员。")
        return
    _job_succeed(job, outcome)


def _job_fail(job_id: int, message: str) -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=message, message="失败", finished_at=timezone.now()
    )


def _job_succeed(job: Job, outcome: JobOutcome) -> None:
    job.refresh_from_db()
    if outcome.content:
        if job.result_file:
            job.result_file.delete(save=False)
        job.result_file.save(outcome.filename, ContentFile(outcome.content), save=False)
        job.result_name = outcome.filename
        job.result_sha256 = hashlib.sha256(outcome.content).hexdigest()
    job.status = JobStatus.SUCCEEDED
    job.progress = 100
    job.message = outcome.message[:200]
    job.summary = outcome.summary
    job.finished_at = timezone.now()
    job.save()
