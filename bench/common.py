"""What the benchmarks share: a throwaway database, and Django set up on it, for one run."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def django_on_throwaway_database(url: str, *, prefix: str) -> Iterator[tuple[Path, str]]:
    """Django set up on a database and a var/ folder only this run uses, both removed afterwards.

    Yields the work folder and the database URL (worker processes started by the
    benchmark take the same URL).
    """
    work_dir = Path(tempfile.mkdtemp(prefix=f"evalprep-{prefix}-"))
    database_url, drop = throwaway_database(url, work_dir, prefix=prefix)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "evalprep.settings", "EVALPREP_VAR_DIR": str(work_dir / "var"),
        "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "MEDIA_ROOT": str(work_dir / "media"),
    })
    try:
        import django

        django.setup()
        yield work_dir, database_url
    finally:
        from django.db import connections

        connections.close_all()
        if drop:
            drop()
        shutil.rmtree(work_dir, ignore_errors=True)
