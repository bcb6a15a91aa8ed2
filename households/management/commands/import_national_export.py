from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, County, Township
from evalprep.core.selectors import unit_by_code
from households.national import national_snapshot_create
from households.national_services import national_snapshot_process


class Command(BaseCommand):
    help = "导入国家系统导出的表（人员、户、务工、计划务工、行政村，任意几张）为一份快照，并与花名册比对、运行疑点核查。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="国家系统导出的 .xlsx / .xls / .ods 文件")
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="导出日期（默认今天）")
        parser.add_argument("--county", metavar="CODE", help="县的12位区划代码（只有一个县时可省略）")
        parser.add_argument("--township", metavar="CODE", help="只导入这个乡镇（12位区划代码）")

    def handle(self, *args, files: list[str], date: str | None, county: str | None, township: str | None, **options) -> None:
        taken_on = _date(date)
        target_township = None
        if township:
            try:
                target_township = unit_by_code(township, kind=Township)
            except EvalprepError as exc:
                raise CommandError(exc.message) from None
            target_county = target_township.county
        else:
            target_county = _county(county)
        uploads = []
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"找不到文件「{name}」。")
            uploads.append((path.name, path.read_bytes()))
        campaign = Campaign.objects.filter(county=target_county, is_current=True).first()

        def progress(percent: int, message: str) -> None:
            self.stdout.write(f"[{percent:3d}%] {message}")

        try:
            with transaction.atomic():
                snapshot = national_snapshot_create(county=target_county, township=target_township, taken_on=taken_on, uploads=uploads, user=None)
                outcome = national_snapshot_process(snapshot=snapshot, campaign=campaign, progress=progress)
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"快照 {snapshot.pk}：{outcome.message}"))


def _date(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date「{text}」不是日期，请按 2026-11-20 填写。") from None


def _county(code: str | None) -> County:
    if code:
        found = County.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"没有区划代码为 {code} 的县。")
        return found
    counties = list(County.objects.all()[:2])
    if len(counties) != 1:
        raise CommandError("系统中有多个县（或没有县），请用 --county 指定县的区划代码。")
    return counties[0]
