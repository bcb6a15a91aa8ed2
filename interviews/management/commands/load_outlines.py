from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from interviews.services import DEFAULT_LIBRARY, outline_load, respondents_assign


class Command(BaseCommand):
    help = "把访谈提纲数据文件（interviews/outlines/<名称>.json）载入一个县的当前评估年度，并按角色分配答题人。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--county", required=True, help="县的12位统计用区划代码")
        parser.add_argument("--library", default=DEFAULT_LIBRARY, help=f"提纲文件名（默认 {DEFAULT_LIBRARY}）")
        parser.add_argument("--no-assign", action="store_true", help="只载入提纲，不分配答题人")

    def handle(self, *args, county: str, library: str, no_assign: bool, **options) -> None:
        campaign = Campaign.objects.filter(county__code=county, is_current=True).select_related("county").first()
        if campaign is None:
            raise CommandError(f"找不到区划代码为 {county} 的县的当前评估年度。")
        try:
            result = outline_load(campaign=campaign, name=library)
        except EvalprepError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{campaign.name}：新增提纲{result.outlines_created}份、问题{result.questions_created}道，"
                          f"保留已有问题{result.questions_kept}道。")
        if not no_assign:
            self.stdout.write(f"新分配答题人{respondents_assign(campaign=campaign)}份。")
