"""Pages: scoping, bounded queries, the village board's guides, the contact sheet, the bell and the home page."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from evalprep.core.models import Department, GroupRole, Village, VillageGroup, WorkingGroupMember
from tasks.models import Assignment, Finding, Guide, Notification, NotificationKind, TaskTemplate
from tasks.services import finding_create, task_assign, task_plan_assign_all
from tests.factories import PASSWORD


def _client(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def _assign(world, code, unit):
    template = TaskTemplate.objects.get(campaign=world.campaign, code=code)
    return task_assign(template=template, units=[unit], user=world.users["coordinator"])[0]


@pytest.mark.django_db
def test_it_shows_a_department_only_its_own_assignments(world, plan):
    own = _assign(world, "2-1-4", world.departments[0])
    other = _assign(world, "2-1-1", world.departments[1])
    client = _client("department_staff")
    page = client.get("/tasks/").content.decode()
    assert "疑似辍学学生和未享受资助困难学生名册" in page and "重大疾病监测人员名单" not in page
    assert client.get(f"/tasks/assignments/{own.pk}/").status_code == 200
    assert client.get(f"/tasks/assignments/{other.pk}/").status_code == 404


@pytest.mark.django_db
def test_it_shows_a_department_only_its_own_findings_on_the_ledger(world):
    for department in world.departments:
        finding_create(campaign=world.campaign, user=world.users["coordinator"], source="audit",
                       description=f"{department.name}的问题", deadline=date(2026, 12, 25), responsible_department=department)
    page = _client("department_head").get("/tasks/findings/").content.decode()
    assert "教育局的问题" in page and "卫生健康局的问题" not in page
    other = Finding.objects.get(responsible_department=world.departments[1])
    assert _client("department_head").get(f"/tasks/findings/{other.pk}/").status_code == 404


def _many(world):
    """Every duty of the plan assigned, a dozen findings and a guide: enough rows to show unbounded queries."""
    task_plan_assign_all(campaign=world.campaign, user=world.users["coordinator"])
    for n in range(12):
        finding_create(campaign=world.campaign, user=world.users["coordinator"], source="media", description=f"问题{n}",
                       deadline=date(2026, 12, 25), responsible_department=world.departments[n % 2],
                       village=world.villages[n % 3])
    Guide.objects.create(campaign=world.campaign, group=world.villages[0].groups.get(), name="引导员甲")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/tasks/", "/tasks/?status=overdue", "/tasks/plan/", "/tasks/sign-off/", "/tasks/board/", "/tasks/board/?level=village",
    "/tasks/board/?level=working_group", "/tasks/contacts/", "/tasks/findings/", "/tasks/findings/overview/",
    "/tasks/notifications/", "/",
])
def test_it_keeps_list_pages_within_a_bounded_number_of_queries(world, plan, django_assert_max_num_queries, url):
    _many(world)
    client = _client("coordinator")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_it_keeps_the_village_board_and_a_head_queue_bounded(world, plan, django_assert_max_num_queries):
    _many(world)
    client = _client("township_head")
    with django_assert_max_num_queries(12):
        assert client.get(f"/tasks/villages/{world.villages[0].pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/tasks/sign-off/").status_code == 200


@pytest.mark.django_db
def test_the_list_rows_written_in_python_escape_what_people_typed(world, plan):
    """The task list's rows are written without the template engine: titles, codes and unit names must
    still come out escaped, with the assignment's link, the days left and the status badge."""
    late = _assign(world, "2-1-4", world.departments[0])
    soon = _assign(world, "2-1-1", world.departments[1])
    TaskTemplate.objects.filter(pk=late.template_id).update(title='<script>alert("x")</script>', code="2-1-4&甲")
    Department.objects.filter(pk=world.departments[0].pk).update(name='<b>教育局</b> & "局"')
    today = timezone.localdate()
    Assignment.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=2), status="returned", return_reason="缺附件")
    Assignment.objects.filter(pk=soon.pk).update(due_date=today + timedelta(days=3))
    client = _client("coordinator")
    page = client.get("/tasks/").content.decode()
    assert "<script>alert" not in page and "<b>教育局" not in page
    assert f'<td><a href="/tasks/assignments/{late.pk}/">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a></td>' in page
    assert '<td class="small text-nowrap">2-1-4&amp;甲</td><td>' in page
    assert '<td class="small">&lt;b&gt;教育局&lt;/b&gt; &amp; &quot;局&quot;</td>' in page
    assert '<td class="small text-nowrap overdue">已逾期2天</td>' in page
    assert f'<span class="badge text-bg-danger" data-testid="status-{late.pk}" data-status="returned">已退回·逾期</span>' in page
    assert '<td class="small text-nowrap due-soon">还剩3天</td>' in page
    assert f'data-testid="status-{soon.pk}" data-status="assigned">已分派</span>' in page
    assert "没有符合条件的任务" not in page and "没有符合条件的任务" in client.get("/tasks/?status=accepted").content.decode()


@pytest.mark.django_db
def test_the_board_rows_written_in_python_escape_what_people_typed(world, plan):
    """The board's rows are written without the template engine: unit names must still come out
    escaped, a village's with the link to its board, beside the cells and the count accepted."""
    village = world.villages[0]
    assignment = _assign(world, "3-5", village)
    Village.objects.filter(pk=village.pk).update(name='<script>alert("x")</script> & "村"')
    client = _client("coordinator")
    page = client.get("/tasks/board/?level=village").content.decode()
    assert "<script>alert" not in page
    assert (f'<tr><th class="text-nowrap fw-normal"><a href="/tasks/villages/{village.pk}/">{village.township.name}'
            '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;村&quot;</a></th>') in page
    assert f'data-testid="cell-{assignment.pk}" data-status="assigned"' in page
    assert '<td class="text-end text-nowrap">0 / 1</td></tr>' in page
    assert "这一层级还没有分派任务" not in page
    assert "这一层级还没有分派任务" in client.get("/tasks/board/?level=working_group").content.decode()


@pytest.mark.django_db
def test_it_shows_an_assignment_with_its_unit_and_people_in_a_bounded_number_of_queries(
    world, dropout, django_assert_max_num_queries
):
    dropout.status, dropout.submitted_by, dropout.submitted_at = "submitted", world.users["department_staff"], timezone.now()
    dropout.save()
    client = _client("coordinator")
    with django_assert_max_num_queries(12):
        page = client.get(f"/tasks/assignments/{dropout.pk}/").content.decode()
    assert f'data-testid="unit">{world.departments[0].name}<' in page and "提交：department_staff" in page
    assert 'data-testid="return-form"' in page and 'name="reason"' in page


@pytest.mark.django_db
def test_it_shows_groups_without_a_trained_guide_in_red_until_one_is_trained(world, plan):
    village = world.villages[0]
    second = VillageGroup.objects.create(village=village, number=2, name="第二组")
    first = village.groups.get(number=1)
    client = _client("village_cadre")
    page = client.get(f"/tasks/villages/{village.pk}/").content.decode()
    assert 'data-testid="untrained"' in page and "第一组（未选派）" in page and "第二组（未选派）" in page
    trained = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(f"/tasks/villages/{village.pk}/guides/", {
        f"g{first.pk}_name": "赵引导", f"g{first.pk}_trained_on": trained, f"g{second.pk}_name": "钱引导",
    })
    assert response.status_code == 302
    page = client.get(f"/tasks/villages/{village.pk}/").content.decode()
    assert "第二组（钱引导，未培训）" in page and "第一组" not in page.split('data-testid="untrained"')[1].split("</div>")[0]
    client.post(f"/tasks/villages/{village.pk}/guides/", {
        f"g{first.pk}_name": "赵引导", f"g{first.pk}_trained_on": trained,
        f"g{second.pk}_name": "钱引导", f"g{second.pk}_trained_on": trained,
    })
    assert 'data-testid="guides-ok"' in client.get(f"/tasks/villages/{village.pk}/").content.decode()
    assert Guide.objects.filter(campaign=world.campaign, group__village=village).count() == 2


@pytest.mark.django_db
def test_it_refuses_a_training_date_in_the_future(world, plan):
    village = world.villages[0]
    group = village.groups.get()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = _client("village_cadre").post(
        f"/tasks/villages/{village.pk}/guides/", {f"g{group.pk}_name": "赵引导", f"g{group.pk}_trained_on": future}
    )
    assert "培训日期不能晚于今天" in response.content.decode()
    assert not Guide.objects.exists()


@pytest.mark.django_db
def test_it_prints_the_contact_sheet_with_the_liaisons(world, plan):
    group = world.county.working_groups.get()
    WorkingGroupMember.objects.create(group=group, role=GroupRole.LIAISON, name="孙联络", phone="13900001111", order=2)
    page = _client("township_staff").get("/tasks/contacts/").content.decode()
    assert "第1镇包抓组" in page and "孙联络" in page and "13900001111" in page and "table-warning" in page


@pytest.mark.django_db
def test_it_rings_the_bell_and_marks_a_notification_read_when_opened(world, plan):
    assignment = _assign(world, "2-1-4", world.departments[0])
    staff = world.users["department_staff"]
    note = Notification.objects.get(user=staff, kind=NotificationKind.EVENT)
    client = _client("department_staff")
    page = client.get("/").content.decode()
    assert 'data-testid="unread-count">1<' in page and "新任务：疑似辍学学生" in page
    response = client.post(f"/tasks/notifications/{note.pk}/open/")
    assert response["Location"] == f"/tasks/assignments/{assignment.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_it_lists_what_i_owe_and_what_waits_for_my_sign_off_on_the_home_page(world, plan):
    assignment = _assign(world, "2-1-4", world.departments[0])
    staff_home = _client("department_staff").get("/").content.decode()
    assert 'data-testid="owed-tasks"' in staff_home and "疑似辍学学生和未享受资助困难学生名册" in staff_home
    assignment.status = "submitted"
    assignment.save()
    head_home = _client("department_head").get("/").content.decode()
    assert "审核签字" in head_home.split('data-testid="owed-tasks"')[1]
    assert "疑似辍学学生和未享受资助困难学生名册" not in _client("township_staff").get("/").content.decode()


@pytest.mark.django_db
def test_it_shows_the_guides_on_the_village_guide_assignment(world, plan):
    assignment = _assign(world, "3-5", world.villages[0])
    page = _client("village_cadre").get(f"/tasks/assignments/{assignment.pk}/").content.decode()
    assert 'data-testid="assignment-guides"' in page and "第一组：未选派" in page
