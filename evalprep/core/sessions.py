"""Sessions read from the shared cache (Redis) and kept in the database too.

Every page reads its session: from Redis that is one GET instead of a query.
The database keeps every session, so a Redis restart logs no one out, and while
Redis cannot be reached sessions are read from and written to the database alone
(Django's cached_db store already survives a failed read or save; this one also
survives the write-back after reading from the database, and the existence check
on login). Logging out still fails while Redis is down: a session must not stay
readable from the cache after its owner logged out.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("会话缓存不可用，改从数据库读取（%s）", self._cache, exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("会话缓存不可用，未写回（%s）", self._cache, exc_info=True)
        return data

    def exists(self, session_key):
        try:
            if session_key and self.cache_key_prefix + session_key in self._cache:
                return True
        except Exception:
            logger.warning("会话缓存不可用，改查数据库（%s）", self._cache, exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)
