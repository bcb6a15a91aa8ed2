from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evalprep.core.backup import backup_restore
from evalprep.core.errors import EvalprepError


class Command(BaseCommand):
    help = "恢复：把 backup 生成的文件装进一个空数据库和 MEDIA_ROOT，再逐表、逐文件核对。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="backup 生成的 .tar.gz 文件")

    def handle(self, *args, archive: Path, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"找不到备份文件 {archive}。")
        try:
            manifest = backup_restore(archive=archive)
        except EvalprepError as error:
            raise CommandError(error.message) from None
        rows = sum(manifest.counts.values())
        self.stdout.write(
            f"已恢复 {manifest.created_at[:19]} 的备份：{len(manifest.counts)} 张表共 {rows} 行、"
            f"{len(manifest.files)} 个文件，与清单核对一致。"
        )
