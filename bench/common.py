"""What the benchmarks share: a throwaway database for one run."""

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def throwaway_database(url: str, work_dir: Path, *, prefix: str) -> tuple[str, Callable[[], None] | None]:
    """A database URL only this run uses, and how to drop it (None for a SQLite file).

    Without a URL: a SQLite file in `work_dir`. With a postgres:// URL: a new
    database on that server, named after the prefix and this process.
    """
    if not url:
        return f"sqlite:///{work_dir / f'{prefix}.sqlite3'}", None
    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("--database-url: only postgres://… is supported (SQLite is the default)")
    name = f"evalprep_{prefix}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop
