import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evalprep.core.models import Department, DepartmentKind, Milestone, MilestoneKind, Village
from indicators.models import ChecklistRow, Level, RowStatus
from indicators.selectors import (
    checklist_rows_visible_to,
    readiness_by_area,
    readiness_by_item,
    readiness_by_milestone,
    readiness_by_unit,
    readiness_overall,
    rows_owed_by,
)
from indicators.services import (
    checklist_row_accept,
    checklist_row_return,
    checklist_row_sign_off,
    evidence_submit,
)
from tests.factories import make_campaign, make_county
from tests.indicators.conftest import EVIDENCE_DATE, PDF, campaign_use, upload


def _submit(world, row, user="village_cadre"):
    evidence_submit(row=row, files=[upload(f"{row.pk}.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE,
                    user=world.users[user])


def test_readiness_counts_rows_by_status(tiny, world):
    _submit(world, tiny.village)
    checklist_row_sign_off(row=tiny.village, user=world.users["township_head"])
    checklist_row_accept(row=tiny.village, user=world.users["coordinator"])
    _submit(world, tiny.township, "township_staff")
    checklist_row_return(row=tiny.township, user=world.users["coordinator"], reason="缺页")
    _submit(world, tiny.department, "department_staff")

    overall = readiness_overall(world.campaign)
    # 1 county + 1 department + 2 townships + 4 villages
    assert (overall.total, overall.accepted, overall.returned, overall.submitted, overall.missing) == (8, 1, 1, 1, 5)
    assert (overall.percent, overall.filed, overall.filed_percent) == (12, 3, 38)
    [area] = readiness_by_area(world.campaign)
    assert (area.label, area.total, area.accepted) == ("政策落实", 8, 1)
    [item] = readiness_by_item(world.campaign)
    assert (item.key, item.group, item.total) == ("1.1", "政策落实", 8)

    villages = readiness_by_unit(world.campaign, Level.VILLAGE)
    assert [(v.label, v.group, v.total, v.accepted) for v in villages] == [
        ("甲县第1镇1村", "甲县第1镇", 1, 1), ("甲县第1镇2村", "甲县第1镇", 1, 0),
        ("甲县第2镇1村", "甲县第2镇", 1, 0), ("甲县第2镇2村", "甲县第2镇", 1, 0),
    ]
    departments = {d.label: (d.total, d.submitted) for d in readiness_by_unit(world.campaign, Level.DEPARTMENT)}
    assert departments == {"教育局": (1, 1), "卫生健康局": (0, 0)}
    assert [(t.total, t.returned) for t in readiness_by_unit(world.campaign, Level.TOWNSHIP)] == [(1, 1), (1, 0)]
    assert [(c.label, c.total) for c in readiness_by_unit(world.campaign, Level.COUNTY)] == [("甲县", 1)]


def test_readiness_by_milestone_groups_rows_by_due_date(world_2022):
    campaign = world_2022.campaign
    Milestone.objects.create(campaign=campaign, kind=MilestoneKind.RECTIFICATION_DUE, name="问题整改清零",
                             due_date=campaign.inspection_start.replace(day=22))
    campaign_use(campaign, "2022-inner-mongolia")
    entries = readiness_by_milestone(campaign)
    assert [entry.label for entry in entries] == ["问题整改清零（12月22日）", "评估开始前"]
    # 3.12①② at county, 2 townships, 4 villages; 4.5② in 4 villages
    assert entries[0].total == 2 * (1 + 2 + 4) + 4
    assert sum(entry.total for entry in entries) == readiness_overall(campaign).total


def _campaign_with_villages(code6: str, townships: int, per_township: int):
    county = make_county(code6=code6, name=f"县{code6}", townships=townships, villages_per_township=per_township)
    Department.objects.create(county=county, kind=DepartmentKind.EDUCATION, name="教育局")
    campaign = make_campaign(county)
    campaign_use(campaign, "2022-inner-mongolia")
    rows = ChecklistRow.objects.filter(campaign=campaign)
    rows.filter(pk__in=rows.values("pk")[:7]).update(status=RowStatus.SUBMITTED)
    rows.filter(pk__in=rows.filter(status=RowStatus.MISSING).values("pk")[:3]).update(status=RowStatus.ACCEPTED)
    return campaign


SELECTORS = {
    "overall": readiness_overall,
    "area": readiness_by_area,
    "item": readiness_by_item,
    "milestone": readiness_by_milestone,
    **{f"unit:{level}": (lambda campaign, level=level: readiness_by_unit(campaign, level)) for level in Level.values},
}


@pytest.mark.django_db
def test_readiness_takes_the_same_queries_for_5_and_50_villages():
    small = _campaign_with_villages("980101", 1, 5)
    large = _campaign_with_villages("980202", 5, 10)
    assert Village.objects.filter(township__county=large.county).count() == 50
    assert ChecklistRow.objects.filter(campaign=large).count() > 2500

    for name, selector in SELECTORS.items():
        counts = []
        for campaign in (small, large):
            with CaptureQueriesContext(connection) as queries:
                result = selector(campaign)
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 2, (name, counts)
        assert result, name
    assert readiness_overall(large).accepted == 3
    assert sum(v.total for v in readiness_by_unit(large, Level.VILLAGE)) == 56 * 50


def test_what_each_user_owes(tiny, world):
    owed = lambda user: {(row.level, row.status) for row in rows_owed_by(world.users[user], world.campaign)}  # noqa: E731
    assert owed("village_cadre") == {(Level.VILLAGE, RowStatus.MISSING)}
    assert owed("department_staff") == {(Level.DEPARTMENT, RowStatus.MISSING)}
    assert owed("coordinator") == {(Level.COUNTY, RowStatus.MISSING)}
    assert owed("township_head") == {(Level.TOWNSHIP, RowStatus.MISSING)}
    assert owed("leader") == owed("no_role") == owed("other_coordinator") == set()

    _submit(world, tiny.village)
    assert owed("village_cadre") == set()
    assert owed("township_head") == {(Level.TOWNSHIP, RowStatus.MISSING), (Level.VILLAGE, RowStatus.SUBMITTED)}
    checklist_row_sign_off(row=tiny.village, user=world.users["township_head"])
    assert (Level.VILLAGE, RowStatus.SIGNED_OFF) in owed("coordinator")
    checklist_row_return(row=tiny.village, user=world.users["coordinator"], reason="不清晰")
    assert owed("village_cadre") == {(Level.VILLAGE, RowStatus.RETURNED)}

    with CaptureQueriesContext(connection) as queries:
        rows = list(rows_owed_by(world.users["township_head"], world.campaign))
        labels = [(row.requirement.item.area.title, str(row.unit), row.due) for row in rows]
    assert len(queries) == 1 and labels[0][2] == world.campaign.inspection_start


def test_rows_visible_to_each_role(tiny, world):
    visible = lambda user: set(checklist_rows_visible_to(world.users[user]).values_list("pk", flat=True))  # noqa: E731
    everything = set(ChecklistRow.objects.filter(campaign=world.campaign).values_list("pk", flat=True))
    assert visible("coordinator") == visible("leader") == everything
    assert visible("village_cadre") == {tiny.village.pk}
    assert visible("department_staff") == {tiny.department.pk}
    t1_villages = set(ChecklistRow.objects.filter(village__township=world.townships[0]).values_list("pk", flat=True))
    assert visible("township_head") == visible("supervision") == {tiny.township.pk} | t1_villages
    assert visible("other_coordinator") == visible("no_role") == set()
