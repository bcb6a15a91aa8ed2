from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import County
from evalprep.core.selectors import unit_by_code
from evalprep.core.services import org_tree_check


class Command(BaseCommand):
    help = "组织架构自检：列出缺少负责人、包抓组、村级人员或区划代码不一致的单位。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--county", metavar="CODE", help="县的12位统计用区划代码（只有一个县时可省略）")

    def handle(self, *args, county: str | None, **options) -> None:
        try:
            unit = unit_by_code(county, kind=County) if county else County.objects.get()
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        except (County.DoesNotExist, County.MultipleObjectsReturned):
            raise CommandError("请用 --county 指定县的区划代码。") from None
        problems = org_tree_check(county=unit, progress=lambda percent, message: None)
        for problem in problems:
            self.stdout.write(f"{problem.unit}\t{problem.problem}\t{problem.fix}")
        self.stdout.write(f"{unit.name}：发现 {len(problems)} 个问题。" if problems else f"{unit.name}：组织架构完整。")
        if problems:
            raise SystemExit(1)
