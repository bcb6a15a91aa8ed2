from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, Village
from evalprep.core.selectors import unit_by_code
from households.models import ScreeningRule
from households.screening import screening_run


class Command(BaseCommand):
    help = "按筛查规则筛查农户（应纳未纳、帮扶措施、风险消除程序），输出每条规则的提示数。已作出的决定不受影响。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--village", metavar="CODE", help="只筛查这个行政村（12位统计用区划代码）；不给则筛查各县当前评估年度的全部农户")

    def handle(self, *args, village: str | None, **options) -> None:
        if village:
            try:
                target = unit_by_code(village, kind=Village)
            except EvalprepError as exc:
                raise CommandError(exc.message) from None
            campaign = Campaign.objects.filter(county_id=target.township.county_id, is_current=True).first()
            if campaign is None:
                raise CommandError(f"{target.township.county.name}还没有当前评估年度。")
            runs = [(campaign, [target])]
        else:
            runs = [(campaign, None) for campaign in Campaign.objects.filter(is_current=True).select_related("county")]
            if not runs:
                raise CommandError("没有当前评估年度，无从筛查。")
        for campaign, villages in runs:
            result = screening_run(campaign=campaign, villages=villages)
            self.stdout.write(f"{campaign.name}（{result.run.scope}）：")
            for code, count in result.counts.items():
                self.stdout.write(
                    f"  {ScreeningRule(code).label}：发现 {count.found}，新增 {count.new}，消失 {count.gone}，待决定 {count.open}"
                )
            self.stdout.write(
                f"  合计：发现 {result.total('found')}，新增 {result.total('new')}，消失 {result.total('gone')}，"
                f"待决定 {result.total('open')}"
            )
