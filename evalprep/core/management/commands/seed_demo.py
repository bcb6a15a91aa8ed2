from django.core.management.base import BaseCommand, CommandError

from evalprep.core.counts import all_rows_changed
from evalprep.core.demo import demo_county_seed
from evalprep.core.errors import EvalprepError
from evalprep.core.models import County
from evalprep.core.usercache import all_users_changed


class Command(BaseCommand):
    help = "生成演示县（示范县）：乡镇、行政村、部门、工作专班、评估年度和各角色演示账号。可重复运行，数据不变。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="随机种子，相同种子生成相同数据（默认 1）")
        parser.add_argument("--households", type=int, default=0, help="演示农户数量（需住户台账模块，默认 0）")
        parser.add_argument(
            "--villages", type=int, default=None, help="演示行政村数量，平均分到四个乡镇（默认 35 个：9、9、9、8）",
        )
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有县（区）时什么也不做")

    def handle(self, *args, seed: int, households: int, villages: int | None, if_empty: bool, **options) -> None:
        if if_empty and County.objects.exists():
            self.stdout.write("数据库中已有县（区）数据，未生成演示数据（--if-empty）。")
            return
        try:
            demo_county_seed(seed=seed, households=households, villages=villages, stdout=self.stdout)
            all_rows_changed()  # the demo's rows are written in bulk, past the models' signals
            all_users_changed()
        except EvalprepError as error:
            raise CommandError(error.message) from error
