from celery import shared_task

from evalprep.core.figures import figures_refresh
from evalprep.core.models import County
from evalprep.core.services import org_check_outcome
from evalprep.dossiers.services import job_run


@shared_task(acks_late=True)
def org_check_job(job_id: int) -> None:
    def work(job, progress):
        county = County.objects.get(pk=job.county_id)
        return org_check_outcome(county=county, progress=progress)

    job_run(job_id, work)


@shared_task(acks_late=True)
def figures_refresh_job(name: str, pk: int) -> None:
    """Recomputes one county-wide figure set for the shared cache (evalprep/core/figures.py)."""
    figures_refresh(name, pk)
