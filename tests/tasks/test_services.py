"""The assignment workflow: lists checked against the template's columns, states, who may do what."""

from datetime import date, timedelta

import pytest
from django.test import Client

from evalprep.core.errors import EvalprepError
from evalprep.core.models import AuditEvent
from tasks.errors import ListRejected, TaskNotAllowed
from tasks.models import AssignmentStatus, Deliverable, Notification, TaskTemplate
from tasks.services import (
    assignment_accept,
    assignment_return,
    assignment_sign_off,
    assignment_submit,
    comment_add,
    deliverable_files_add,
    deliverable_list_add,
    task_assign,
)
from tests.factories import bell
from tests.tasks.conftest import DROPOUT_HEADER, PDF, dropout_rows, student_id, upload, xlsx_bytes


@pytest.mark.django_db
def test_it_refuses_a_list_without_a_required_column_and_names_it(world, dropout):
    header = [h for h in DROPOUT_HEADER if h != "身份证号"]
    rows = [[r for i, r in enumerate(row) if i != 1] for row in dropout_rows()]
    with pytest.raises(ListRejected) as refused:
        deliverable_list_add(assignment=dropout, file=upload("辍学名单.xlsx", xlsx_bytes(header, rows)), user=world.users["department_staff"])
    assert "缺少必填列 「身份证号」" in refused.value.message
    assert not Deliverable.objects.exists()
    dropout.refresh_from_db()
    assert dropout.status == AssignmentStatus.ASSIGNED


@pytest.mark.django_db
def test_it_names_row_and_column_of_a_bad_cell_and_keeps_nothing(world, dropout):
    rows = dropout_rows(3)
    rows[1][1] = student_id(2)[:-1] + ("0" if student_id(2)[-1] != "0" else "1")
    rows[2][3] = ""
    content = xlsx_bytes(DROPOUT_HEADER, rows, title_rows=["教育局疑似辍学学生名册"])
    with pytest.raises(ListRejected) as refused:
        deliverable_list_add(assignment=dropout, file=upload("名册.xlsx", content), user=world.users["department_staff"])
    message = refused.value.message
    assert "第4行B列「身份证号」：身份证号最后一位（校验位）应为" in message
    assert "第5行D列「学段」：不能为空" in message
    assert not Deliverable.objects.exists()


@pytest.mark.django_db
def test_it_takes_a_list_under_other_header_spellings_in_template_order(world, dropout):
    header = ["姓名", "年级", "行政村", "身份证号码", "类别"]  # aliases, another order, optional column left out
    rows = [["学生1", "初二", "第1镇1村", student_id(1), "疑似辍学"]]
    deliverable = deliverable_list_add(
        assignment=dropout, file=upload("名册.xlsx", xlsx_bytes(header, rows)), user=world.users["department_staff"]
    )
    assert deliverable.rows == [["学生1", student_id(1), "第1镇1村", "初二", "疑似辍学", ""]]
    dropout.refresh_from_db()
    assert dropout.status == AssignmentStatus.IN_PROGRESS


@pytest.mark.django_db
def test_it_goes_from_assigned_to_accepted_with_a_return_on_the_way(world, dropout):
    staff, head, bureau = (world.users[name] for name in ("department_staff", "department_head", "coordinator"))
    with pytest.raises(EvalprepError, match="请先上传通过检查的名单"):
        assignment_submit(assignment=dropout, user=staff)
    deliverable_list_add(assignment=dropout, file=upload("名册.xlsx", xlsx_bytes(DROPOUT_HEADER, dropout_rows())), user=staff)
    assignment_submit(assignment=dropout, user=staff)
    assert Notification.objects.filter(user=head, title__startswith="待审核").count() == 1
    with pytest.raises(EvalprepError, match="尚未经单位负责人审核签字"):
        assignment_accept(assignment=dropout, user=bureau)
    with pytest.raises(TaskNotAllowed):
        assignment_sign_off(assignment=dropout, user=staff)
    assignment_sign_off(assignment=dropout, user=head)
    assignment_return(assignment=dropout, user=bureau, reason="缺少学校盖章")
    assert dropout.status == AssignmentStatus.RETURNED and dropout.signed_off_by is None
    assert Notification.objects.filter(user=staff, title__contains="缺少学校盖章").exists()
    with pytest.raises(EvalprepError, match="已被退回"):
        assignment_sign_off(assignment=dropout, user=head)
    deliverable_files_add(assignment=dropout, files=[upload("盖章扫描件.pdf", PDF)], user=staff)
    assignment_submit(assignment=dropout, user=staff)
    assignment_sign_off(assignment=dropout, user=head)
    assignment_accept(assignment=dropout, user=bureau)
    dropout.refresh_from_db()
    assert dropout.status == AssignmentStatus.ACCEPTED and dropout.return_reason == ""
    assert list(AuditEvent.objects.filter(object_type="tasks.Assignment", object_id=str(dropout.pk)).order_by("at", "pk").values_list("action", flat=True)) == [
        "task_submitted", "task_signed_off", "task_returned", "task_submitted", "task_signed_off", "task_accepted",
    ]
    with pytest.raises(EvalprepError, match="已经验收"):
        deliverable_files_add(assignment=dropout, files=[upload("又一份.pdf", PDF + b" ")], user=staff)


@pytest.mark.django_db
def test_it_lets_only_the_unit_hand_in_and_the_bureau_return(world, dropout):
    other = world.users["township_staff"]
    with pytest.raises(TaskNotAllowed, match="不是教育局的经办人员"):
        deliverable_files_add(assignment=dropout, files=[upload("a.pdf", PDF)], user=other)
    deliverable_files_add(assignment=dropout, files=[upload("a.pdf", PDF)], user=world.users["department_staff"])
    with pytest.raises(EvalprepError, match="请先上传通过检查的名单"):
        assignment_submit(assignment=dropout, user=world.users["department_staff"])
    with pytest.raises(TaskNotAllowed):
        assignment_return(assignment=dropout, user=world.users["leader"], reason="x")


@pytest.mark.django_db
def test_it_has_a_village_signed_off_by_its_township_head(world, plan):
    template = TaskTemplate.objects.get(campaign=plan, code="3-8")
    village = world.villages[0]
    assignment = task_assign(template=template, units=[village], user=world.users["coordinator"])[0]
    deliverable_files_add(assignment=assignment, files=[upload("四查四补台账.pdf", PDF)], user=world.users["village_cadre"])
    assignment_submit(assignment=assignment, user=world.users["village_cadre"])
    with pytest.raises(TaskNotAllowed, match="第1镇负责人审核"):
        assignment_sign_off(assignment=assignment, user=world.users["department_head"])
    assignment_sign_off(assignment=assignment, user=world.users["township_head"])
    assert assignment.status == AssignmentStatus.SIGNED_OFF


@pytest.mark.django_db
def test_it_computes_overdue_from_the_due_date(world, dropout):
    today = date(2026, 12, 21)
    assert dropout.due_date == date(2026, 12, 20)
    assert dropout.is_overdue(today) and dropout.days_left(today) == -1
    assert not dropout.is_overdue(today - timedelta(days=1))
    dropout.status = AssignmentStatus.ACCEPTED
    assert not dropout.is_overdue(today)


@pytest.mark.django_db
def test_it_keeps_comments_and_refuses_empty_ones(world, dropout):
    comment_add(assignment=dropout, user=world.users["coordinator"], text="请注意附学校证明")
    with pytest.raises(EvalprepError, match="不能为空"):
        comment_add(assignment=dropout, user=world.users["department_staff"], text="  ")
    assert dropout.comments.get().author == world.users["coordinator"]


@pytest.mark.django_db
def test_the_bell_shows_notifications_written_in_bulk(world, dropout, users_kept, django_capture_on_commit_callbacks):
    head = world.users["department_head"]
    client = Client()
    client.force_login(head)
    assert "待审核" not in bell(client)
    staff = world.users["department_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        deliverable_list_add(assignment=dropout, file=upload("名册.xlsx", xlsx_bytes(DROPOUT_HEADER, dropout_rows())), user=staff)
        assignment_submit(assignment=dropout, user=staff)  # the heads' notifications are created in bulk
    assert "待审核" in bell(client)
