"""The web process keeps what it loads out of the garbage collector's way (evalprep/wsgi.py)."""

import gc
import importlib

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections


@pytest.fixture
def wsgi():
    """evalprep.wsgi as a fresh web process would run it, its freezing undone afterwards. The
    requests' ends are signalled without closing the database connection (as the test client does)."""
    import evalprep.wsgi

    gc.unfreeze()
    module = importlib.reload(evalprep.wsgi)
    request_finished.disconnect(close_old_connections)
    yield module
    request_finished.connect(close_old_connections)
    request_finished.disconnect(module._freeze_after_warm_up)
    gc.unfreeze()


def test_what_loads_at_start_is_frozen(wsgi):
    assert gc.get_freeze_count() > 10_000


def test_what_the_first_requests_load_is_frozen_after_them(wsgi):
    at_start = gc.get_freeze_count()
    loaded = [{"kept": [n]} for n in range(5_000)]  # as the views, templates and caches the first requests load
    for _ in range(wsgi.WARM_UP_REQUESTS - 1):
        request_finished.send(sender=None)
    assert gc.get_freeze_count() == at_start  # not in the middle of the warm-up
    request_finished.send(sender=None)
    assert gc.get_freeze_count() >= at_start + 10_000
    frozen = gc.get_freeze_count()
    later = [{"kept": [n]} for n in range(5_000)]
    request_finished.send(sender=None)
    assert gc.get_freeze_count() == frozen  # once: not a full collection after every request
    assert loaded and later


def test_a_web_process_compiles_every_template_before_its_first_request(wsgi, settings):
    from django.template import engines

    assert wsgi.warm_up() == []
    loader = engines["django"].engine.template_loaders[0]
    compiled = set(loader.get_template_cache)
    assert {"base.html", "households/screening_worklist.html", "core/home.html"} <= compiled
