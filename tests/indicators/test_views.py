"""The checklist pages: listing, a row's workflow through the views, downloads,
the bureau's review list, local requirements, readiness and the home page."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evalprep.core.models import Department, DepartmentKind, Role
from indicators.models import ChecklistRow, EvidenceFile, EvidenceRequirement, Level, RowStatus
from indicators.services import checklist_row_accept, checklist_row_sign_off, evidence_submit
from tests.factories import PASSWORD, make_campaign, make_county, make_user
from tests.indicators.conftest import EVIDENCE_DATE, EXE, PDF, campaign_use, image_bytes, upload

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _submit(world, row, name="会议记录.pdf", content=PDF):
    return evidence_submit(row=row, files=[upload(name, content)], note="", evidence_date=EVIDENCE_DATE,
                           user=world.users["village_cadre"])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the checklist ----------------------------------------------------------


def test_it_shows_a_cadre_only_their_villages_rows(tiny, world):
    response = _client("village_cadre").get(reverse("indicators:checklist"))
    rows = list(response.context["page"])
    assert response.status_code == 200
    assert [row.pk for row in rows] == [tiny.village.pk]
    assert "领导小组会议记录。" in response.content.decode()
    assert "县级会议纪要。" not in response.content.decode()


def test_it_shows_a_township_head_the_township_and_its_villages(tiny, world):
    rows = _client("township_head").get(reverse("indicators:checklist")).context["page"]
    units = {(row.level, str(row.unit)) for row in rows}
    assert units == {
        (Level.TOWNSHIP, world.townships[0].name),
        (Level.VILLAGE, world.villages[0].name), (Level.VILLAGE, world.villages[1].name),
    }


def test_it_filters_the_coordinators_checklist(tiny, world):
    client = _client("coordinator")
    assert len(client.get(reverse("indicators:checklist")).context["page"]) == 8
    _submit(world, tiny.village)
    by_status = client.get(reverse("indicators:checklist"), {"status": RowStatus.SUBMITTED}).context["page"]
    assert [row.pk for row in by_status] == [tiny.village.pk]
    by_level = client.get(reverse("indicators:checklist"), {"level": Level.TOWNSHIP}).context["page"]
    assert {(row.level, row.unit) for row in by_level} == {(Level.TOWNSHIP, t.name) for t in world.townships}
    by_unit = client.get(reverse("indicators:checklist"), {"unit": f"department:{world.departments[0].pk}"}).context["page"]
    assert [row.pk for row in by_unit] == [tiny.department.pk]
    item = tiny.village.requirement.item
    assert len(client.get(reverse("indicators:checklist"), {"item": item.pk, "area": item.area_id}).context["page"]) == 8


def test_it_pages_the_checklist_and_falls_back_to_the_last_page(tiny, world, monkeypatch):
    monkeypatch.setattr("indicators.views.PAGE_SIZE", 3)
    client = _client("coordinator")
    pages = [client.get(reverse("indicators:checklist"), {"page": n}).context["page"] for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [3, 3, 2]
    assert len({row.pk for page in pages for row in page}) == 8 and pages[0].paginator.count == 8
    past_the_end = client.get(reverse("indicators:checklist"), {"page": 99})
    assert past_the_end.context["page"].number == 3 and [row.pk for row in past_the_end.context["page"]] == [
        row.pk for row in pages[2]
    ]
    assert "3 / 3（共8行）" in past_the_end.content.decode()
    assert client.get(reverse("indicators:checklist"), {"page": "x"}).context["page"].number == 1


def test_it_marks_overdue_rows_red(tiny, world):
    world.campaign.inspection_start = timezone.localdate() - timedelta(days=3)
    world.campaign.save()
    response = _client("village_cadre").get(reverse("indicators:checklist"))
    assert 'overdue">' in response.content.decode()
    home = _client("village_cadre").get(reverse("home")).content.decode()
    assert "已逾期3天" in home and reverse("indicators:row", args=[tiny.village.pk]) in home


# --- a row's workflow through the views ------------------------------------------


def test_it_walks_a_village_row_from_upload_to_acceptance(tiny, world):
    row_url = reverse("indicators:row", args=[tiny.village.pk])
    cadre, head, bureau = _client("village_cadre"), _client("township_head"), _client("coordinator")

    page = cadre.get(row_url).content.decode()
    assert 'type="file"' in page and "multiple" in page
    assert f'type="date" name="evidence_date" value="{timezone.localdate():%Y-%m-%d}"' in page  # what Chromium accepts
    response = cadre.post(reverse("indicators:row_submit", args=[tiny.village.pk]), {
        "files": [upload("会议记录.pdf", PDF), upload("签到表.png", image_bytes("PNG"))],
        "note": "第一次会议", "evidence_date": "2026-01-10",
    }, follow=True)
    assert "已上传，等待负责人审核。" in _messages(response)
    tiny.village.refresh_from_db()
    assert tiny.village.status == RowStatus.SUBMITTED
    assert sorted(tiny.village.files.values_list("original_name", flat=True)) == ["会议记录.pdf", "签到表.png"]
    assert "乡镇审核盖章" in head.get(row_url).content.decode()

    head.post(reverse("indicators:row_sign_off", args=[tiny.village.pk]))
    bureau.post(reverse("indicators:row_return", args=[tiny.village.pk]), {"reason": "缺少签到表原件"})
    tiny.village.refresh_from_db()
    assert (tiny.village.status, tiny.village.return_reason) == (RowStatus.RETURNED, "缺少签到表原件")
    assert "缺少签到表原件" in cadre.get(row_url).content.decode()

    cadre.post(reverse("indicators:row_submit", args=[tiny.village.pk]),
               {"files": upload("签到表原件.jpg", image_bytes("JPEG")), "evidence_date": "2026-01-10"})
    head.post(reverse("indicators:row_sign_off", args=[tiny.village.pk]))
    response = bureau.post(reverse("indicators:row_accept", args=[tiny.village.pk]), follow=True)
    assert "已验收。" in _messages(response)
    tiny.village.refresh_from_db()
    assert tiny.village.status == RowStatus.ACCEPTED
    assert tiny.village.files.count() == 3


def test_it_turns_a_refused_file_into_a_message(tiny, world):
    response = _client("village_cadre").post(
        reverse("indicators:row_submit", args=[tiny.village.pk]),
        {"files": upload("报告.pdf", EXE), "evidence_date": "2026-01-10"}, follow=True,
    )
    assert any("不是可以接受的文件类型" in message for message in _messages(response))
    assert not EvidenceFile.objects.exists()


def test_it_refuses_a_return_without_a_reason(tiny, world):
    _submit(world, tiny.village)
    response = _client("coordinator").post(reverse("indicators:row_return", args=[tiny.village.pk]), {"reason": " "}, follow=True)
    assert "请填写退回原因，让经办人知道要改什么。" in _messages(response)
    tiny.village.refresh_from_db()
    assert tiny.village.status == RowStatus.SUBMITTED


def test_it_does_not_let_the_coordinator_sign_off_a_village_row(tiny, world):
    _submit(world, tiny.village)
    response = _client("coordinator").post(reverse("indicators:row_sign_off", args=[tiny.village.pk]))
    assert response.status_code == 403


# --- downloads ---------------------------------------------------------------------


def test_it_downloads_a_file_as_an_attachment(tiny, world):
    evidence = _submit(world, tiny.village)[0]
    response = _client("township_staff").get(reverse("indicators:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF


def test_it_hides_another_villages_file_from_a_cadre(tiny, world):
    other_row = ChecklistRow.objects.get(campaign=world.campaign, village=world.villages[2])
    evidence = evidence_submit(row=other_row, files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE,
                               user=world.users["coordinator"])[0]
    assert _client("village_cadre").get(reverse("indicators:evidence_download", args=[evidence.pk])).status_code == 404
    assert _client("coordinator").get(reverse("indicators:evidence_download", args=[evidence.pk])).status_code == 200


# --- the bureau's review list and local requirements ------------------------------------


def test_it_lists_rows_waiting_for_acceptance_or_returned(tiny, world):
    _submit(world, tiny.village)
    checklist_row_sign_off(row=tiny.village, user=world.users["township_head"])
    client = _client("leader")
    assert [row.pk for row in client.get(reverse("indicators:review")).context["page"]] == [tiny.village.pk]
    assert list(client.get(reverse("indicators:review"), {"status": RowStatus.RETURNED}).context["page"]) == []


def test_it_adds_a_local_requirement_with_its_rows(tiny, world):
    item = tiny.village.requirement.item
    response = _client("coordinator").post(reverse("indicators:requirement_new"), {
        "item": item.pk, "text": "村务公开栏照片。", "level": Level.VILLAGE, "village_filter": "",
    })
    assert response.status_code == 302
    requirement = EvidenceRequirement.objects.get(campaign=world.campaign)
    assert requirement.code == f"{item.code}.L1-V"
    assert requirement.rows.count() == 4


def test_it_shows_the_services_refusal_on_the_form(tiny, world):
    response = _client("coordinator").post(reverse("indicators:requirement_new"), {
        "item": tiny.village.requirement.item.pk, "text": "台账。", "level": Level.DEPARTMENT,
    })
    assert response.status_code == 200
    assert "部门保存的要求须选择一个或几个责任部门。" in response.content.decode()
    assert not EvidenceRequirement.objects.filter(campaign=world.campaign).exists()


# --- readiness -------------------------------------------------------------------


def test_it_shows_readiness_and_heatmap_data(tiny, world):
    _submit(world, tiny.village)
    checklist_row_sign_off(row=tiny.village, user=world.users["township_head"])
    checklist_row_accept(row=tiny.village, user=world.users["coordinator"])
    response = _client("village_cadre").get(reverse("indicators:readiness"))
    overall = response.context["overall"]
    assert (overall.total, overall.accepted, overall.percent) == (8, 1, 12)
    page = response.content.decode()
    assert 'data-testid="overall-percent">12%<' in page
    assert "vendor/echarts-5.6.0.min.js" in page and "js/indicators_heatmap.js" in page
    villages = json.loads(page.split('id="heatmap-villages-data" type="application/json">')[1].split("</script>")[0])
    assert villages["units"][:2] == [world.villages[0].name, world.villages[1].name]
    assert [0, 0, 100] in villages["cells"] and [0, 1, 0] in villages["cells"]
    departments = json.loads(page.split('id="heatmap-departments-data" type="application/json">')[1].split("</script>")[0])
    assert departments["cells"] == [[0, 0, None], [0, 1, 0]]  # 卫生健康局 owes nothing, 教育局 one row


# --- a fixed number of queries ------------------------------------------------------------


def _county_with_villages(code6: str, per_township: int):
    county = make_county(code6=code6, name=f"县{code6}", townships=5, villages_per_township=per_township)
    Department.objects.create(county=county, kind=DepartmentKind.EDUCATION, name="教育局")
    campaign = make_campaign(county)
    campaign_use(campaign, "2021-national")
    rows = ChecklistRow.objects.filter(campaign=campaign, level=Level.VILLAGE)
    for row in rows.order_by("pk")[:3]:
        evidence_submit(row=row, files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE,
                        user=make_user(f"cadre{row.pk}", role=Role.VILLAGE_CADRE, county=county, village=row.village))
    ChecklistRow.objects.filter(pk__in=rows.filter(status=RowStatus.MISSING).values("pk")[:2]).update(
        status=RowStatus.RETURNED, return_reason="不清晰")
    make_user(f"coordinator{code6}", role=Role.COORDINATOR, county=county)
    make_user(f"head{code6}", role=Role.TOWNSHIP_HEAD, county=county, township=county.townships.order_by("code").first())
    return campaign


def test_the_pages_take_the_same_queries_for_5_and_50_villages():
    small, large = _county_with_villages("980101", 1), _county_with_villages("980202", 10)
    assert ChecklistRow.objects.filter(campaign=large, level=Level.VILLAGE).count() == 12 * 50  # one of 13 is for relocation villages only
    pages = ["indicators:checklist", "indicators:readiness", "indicators:review", "home"]
    for role in ("coordinator", "head"):
        for name in pages:
            if name == "indicators:review" and role == "head":
                continue
            counts = []
            for campaign in (small, large):
                client = _client(f"{role}{campaign.county.code[:6]}")
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(reverse(name)).status_code == 200
                counts.append(len(queries))
            assert counts[0] == counts[1], (role, name, counts)
