"""Login throttling: a password guesser is stopped, the account's owner elsewhere is not."""

import pytest
from django.test import Client

from tests.conftest import PRODUCTION_AUTHENTICATION_BACKENDS
from tests.factories import PASSWORD


@pytest.fixture
def throttled(settings):
    settings.AUTHENTICATION_BACKENDS = PRODUCTION_AUTHENTICATION_BACKENDS
    return settings


def _attempt(client: Client, password: str, *, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": "coordinator", "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_it_locks_an_account_out_after_too_many_wrong_passwords(world, throttled):
    client = Client()
    for _ in range(throttled.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "guess").status_code == 200
    locked = _attempt(client, "guess")
    assert locked.status_code == 429
    assert "密码错误次数过多" in locked.content.decode()
    assert "15 分钟后再试" in locked.content.decode()
    # Even the right password waits out the lock from that address…
    assert _attempt(client, PASSWORD).status_code == 429
    # …while the owner at another computer still gets in.
    assert _attempt(Client(), PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_it_forgets_failures_after_a_successful_login(world, throttled):
    client = Client()
    for _ in range(throttled.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "guess")
    assert _attempt(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(throttled.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "guess").status_code == 200


@pytest.mark.django_db
def test_it_counts_behind_a_proxy_by_the_address_the_proxy_reports(world, throttled):
    throttled.CLIENT_IP_HEADER = "X-Real-IP"
    client = Client()
    for _ in range(throttled.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "coordinator", "password": "guess"}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    blocked = client.post("/login/", {"username": "coordinator", "password": PASSWORD}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert blocked.status_code == 429
    # The same proxy forwarding another browser: not locked out.
    other = Client().post("/login/", {"username": "coordinator", "password": PASSWORD}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.2")
    assert other.status_code == 302
