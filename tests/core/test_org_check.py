import pytest

from evalprep.core.models import Role, RoleAssignment, Village, VillagePost, WorkingGroup
from evalprep.core.services import org_tree_check
from tests.factories import make_user


def _problems(world) -> list[str]:
    steps = []
    problems = org_tree_check(county=world.county, progress=lambda percent, message: steps.append(percent))
    assert steps == sorted(steps) and steps[-1] <= 100
    return [f"{p.unit}：{p.problem}" for p in problems]


def test_it_names_every_gap_in_a_thin_county(world):
    problems = _problems(world)
    assert "教育局：没有部门负责人账号，材料无法审核签字" not in problems  # D1 has a head
    assert "卫生健康局：没有部门负责人账号，材料无法审核签字" in problems
    assert any(p.startswith("甲县第2镇：没有乡镇包抓组") for p in problems)
    assert any("没有驻村第一书记账号" in p and world.villages[0].name in p for p in problems)
    assert "第1镇包抓组：没有联络员" in problems


def test_it_flags_a_village_code_outside_its_township(world):
    village = world.villages[0]
    Village.objects.filter(pk=village.pk).update(code="990101999201")
    assert any("与乡镇代码 990101101 不一致" in p for p in _problems(world))


def test_it_finds_nothing_once_the_gaps_are_filled(world):
    county = world.county
    for township in county.townships.all():
        make_user(f"head{township.pk}", role=Role.TOWNSHIP_HEAD, county=county, township=township)
        WorkingGroup.objects.get_or_create(county=county, kind="supervision", township=township, name=f"{township.name}包抓组")
    for department in county.departments.all():
        make_user(f"dhead{department.pk}", role=Role.DEPARTMENT_HEAD, county=county, department=department)
    for village in Village.objects.filter(township__county=county):
        for post in (VillagePost.SECRETARY, VillagePost.FIRST_SECRETARY):
            user = make_user(f"{post}{village.pk}")
            RoleAssignment.objects.create(user=user, role=Role.VILLAGE_CADRE, county=county, village=village, post=post)
    for group in WorkingGroup.objects.filter(county=county):
        group.members.get_or_create(role="leader", name="组长")
        group.members.get_or_create(role="liaison", name="联络员")
    assert _problems(world) == []


@pytest.mark.parametrize("villages", [5, 50])
def test_it_needs_the_same_queries_for_any_size(villages, django_assert_max_num_queries, db):
    from tests.factories import make_county

    county = make_county(code6="990303", name="丙县", townships=5, villages_per_township=villages // 5)
    with django_assert_max_num_queries(8):
        org_tree_check(county=county, progress=lambda percent, message: None)


def test_it_runs_from_the_command_line_by_division_code(world, capsys):
    from django.core.management import CommandError, call_command

    with pytest.raises(SystemExit) as exit_info:
        call_command("org_check", "--county", world.county.code)
    assert exit_info.value.code == 1
    assert "卫生健康局\t没有部门负责人账号" in capsys.readouterr().out
    with pytest.raises(CommandError, match="是乡镇“甲县第1镇”，请给出县（区）的区划代码"):
        call_command("org_check", "--county", world.townships[0].code)
    with pytest.raises(CommandError, match="应为12位数字"):
        call_command("org_check", "--county", "9901")
    with pytest.raises(CommandError, match="没有区划代码为 990101999999"):
        call_command("org_check", "--county", "990101999999")
