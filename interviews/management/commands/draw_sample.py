from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from interviews.services import DEFAULT_SAMPLE_SIZE, sample_draw


class Command(BaseCommand):
    help = "从住户台账抽取模拟评估样本（按重点类型加权，同一种子结果相同）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--county", required=True, help="县的12位统计用区划代码")
        parser.add_argument("--seed", type=int, required=True, help="随机种子")
        parser.add_argument("--size", type=int, default=DEFAULT_SAMPLE_SIZE, help="抽样户数（默认200）")

    def handle(self, *args, county: str, seed: int, size: int, **options) -> None:
        campaign = Campaign.objects.filter(county__code=county, is_current=True).select_related("county").first()
        if campaign is None:
            raise CommandError(f"找不到区划代码为 {county} 的县的当前评估年度。")
        try:
            sample = sample_draw(campaign=campaign, seed=seed, size=size)
        except EvalprepError as exc:
            raise CommandError(exc.message) from exc
        parts = "，".join(f"{label}{sample.summary[key]}户" for key, label in
                         (("monitored", "监测户"), ("disaster", "受灾户"), ("relocated", "易地搬迁户"),
                          ("key_village", "重点村农户")) if sample.summary.get(key))
        self.stdout.write(f"已抽取{sample.size}户（种子{seed}）：{parts}。")
