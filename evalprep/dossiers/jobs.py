"""Celery jobs for dossiers. They take job ids, call one service and report
progress through the job record.

The county pack fans out one part job per village; each part, when it ends,
counts the finished parts under a lock on the parent job, and the last one
enqueues the join. This counter lives in the database, so it works the same on
Redis and on the file-system broker (no chord, no result backend needed).
"""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import transaction
from django.utils import timezone

from evalprep.dossiers.models import Job, JobStatus
from evalprep.dossiers.services import (
    dossier_render,
    job_run,
    jobs_recover,
    pack_fan_out,
    pack_join,
    pack_part_finished,
    worker_identity,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def dossier_build_job(job_id: int) -> None:
    job_run(job_id, dossier_render)


@shared_task(acks_late=True)
def dossier_part_job(job_id: int) -> None:
    """One village of a county pack; the last part to finish starts the join."""
    job_run(job_id, dossier_render)
    parent_id = Job.objects.filter(pk=job_id).values_list("parent_id", flat=True).first()
    if parent_id and pack_part_finished(parent_id):
        county_pack_join_job.delay(parent_id)


@shared_task(acks_late=True)
def county_pack_job(job_id: int) -> None:
    """Fan the villages out to the workers (safe to run again: parts are found, not duplicated)."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), attempts=job.attempts + 1,
        worker=worker_identity(), message="正在分发各村任务", error="",
    )
    with transaction.atomic():
        parts = pack_fan_out(job)
        for part in parts:
            transaction.on_commit(lambda pk=part.pk: dossier_part_job.delay(pk))
    if not parts and pack_part_finished(job_id):
        county_pack_join_job.delay(job_id)


@shared_task(acks_late=True)
def county_pack_join_job(job_id: int) -> None:
    job_run(job_id, pack_join)


@worker_ready.connect
def _recover_jobs_on_start(**kwargs) -> None:
    try:
        recovered = jobs_recover()
    except Exception:  # a worker must start even when the database is briefly away
        logger.exception("could not look for jobs lost by a dead worker")
        return
    if recovered:
        logger.warning("queued again %d job(s) whose worker died: %s", len(recovered), recovered)
