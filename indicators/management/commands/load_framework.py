from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign
from indicators.library import library_names
from indicators.models import EvidenceRequirement, Item, Level
from indicators.selectors import requirements_without_holder
from indicators.services import LoadResult, campaign_framework_assign, checklist_expand, framework_load


class Command(BaseCommand):
    help = (
        "导入（或更新）一个指标体系：indicators/frameworks/<name>.json。可重复运行，已上传的佐证材料不受影响。"
        "加 --campaign-year 时，同时把该评估年度的佐证清单展开到各责任单位。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="指标体系标识，现有：" + "、".join(library_names()))
        parser.add_argument("--path", type=Path, help="改用此数据文件（须与标识一致）")
        parser.add_argument("--campaign-year", type=int, metavar="YYYY", help="把指标体系用于该年度的评估并展开佐证清单")
        parser.add_argument("--county", metavar="CODE", help="县的12位统计用区划代码（有多个县时必填）")

    def handle(self, *args, name: str, path: Path | None, campaign_year: int | None, county: str | None,
               **options) -> None:
        campaign = self._campaign(campaign_year, county) if campaign_year else None
        try:
            with transaction.atomic():
                result = framework_load(name=name, path=path)
                self._report(result)
                if campaign is not None:
                    campaign_framework_assign(campaign=campaign, framework=result.framework)
                    created = checklist_expand(campaign=campaign)
                    total = campaign.checklist_rows.count()
                    self.stdout.write(f"「{campaign}」佐证清单：新增 {created} 行，共 {total} 行。")
                    for requirement, departments in requirements_without_holder(campaign):
                        self.stdout.write(
                            f"注意：{requirement.code} 由{'、'.join(departments)}保存，但本县尚未建立该部门，没有清单行。"
                        )
        except EvalprepError as exc:
            raise CommandError(exc.message) from None

    def _campaign(self, year: int, county: str | None) -> Campaign:
        campaigns = Campaign.objects.filter(year=year).select_related("county")
        if county:
            campaigns = campaigns.filter(county__code=county)
        found = list(campaigns[:2])
        if not found:
            raise CommandError(f"没有{year}年度的评估" + (f"（县代码 {county}）" if county else "") + "。")
        if len(found) > 1:
            raise CommandError(f"有多个县的{year}年度评估，请用 --county 指定县的区划代码。")
        return found[0]

    def _report(self, result: LoadResult) -> None:
        framework = result.framework
        self.stdout.write(f"指标体系：{framework.title}（{framework.name}，第{framework.version}版）")
        for what, tally in (("方面", result.areas), ("指标", result.items), ("佐证要求", result.requirements)):
            line = f"{what}：新增 {tally.created}，更新 {tally.updated}，未变 {tally.unchanged}"
            self.stdout.write(line + (f"，停用 {tally.retired}" if tally.retired else ""))
        if not result.changed:
            self.stdout.write("与已导入的内容相同，没有改动。")
        items = Counter(
            Item.objects.filter(area__framework=framework, is_active=True).values_list("area_id", flat=True)
        )
        requirements = EvidenceRequirement.objects.filter(
            item__area__framework=framework, campaign__isnull=True, is_active=True
        ).values_list("item__area_id", "level")
        by_area, by_level = Counter(area for area, _ in requirements), Counter(level for _, level in requirements)
        areas = list(framework.areas.order_by("order"))
        for area in areas:
            self.stdout.write(f"  {area.title}：{items[area.pk]} 项指标，{by_area[area.pk]} 条佐证要求")
        self.stdout.write(
            f"  合计：{len(areas)} 个方面，{sum(items.values())} 项指标，{sum(by_level.values())} 条佐证要求"
        )
        self.stdout.write("  按保存层级：" + "，".join(f"{level.label} {by_level[level.value]} 条" for level in Level))
