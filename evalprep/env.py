"""Small typed readers for environment variables, and the one error they raise.

A wrong value stops the program with one line that names the variable, in
Chinese and English, instead of a traceback (see manage.py and preflight).
"""

import os
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(ImproperlyConfigured):
    """A setting read from the environment is unusable."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(
        f"环境变量 {name}={raw!r} 应为 true 或 false / {name} must be true or false"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(
            f"环境变量 {name}={raw!r} 应为整数 / {name} must be a whole number"
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, *, default: str) -> dict[str, Any]:
    raw = os.environ.get(name, "").strip() or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several kinds
        raise ConfigError(
            f"环境变量 {name} 无法解析（{exc}），应形如 "
            f"postgres://用户:密码@主机:5432/库名 / {name} cannot be parsed"
        ) from None
    if not config.get("ENGINE"):
        raise ConfigError(
            f"环境变量 {name} 的数据库类型不受支持，请用 postgres:// 或 sqlite:// "
            f"/ {name} names an unsupported database"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
    return config


def redacted_url(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
