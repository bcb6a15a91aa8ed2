"""The shared cache on Redis (settings.CACHES when REDIS_URL is set).

Django's Redis cache builds a new redis-py client for every call; the client's
constructor fills a table of some 250 reply parsers, which took about 0.15 ms of
each cache read here, against about 0.2 ms for the round trip to Redis itself.
Every page reads the cache (its session, the list counts, the county figures),
so this backend builds one client per connection pool and keeps it. A client
holds no connection of its own (the pool does) and is safe to share, and
Django's caches are per thread anyway.

Also the versions that the cached list counts (evalprep.core.counts) and the
signed-in user (evalprep.core.usercache) are kept under.
"""

import logging
import secrets

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import transaction

logger = logging.getLogger(__name__)


class _KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _KeptClient


def versions(keys: list[str]) -> list[str]:
    """The version token kept under each key, a new one where none is (one read, and one write
    for the new ones).

    Entries are cached under the versions of what they were read from, and a change forgets those
    versions (versions_forget): a reader who read before the change and writes after it writes under
    a version nobody reads any more. A version is a random token rather than a number, so a version
    lost from the cache never comes back as one already used."""
    found = cache.get_many(keys)
    new = {key: secrets.token_hex(8) for key in keys if key not in found}
    if new:
        # Two readers missing the same version each set their own: the one set first is read no
        # more, so what was kept under it is only wasted, never stale.
        cache.set_many(new, timeout=None)
        found.update(new)
    return [found[key] for key in keys]


def versions_forget(keys: list[str], what: str) -> None:
    """What is cached under these versions is read afresh once the current transaction commits.
    `what` names it in the warning logged while the cache cannot be reached."""

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("%s缓存不可用，未能作废（%s）", what, ", ".join(keys), exc_info=True)

    transaction.on_commit(forget)
