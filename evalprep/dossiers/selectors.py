from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from evalprep.core.scoping import scope_for
from evalprep.dossiers.models import Job


def jobs_visible_to(user) -> QuerySet[Job]:
    """A user's own jobs; the bureau sees every job of its county."""
    scope = scope_for(user)
    if scope.is_empty:
        return Job.objects.none()
    return Job.objects.filter(
        Q(created_by=user, county_id__in=scope.county_ids) | Q(county_id__in=scope.write_county_ids)
    )


def get_job_for_user(request: HttpRequest, pk: int) -> Job:
    job = jobs_visible_to(request.user).select_related("created_by").filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
