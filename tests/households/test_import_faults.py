"""The database refuses a write halfway through an import: nothing of that import
is kept, what was there before is untouched, and the same file goes in once the
database accepts writes again."""

import pytest
from django.db import DatabaseError, connection

from households import services
from households.models import Household, ImportStatus, Member
from tests.households.builders import family, header_for, write_xlsx

YEAR = 2025
REFUSED_NAME = "拒写"


def _refuse_member_named(name: str) -> tuple[str, str]:
    """SQL that makes the database itself reject one member row, and SQL that stops it."""
    table = Member._meta.db_table
    if connection.vendor == "postgresql":
        create = (
            "CREATE FUNCTION refuse_member() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'write refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; "
            f"CREATE TRIGGER refuse_member BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_member();"
        )
        return create, f"DROP TRIGGER refuse_member ON {table}; DROP FUNCTION refuse_member();"
    create = (
        f"CREATE TRIGGER refuse_member BEFORE INSERT ON {table} "
        f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'write refused'); END;"
    )
    return create, "DROP TRIGGER refuse_member;"


def _import(world, tmp_path, rows, name):
    path = write_xlsx(tmp_path / name, header_for(rows), rows)
    return services.roster_import_preview(
        village=world.villages[0], content=path.read_bytes(), filename=path.name,
        user=world.users["village_cadre"], income_year=YEAR,
    )


@pytest.mark.django_db(transaction=True)
def test_it_keeps_nothing_of_an_import_the_database_refuses_halfway(world, tmp_path):
    first = _import(world, tmp_path, family("0001", head="王大"), "第一次.xlsx")
    services.roster_import_apply(record=first, user=world.users["village_cadre"], accept_valid=False)
    before_households = list(Household.objects.order_by("pk").values())
    before_members = list(Member.objects.order_by("pk").values())
    history_rows = Household.history.count() + Member.history.count()

    rows = family("0001", head="王大", 户联系电话="13900000001") + family("0002", head="赵一", spouse="钱二", child="赵三")
    rows += family("0003", head="孙四", spouse="周五", child=REFUSED_NAME)
    second = _import(world, tmp_path, rows, "第二次.xlsx")
    create, drop = _refuse_member_named(REFUSED_NAME)
    with connection.cursor() as cursor:
        cursor.execute(create)
    with pytest.raises(DatabaseError):
        services.roster_import_apply(record=second, user=world.users["village_cadre"], accept_valid=False)

    assert list(Household.objects.order_by("pk").values()) == before_households
    assert list(Member.objects.order_by("pk").values()) == before_members
    assert Household.history.count() + Member.history.count() == history_rows
    second.refresh_from_db()
    assert second.status == ImportStatus.PREVIEWED

    with connection.cursor() as cursor:
        cursor.execute(drop)
    services.roster_import_apply(record=second, user=world.users["village_cadre"], accept_valid=False)
    assert Household.objects.count() == 3
    assert Member.objects.filter(name=REFUSED_NAME).exists()
    assert Household.objects.get(number="0001").phone == "13900000001"
