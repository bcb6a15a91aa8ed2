"""A wrong DATABASE_URL or an unreachable Redis: one line naming the variable."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, capture_output=True, text=True,
        env={**os.environ, **env}, timeout=60,
    )


@pytest.mark.parametrize("url", ["postgres://nobody@127.0.0.1:1/evalprep", "postgres://a@host:notaport/x", "mysqlx://x/y"])
def test_it_names_database_url_in_one_line(url):
    result = _manage("migrate", DATABASE_URL=url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0] and "Traceback" not in result.stderr


def test_it_names_redis_url_in_one_line():
    result = _manage("preflight", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "REDIS_URL" in result.stderr and "Traceback" not in result.stderr


def test_it_names_a_bad_boolean_variable():
    result = _manage("check", DEBUG="perhaps")
    assert result.returncode == 2
    assert "DEBUG" in result.stderr and "Traceback" not in result.stderr


def test_it_passes_check_deploy_when_debug_is_off():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false", SECRET_KEY="")
    assert result.returncode == 0, result.stderr


def test_it_collects_static_files_for_whitenoise(tmp_path):
    result = _manage("collectstatic", "--noinput", "-v0", DEBUG="false", STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/htmx-2.0.11.min.js" in manifest and "vendor/bootstrap-5.3.8/bootstrap.min.css" in manifest
