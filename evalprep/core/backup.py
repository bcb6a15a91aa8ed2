"""Backup and restore: the whole database and every uploaded file in one archive.

PostgreSQL goes through pg_dump / pg_restore (custom format), SQLite through its
online backup API. The archive carries a manifest (rows per table and the
SHA-256 of every file), and a restore checks itself against it.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evalprep.core.counts import all_rows_changed
from evalprep.core.errors import EvalprepError
from evalprep.core.usercache import all_users_changed

FORMAT = 1
MANIFEST = "manifest.json"
POSTGRES_DUMP = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
MEDIA = "media"


class BackupError(EvalprepError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupManifest:
    engine: str
    created_at: str
    counts: dict[str, int]
    files: dict[str, str]  # path under MEDIA_ROOT → SHA-256

    def as_json(self) -> bytes:
        data = {"format": FORMAT, "engine": self.engine, "created_at": self.created_at, "counts": self.counts, "files": self.files}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()


def backup_write(*, out: Path) -> BackupManifest:
    """Write the archive to `out` (a .tar.gz) and return what it holds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / (POSTGRES_DUMP if connection.vendor == "postgresql" else SQLITE_FILE)
        counts = _database_dump(database)
        # Hashed after the dump: files are only added, so every file a dumped row names is here.
        manifest = BackupManifest(engine=connection.vendor, created_at=timezone.now().isoformat(), counts=counts, files=_media_hashes())
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _tar_add_bytes(archive, MANIFEST, manifest.as_json())
            archive.add(database, arcname=database.name)
            for relative in manifest.files:
                archive.add(Path(settings.MEDIA_ROOT) / relative, arcname=f"{MEDIA}/{relative}")
        partial.replace(out)  # a half-written archive never carries the final name
    return manifest


def backup_restore(*, archive: Path) -> BackupManifest:
    """Load the archive into this (empty) database and MEDIA_ROOT, then check both."""
    if connection.introspection.table_names():
        raise BackupError(
            "目标数据库不是空的，恢复会覆盖现有数据，已停止。"
            "请新建一个空数据库，把 DATABASE_URL 指向它，再运行恢复。"
        )
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory() as work:
        manifest = _manifest_read(tar)
        if manifest.engine != connection.vendor:
            raise BackupError(
                f"这份备份来自 {manifest.engine} 数据库，当前连接的是 {connection.vendor}，不能直接恢复。"
                "请把 DATABASE_URL 指向同一种数据库。"
            )
        tar.extractall(work, filter="data")
        _database_load(Path(work))
        media_source = Path(work) / MEDIA
        if media_source.exists():
            shutil.copytree(media_source, settings.MEDIA_ROOT, dirs_exist_ok=True)
    _restore_verify(manifest)
    all_rows_changed()  # counts and users cached from the database this one replaces
    all_users_changed()
    return manifest


def _row_counts(count: Callable[[str], int]) -> dict[str, int]:
    """Rows per model, each table counted by `count(table name)`."""
    models = apps.get_models(include_auto_created=True)
    return {model._meta.label: count(model._meta.db_table) for model in models if not model._meta.proxy}


def _count_with(cursor) -> Callable[[str], int]:
    def count(table: str) -> int:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        return cursor.fetchone()[0]

    return count


def _media_hashes() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {path.relative_to(root).as_posix(): _sha256(path) for path in sorted(root.rglob("*")) if path.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _tar_add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _manifest_read(tar: tarfile.TarFile) -> BackupManifest:
    try:
        data = json.loads(tar.extractfile(MANIFEST).read())
    except (KeyError, AttributeError, ValueError):
        raise BackupError("这个文件不是本系统的备份（缺少 manifest.json），请确认选对了文件。") from None
    if data.get("format") != FORMAT:
        raise BackupError(f"备份格式版本为 {data.get('format')}，本系统只认 {FORMAT}，请用生成它的同一版本恢复。")
    return BackupManifest(engine=data["engine"], created_at=data["created_at"], counts=data["counts"], files=data["files"])


def _postgres_environment() -> dict[str, str]:
    database = settings.DATABASES["default"]
    environment = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        if database.get(key):
            environment[variable] = str(database[key])
    return environment


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, env=_postgres_environment(), check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"找不到 {command[0]}，请先安装 PostgreSQL 客户端（Debian：apt install postgresql-client）。") from None
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} 失败：{error.stderr.strip()[:500]}") from None


def _database_dump(target: Path) -> dict[str, int]:
    """Dump the database to `target`; return the row counts of exactly what was dumped."""
    if connection.vendor == "postgresql":
        # Count in the same snapshot pg_dump reads, so writes during the backup cannot
        # make the manifest disagree with the dump.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _row_counts(_count_with(cursor))
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}", f"--file={target}"])
        return counts
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        return _row_counts(_count_with(copy.cursor()))  # counted in the copy itself
    finally:
        copy.close()


def _database_load(work: Path) -> None:
    if connection.vendor == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
              f"--dbname={settings.DATABASES['default']['NAME']}", str(work / POSTGRES_DUMP)])
        return
    connection.ensure_connection()
    with sqlite3.connect(work / SQLITE_FILE) as source:
        source.backup(connection.connection)
    source.close()


def _restore_verify(manifest: BackupManifest) -> None:
    with connection.cursor() as cursor:
        counts = _row_counts(_count_with(cursor))
    wrong = [f"{label}：备份 {expected}，恢复后 {counts.get(label)}" for label, expected in manifest.counts.items() if counts.get(label) != expected]
    files = _media_hashes()
    wrong += [f"文件 {path} 缺失或内容不同" for path, digest in manifest.files.items() if files.get(path) != digest]
    if wrong:
        raise BackupError("恢复后的数据与备份清单不一致：" + "；".join(wrong[:10]))
