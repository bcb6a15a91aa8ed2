from celery import shared_task

from evalprep.dossiers.services import JobOutcome, job_run
from interviews.cards import household_cards_pdf
from interviews.models import InspectionSample


@shared_task(acks_late=True)
def sample_cards_job(job_id: int) -> None:
    """The drawn households' cards, printed together (only the villages the requester sees)."""

    def work(job, progress):
        sample = InspectionSample.objects.get(pk=job.params["sample_id"])
        ids = list(
            sample.entries.filter(household__village_id__in=job.params["village_ids"])
            .order_by("order").values_list("household_id", flat=True)
        )
        progress(10, f"共{len(ids)}户")
        content = household_cards_pdf(ids, title=f"模拟抽样农户明白卡（种子{sample.seed}）", progress=progress)
        return JobOutcome(
            message=f"已生成{len(ids)}户的演练卡片", summary={"households": len(ids)},
            filename=f"模拟抽样农户卡片-种子{sample.seed}.pdf", content=content,
        )

    job_run(job_id, work)
