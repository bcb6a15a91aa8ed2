from collections import Counter

import pytest
from django.db import IntegrityError, transaction

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Department, DepartmentKind, Milestone, MilestoneKind, RelocationSite, Village
from indicators.errors import ChecklistNotAllowed
from indicators.models import ChecklistRow, EvidenceRequirement, Item, Level
from indicators.selectors import requirements_without_holder
from indicators.services import (
    campaign_framework_assign,
    checklist_expand,
    framework_load,
    local_requirement_add,
)


def _levels(campaign) -> Counter:
    return Counter(ChecklistRow.objects.filter(campaign=campaign).values_list("level", flat=True))


def test_each_requirement_becomes_one_row_per_responsible_unit(world_2022):
    # 甲县: 2 townships, 4 villages, no relocation site; departments 教育局 and 卫生健康局 only
    assert Village.objects.filter(township__county=world_2022.county).count() == 4
    assert _levels(world_2022.campaign) == {
        Level.COUNTY: 7,            # 7 county requirements × the county
        Level.DEPARTMENT: 2 + 2,    # 2.1①② 教育局, 2.2③④ 卫生健康局; the others name departments 甲县 lacks
        Level.TOWNSHIP: 18 * 2,
        Level.VILLAGE: 56 * 4,      # 60 village requirements, 4 of them only where there is a relocation site
    }
    row = ChecklistRow.objects.get(campaign=world_2022.campaign, requirement__code="2.1.1-D")
    assert row.department.kind == DepartmentKind.EDUCATION
    assert ChecklistRow.objects.filter(campaign=world_2022.other_campaign).count() == 0


def test_expansion_is_idempotent_and_picks_up_new_units(world_2022):
    campaign = world_2022.campaign
    before = _levels(campaign)
    assert checklist_expand(campaign=campaign) == 0
    assert _levels(campaign) == before

    RelocationSite.objects.create(county=world_2022.county, village=world_2022.villages[0], name="新安家园")
    Department.objects.create(county=world_2022.county, kind=DepartmentKind.MEDICAL_INSURANCE, name="医疗保障局")
    assert checklist_expand(campaign=campaign) == 4 + 5  # 3.4①–④ in the relocation village; 2.2① and 2.3①–④
    relocation_rows = ChecklistRow.objects.filter(campaign=campaign, requirement__item__code="3.4")
    assert set(relocation_rows.values_list("village", flat=True)) == {world_2022.villages[0].pk}


def test_departments_the_county_lacks_are_reported(world_2022):
    missing = {requirement.code: departments for requirement, departments in requirements_without_holder(world_2022.campaign)}
    assert missing["2.3.1-D"] == ["医疗保障局"]
    assert missing["3.7.a-D"] == ["财政局"]
    assert "2.1.1-D" not in missing


def test_rows_follow_their_milestone(world_2022):
    campaign = world_2022.campaign
    rectification = ChecklistRow.objects.filter(campaign=campaign, requirement__milestone_kind=MilestoneKind.RECTIFICATION_DUE)
    assert rectification.exists() and not rectification.filter(milestone__isnull=False).exists()
    row = rectification.first()
    assert row.due_date == campaign.inspection_start

    milestone = Milestone.objects.create(
        campaign=campaign, kind=MilestoneKind.RECTIFICATION_DUE, name="问题整改清零", due_date=campaign.inspection_start.replace(day=22)
    )
    checklist_expand(campaign=campaign)
    row.refresh_from_db()
    assert row.milestone == milestone and row.due_date == milestone.due_date
    assert not rectification.filter(milestone__isnull=True).exists()


def test_a_row_must_point_at_the_unit_of_its_level(tiny, world):
    with transaction.atomic(), pytest.raises(IntegrityError):
        ChecklistRow.objects.create(
            campaign=world.campaign, requirement=tiny.village.requirement, level=Level.VILLAGE,
            township=world.townships[0],
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        ChecklistRow.objects.create(
            campaign=world.campaign, requirement=tiny.village.requirement, level=Level.VILLAGE,
            village=world.villages[0],
        )


def test_the_bureau_adds_a_local_requirement_and_every_village_gets_a_row(tiny, world):
    item = Item.objects.get(area__framework__name="tiny", code="1.1")
    requirement = local_requirement_add(
        campaign=world.campaign, item=item, text="控辍保学工作台账。", level=Level.VILLAGE, user=world.users["coordinator"],
    )
    assert (requirement.code, requirement.is_local, requirement.source) == ("1.1.L1-V", True, "本地增加")
    assert requirement.rows.count() == 4
    assert requirement.history.get().history_user == world.users["coordinator"]

    second = local_requirement_add(
        campaign=world.campaign, item=item, text="部门资助名单。", level=Level.DEPARTMENT,
        departments=[DepartmentKind.HEALTH], user=world.users["coordinator"],
    )
    assert second.code == "1.1.L2-D"
    assert [row.department.name for row in second.rows.all()] == ["卫生健康局"]
    # a library reload leaves local requirements alone
    framework_load(name="2022-inner-mongolia")
    assert EvidenceRequirement.objects.filter(campaign=world.campaign, is_active=True).count() == 2


@pytest.mark.parametrize(
    ("user", "kwargs", "message"),
    [
        ("township_head", {}, "只有乡村振兴局统筹人员可以增加本地佐证要求。"),
        ("other_coordinator", {}, "只有乡村振兴局统筹人员可以增加本地佐证要求。"),
        ("coordinator", {"text": "  "}, "请填写检查内容。"),
        ("coordinator", {"level": Level.DEPARTMENT}, "部门保存的要求须选择一个或几个责任部门。"),
    ],
)
def test_a_local_requirement_is_refused_when(tiny, world, user, kwargs, message):
    item = Item.objects.get(area__framework__name="tiny", code="1.1")
    arguments = {"text": "控辍保学工作台账。", "level": Level.VILLAGE, **kwargs}
    with pytest.raises(EvalprepError) as error:
        local_requirement_add(campaign=world.campaign, item=item, user=world.users[user], **arguments)
    assert error.value.message == message
    assert isinstance(error.value, ChecklistNotAllowed) == (user != "coordinator")


def test_a_campaign_cannot_change_framework_once_it_has_rows(world_2022):
    other = framework_load(name="2021-national").framework
    with pytest.raises(EvalprepError, match="已按指标体系「2022-inner-mongolia」生成了佐证清单"):
        campaign_framework_assign(campaign=world_2022.campaign, framework=other)


@pytest.mark.django_db
def test_expansion_needs_a_loaded_framework(world):
    with pytest.raises(EvalprepError, match="指标体系「2021-national」尚未导入"):
        checklist_expand(campaign=world.campaign)
