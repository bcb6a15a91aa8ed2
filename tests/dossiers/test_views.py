"""Asking for a dossier in the browser: the unit's page, a job, the file, the
history, rebuild; the county pack fanned out and joined; the leaders' dashboard."""

import io
import zipfile

import pytest
from django.urls import reverse

from evalprep.celery import app as celery_app
from evalprep.core.models import AuditEvent
from evalprep.dossiers.models import Job, JobStatus
from evalprep.dossiers.services import dossier_request, pack_part_finished
from tests.factories import PASSWORD


@pytest.fixture
def jobs_inline(django_capture_on_commit_callbacks):
    celery_app.conf.task_always_eager = True
    yield django_capture_on_commit_callbacks
    celery_app.conf.task_always_eager = False


def _login(client, name: str):
    assert client.login(username=name, password=PASSWORD)
    return client


def test_it_lets_a_cadre_build_the_village_dossier_and_download_it(filled, client, jobs_inline):
    village = filled.world.villages[0]
    _login(client, "village_cadre")
    page = client.get(reverse("dossiers:dossier_unit", args=["village", village.pk])).content.decode()
    assert "build-village_dossier-pdf" in page and "build-household_cards-pdf" in page and "county_pack" not in page
    with jobs_inline(execute=True):
        response = client.post(reverse("dossiers:dossier_build", args=["village", village.pk]),
                               {"builder": "village_dossier", "format": "pdf"})
    job = Job.objects.get(kind="dossier")
    assert response.url == reverse("dossiers:job_detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert len(job.result_sha256) == 64 and job.result_name.endswith(".pdf")
    download = client.get(reverse("dossiers:job_download", args=[job.pk]))
    assert b"".join(download.streaming_content)[:5] == b"%PDF-"
    logged = AuditEvent.objects.get(action="dossier_downloaded")
    assert logged.user.username == "village_cadre" and logged.detail == job.result_name
    history = client.get(reverse("dossiers:dossier_unit", args=["village", village.pk])).content.decode()
    assert job.title in history


def test_it_keeps_the_history_and_rebuilds_as_a_new_job(filled, client, jobs_inline):
    village = filled.world.villages[0]
    _login(client, "coordinator")
    with jobs_inline(execute=True):
        client.post(reverse("dossiers:dossier_build", args=["village", village.pk]), {"builder": "village_dossier", "format": "xlsx"})
        first = Job.objects.get()
        response = client.post(reverse("dossiers:job_rebuild", args=[first.pk]))
    second = Job.objects.exclude(pk=first.pk).get()
    assert response.url == reverse("dossiers:job_detail", args=[second.pk])
    assert second.params == first.params and second.status == JobStatus.SUCCEEDED
    assert Job.objects.filter(kind="dossier", params__unit_id=village.pk).count() == 2


def test_it_refuses_a_format_a_builder_does_not_make_with_a_message(world, client):
    _login(client, "village_cadre")
    url = reverse("dossiers:dossier_build", args=["village", world.villages[0].pk])
    response = client.post(url, {"builder": "household_cards", "format": "xlsx"}, follow=True)
    assert "只提供PDF格式" in response.content.decode()
    assert not Job.objects.exists()


def test_it_does_not_let_a_cadre_ask_for_a_county_pack(world, client):
    _login(client, "village_cadre")
    url = reverse("dossiers:dossier_build", args=["village", world.villages[0].pk])
    client.post(url, {"builder": "county_pack", "format": "zip"})
    assert not Job.objects.exists()
    assert client.post(reverse("dossiers:dossier_build", args=["county", world.county.pk]),
                       {"builder": "county_pack", "format": "zip"}).status_code == 404


def test_it_shows_a_failed_build_as_a_message_not_a_spinner(world, client, jobs_inline):
    _login(client, "coordinator")
    with jobs_inline(execute=True):
        client.post(reverse("dossiers:dossier_build", args=["village", world.villages[1].pk]),
                    {"builder": "evidence_binder", "format": "pdf"})
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    page = client.get(reverse("dossiers:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in page and "还没有上传佐证资料" in page and "重新生成" in page


def test_it_fans_the_county_pack_out_per_village_and_joins_a_zip(filled, client, jobs_inline):
    _login(client, "leader")
    with jobs_inline(execute=True):
        client.post(reverse("dossiers:dossier_build", args=["county", filled.world.county.pk]),
                    {"builder": "county_pack", "format": "zip"})
    parent = Job.objects.get(parent__isnull=True)
    parts = list(parent.parts.all())
    assert len(parts) == 2 + 4 and all(part.status == JobStatus.SUCCEEDED for part in parts)  # briefing PDF + Excel, villages
    assert parent.status == JobStatus.SUCCEEDED, parent.error
    names = zipfile.ZipFile(io.BytesIO(parent.result_file.read())).namelist()
    assert sum(name.startswith("各村档案/") for name in names) == 4
    assert any(name.endswith(".xlsx") for name in names) and sum(name.endswith(".pdf") for name in names) == 5
    listing = client.get(reverse("dossiers:job_list")).content.decode()
    assert parent.title in listing and parts[-1].title not in listing


def test_it_joins_only_once_when_the_last_parts_finish_together(filled):
    parent = dossier_request(builder_id="county_pack", scope="county", unit=filled.world.county, fmt="zip",
                             user=filled.world.users["coordinator"])
    from evalprep.dossiers.services import pack_fan_out

    parts = pack_fan_out(parent)
    assert len(pack_fan_out(parent)) == len(parts) == 2 + 4  # found again, not duplicated
    Job.objects.filter(parent=parent).exclude(pk=parts[-1].pk).update(status=JobStatus.SUCCEEDED)
    assert pack_part_finished(parent.pk) is False
    Job.objects.filter(pk=parts[-1].pk).update(status=JobStatus.FAILED)
    assert [pack_part_finished(parent.pk) for _ in range(3)] == [True, False, False]


def test_it_fails_the_pack_naming_the_villages_that_failed(filled, jobs_inline):
    from evalprep.dossiers.jobs import county_pack_join_job

    parent = dossier_request(builder_id="county_pack", scope="county", unit=filled.world.county, fmt="zip",
                             user=filled.world.users["coordinator"])
    from evalprep.dossiers.services import pack_fan_out

    parts = pack_fan_out(parent)
    Job.objects.filter(parent=parent).update(status=JobStatus.SUCCEEDED)
    Job.objects.filter(pk=parts[2].pk).update(status=JobStatus.FAILED)  # the first village
    county_pack_join_job(parent.pk)
    parent.refresh_from_db()
    assert parent.status == JobStatus.FAILED, parent.error
    assert "1份资料未能生成（甲县第1镇甲县第1镇1村）" in parent.error


def test_it_shows_leaders_the_figures_each_linked_to_its_list(filled, client, django_assert_max_num_queries):
    _login(client, "leader")
    with django_assert_max_num_queries(30):
        response = client.get(reverse("dossiers:dashboard"))
    page = response.content.decode()
    assert "领导看板" in page and "dossiers_dashboard.js" in page and "echarts-5.6.0.min.js" in page
    assert "/households/?category=monitored&amp;monitoring_type=marginal" in page
    figures = response.context["figures"]
    assert figures["overall"]["total"] > 0
    assert [t["url"] for t in figures["townships"]][0].startswith("/indicators/?unit=township%3A")
    assert any(f["label"] == "因病" and f["value"] == 1 for f in figures["risks"])
    assert any("rule=dangerous_house" in f["url"] for f in figures["flags"])
    followed = client.get(figures["flags"][0]["url"])
    assert followed.status_code == 200


def test_it_shows_overdue_tasks_and_open_findings_on_the_dashboard_with_their_lists(modules, client):
    _login(client, "leader")
    page = client.get(reverse("dossiers:dashboard")).content.decode()
    work = page[page.index('data-testid="work-figures"'):]
    assert "逾期未验收任务" in work and f'{reverse("tasks:assignments")}?status=overdue' in work
    assert "未销号问题" in work and reverse("tasks:findings_overview") in work
    assert reverse("households:national_overview") in work
