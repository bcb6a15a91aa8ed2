"""End to end: a village cadre asks for the village dossier in a real Chromium,
a real Celery worker builds it (Redis or the file-system broker), the page
shows the progress bar moving to 100 %, and the PDF downloads."""

import io
import time

import pytest
from pypdf import PdfReader

from evalprep.celery import app as celery_app
from tests.browser import browser_login
from tests.dossiers.conftest import fill_county
from tests.dossiers.test_worker import start_worker, stop_worker
from tests.factories import build_world


@pytest.fixture
def worker():
    celery_app.control.purge()
    process = start_worker()
    yield process
    stop_worker(process)


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_cadre_builds_and_downloads_the_village_dossier(live_server, worker, browser, tmp_path):
    filled = fill_county(build_world(), tmp_path)
    village = filled.world.villages[0]
    base = live_server.url
    page = browser_login(browser, base, "village_cadre", accept_downloads=True)

    page.goto(f"{base}/jobs/dossiers/")  # one village: straight to its page
    assert village.name in page.content()
    with page.expect_navigation():
        page.get_by_test_id("build-village_dossier-pdf").click()
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        holder = page.locator("#job-progress")
        status = holder.get_attribute("data-status")
        seen.append((status, page.locator(".progress").get_attribute("aria-valuenow")))
        if status in ("succeeded", "failed"):
            break
        page.wait_for_timeout(200)
    assert seen[0][0] in ("queued", "running"), seen  # the page polled before the file was ready
    assert seen[-1] == ("succeeded", "100"), seen

    with page.expect_download() as download_info:
        page.get_by_test_id("job-download").click()
    path = tmp_path / "dossier.pdf"
    download_info.value.save_as(path)
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages).split())
    assert village.name in text and filled.households[1].head_name in text
