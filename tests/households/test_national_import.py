"""Taking the national system's exports in as a dated snapshot."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from households.admin import NationalSnapshotAdmin
from households.models import NationalHousehold, NationalPerson, NationalSnapshot, NationalVillageRow, NationalWorkSpell, SnapshotStatus
from households.national import NationalImportError, national_snapshot_create, national_snapshot_import
from tests.households.national_builders import (
    PERSON_HEADER,
    PERSON_TITLES,
    TAKEN_ON,
    V3,
    household_rows,
    planted_export,
    write_sheet,
)

pytestmark = pytest.mark.django_db


def _create(world, paths, township=None):
    return national_snapshot_create(
        county=world.county, township=township, taken_on=TAKEN_ON, user=world.users["coordinator"],
        uploads=[(path.name, path.read_bytes()) for path in paths],
    )


def test_it_finds_the_header_below_the_titles_and_recognises_sheets_by_their_headers(world, tmp_path):
    export = planted_export(tmp_path)
    snapshot = national_snapshot_import(snapshot=_create(world, export.files()))
    kinds = {sheet["file"]: (sheet["kind"], sheet["header_row"]) for sheet in snapshot.sheets}
    assert kinds == {
        "export_a.xlsx": ("person", 3), "下载 (3).xlsx": ("household", 3), "work.xlsx": ("work", 3), "村.xlsx": ("village", 3),
    }
    assert snapshot.status == SnapshotStatus.READY
    assert snapshot.persons == len(export.persons) == NationalPerson.objects.count()
    assert NationalHousehold.objects.count() == snapshot.households
    assert NationalWorkSpell.objects.count() == 2 and NationalVillageRow.objects.count() == 2
    person = NationalPerson.objects.get(household_number="990101001000001", relation="户主")
    assert person.village == world.villages[0] and person.raw["证件号码"] == person.id_number  # the original row, as text
    assert person.is_household_row and person.household_size == 3 and person.income_per_capita == 12000
    household = NationalHousehold.objects.get(household_number="990101001000001")  # 县(市、区、旗)/乡(镇)/行政村
    assert household.village == world.villages[0] and household.township_name == "甲县第1镇"
    work = NationalWorkSpell.objects.first()
    assert work.started_month == 2025 * 12 + 3 and work.ended_month is None  # 2025年03月


def test_it_refuses_a_file_missing_a_key_column_and_names_it(world, tmp_path):
    header = [name for name in PERSON_HEADER if name != "证件号码"]
    path = write_sheet(tmp_path / "人员.xlsx", header, household_rows("990101001000001"), titles=PERSON_TITLES)
    snapshot = _create(world, [path])
    with pytest.raises(NationalImportError, match="缺少关键列「证件号码」"):
        national_snapshot_import(snapshot=snapshot)
    assert not NationalPerson.objects.exists()


def test_it_refuses_a_file_that_is_no_national_export(world, tmp_path):
    path = write_sheet(tmp_path / "随便.xlsx", ["甲", "乙", "丙"], [{"甲": "1", "乙": "2", "丙": "3"}])
    with pytest.raises(NationalImportError, match="不是认得的国家系统导出表"):
        national_snapshot_import(snapshot=_create(world, [path]))


def test_it_keeps_a_township_upload_to_its_own_villages(world, tmp_path):
    rows = household_rows("990101001000001") + household_rows("990101002000001", place=V3)
    path = write_sheet(tmp_path / "a.xlsx", PERSON_HEADER, rows, titles=PERSON_TITLES)
    snapshot = national_snapshot_import(snapshot=_create(world, [path], township=world.townships[0]))
    assert snapshot.persons == 3 and snapshot.skipped_rows == 3
    assert set(NationalPerson.objects.values_list("household_number", flat=True)) == {"990101001000001"}


def test_it_keeps_a_snapshot_read_only_once_taken(world, tmp_path, rf):
    path = write_sheet(tmp_path / "a.xlsx", PERSON_HEADER, household_rows("990101001000001"), titles=PERSON_TITLES)
    snapshot = national_snapshot_import(snapshot=_create(world, [path]))
    with pytest.raises(NationalImportError, match="导入后不能再改动"):
        national_snapshot_import(snapshot=snapshot)
    admin = NationalSnapshotAdmin(NationalSnapshot, None)
    request = rf.get("/")
    request.user = world.users["administrator"]
    assert not admin.has_change_permission(request, snapshot) and not admin.has_add_permission(request)


def test_it_imports_reconciles_and_checks_from_the_command_line(world, tmp_path, capsys):
    export = planted_export(tmp_path)
    paths = [str(path) for path in export.files()]
    call_command("import_national_export", *paths, "--date", "2026-06-30", "--county", world.county.code)
    snapshot = NationalSnapshot.objects.get()
    assert snapshot.taken_on == TAKEN_ON and snapshot.checks_run_at and snapshot.reconciled_at
    call_command("run_checks", "--snapshot", str(snapshot.pk))
    call_command("reconcile", "--snapshot", str(snapshot.pk))
    out = capsys.readouterr().out
    assert "6.03 超过劳动年龄仍为普通或技能劳动力：1" in out
    assert "户仅在国家系统：" in out and "甲县第1镇1村：户仅在国家系统" in out
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_national_export", str(tmp_path / "nope.xlsx"), "--county", world.county.code)


def test_it_refuses_an_export_older_than_the_latest_snapshot(world, tmp_path):
    path = write_sheet(tmp_path / "a.xlsx", PERSON_HEADER, household_rows("990101001000001"), titles=PERSON_TITLES)
    national_snapshot_import(snapshot=_create(world, [path]))
    with pytest.raises(NationalImportError, match="已有2026年6月30日导出的数据"):
        national_snapshot_create(county=world.county, township=None, taken_on=TAKEN_ON.replace(day=1), user=None,
                                 uploads=[(path.name, path.read_bytes())])
