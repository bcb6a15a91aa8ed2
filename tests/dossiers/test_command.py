"""build_dossier runs the same builders from the command line."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from evalprep.dossiers.models import Job, JobStatus
from evalprep.dossiers.services import jobs_recover


def test_it_writes_a_village_dossier_pdf(filled, tmp_path):
    village = filled.world.villages[0]
    out = tmp_path / "v.pdf"
    call_command("build_dossier", "village", village.code, "--format", "pdf", "--out", str(out), "--quiet")
    text = "".join("".join(page.extract_text() for page in PdfReader(out).pages).split())
    assert village.name in text


def test_it_writes_every_other_kind(filled, tmp_path):
    world = filled.world
    runs = [
        ("cards", world.villages[0].code, "pdf"), ("department", "教育局", "xlsx"),
        ("county", world.county.code, "xlsx"), ("pack", world.county.code, "zip"),
        ("binder", f"village:{world.villages[0].code}", "pdf"), ("policy", f"department:{world.departments[0].pk}", "pdf"),
    ]
    for kind, unit, fmt in runs:
        out = tmp_path / f"{kind}.{fmt}"
        call_command("build_dossier", kind, unit, "--format", fmt, "--out", str(out), "--quiet")
        content = out.read_bytes()
        if fmt == "pdf":
            assert len(PdfReader(out).pages) >= 1
        elif fmt == "xlsx":
            assert "封面" in load_workbook(out).sheetnames
        else:
            assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 2 + 4


def test_it_names_what_it_cannot_find(world):
    with pytest.raises(CommandError, match="找不到村代码“000”"):
        call_command("build_dossier", "village", "000", "--quiet")
    with pytest.raises(CommandError, match="不提供Excel格式"):
        call_command("build_dossier", "cards", world.villages[0].code, "--format", "xlsx", "--quiet")


def test_it_queues_again_a_job_whose_local_worker_is_gone(world, monkeypatch):
    import socket

    sent = []
    monkeypatch.setattr("evalprep.celery.app.send_task", lambda name, args: sent.append((name, args)))
    host = socket.gethostname()
    make = lambda worker: Job.objects.create(  # noqa: E731
        county=world.county, kind="dossier", title="t", status=JobStatus.RUNNING, worker=worker,
        task_name="evalprep.dossiers.jobs.dossier_build_job",
    )
    dead, alive, elsewhere = make(f"{host}:999999999"), make(f"{host}:{__import__('os').getpid()}"), make("other-host:1")
    assert jobs_recover() == [dead.pk]
    assert sent == [("evalprep.dossiers.jobs.dossier_build_job", [dead.pk])]
    dead.refresh_from_db()
    assert dead.status == JobStatus.QUEUED and dead.worker == ""
    alive.refresh_from_db(), elsewhere.refresh_from_db()
    assert alive.status == elsewhere.status == JobStatus.RUNNING
