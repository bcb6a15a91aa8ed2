"""County-wide figures in the shared cache: computed once, refreshed in the background, never older than allowed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evalprep.core import figures as figures_module
from evalprep.core.figures import Figures, figures_for
from evalprep.core.jobs import figures_refresh_job
from tests.factories import PASSWORD

COMPUTED: list[int] = []


def counting_figures(pk: int) -> dict:
    """A figure set that records every computation."""
    COMPUTED.append(pk)
    return {"pk": pk, "computation": len(COMPUTED)}


@pytest.fixture
def shared_cache(db, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures"}}
    settings.FIGURES_FRESH_SECONDS = 60
    settings.FIGURES_STALE_SECONDS = 900
    monkeypatch.setitem(figures_module.FIGURE_SETS, "counting", f"{__name__}.counting_figures")
    COMPUTED.clear()
    from django.core.cache import cache

    cache.clear()
    return cache


def _age(cache, seconds: int) -> None:
    stored = cache.get("figures:counting:7")
    cache.set("figures:counting:7", Figures(stored.data, timezone.now() - timedelta(seconds=seconds)))


def test_it_computes_once_and_serves_the_stored_figures_to_every_reader(shared_cache):
    first = figures_for("counting", 7)
    second = figures_for("counting", 7)
    assert COMPUTED == [7]
    assert second.data == first.data == {"pk": 7, "computation": 1}
    assert second.computed_at == first.computed_at


def test_it_queues_one_refresh_when_old_and_serves_the_old_figures_meanwhile(
    shared_cache, django_capture_on_commit_callbacks
):
    figures_for("counting", 7)
    _age(shared_cache, 61)
    with django_capture_on_commit_callbacks() as queued:
        served = [figures_for("counting", 7).data["computation"] for _ in range(3)]
    assert served == [1, 1, 1]
    assert len(queued) == 1, "one refresh job, however many readers notice"
    figures_refresh_job("counting", 7)
    assert figures_for("counting", 7).data["computation"] == 2
    assert COMPUTED == [7, 7]


def test_it_computes_while_the_reader_waits_when_the_figures_are_too_old(shared_cache):
    figures_for("counting", 7)
    _age(shared_cache, 901)
    assert figures_for("counting", 7).data["computation"] == 2


def test_it_stores_nothing_when_fresh_seconds_is_zero(shared_cache, settings):
    settings.FIGURES_FRESH_SECONDS = 0
    assert [figures_for("counting", 7).data["computation"] for _ in range(2)] == [1, 2]
    assert shared_cache.get("figures:counting:7") is None


def test_the_dashboard_and_readiness_say_when_their_figures_were_computed(world, client, shared_cache):
    client.login(username=world.users["leader"].username, password=PASSWORD)
    for name in ("dossiers:dashboard", "indicators:readiness"):
        first = client.get(reverse(name))
        second = client.get(reverse(name))
        at = timezone.localtime(first.context["figures"].computed_at if name == "indicators:readiness"
                                else first.context["computed_at"])
        assert f"数字统计于 {at.year}年{at.month}月{at.day}日" in first.content.decode()
        assert _computed_at(second) == _computed_at(first), "the second reader gets the stored figures"


def _computed_at(response) -> str:
    page = response.content.decode()
    start = page.index('data-testid="computed-at"')
    return page[start:page.index("</", start)]
