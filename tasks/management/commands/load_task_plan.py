"""Load a task plan (tasks/plans/<name>.json) into a county's campaign, and optionally assign it."""

from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from tasks.library import plan_names
from tasks.services import task_plan_assign_all, task_plan_load


class Command(BaseCommand):
    help = "载入任务方案到评估年度（倒排工期按该年度的评估开始日期换算）。"

    def add_arguments(self, parser):
        parser.add_argument("plan", help=f"方案名，现有：{'、'.join(plan_names())}")
        parser.add_argument("--county", help="县的区划代码（12位）；只有一个县时可省略")
        parser.add_argument("--campaign-year", type=int, help="评估年度；默认当前评估")
        parser.add_argument("--assign", action="store_true", help="载入后按方案把每项任务分派给责任单位")

    def handle(self, *args, plan, county=None, campaign_year=None, assign=False, **options):
        campaigns = Campaign.objects.select_related("county")
        if county:
            campaigns = campaigns.filter(county__code=county)
        campaigns = campaigns.filter(year=campaign_year) if campaign_year else campaigns.filter(is_current=True)
        found = list(campaigns[:2])
        if len(found) != 1:
            raise CommandError("找不到唯一的评估年度，请用 --county 和 --campaign-year 指明。" if found else "找不到评估年度。")
        campaign = found[0]
        try:
            result = task_plan_load(campaign=campaign, name=plan)
            self.stdout.write(f"{campaign}：新增{result.created}项，更新{result.updated}项，未变{result.unchanged}项。")
            if assign:
                count = task_plan_assign_all(campaign=campaign, user=None)
                self.stdout.write(f"已分派{count}项任务。")
        except EvalprepError as exc:
            raise CommandError(exc.message) from None

