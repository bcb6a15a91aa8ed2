from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from households.models import NationalSnapshot, SnapshotStatus
from households.national_checks import RULES_BY_CODE, national_checks_run


class Command(BaseCommand):
    help = "对一份数据快照运行全部疑点核查规则（疑点数据核查），输出每条规则的疑点数。已标记的整改、豁免保留。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--snapshot", type=int, required=True, metavar="ID", help="快照编号")

    def handle(self, *args, snapshot: int, **options) -> None:
        target = NationalSnapshot.objects.filter(pk=snapshot, status=SnapshotStatus.READY).first()
        if target is None:
            raise CommandError(f"没有编号为 {snapshot} 的已导入快照。")
        campaign = Campaign.objects.filter(county_id=target.county_id, is_current=True).first()
        try:
            result = national_checks_run(snapshot=target, campaign=campaign)
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"快照 {target.pk}（{target.get_source_display()} {target.taken_on}）：运行 {result.rules_run} 条规则")
        for code, count in result.counts.items():
            self.stdout.write(f"  {code} {RULES_BY_CODE[code].title}：{count}")
        self.stdout.write(f"  合计：{result.total}，新增 {result.new}，已消失 {result.gone}，整改后复现 {result.reopened}")
