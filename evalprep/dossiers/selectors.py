from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone

from evalprep.core.models import Campaign, County
from evalprep.core.scoping import departments_visible_to, scope_for, villages_visible_to
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


# Dossiers: which units a user may build for, and the builds so far.


def dossier_units_visible_to(user, scope: str) -> QuerySet:
    """Villages and departments the user can see; counties only for the bureau, leaders and administrators."""
    if scope == "village":
        return villages_visible_to(user).select_related("township__county")
    if scope == "department":
        return departments_visible_to(user).select_related("county")
    if scope == "county":
        return County.objects.filter(pk__in=scope_for(user).read_county_ids)
    return County.objects.none()


def get_dossier_unit_for_user(request: HttpRequest, scope: str, pk: int):
    unit = dossier_units_visible_to(request.user, scope).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def dossier_builds(user, scope: str, unit) -> QuerySet[Job]:
    """Earlier builds for a unit that the user may open (their own; the bureau sees all)."""
    return (
        jobs_visible_to(user).filter(kind="dossier", params__scope=scope, params__unit_id=unit.pk)
        .select_related("created_by").order_by("-created_at", "-pk")
    )


def dossier_home(user) -> dict:
    """What the 迎评资料 page offers the user: their county, departments and villages by township."""
    villages = list(dossier_units_visible_to(user, "village").order_by("township__code", "code"))
    return {
        "counties": list(dossier_units_visible_to(user, "county").order_by("code")),
        "departments": list(dossier_units_visible_to(user, "department").order_by("name")),
        "villages": villages,
        "recent": jobs_visible_to(user).filter(kind="dossier").select_related("created_by")[:15],
    }


def _link(name: str, **query) -> str:
    query = {key: value for key, value in query.items() if value not in (None, "")}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def leader_dashboard(county: County, campaign) -> dict:
    """The briefing pack's figures for the live page: every figure with the list behind it.

    A fixed number of queries (about a dozen), whatever the size of the county.
    """
    from households.models import Category, Household, MonitoringType, Risk, ScreeningFlag
    from households.screening import open_flag_q
    from indicators.models import Item
    from indicators.selectors import readiness_by_area, readiness_by_item, readiness_by_unit, readiness_overall

    by_category: dict[str, int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    for category, monitoring_type, n in (
        Household.objects.filter(village__township__county=county)
        .values_list("category", "monitoring_type").annotate(n=Count("pk")).order_by()
    ):
        by_category[category] += n
        if category == Category.MONITORED:
            by_type[monitoring_type] += n
    data = {
        "categories": [
            {"label": str(label), "value": by_category.get(code, 0), "url": _link("households:roster", category=code)}
            for code, label in Category.choices
        ],
        "types": [
            {"label": str(label), "value": by_type.get(code, 0),
             "url": _link("households:roster", category=Category.MONITORED, monitoring_type=code)}
            for code, label in MonitoringType.choices
        ],
        "risks": [
            {"label": kind, "value": n, "url": _link("households:roster", category=Category.MONITORED)}
            for kind, n in Risk.objects.filter(household__village__township__county=county, household__category=Category.MONITORED)
            .values_list("kind").annotate(n=Count("pk")).order_by("-n", "kind")
        ],
        "flags": [], "areas": [], "items": [], "townships": [], "villages": [], "overall": None, "work": [],
    }
    if campaign is None:
        return data
    rules = dict(ScreeningFlag._meta.get_field("rule").choices)
    data["flags"] = [
        {"label": str(rules.get(rule, rule)), "value": n, "url": _link("households:screening_worklist", rule=rule, status="open")}
        # A campaign's flags are all of its county's households: no join to the roster needed.
        for rule, n in ScreeningFlag.objects.filter(open_flag_q(), campaign=campaign)
        .values_list("rule").annotate(n=Count("pk")).order_by("-n", "rule")
    ]
    data["work"] = _work_figures(county, campaign)
    overall = readiness_overall(campaign)
    if not overall.total:
        return data
    data["overall"] = {
        "total": overall.total, "accepted": overall.accepted, "percent": overall.percent,
        "missing": overall.missing, "url": _link("indicators:checklist"),
        "missing_url": _link("indicators:checklist", status="missing"),
    }
    area_pks = dict(Item.objects.filter(area__framework__name=campaign.framework).values_list("area__code", "area_id"))
    item_pks = dict(Item.objects.filter(area__framework__name=campaign.framework).values_list("code", "pk"))

    def figures(entries, url) -> list[dict]:
        return [{"label": e.label, "value": e.percent, "total": e.total, "accepted": e.accepted, "url": url(e)} for e in entries if e.total]

    data["areas"] = figures(readiness_by_area(campaign), lambda e: _link("indicators:checklist", area=area_pks.get(e.key)))
    data["items"] = figures(readiness_by_item(campaign), lambda e: _link("indicators:checklist", item=item_pks.get(e.key)))
    data["townships"] = figures(readiness_by_unit(campaign, "township"), lambda e: _link("indicators:checklist", unit=f"township:{e.key}"))
    data["villages"] = figures(readiness_by_unit(campaign, "village"), lambda e: _link("indicators:checklist", unit=f"village:{e.key}"))
    return data


def leader_dashboard_figures(county_pk: int) -> dict:
    """The dashboard of the county's current campaign, for the shared cache (evalprep/core/figures.py)."""
    county = County.objects.get(pk=county_pk)
    return leader_dashboard(county, Campaign.objects.filter(county=county, is_current=True).first())


def _work_figures(county: County, campaign) -> list[dict]:
    """Overdue tasks, findings not yet closed, and the national system's open items: four counts."""
    from households.models import HitStatus, NationalCheckHit, NationalDiscrepancy
    from households.national_selectors import OPEN_DISCREPANCY
    from tasks.models import Assignment, AssignmentStatus, Finding, FindingStatus

    today = timezone.localdate()
    overdue = Assignment.objects.filter(campaign=campaign, due_date__lt=today).exclude(status=AssignmentStatus.ACCEPTED).count()
    findings = Finding.objects.filter(campaign=campaign).exclude(status=FindingStatus.CLOSED).count()
    hits = NationalCheckHit.objects.filter(county=county, status=HitStatus.OPEN, gone_snapshot__isnull=True).count()
    discrepancies = NationalDiscrepancy.objects.filter(OPEN_DISCREPANCY, county=county).count()
    return [
        {"label": "逾期未验收任务", "value": overdue, "url": _link("tasks:assignments", status="overdue")},
        {"label": "未销号问题", "value": findings, "url": _link("tasks:findings_overview")},
        {"label": "待处理疑点数据", "value": hits, "url": _link("households:national_overview")},
        {"label": "未处理账机差异", "value": discrepancies, "url": _link("households:national_overview")},
    ]
