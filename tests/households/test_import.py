"""Roster import through the service: what is taken in, what is refused, and
that nothing is ever half-written."""

import secrets
from datetime import date
from pathlib import Path

import pytest
from django.db import DatabaseError

from evalprep.core.errors import ImportRejected
from evalprep.core.models import Village
from households import services
from households.ledger import roster_parse
from households.models import Household, ImportStatus, IncomeYear, Member, RosterImport
from tests.households.builders import family, header_for, person, write_ods, write_xls, write_xlsx

YEAR = 2025


def _preview(world, path: Path, village: Village | None = None) -> RosterImport:
    return services.roster_import_preview(
        village=village or world.villages[0], content=path.read_bytes(), filename=path.name,
        user=world.users["village_cadre"], income_year=YEAR,
    )


def _apply(world, record: RosterImport, *, accept_valid: bool = False) -> RosterImport:
    return services.roster_import_apply(record=record, user=world.users["village_cadre"], accept_valid=accept_valid)


def _snapshot() -> dict:
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Household, Member, IncomeYear, Household.history.model, Member.history.model)
    }


def _file(tmp_path: Path, rows: list[dict], name: str = "花名册.xlsx", **options) -> Path:
    return write_xlsx(tmp_path / name, header_for(rows), rows, **options)


def test_it_takes_in_a_clean_roster_and_changes_nothing_the_second_time(world, tmp_path):
    rows = family("0001", 工资性收入="36,000元", 转移性收入="1200", 收入年度=str(YEAR)) + family("0002", head="赵一", spouse="钱二", child="赵三")
    path = _file(tmp_path, rows, title_rows=2)
    record = _preview(world, path)
    assert (record.new_households, record.updated_households, record.rejected_rows) == (2, 0, 0)
    assert Household.objects.count() == 0  # a preview writes nothing but the record
    _apply(world, record)
    household = Household.objects.get(number="0001")
    assert household.head_name == "王大" and household.member_count == 3
    assert household.village == world.villages[0]
    assert sorted(household.members.values_list("relation", flat=True)) == ["之子", "户主", "配偶"]
    income = household.incomes.get(year=YEAR)
    assert income.wage == 36000 and income.net_income_per_capita == pytest.approx(12400)
    assert household.history.count() == 1 and household.history.first().history_user == world.users["village_cadre"]
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and len(record.sha256) == 64

    before = _snapshot()
    again = _preview(world, path)
    assert (again.new_households, again.updated_households, again.unchanged_households) == (0, 0, 2)
    _apply(world, again)
    assert _snapshot() == before


def test_it_updates_a_changed_household_and_keeps_the_old_values_in_history(world, tmp_path):
    rows = family("0001", 住房安全等级="B")
    _apply(world, _preview(world, _file(tmp_path, rows)))
    changed = _file(tmp_path, [{**row, "住房安全等级": "C"} for row in rows], name="第二次.xlsx")
    record = _preview(world, changed)
    assert (record.new_households, record.updated_households) == (0, 1)
    _apply(world, record)
    household = Household.objects.get(number="0001")
    assert household.housing_grade == "C"
    assert [h.housing_grade for h in household.history.order_by("history_date")] == ["B", "C"]


def test_it_refuses_bad_rows_until_told_to_take_the_valid_ones(world, tmp_path):
    bad = family("0002", head="赵一", spouse="钱二", child="赵三")
    bad[1]["身份证号"] = bad[1]["身份证号"][:-1] + ("0" if bad[1]["身份证号"][-1] != "0" else "1")
    path = _file(tmp_path, family("0001") + bad)
    record = _preview(world, path)
    assert (record.new_households, record.rejected_rows) == (1, 3)
    messages = {row: message for row, column, value, message in record.report["errors"]}
    assert "校验" in messages[6]
    stored_value = record.report["errors"][1][2]
    assert stored_value == bad[1]["身份证号"][:6] + "********" + bad[1]["身份证号"][-4:]  # readers see the report too
    assert messages[5].startswith("同户第6行有错误") and messages[7].startswith("同户第6行有错误")
    with pytest.raises(ImportRejected, match="有 3 行有错误"):
        _apply(world, record)
    assert Household.objects.count() == 0
    _apply(world, record, accept_valid=True)
    assert list(Household.objects.values_list("number", flat=True)) == ["0001"]


def test_it_refuses_people_registered_in_another_village(world, tmp_path):
    rows = family("0001")
    _apply(world, _preview(world, _file(tmp_path, rows), village=world.villages[1]))
    record = _preview(world, _file(tmp_path, rows, name="再报.xlsx"))
    assert record.rejected_rows == 3 and record.new_households == 0
    assert any(f"已登记在{world.villages[1].township.name}{world.villages[1].name}" in e[3] for e in record.report["errors"])


def test_it_refuses_a_group_the_village_does_not_have(world, tmp_path):
    record = _preview(world, _file(tmp_path, family("0001", 村民小组="第9组")))
    assert record.rejected_rows == 3
    assert "本村没有第9组" in record.report["errors"][0][3]


def test_it_reads_xls_and_ods_files_like_xlsx(world, tmp_path):
    rows = family("0001", 住房安全等级="C", 低保金="1,200元")
    header = header_for(rows)
    results = []
    for writer, name in ((write_xlsx, "a.xlsx"), (write_xls, "a.xls"), (write_ods, "a.ods")):
        record = _preview(world, writer(tmp_path / name, header, rows, title_rows=2))
        results.append((record.rows, record.new_households, record.rejected_rows))
    assert results == [(3, 1, 0)] * 3


def test_it_leaves_the_store_as_it_was_when_the_database_fails_halfway(world, tmp_path, monkeypatch):
    rows = family("0001")
    _apply(world, _preview(world, _file(tmp_path, rows, name="旧.xlsx")))
    big = [{**row, "住房安全等级": "D"} for row in rows]  # an update …
    big += [row for n in range(333) for row in family(f"{n + 2:04d}", head=f"甲{n}", spouse=f"乙{n}", child=f"丙{n}")]
    record = _preview(world, _file(tmp_path, big[:1000], name="大.xlsx"))  # … and 999 new people
    assert (record.rows, record.new_households, record.updated_households) == (1000, 333, 1)
    before = _snapshot()
    real_bulk_create = services.bulk_create_with_history
    written = []

    def failing_bulk_create(objs, model, **kwargs):
        if model is Member:
            real_bulk_create(objs[:897], model, **kwargs)  # the people of rows 4 to 900 reach the database…
            written.append(Member.objects.count())
            raise DatabaseError("disk full")  # …then it fails
        return real_bulk_create(objs, model, **kwargs)

    monkeypatch.setattr(services, "bulk_create_with_history", failing_bulk_create)
    with pytest.raises(DatabaseError):
        _apply(world, record)
    assert written == [3 + 897]
    assert _snapshot() == before
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED
    assert Household.objects.get(number="0001").housing_grade == ""


def test_it_takes_a_household_per_row_roster(world, tmp_path):
    rows = [
        {"户主姓名": "周一", "户主身份证号": person()["身份证号"], "家庭人口数": "4", "户类型": "一般户", "住址": "一组12号"},
        {"户主姓名": "吴二", "户主身份证号": person()["身份证号"], "家庭人口数": "2", "户类型": "脱贫户"},
    ]
    record = _preview(world, _file(tmp_path, rows))
    assert (record.layout, record.new_households, record.rejected_rows) == ("household", 2, 0)
    _apply(world, record)
    household = Household.objects.get(head_name="周一")
    assert household.member_count == 4 and household.members.get().relation == "户主"


def test_it_explains_a_file_it_cannot_read(world, tmp_path):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(b"name,id\n")
    with pytest.raises(ImportRejected) as info:
        _preview(world, path)
    assert "花名册.xlsx" in info.value.message
    assert RosterImport.objects.count() == 0


def test_it_keeps_a_record_of_every_import(world, tmp_path):
    record = _preview(world, _file(tmp_path, family("0001")))
    assert record.user == world.users["village_cadre"] and record.filename == "花名册.xlsx"
    assert record.file.read()[:2] == b"PK"
    assert record.created_at.date() <= date.today()


def test_it_reads_a_previewed_file_once_and_compares_it_with_the_registry_again(world, tmp_path, monkeypatch):
    reads = []
    monkeypatch.setattr(services, "roster_parse", lambda *args, **kwargs: reads.append(1) or roster_parse(*args, **kwargs))
    rows = family("0001") + family("0002", head="赵一", spouse="钱二", child="赵三")
    record = _preview(world, _file(tmp_path, rows, name=f"花名册-{secrets.token_hex(4)}.xlsx"))  # not read by an earlier run
    Household.objects.create(village=world.villages[0], number="0002", head_name="赵一", member_count=1)
    _apply(world, record, accept_valid=True)
    assert len(reads) == 1
    # …and applying it compared the rows with the registry as it is now: 0002 is there already.
    assert Household.objects.get(number="0001").member_count == 3
    assert Household.objects.get(number="0002").member_count == 3
