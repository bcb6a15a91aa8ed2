import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evalprep.core.models import AuditEvent, Role
from tests.factories import PASSWORD, make_campaign, make_county, make_user


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "core:org_overview", "core:task_force", "core:campaign_detail"])
def test_it_issues_as_many_queries_for_50_villages_as_for_5(client, url_name):
    counts = []
    for index, villages in enumerate((5, 50)):
        county = make_county(code6=f"99050{index}", name=f"县{index}", townships=5, villages_per_township=villages // 5)
        make_campaign(county)
        make_user(f"bureau{index}", role=Role.COORDINATOR, county=county)
        client.login(username=f"bureau{index}", password=PASSWORD)
        counts.append(_queries(client, reverse(url_name)))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12


def test_it_counts_down_to_the_inspection_on_the_home_page(world, client):
    client.login(username="village_cadre", password=PASSWORD)
    page = client.get(reverse("home")).content.decode()
    assert "距预计评估开始" in page
    assert "2026年12月20日" in page and "名单报送截止" in page


def test_it_lets_the_bureau_move_a_milestone(world, client):
    milestone = world.campaign.milestones.get()
    client.login(username="coordinator", password=PASSWORD)
    response = client.post(
        reverse("core:milestone_edit", args=[milestone.pk]),
        {"kind": milestone.kind, "name": milestone.name, "due_date": "2026-12-18", "note": ""},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert str(milestone.due_date) == "2026-12-18"
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.object_id) == (world.users["coordinator"], "milestone_changed", str(milestone.pk))


def test_it_explains_a_bad_milestone_date_in_chinese(world, client):
    client.login(username="coordinator", password=PASSWORD)
    response = client.post(reverse("core:milestone_new"), {"kind": "other", "name": "新节点", "due_date": "12月18日"})
    assert response.status_code == 200
    assert "输入一个有效的日期" in response.content.decode()
    assert world.campaign.milestones.count() == 1


def _menu(client, url: str) -> tuple[list[str], list[str]]:
    """The navbar's entries and the one marked as the current page."""
    import re

    page = client.get(url).content.decode()
    menu = page[page.index('<ul class="navbar-nav me-auto">'):page.index('data-testid="notifications"')]
    return re.findall(r'class="(?:dropdown-item|nav-link)[^"]*" href="[^"]*"[^>]*>([^<]+)</a>', menu), re.findall(
        r'aria-current="page">([^<]+)</a>', menu
    )


def test_the_menu_has_the_entries_of_each_role_and_marks_the_most_specific_one(world, client):
    client.login(username="village_cadre", password=PASSWORD)
    entries, current = _menu(client, reverse("interviews:rehearsal"))
    assert "本村" in entries and "领导看板" not in entries and "管理后台" not in entries
    assert current == ["入户演练"]  # not 访谈准备, whose address is a prefix of it
    village = world.villages[0]
    assert _menu(client, reverse("households:roster"))[1] == ["住户台账"]

    client.login(username="leader", password=PASSWORD)
    entries, current = _menu(client, reverse("home"))
    assert "领导看板" in entries and "本村" not in entries and current == ["首页"]

    client.login(username="administrator", password=PASSWORD)
    assert "管理后台" in _menu(client, reverse("home"))[0]
    client.login(username="village_cadre", password=PASSWORD)  # the menus rendered once are not shared across kinds
    assert f'href="{reverse("core:village_detail", args=[village.pk])}"' in client.get(reverse("home")).content.decode()
    assert "管理后台" not in _menu(client, reverse("home"))[0]


def test_the_home_pages_owed_rows_say_what_to_do_and_escape_what_they_show():
    from evalprep.core.selectors import OwedEntry
    from evalprep.core.views import _ROW_ACTIONS, _owed_html

    entries = [
        OwedEntry(url="/r/1/", title="1.1 <会议>记录", unit_key=("village", 1), status="returned", due_label="2026年12月20日",
                  left_label="已逾期2天", due_class="overdue", unit="一村"),
        OwedEntry(url="/r/2/", title="1.2 方案", unit_key=("village", 1), status="accepted", due_label="—",
                  left_label="", due_class="", unit="一村"),
    ]
    html = str(_owed_html(entries, _ROW_ACTIONS, "验收"))
    assert '<span class="text-danger">退回后重新上传</span>' in html and "&lt;会议&gt;记录" in html
    assert 'class="text-nowrap small overdue">2026年12月20日' in html and "<td class=\"text-nowrap small\">验收</td>" in html


@pytest.mark.django_db
def test_milestone_rows_mark_the_overdue_escape_names_and_link_edits_only_for_managers(world):
    from datetime import timedelta

    from django.utils import timezone

    from evalprep.core.models import Milestone
    from evalprep.core.templatetags.evalprep import milestone_rows

    late = Milestone.objects.create(campaign=world.campaign, name="<早>报送", due_date=timezone.localdate() - timedelta(days=2))
    html = milestone_rows([late])
    assert "&lt;早&gt;报送" in html and 'class="text-end text-nowrap overdue">已逾期2天' in html and "修改" not in html
    assert f'href="/org/campaign/milestones/{late.pk}/edit/"' in milestone_rows([late], True)
    assert "暂无时间节点。" in milestone_rows([])
