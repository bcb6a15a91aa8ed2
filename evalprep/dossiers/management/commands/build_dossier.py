"""python manage.py build_dossier village CODE --format pdf --out FILE

Runs the same builder as the background job, in this process. Kinds: village,
cards, department, county, pack, binder, policy. A village is named by its
12-digit code, a county by its code, a department by its id or its name.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evalprep.core.errors import EvalprepError
from evalprep.core.models import County, Department, Village
from evalprep.dossiers.builders import KIND_ALIASES, builder_for
from evalprep.dossiers.services import dossier_context

UNIT_SCOPES = {"village": "village", "cards": "village", "department": "department", "county": "county", "pack": "county"}


class Command(BaseCommand):
    help = "生成迎评资料（与后台任务相同的生成器），写入文件。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KIND_ALIASES))
        parser.add_argument("unit", help="村代码、县代码，或部门编号/名称（binder/policy 用 village:CODE、department:名称、county:CODE）")
        parser.add_argument("--format", default="", help="pdf、xlsx 或 zip；默认取该资料的第一种格式")
        parser.add_argument("--out", default="", help="输出文件；默认为当前目录下的标准文件名")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, kind, unit, format, out, quiet, **options):
        builder = builder_for(kind)
        scope = UNIT_SCOPES.get(kind)
        code = unit
        if scope is None:
            scope, _, code = unit.partition(":")
            if scope not in ("village", "department", "county") or not code:
                raise CommandError("汇编资料请写成 village:村代码、department:部门名称 或 county:县代码。")
        target = _unit(scope, code)
        fmt = format or builder.formats[0]
        ctx = dossier_context(scope=scope, unit=target)

        def progress(percent: int, message: str) -> None:
            if not quiet:
                sys.stderr.write(f"{percent:3d}% {message}\n")

        try:
            filename, _mimetype, content = builder.render(ctx, fmt, progress)
        except EvalprepError as exc:
            raise CommandError(exc.message) from exc
        path = Path(out or filename)
        path.write_bytes(content)
        if not quiet:
            self.stdout.write(f"已生成 {path}（{len(content):,} 字节）")


def _unit(scope: str, code: str):
    if scope == "village":
        unit = Village.objects.select_related("township__county").filter(code=code).first()
    elif scope == "county":
        unit = County.objects.filter(code=code).first()
    else:
        departments = Department.objects.select_related("county")
        unit = departments.filter(pk=int(code)).first() if code.isdigit() else None
        if unit is None:
            matches = list(departments.filter(name=code)[:2])
            if len(matches) > 1:
                raise CommandError(f"有多个名为“{code}”的部门，请改用部门编号。")
            unit = matches[0] if matches else None
    if unit is None:
        raise CommandError(f"找不到{ {'village': '村代码', 'county': '县代码', 'department': '部门'}[scope] }“{code}”。")
    return unit
