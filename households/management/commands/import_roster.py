from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Village
from evalprep.core.selectors import unit_by_code
from households.ledger import ledger_message
from households.services import roster_import_apply, roster_import_preview, roster_plan, roster_plan_errors_workbook


class Command(BaseCommand):
    help = (
        "导入一个村的花名册（.xlsx / .xls / .ods）。没有出错行时直接导入；有出错行时只有加 --accept-valid "
        "才导入无误的户。退出状态：0 没有出错行，1 有出错行，2 文件或参数有误。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--village", required=True, metavar="CODE", help="行政村的12位统计用区划代码")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--accept-valid", action="store_true", help="有出错行时，先导入无误的户")
        parser.add_argument("--errors", type=Path, metavar="OUT.xlsx", help="把出错行（带错误说明）写入此文件")
        parser.add_argument("--year", type=int, default=timezone.localdate().year, help="收入年度（表中无此列时）")
        parser.add_argument("--user", help="记为哪个用户导入（用户名）")

    def handle(self, *args, file: Path, village: str, dry_run: bool, accept_valid: bool, errors: Path | None,
               year: int, user: str | None, **options) -> None:
        try:
            target = unit_by_code(village, kind=Village)
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        if not file.is_file():
            raise CommandError(f"找不到文件：{file}")
        account = User.objects.filter(username=user).first() if user else None
        if user and account is None:
            raise CommandError(f"没有用户名为 {user} 的用户。")
        content = file.read_bytes()
        try:
            plan = roster_plan(village=target, content=content, filename=file.name, income_year=year)
        except EvalprepError as exc:
            raise CommandError(exc.message) from None
        self._report(plan)
        if errors and plan.rejected_rows:
            errors.write_bytes(roster_plan_errors_workbook(plan))
            self.stdout.write(f"出错行已写入 {errors}")
        if dry_run:
            self.stdout.write("只检查（--dry-run），未写入。")
        elif plan.rejected_rows and not accept_valid:
            self.stdout.write("有出错行，未导入。改正后重新导入，或加 --accept-valid 先导入无误的户。")
        else:
            record = roster_import_preview(village=target, content=content, filename=file.name, user=account, income_year=year)
            roster_import_apply(record=record, user=account, accept_valid=accept_valid)
            self.stdout.write(f"已导入（记录 #{record.pk}）。")
        if plan.rejected_rows:
            raise SystemExit(1)

    def _report(self, plan) -> None:
        parsed = plan.parsed
        self.stdout.write(
            f"格式：{parsed.layout}；表头在第{parsed.header_row}行；数据行 {parsed.data_rows}；"
            f"新增 {len(plan.new)} 户，更新 {len(plan.updated)} 户，未变 {len(plan.unchanged)} 户，出错 {len(plan.rejected_rows)} 行"
        )
        if parsed.unknown_columns:
            self.stdout.write("未识别的列（已忽略）：" + "、".join(parsed.unknown_columns))
        for error in plan.errors[:30]:
            self.stdout.write(ledger_message(error))
        if len(plan.errors) > 30:
            self.stdout.write(f"……共 {len(plan.errors)} 条错误，完整内容请用 --errors 导出。")
