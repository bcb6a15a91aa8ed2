"""The shared cache on Redis keeps one client per connection pool (evalprep/core/cache.py)."""

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

from evalprep.core.cache import RedisCache
from tests.factories import REDIS_DOWN


@pytest.fixture
def redis_cache(settings):
    if not settings.REDIS_URL:
        pytest.skip("runs in the Redis pass of .ci/run")
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-cache"})
    yield cache
    cache.clear()


def test_it_keeps_one_client_and_still_reads_and_writes(redis_cache):
    client = redis_cache._cache.get_client()
    redis_cache.set("村", {"户数": 44})
    redis_cache.set_many({"a": 1, "b": 2})
    assert redis_cache.get("村") == {"户数": 44}
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert redis_cache.incr("a") == 2
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert redis_cache._cache.get_client(write=True) is client and redis_cache._cache.get_client() is client


def test_each_replica_has_its_own_client(settings):
    """With a primary and read replicas (LOCATION "url1,url2"), each pool keeps its own client."""
    cache = RedisCache("redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", {})
    primary = cache._cache.get_client(write=True)
    clients = {id(cache._cache.get_client()) for _ in range(50)}
    assert primary.connection_pool is cache._cache._get_connection_pool(True)
    assert id(primary) not in clients and len(clients) == 1  # reads go to the one replica


def test_with_redis_down_every_call_fails_as_with_django_s_own_backend():
    down = RedisCache(REDIS_DOWN["default"]["LOCATION"], {})
    for _ in range(2):  # the kept client holds no broken connection: each call tries again
        with pytest.raises(RedisConnectionError):
            down.get("x")


def test_the_settings_use_it_with_redis(settings):
    expected = "evalprep.core.cache.RedisCache" if settings.REDIS_URL else "django.core.cache.backends.filebased.FileBasedCache"
    assert caches.settings["default"]["BACKEND"] == expected
