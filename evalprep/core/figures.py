"""County-wide figures kept in the shared cache and refreshed in the background.

The leader dashboard and the readiness page add up a whole county: 100,000
households, every checklist row. Adding that up for every reader made each of
them wait for it, and held a web worker that other users' pages queued behind.
Instead the figures are computed once and stored with the time they were
computed; every reader gets the stored figures, and the page says when they
were computed. When they are older than FIGURES_FRESH_SECONDS, the first reader
to notice queues a Celery job that computes them again (one job at a time per
figure set), and readers meanwhile get the stored ones. Figures older than
FIGURES_STALE_SECONDS (the worker is down, say) are computed while the reader
waits. With FIGURES_FRESH_SECONDS = 0 nothing is stored and every reader
computes: the test settings use that, and the tests of this module turn it on.

A figure set is a function of one primary key (a county or a campaign) that
returns picklable data (dicts, lists, dataclasses), named in FIGURE_SETS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

FIGURE_SETS = {
    "leader_dashboard": "evalprep.dossiers.selectors.leader_dashboard_figures",
    "readiness": "indicators.selectors.readiness_figures",
}


@dataclass(frozen=True)
class Figures:
    data: Any
    computed_at: datetime


def _compute(name: str, pk: int) -> Figures:
    compute: Callable[[int], Any] = import_string(FIGURE_SETS[name])
    return Figures(compute(pk), timezone.now())


def _key(name: str, pk: int) -> str:
    return f"figures:{name}:{pk}"


def figures_for(name: str, pk: int) -> Figures:
    """The stored figures, recomputed in the background when old, or computed now when missing or too old."""
    fresh = settings.FIGURES_FRESH_SECONDS
    if fresh <= 0:
        return _compute(name, pk)
    stored = cache.get(_key(name, pk))
    if stored is None:
        return figures_refresh(name, pk)
    age = (timezone.now() - stored.computed_at).total_seconds()
    if age > settings.FIGURES_STALE_SECONDS:
        return figures_refresh(name, pk)
    if age > fresh and cache.add(f"{_key(name, pk)}:refreshing", True, timeout=fresh):
        from evalprep.core.jobs import figures_refresh_job

        transaction.on_commit(lambda: figures_refresh_job.delay(name, pk))
    return stored


def figures_refresh(name: str, pk: int) -> Figures:
    """Computes the figures now and stores them for every reader."""
    figures = _compute(name, pk)
    if settings.FIGURES_FRESH_SECONDS > 0:
        cache.set(_key(name, pk), figures, timeout=settings.FIGURES_STALE_SECONDS)
        cache.delete(f"{_key(name, pk)}:refreshing")
    return figures
