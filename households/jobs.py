from celery import shared_task

from evalprep.dossiers.services import JobOutcome, job_run
from households.models import RosterImport
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
