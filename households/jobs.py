from celery import shared_task

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from evalprep.dossiers.services import JobOutcome, job_run
from households.models import NationalSnapshot, RosterImport, SnapshotStatus
from households.national import national_snapshot_fail
from households.national_services import national_snapshot_process
from households.services import roster_import_apply


@shared_task(acks_late=True)
def roster_import_job(job_id: int) -> None:
    def work(job, progress):
        record = RosterImport.objects.select_related("village__township").get(pk=job.params["record_id"])
        record = roster_import_apply(
            record=record, user=job.created_by, accept_valid=job.params["accept_valid"], progress=progress,
        )
        return JobOutcome(
            message=f"已导入：新增{record.new_households}户，更新{record.updated_households}户，"
            f"未变{record.unchanged_households}户，出错{record.rejected_rows}行",
            summary={"record_id": record.pk},
        )

    job_run(job_id, work)


@shared_task(acks_late=True)
def national_import_job(job_id: int) -> None:
    """Take a national-system export in: read it, reconcile it with the roster, run every check."""

    def work(job, progress):
        snapshot = NationalSnapshot.objects.select_related("county", "township").get(pk=job.params["snapshot_id"])
        if snapshot.status == SnapshotStatus.READY:
            return JobOutcome(message="这份快照已经导入。", summary={"snapshot_id": snapshot.pk})
        campaign = Campaign.objects.filter(pk=job.params.get("campaign_id")).first()
        try:
            outcome = national_snapshot_process(snapshot=snapshot, campaign=campaign, user=job.created_by, progress=progress)
        except EvalprepError as exc:
            national_snapshot_fail(snapshot=snapshot, message=exc.message)
            raise
        return JobOutcome(message=outcome.message, summary={"snapshot_id": snapshot.pk})

    job_run(job_id, work)
