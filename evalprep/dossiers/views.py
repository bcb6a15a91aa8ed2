from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from evalprep.core.errors import EvalprepError
from evalprep.core.figures import figures_for
from evalprep.core.models import Campaign
from evalprep.core.scoping import scope_for
from evalprep.core.services import audit_log
from evalprep.dossiers.builders import FORMAT_LABELS, SCOPES, builder_for, builders_for_scope
from evalprep.dossiers.selectors import (
    dossier_builds,
    dossier_home,
    get_dossier_unit_for_user,
    get_job_for_user,
    jobs_visible_to,
)
from evalprep.dossiers.services import dossier_context, dossier_rebuild, dossier_request


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = jobs_visible_to(request.user).filter(parent__isnull=True).select_related("created_by")[:100]
    return render(request, "dossiers/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_job_for_user(request, pk)
    return render(request, "dossiers/job_detail.html", {"job": job, "can_rebuild": job.kind == "dossier"})


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial that htmx polls until the job has finished."""
    job = get_job_for_user(request, pk)
    return render(request, "dossiers/partials/job_progress.html", {"job": job, "can_rebuild": job.kind == "dossier"})


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_job_for_user(request, pk)
    if not job.result_file:
        raise Http404
    # Dossiers carry the rosters: every download is in the audit log, like a roster export.
    audit_log(user=request.user, action="dossier_downloaded", obj=job, county_id=job.county_id, detail=job.result_name)
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)


@login_required
@require_POST
def job_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_job_for_user(request, pk)
    if job.kind != "dossier":
        raise Http404
    get_dossier_unit_for_user(request, job.params.get("scope", ""), job.params.get("unit_id") or 0)
    try:
        new_job = dossier_rebuild(job=job, user=request.user)
    except EvalprepError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:job_detail", job.pk)
    return redirect("dossiers:job_detail", new_job.pk)


@login_required
def dossier_index(request: HttpRequest) -> HttpResponse:
    """迎评资料: the units the user may build dossiers for, and their recent builds."""
    home = dossier_home(request.user)
    if not (home["counties"] or home["departments"] or home["villages"]):
        raise Http404
    if not home["counties"] and len(home["villages"]) + len(home["departments"]) == 1:
        scope, unit = ("village", home["villages"][0]) if home["villages"] else ("department", home["departments"][0])
        return redirect("dossiers:dossier_unit", scope, unit.pk)
    return render(request, "dossiers/dossier_index.html", home)


def _unit(request: HttpRequest, scope: str, pk: int):
    if scope not in SCOPES:
        raise Http404
    return get_dossier_unit_for_user(request, scope, pk)


@login_required
def dossier_unit(request: HttpRequest, scope: str, pk: int) -> HttpResponse:
    """One unit's dossiers: what can be built, in which formats, and the builds so far."""
    unit = _unit(request, scope, pk)
    context = {
        "scope": scope, "unit": unit, "ctx": dossier_context(scope=scope, unit=unit),
        "builders": [(b, [(f, FORMAT_LABELS[f]) for f in b.formats]) for b in builders_for_scope(scope)],
        "builds": dossier_builds(request.user, scope, unit)[:30],
    }
    return render(request, "dossiers/dossier_unit.html", context)


@login_required
@require_POST
def dossier_build(request: HttpRequest, scope: str, pk: int) -> HttpResponse:
    unit = _unit(request, scope, pk)
    builder = builder_for(request.POST.get("builder", ""))
    try:
        job = dossier_request(
            builder_id=builder.identifier if builder else "", scope=scope, unit=unit,
            fmt=request.POST.get("format", ""), user=request.user,
        )
    except EvalprepError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:dossier_unit", scope, unit.pk)
    return redirect("dossiers:job_detail", job.pk)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """领导看板: the county briefing pack's figures, live, each linked to its list."""
    county_ids = scope_for(request.user).read_county_ids
    if not county_ids:
        raise Http404
    campaign = Campaign.objects.filter(county_id__in=county_ids, is_current=True).select_related("county").order_by("county__code").first()
    county = campaign.county if campaign else get_dossier_unit_for_user(request, "county", min(county_ids))
    figures = figures_for("leader_dashboard", county.pk)
    return render(request, "dossiers/dashboard.html", {
        "county": county, "campaign": campaign, "figures": figures.data, "computed_at": figures.computed_at,
    })
