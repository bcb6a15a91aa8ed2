"""Checks that the database and Redis named in the environment answer.

A failure is one line that names the variable, in Chinese and English, and
exit status 2: no traceback for the person starting the app.
"""

import sys

from evalprep.env import ConfigError, redacted_url


class ServiceUnavailable(Exception):
    pass


def check_database() -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnavailable(
            f"无法连接环境变量 DATABASE_URL 指定的数据库（{reason}），请检查地址、端口、用户名和库名"
            f" / cannot connect to the database named by DATABASE_URL"
        ) from None


def check_redis() -> None:
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ServiceUnavailable(
            f"无法连接环境变量 REDIS_URL 指定的 Redis（{redacted_url(settings.REDIS_URL)}：{exc}）"
            f" / cannot reach Redis at REDIS_URL"
        ) from None


def fail(message: str) -> None:
    print(f"evalprep: {message}", file=sys.stderr)
    sys.exit(2)


def run_guarded(main) -> None:
    """Run a command line entry point, turning setup errors into one line."""
    from django.db.utils import OperationalError

    try:
        main()
    except ConfigError as exc:
        fail(str(exc))
    except ServiceUnavailable as exc:
        fail(str(exc))
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"数据库（DATABASE_URL）不可用：{reason} / the database named by DATABASE_URL is unavailable")
