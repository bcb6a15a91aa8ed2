"""The daily reminder job: one digest per person per day, never the same reminder twice."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tasks.jobs import task_reminders_job
from tasks.models import AssignmentStatus, Notification, NotificationKind, ReminderSent, ReminderStage, TaskTemplate
from tasks.services import reminders_send, task_assign


def _assign(world, code: str, unit, due: date):
    template = TaskTemplate.objects.get(campaign=world.campaign, code=code)
    return task_assign(template=template, units=[unit], user=world.users["coordinator"], due_date=due)[0]


def _digests(user=None):
    digests = Notification.objects.filter(kind=NotificationKind.DIGEST)
    return digests.filter(user=user) if user else digests


@pytest.mark.django_db
def test_it_sends_one_digest_per_person_when_the_job_runs_twice_a_day(world, plan, settings):
    settings.EMAIL_HOST = "smtp.example.org"
    staff, head, cadre = world.users["department_staff"], world.users["department_head"], world.users["village_cadre"]
    staff.email = "staff@example.org"
    staff.save()
    today = timezone.localdate()
    education = world.departments[0]
    _assign(world, "2-1-4", education, today + timedelta(days=3))
    _assign(world, "2-2-6", education, today + timedelta(days=1))
    _assign(world, "2-2-7", education, today - timedelta(days=2))
    submitted = _assign(world, "2-2-8", education, today + timedelta(days=1))
    submitted.status = AssignmentStatus.SUBMITTED
    submitted.save()
    _assign(world, "3-8", world.villages[0], today + timedelta(days=3))
    _assign(world, "3-4", world.villages[0], today + timedelta(days=10))  # not due yet: no reminder

    first = task_reminders_job()
    second = task_reminders_job()

    assert first == {"digests": 3, "reminders": 5, "emails": 1}
    assert second == {"digests": 0, "reminders": 0, "emails": 0}
    assert _digests().count() == 3
    assert [line["stage"] for line in _digests(staff).get().items] == ["overdue", "due_tomorrow", "due_in_3"]
    assert _digests(staff).get().title == "任务提醒：3项待办，其中1项已逾期"
    assert [line["stage"] for line in _digests(head).get().items] == ["due_tomorrow"]  # the submitted one: sign it off
    assert len(_digests(cadre).get().items) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["staff@example.org"]


@pytest.mark.django_db
def test_it_sends_each_stage_once_over_the_days(world, plan):
    staff = world.users["department_staff"]
    assignment = _assign(world, "2-1-4", world.departments[0], date(2026, 12, 20))
    days = [date(2026, 12, 17), date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 19), date(2026, 12, 21), date(2026, 12, 22)]
    counts = [reminders_send(today=day).reminders for day in days]
    assert counts == [1, 0, 0, 1, 1, 0]
    assert list(ReminderSent.objects.filter(user=staff).order_by("sent_on").values_list("stage", flat=True)) == [
        ReminderStage.DUE_IN_3, ReminderStage.DUE_TOMORROW, ReminderStage.OVERDUE,
    ]
    assert _digests(staff).count() == 3
    assignment.due_date = date(2026, 12, 25)  # the bureau moves the deadline: reminders start again
    assignment.save()
    assert reminders_send(today=date(2026, 12, 22)).reminders == 1


@pytest.mark.django_db
def test_it_adds_late_reminders_to_the_same_days_digest(world, plan):
    staff = world.users["department_staff"]
    day = date(2026, 12, 17)
    _assign(world, "2-1-4", world.departments[0], date(2026, 12, 20))
    reminders_send(today=day)
    _assign(world, "2-2-6", world.departments[0], date(2026, 12, 18))
    assert reminders_send(today=day).reminders == 1
    digest = _digests(staff).get()
    assert len(digest.items) == 2 and digest.title == "任务提醒：2项待办"


@pytest.mark.django_db
def test_it_skips_accepted_and_signed_off_assignments(world, plan):
    assignment = _assign(world, "2-1-4", world.departments[0], date(2026, 12, 1))
    for status in (AssignmentStatus.SIGNED_OFF, AssignmentStatus.ACCEPTED):
        assignment.status = status
        assignment.save()
        assert reminders_send(today=date(2026, 12, 17)).reminders == 0


@pytest.mark.django_db
def test_it_sends_the_reminders_from_the_command_line_once(world, plan):
    from io import StringIO

    from django.core.management import call_command

    _assign(world, "2-1-4", world.departments[0], date(2026, 12, 20))
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("send_task_reminders", "--date", "2026-12-19", stdout=out)
        outputs.append(out.getvalue().strip())
    assert outputs == ["新提醒1条，涉及1人（新建汇总1条，邮件0封）。", "新提醒0条，涉及0人（新建汇总0条，邮件0封）。"]
