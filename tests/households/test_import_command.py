import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from households.models import Household, RosterImport
from tests.households.builders import family, header_for, write_xlsx


def _run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import_roster", *map(str, args), stdout=out)
    except SystemExit as exit_info:
        return exit_info.code, out.getvalue()
    return 0, out.getvalue()


def _files(tmp_path):
    good = family("0001")
    bad = [{**row, "身份证号": "6.40104E+17"} for row in family("0002", head="赵一", spouse="钱二", child="赵三")]
    clean = write_xlsx(tmp_path / "clean.xlsx", header_for(good), good)
    messy = write_xlsx(tmp_path / "messy.xlsx", header_for(good + bad), good + bad, title_rows=2)
    return clean, messy


def test_it_takes_in_a_clean_file_and_exits_0(world, tmp_path):
    clean, _ = _files(tmp_path)
    status, out = _run(clean, "--village", world.villages[0].code, "--user", "village_cadre")
    assert status == 0 and "新增 1 户" in out and "已导入" in out
    assert Household.objects.get().number == "0001"
    assert RosterImport.objects.get().user == world.users["village_cadre"]


def test_it_refuses_a_file_with_rejected_rows_unless_told(world, tmp_path):
    _, messy = _files(tmp_path)
    errors = tmp_path / "errors.xlsx"
    status, out = _run(messy, "--village", world.villages[0].code, "--errors", errors)
    assert status == 1 and "未导入" in out and "第7行「身份证号」：身份证号被表格当成了数字" in out
    assert Household.objects.count() == 0
    sheet = load_workbook(errors).active
    assert sheet.max_row == 1 + 3

    status, out = _run(messy, "--village", world.villages[0].code, "--accept-valid")
    assert status == 1 and "已导入" in out
    assert list(Household.objects.values_list("number", flat=True)) == ["0001"]


def test_it_only_checks_on_a_dry_run(world, tmp_path):
    clean, _ = _files(tmp_path)
    status, out = _run(clean, "--village", world.villages[0].code, "--dry-run")
    assert status == 0 and "--dry-run" in out
    assert Household.objects.count() == 0 and RosterImport.objects.count() == 0


def test_it_names_what_is_wrong_with_the_arguments(world, tmp_path):
    clean, _ = _files(tmp_path)
    with pytest.raises(CommandError, match="是乡镇"):
        _run(clean, "--village", world.townships[0].code)
    with pytest.raises(CommandError, match="找不到文件"):
        _run(tmp_path / "none.xlsx", "--village", world.villages[0].code)
    with pytest.raises(CommandError, match="没有用户名为 nobody"):
        _run(clean, "--village", world.villages[0].code, "--user", "nobody")
