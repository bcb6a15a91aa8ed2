"""Backup and restore: a backup restored into an empty database brings back every
household, every uploaded file and every history row."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from evalprep.core.backup import BackupError, backup_restore, backup_write
from evalprep.dossiers.models import Job, JobStatus
from households.models import Household, Member
from tests.factories import make_household

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database(tmp_path):
    """A URL for a new, empty database of the kind the tests run on."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    database = settings.DATABASES["default"]
    admin = {"host": database["HOST"] or None, "port": database["PORT"] or None, "user": database["USER"],
             "password": database["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    name = f"evalprep_restore_{os.getpid()}"
    with psycopg.connect(**admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    yield f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
    with psycopg.connect(**admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _count(url: str, table: str) -> int:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as database:
            return database.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    import psycopg

    with psycopg.connect(url) as database:
        return database.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_it_restores_every_household_file_and_history_row_into_an_empty_database(world, tmp_path, empty_database):
    for seq in range(1, 6):
        household = make_household(world.villages[seq % 3], number=f"{seq:04d}", seq=seq)
        household.phone = f"1390000000{seq}"
        household.save()  # a second history row
    job = Job.objects.create(county=world.county, kind="org_check", title="自检", created_by=world.users["coordinator"], status=JobStatus.SUCCEEDED)
    job.result_file.save("自检报告.xlsx", ContentFile("报告内容".encode()), save=True)
    archive = tmp_path / "备份.tar.gz"
    manifest = backup_write(out=archive)
    assert manifest.counts["households.Household"] == 5
    assert manifest.counts["households.HistoricalHousehold"] >= 10

    restored_media = tmp_path / "restored-media"
    environment = {**os.environ, "DATABASE_URL": empty_database, "MEDIA_ROOT": str(restored_media)}
    done = subprocess.run([sys.executable, "manage.py", "restore", str(archive)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "与清单核对一致" in done.stdout

    assert _count(empty_database, Household._meta.db_table) == 5
    assert _count(empty_database, Member._meta.db_table) == Member.objects.count()
    assert _count(empty_database, Household.history.model._meta.db_table) == Household.history.count()
    assert (restored_media / job.result_file.name).read_bytes() == "报告内容".encode()

    again = subprocess.run([sys.executable, "manage.py", "restore", str(archive)], cwd=ROOT, env=environment,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode != 0
    assert "目标数据库不是空的" in again.stderr


@pytest.mark.django_db
def test_it_refuses_to_restore_over_existing_data(world, tmp_path):
    archive = tmp_path / "备份.tar.gz"
    archive.write_bytes(b"")
    with pytest.raises(BackupError, match="目标数据库不是空的"):
        backup_restore(archive=archive)
