"""Sessions from Redis with the database behind them (evalprep/core/sessions.py)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD, REDIS_DOWN

SESSIONS_IN_REDIS = "evalprep.core.sessions"


def _log_in(client: Client) -> None:
    response = client.post("/login/", {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def _session_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tasks/notifications/").status_code == 200
    return [query["sql"] for query in queries if "django_session" in query["sql"]]


@pytest.mark.django_db
def test_a_page_reads_its_session_from_redis_not_the_database(world, settings):
    if not settings.REDIS_URL:
        pytest.skip("runs in the Redis pass of .ci/run")
    settings.SESSION_ENGINE = SESSIONS_IN_REDIS
    client = Client()
    _log_in(client)
    assert _session_queries(client) == []


@pytest.mark.django_db
def test_with_redis_down_people_log_in_and_work_from_the_database(world, settings):
    settings.SESSION_ENGINE = SESSIONS_IN_REDIS
    settings.CACHES = REDIS_DOWN
    client = Client()
    _log_in(client)
    # Each page reads the session from the database instead, and nobody is logged out.
    assert len(_session_queries(client)) == 1
    assert client.get("/").status_code == 200
