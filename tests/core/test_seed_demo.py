from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from evalprep.core.demo import demo_county_seed
from evalprep.core.errors import EvalprepError
from evalprep.core.models import (
    Campaign,
    County,
    Department,
    DepartmentKind,
    GroupRole,
    RelocationSite,
    Role,
    RoleAssignment,
    Township,
    Village,
    VillagePost,
    WorkingGroup,
    WorkingGroupKind,
)
from evalprep.core.services import org_tree_check

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list[dict]]:
    models = [*apps.get_app_config("core").get_models(), User]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def test_it_builds_the_county_shape():
    summary = demo_county_seed(seed=1)

    county = County.objects.get()
    assert county.code.startswith("99")
    assert summary.townships == Township.objects.filter(county=county).count() == 4
    assert sorted(t.name[-1] for t in county.townships.all()) == ["乡", "乡", "镇", "镇"]
    villages = Village.objects.filter(township__county=county)
    assert villages.count() == summary.villages == 35
    assert sorted(t.villages.count() for t in county.townships.all()) == [8, 9, 9, 9]
    assert len({v.name for v in villages}) == 35
    assert 0 < villages.filter(is_lifted_village=True).count() < 35
    assert all(3 <= v.groups.count() <= 6 for v in villages)
    sites = RelocationSite.objects.filter(county=county)
    assert sites.count() == 2
    assert len({site.village.township_id for site in sites}) == 2
    assert all(site.households_planned > 0 and site.people_planned > site.households_planned for site in sites)
    assert set(Department.objects.filter(county=county).values_list("kind", flat=True)) == set(DepartmentKind.values)
    assert "12月20日" in Department.objects.get(county=county, kind=DepartmentKind.EDUCATION).duties
    supervision = WorkingGroup.objects.filter(county=county, kind=WorkingGroupKind.SUPERVISION)
    assert sorted(supervision.values_list("township__code", flat=True)) == sorted(
        county.townships.values_list("code", flat=True)
    )
    assert WorkingGroup.objects.filter(county=county, kind=WorkingGroupKind.LEADING_GROUP).count() == 1
    assert set(RoleAssignment.objects.filter(county=county).values_list("role", flat=True)) == set(Role.values)


def test_it_fills_the_task_force_from_the_seed():
    demo_county_seed(seed=1)

    group = WorkingGroup.objects.get(name="汇报材料准备组")
    leader = group.members.get(role=GroupRole.LEADER)
    assert leader.position == "示范县委常委、组织部长"
    assert leader.user.username == "head-organization"
    assert group.members.filter(role=GroupRole.LIAISON).get().user.username == "bureau"
    assert group.phone == group.members.get(role=GroupRole.LIAISON).phone
    assert "示范县" in group.duties
    names = set(WorkingGroup.objects.values_list("name", flat=True))
    for name in ("领导小组办公室", "交流访谈组", "档案资料组", "项目核查及衔接资金安排使用管理组",
                 "佐证资料（疑似问题核查）组", "信访维稳组", "疫情防控及后勤保障组"):
        assert name in names


def test_it_plans_the_current_campaign():
    demo_county_seed(seed=1)

    campaign = Campaign.objects.get(is_current=True)
    year = timezone.localdate().year
    assert campaign.year == year
    assert campaign.name == f"{year}年度巩固脱贫成果后评估"
    assert (campaign.inspection_start.month, campaign.inspection_start.day) == (12, 25)
    milestones = list(campaign.milestones.order_by("due_date", "pk"))
    assert len(milestones) == 10
    assert milestones[0].kind == "national_system_closes" and milestones[0].due_date.day == 5
    assert all(m.note and m.due_date.year == year for m in milestones)


def test_it_leaves_identical_rows_when_run_twice():
    demo_county_seed(seed=1)
    before = _snapshot()

    demo_county_seed(seed=1)

    assert _snapshot() == before


def test_it_updates_in_place_with_another_seed():
    demo_county_seed(seed=1)
    codes = dict(Village.objects.values_list("code", "pk"))
    names = set(Village.objects.values_list("name", flat=True))

    demo_county_seed(seed=2)

    assert dict(Village.objects.values_list("code", "pk")) == codes
    assert set(Village.objects.values_list("name", flat=True)) != names
    assert County.objects.count() == 1
    assert org_tree_check(county=County.objects.get(), progress=lambda p, m: None) == []


def test_it_passes_the_org_check():
    demo_county_seed(seed=1)

    assert org_tree_check(county=County.objects.get(), progress=lambda p, m: None) == []


def test_demo_users_can_log_in():
    demo_county_seed(seed=1)

    for username in ("bureau", "admin", "head-agriculture_water", "town4-head", "v0408-dysj"):
        assert Client().login(username=username, password=settings.DEMO_PASSWORD), username
    assert not Client().login(username="bureau", password="wrong-password")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="bureau").is_staff
    assert User.objects.get(username="v0101-sj").last_name


def test_village_cadres_point_at_their_village():
    demo_county_seed(seed=1)

    assignment = RoleAssignment.objects.get(user__username="v0101-sj")
    assert assignment.role == Role.VILLAGE_CADRE
    assert assignment.post == VillagePost.SECRETARY
    assert assignment.village is not None and assignment.village.township.code.endswith("101000")
    assert RoleAssignment.objects.get(user__username="v0209-dysj").village.township.code.endswith("102000")
    assert RoleAssignment.objects.get(user__username="v0301-bf").post == VillagePost.HELPER
    assert not User.objects.filter(username="v0409-sj").exists()  # the fourth township has 8 villages


def test_it_resets_a_changed_password_only():
    demo_county_seed(seed=1)
    user = User.objects.get(username="town1")
    user.set_password("something-else")
    user.save()
    untouched = User.objects.get(username="town2").password

    demo_county_seed(seed=1)

    assert Client().login(username="town1", password=settings.DEMO_PASSWORD)
    assert User.objects.get(username="town2").password == untouched


def test_command_seeds_and_prints_the_logins():
    out = StringIO()

    call_command("seed_demo", "--seed", "1", stdout=out)

    assert County.objects.filter(name="示范县").exists()
    text = out.getvalue()
    assert "行政村 35 个" in text
    assert "v0101-dysj" in text and "DEMO_PASSWORD" in text


def test_command_if_empty_leaves_a_seeded_database_alone():
    call_command("seed_demo", "--seed", "1", stdout=StringIO())
    before = _snapshot()
    out = StringIO()

    call_command("seed_demo", "--seed", "2", "--if-empty", stdout=out)

    assert _snapshot() == before
    assert "--if-empty" in out.getvalue()


def test_command_if_empty_seeds_an_empty_database():
    call_command("seed_demo", "--if-empty", stdout=StringIO())

    assert County.objects.count() == 1


def test_negative_households_are_refused():
    with pytest.raises(CommandError, match="不能为负数"):
        call_command("seed_demo", "--households", "-1", stdout=StringIO())
    with pytest.raises(EvalprepError):
        demo_county_seed(seed=1, households=-1)
    assert not County.objects.exists()


def test_it_fills_the_villages_and_writes_sample_rosters(settings, tmp_path):
    from households.models import Household

    settings.VAR_DIR = tmp_path
    out = StringIO()

    summary = demo_county_seed(seed=1, households=60, stdout=out)

    assert summary.households == 60 == Household.objects.count()
    samples = sorted(path.name for path in (tmp_path / "samples").iterdir())
    assert samples == ["示例-全国系统导出.xlsx", "示例-规范花名册.xlsx", "示例-问题花名册.xlsx"]
    assert "示例花名册" in out.getvalue()


def test_it_spreads_a_larger_county_over_the_four_townships():
    call_command("seed_demo", "--villages", "50", stdout=StringIO())

    county = County.objects.get()
    assert sorted(t.villages.count() for t in county.townships.all()) == [12, 12, 13, 13]
    villages = Village.objects.filter(township__county=county)
    assert len({v.name for v in villages}) == len({v.code for v in villages}) == 50
    cadres = RoleAssignment.objects.filter(role=Role.VILLAGE_CADRE)
    assert cadres.values("village").distinct().count() == 50
    assert org_tree_check(county=county, progress=lambda p, m: None) == []


@pytest.mark.parametrize("villages", ["3", "301"])
def test_it_refuses_a_village_count_it_cannot_name(villages):
    with pytest.raises(CommandError, match="演示行政村数量应在 4 到 300 之间"):
        call_command("seed_demo", "--villages", villages, stdout=StringIO())
    assert not County.objects.exists()
