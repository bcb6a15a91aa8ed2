from collections import Counter

from django.db.models import Count

from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from households.models import DiscrepancyKind, NationalSnapshot, SnapshotStatus
from households.reconciliation import reconciliation_run


class Command(BaseCommand):
    help = "把一份国家系统数据快照与花名册比对（账机一致），按类型和村输出差异数。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--snapshot", type=int, required=True, metavar="ID", help="快照编号")

    def handle(self, *args, snapshot: int, **options) -> None:
        target = NationalSnapshot.objects.filter(pk=snapshot, status=SnapshotStatus.READY).select_related("county").first()
        if target is None:
            raise CommandError(f"没有编号为 {snapshot} 的已导入快照。")
        campaign = Campaign.objects.filter(county_id=target.county_id, is_current=True).first()
        try:
            result = reconciliation_run(snapshot=target, campaign=campaign)
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"快照 {target.pk}（{target.taken_on}）与花名册比对：共 {result.total} 条差异，新增 {result.new}，已消失 {result.gone}")
        for kind, label in DiscrepancyKind.choices:
            self.stdout.write(f"  {label}：{result.counts.get(kind, 0)}")
        by_village: Counter = Counter()
        for village, kind, n in _village_counts(target):
            by_village[(village or "未匹配到村", kind)] += n
        villages = sorted({village for village, _ in by_village})
        for village in villages:
            parts = "，".join(f"{label}{by_village[(village, kind)]}" for kind, label in DiscrepancyKind.choices if by_village[(village, kind)])
            self.stdout.write(f"  {village}：{parts}")


def _village_counts(snapshot: NationalSnapshot):
    return (
        snapshot.county.national_discrepancies.filter(last_snapshot=snapshot, gone_snapshot__isnull=True)
        .values_list("village__name", "kind").annotate(n=Count("pk")).order_by()
    )
