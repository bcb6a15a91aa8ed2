"""The bureau's page of who revealed personal data and who exported rosters."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from evalprep.core.models import AuditEvent
from evalprep.core.services import audit_log
from tests.factories import PASSWORD, make_household

URL = "/org/audit/"


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_it_logs_a_reveal_and_an_export_and_shows_them_to_the_bureau(world):
    household = make_household(world.villages[0], number="0001", seq=1)
    head = household.members.get(relation="户主")
    cadre = _client("village_cadre")
    cadre.post(f"/households/{household.pk}/members/{head.pk}/reveal/id_number/", REMOTE_ADDR="10.1.2.3")
    cadre.get("/households/export/")

    page = _client("coordinator").get(URL, {"personal_only": "on"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "查看完整身份证号" in text and "导出花名册" in text
    assert "10.1.2.3" in text and "village_cadre" in text
    assert head.name in text
    assert head.id_number not in text


@pytest.mark.django_db
def test_it_filters_by_user_and_date_and_keeps_other_counties_out(world):
    audit_log(user=world.users["coordinator"], action="milestone_changed", county_id=world.county.pk, detail="本县节点")
    audit_log(user=world.users["leader"], action="roster_exported", county_id=world.county.pk, detail="领导导出")
    old = audit_log(user=world.users["leader"], action="roster_exported", county_id=world.county.pk, detail="上月导出")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=40))
    audit_log(user=world.users["other_coordinator"], action="roster_exported", county_id=world.other_county.pk, detail="外县导出")
    client = _client("coordinator")

    text = client.get(URL).content.decode()
    assert "本县节点" in text and "领导导出" in text and "外县导出" not in text

    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    text = client.get(URL, {"personal_only": "on", "username": "lead", "date_from": since}).content.decode()
    assert "领导导出" in text and "上月导出" not in text and "本县节点" not in text

    backwards = client.get(URL, {"date_from": "2026-12-01", "date_to": "2026-11-01"}).content.decode()
    assert "起始日期晚于截止日期" in backwards


@pytest.mark.django_db
def test_the_rows_written_in_python_escape_what_people_typed(world):
    """The log's rows are written without the template engine: details and names must still come
    out escaped; an event without a user is the system's."""
    leader = world.users["leader"]
    leader.first_name = "<b>领导</b>"
    leader.save()
    audit_log(user=leader, action="roster_exported", county_id=world.county.pk,
              detail='条件：q=<script>alert("x")</script>&page=2', ip_address="10.1.2.3")
    audit_log(user=None, action="milestone_changed", county_id=world.county.pk, detail="自动调整")
    text = _client("coordinator").get(URL).content.decode()
    assert "<script>alert" not in text and "<td>条件：q=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;page=2</td>" in text
    assert '&lt;b&gt;领导&lt;/b&gt;<span class="text-muted small">（leader）</span>' in text
    assert '<span class="text-muted">系统</span>' in text and "10.1.2.3" in text and "导出花名册" in text


@pytest.mark.django_db
def test_it_reads_a_page_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for index in range(120):
        audit_log(user=world.users["village_cadre"], action="reveal_phone", county_id=world.county.pk, detail=f"第{index}次")
    client = _client("coordinator")
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"page": 2})
    assert "第 2 / 3 页" in response.content.decode()


def test_it_names_every_action_the_code_logs_in_chinese():
    """A new audit action without a label would show its code on the bureau's page."""
    import re
    from pathlib import Path

    from evalprep.core.audit import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    logged = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "audit_log(" in text or "_finding_save(" in text or "_transition(" in text:
            logged |= set(re.findall(r'action="([a-z]+_[a-z_]+)"', text))
            logged |= set(re.findall(r'_finding_save\(finding, user, "([a-z_]+)"', text))
    logged |= {"reveal_id_number", "reveal_phone"}
    assert logged, "no audit actions found"
    assert not logged - set(ACTION_LABELS), sorted(logged - set(ACTION_LABELS))
