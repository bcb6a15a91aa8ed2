"""Starting background jobs and recording what they do."""

import hashlib
import logging
import os
import socket
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
    job = Job(kind=kind, title=title, county_id=county_id, created_by=user, params=params or {}, task_name=task.name)
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
        progress=0, error="", worker=worker_identity(),
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


def worker_identity() -> str:
    """host:pid of the process running a job, so a dead one can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def jobs_recover() -> list[int]:
    """Put back in the queue the jobs whose worker on this machine died mid-run.

    Late acknowledgement brings such a message back on Redis only after the
    visibility timeout, and the file-system broker drops a message once it is
    read; so every worker, when it starts, looks for running jobs whose
    process on this host is gone and enqueues them again. job_run starts them
    over and the writes are idempotent (the result file is replaced).
    """
    from evalprep.celery import app

    host = socket.gethostname()
    recovered = []
    for job in Job.objects.filter(status=JobStatus.RUNNING, worker__startswith=f"{host}:").exclude(task_name=""):
        pid = job.worker.rsplit(":", 1)[1]
        if pid.isdigit() and _process_alive(int(pid)):
            continue
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker=job.worker).update(
            status=JobStatus.QUEUED, worker="", message="后台进程意外退出，已重新排队"
        )
        if updated:
            app.send_task(job.task_name, args=[job.pk])
            recovered.append(job.pk)
            logger.warning("job %s (%s) lost its worker %s; queued again", job.pk, job.kind, job.worker)
    return recovered


# Dossiers: one builder from the registry, run by a job.


def dossier_context(*, scope: str, unit, generated_at=None):
    """The unit's county and current campaign, for a builder."""
    from evalprep.core.models import Campaign
    from evalprep.dossiers.builders import DossierContext

    county = {"village": lambda: unit.township.county, "department": lambda: unit.county, "county": lambda: unit}[scope]()
    campaign = Campaign.objects.filter(county=county, is_current=True).order_by("-year").first()
    ctx = DossierContext(scope=scope, unit=unit, county=county, campaign=campaign)
    if generated_at is not None:
        ctx.generated_at = generated_at
    return ctx


def dossier_request(*, builder_id: str, scope: str, unit, fmt: str, user) -> Job:
    """Record a build of one builder for one unit and enqueue it (a county pack fans out)."""
    from evalprep.core.errors import DossierError
    from evalprep.core.services import audit_log
    from evalprep.dossiers import jobs
    from evalprep.dossiers.builders import FORMAT_LABELS, builder_for

    builder = builder_for(builder_id)
    if builder is None or builder.scope not in (scope, "any"):
        raise DossierError("没有这种资料，请从页面上的列表中选择。")
    if fmt not in builder.formats:
        raise DossierError(f"“{builder.title}”只提供{'、'.join(FORMAT_LABELS[f] for f in builder.formats)}格式。")
    ctx = dossier_context(scope=scope, unit=unit)
    task = jobs.county_pack_job if builder.identifier == "county_pack" else jobs.dossier_build_job
    job = job_start(
        task=task, kind="dossier", title=f"{ctx.unit_label}{builder.title}（{FORMAT_LABELS[fmt]}）",
        county_id=ctx.county.pk, user=user,
        params={"builder": builder.identifier, "scope": scope, "unit_id": unit.pk, "format": fmt},
    )
    audit_log(user=user, action="dossier_requested", obj=job, county_id=ctx.county.pk, detail=job.title)
    return job


def dossier_rebuild(*, job: Job, user) -> Job:
    """The same dossier again, as a new job (earlier builds stay in the history)."""
    from evalprep.core.errors import DossierError
    from evalprep.dossiers.builders import SCOPES

    params = job.params
    model = SCOPES.get(params.get("scope"))
    unit = model.objects.filter(pk=params.get("unit_id")).first() if model else None
    if job.kind != "dossier" or unit is None:
        raise DossierError("这项任务不是资料生成任务，或其单位已被删除，无法重新生成。")
    return dossier_request(builder_id=params["builder"], scope=params["scope"], unit=unit, fmt=params["format"], user=user)


def _job_unit(job: Job):
    from evalprep.core.errors import DossierError
    from evalprep.dossiers.builders import SCOPES

    model = SCOPES[job.params["scope"]]
    related = {"village": ["township__county"], "department": ["county"], "county": []}[job.params["scope"]]
    unit = model.objects.select_related(*related).filter(pk=job.params["unit_id"]).first()
    if unit is None:
        raise DossierError("该单位已被删除，无法生成资料。")
    return unit


def dossier_render(job: Job, progress: ProgressFn) -> JobOutcome:
    """A job's work: run its builder and hand back the file."""
    from evalprep.dossiers.builders import builder_for

    builder = builder_for(job.params["builder"])
    ctx = dossier_context(scope=job.params["scope"], unit=_job_unit(job))
    filename, _mimetype, content = builder.render(ctx, job.params["format"], progress)
    return JobOutcome(message=f"已生成 {filename}", filename=filename, content=content, summary={"bytes": len(content)})


# The county pack: one job per village, joined by the last one to finish.


def _pack_part_specs(ctx) -> list[tuple[dict, str]]:
    """(params, title) of every part of a county pack: the briefing pack first, then one dossier per village."""
    from evalprep.dossiers.builders import FORMAT_LABELS, builder_for
    from evalprep.dossiers.builders.pack import pack_villages

    briefing = builder_for("county_briefing")
    specs = [
        ({"builder": briefing.identifier, "scope": "county", "unit_id": ctx.county.pk, "format": fmt},
         f"{ctx.county.name}{briefing.title}（{FORMAT_LABELS[fmt]}）")
        for fmt in briefing.formats
    ]
    specs += [
        ({"builder": "village_dossier", "scope": "village", "unit_id": village.pk, "format": "pdf"},
         f"{village.township.name}{village.name}迎评档案（PDF）")
        for village in pack_villages(ctx)
    ]
    return specs


def _part_key(params: dict) -> tuple:
    return params["builder"], params["unit_id"], params["format"]


def pack_fan_out(parent: Job) -> list[Job]:
    """Create (or find again, when redelivered) the pack's part jobs; return those still to run.

    The briefing pack is a part like the villages, so the join only zips files.
    """
    ctx = dossier_context(scope="county", unit=_job_unit(parent))
    existing = {_part_key(part.params): part for part in parent.parts.all()}
    parts, new = [], []
    for params, title in _pack_part_specs(ctx):
        part = existing.get(_part_key(params))
        if part is None:
            part = Job(
                county_id=parent.county_id, kind="pack_part", parent=parent, created_by_id=parent.created_by_id,
                title=title, task_name="evalprep.dossiers.jobs.dossier_part_job", params=params,
            )
            new.append(part)
        parts.append(part)
    Job.objects.bulk_create(new)  # one insert for all the villages, in order (the join zips by pk)
    to_run = [part for part in parts if not part.is_finished]
    Job.objects.filter(pk=parent.pk).update(
        worker="", progress=5, message=f"已分发{len(existing) or len(to_run)}份资料，等待后台进程生成",
    )
    return to_run


def pack_part_finished(parent_id: int) -> bool:
    """Count the finished parts under a lock on the parent; the last one triggers the join (True)."""
    with transaction.atomic():
        parent = Job.objects.select_for_update().filter(pk=parent_id).first()
        if parent is None or parent.is_finished or parent.params.get("joining"):
            return False
        statuses = list(parent.parts.values_list("status", flat=True))
        done = sum(1 for status in statuses if status in (JobStatus.SUCCEEDED, JobStatus.FAILED))
        if done < len(statuses):
            parent.progress = 5 + 80 * done // max(1, len(statuses))
            parent.message = f"已生成{done}/{len(statuses)}份资料"
            parent.save(update_fields=["progress", "message"])
            return False
        parent.params = {**parent.params, "joining": True}
        parent.progress, parent.message = 85, "各份资料已生成，正在打包"
        parent.save(update_fields=["params", "progress", "message"])
        return True


def pack_join(parent: Job, progress: ProgressFn) -> JobOutcome:
    """The county briefing pack plus every village's dossier, in one ZIP."""
    from evalprep.core.errors import DossierError
    from evalprep.dossiers.builders import builder_for
    from evalprep.dossiers.builders.pack import pack_villages, pack_zip

    parts = list(parent.parts.order_by("pk"))
    failed = [part.title.removesuffix("（PDF）").removesuffix("迎评档案") for part in parts if part.status != JobStatus.SUCCEEDED]
    if failed:
        raise DossierError(f"{len(failed)}份资料未能生成（{'、'.join(failed[:5])}{'等' if len(failed) > 5 else ''}），请点击“重新生成”。")
    ctx = dossier_context(scope="county", unit=_job_unit(parent))
    progress(90, "正在打包")
    townships = {v.pk: v.township.name for v in pack_villages(ctx)}
    files = []
    for part in parts:
        folder = "" if part.params["scope"] == "county" else f"各村档案/{townships.get(part.params['unit_id'], '其他')}/"
        with part.result_file.open("rb") as handle:
            files.append((folder + part.result_name, handle.read()))
    filename = builder_for("county_pack").filename(ctx, "zip")
    villages = sum(1 for part in parts if part.params["scope"] == "village")
    return JobOutcome(message=f"已生成 {filename}（{villages}个村）", filename=filename, content=pack_zip(files), summary={"villages": villages})
