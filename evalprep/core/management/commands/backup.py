from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evalprep.core.backup import backup_write
from evalprep.core.errors import EvalprepError


class Command(BaseCommand):
    help = "备份：把整个数据库和全部上传文件写进一个 .tar.gz 文件（带校验清单）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", type=Path, help="备份文件路径（默认 var/backups/evalprep-日期时间.tar.gz）")

    def handle(self, *args, out: Path | None, **options) -> None:
        out = out or settings.VAR_DIR / "backups" / f"evalprep-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
        try:
            manifest = backup_write(out=out)
        except EvalprepError as error:
            raise CommandError(error.message) from None
        rows = sum(manifest.counts.values())
        self.stdout.write(f"已备份到 {out}：{len(manifest.counts)} 张表共 {rows} 行，{len(manifest.files)} 个文件。")
