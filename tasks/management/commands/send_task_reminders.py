"""Send today's task reminders now (what the daily Celery beat job does), e.g. from cron."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from tasks.services import reminders_send


class Command(BaseCommand):
    help = "发送部门任务提醒（3天后到期、明天到期、已逾期），每人每天一条汇总；重复运行不会重复提醒。"

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="按哪一天计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, day: str | None = None, **options):
        today = None
        if day:
            try:
                today = date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"日期“{day}”应为 YYYY-MM-DD 形式。") from None
        run = reminders_send(today=today)
        self.stdout.write(f"新提醒{run.reminders}条，涉及{len(run.people)}人（新建汇总{run.digests}条，邮件{run.emails}封）。")
