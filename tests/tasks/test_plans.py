"""Loading the 2021 plan: duties per level pinned, the backward schedule, idempotence, assigning by the plan."""

import json
from collections import Counter
from datetime import date

import pytest

from evalprep.core.models import Campaign, WorkingGroup
from tasks.errors import PlanError
from tasks.models import Assignment, Level, TaskTemplate
from tasks.library import PLANS_DIR
from tasks.services import task_plan_assign_all, task_plan_load


@pytest.mark.django_db
def test_it_pins_the_number_of_duties_per_level_and_section(world):
    result = task_plan_load(campaign=world.campaign, name="2021-plan")
    templates = TaskTemplate.objects.filter(campaign=world.campaign)
    assert result.created == 63
    assert Counter(templates.values_list("level", flat=True)) == {
        Level.DEPARTMENT: 27, Level.VILLAGE: 14, Level.WORKING_GROUP: 13, Level.TOWNSHIP: 9,
    }
    assert Counter(templates.values_list("section", flat=True)) == {
        "dept_duty": 10, "county_materials": 5, "dept_materials": 4, "reports": 4,
        "local_work": 9, "local_materials": 15, "assisting": 3, "working_groups": 13,
    }
    duties = templates.filter(section="dept_duty").order_by("order")
    assert [t.department_kinds for t in duties][:4] == [
        ["health"], ["medical_insurance"], ["health", "disabled_federation"], ["education"],
    ]
    assert duties.filter(deliverable="list").count() == 9
    health = duties.get(code="2-1-1")
    assert health.due_date == date(2026, 12, 20) and health.schedule_label == "评估开始前5天"
    assert health.required_labels == ["姓名", "身份证号", "乡镇", "行政村", "疾病名称"]
    assert templates.get(tracks_guides=True).code == "3-5"


@pytest.mark.django_db
def test_it_moves_every_deadline_by_the_same_backward_schedule_a_year_later(world):
    this_year = world.campaign
    this_year.is_current = False
    this_year.save()
    next_year = Campaign.objects.create(
        county=world.county, year=2027, name="2027年度后评估", inspection_start=date(2027, 12, 15),
        inspection_end=date(2027, 12, 22),
    )
    task_plan_load(campaign=this_year, name="2021-plan")
    task_plan_load(campaign=next_year, name="2021-plan")
    before = {t.code: t.due_date for t in TaskTemplate.objects.filter(campaign=this_year)}
    after = {t.code: t for t in TaskTemplate.objects.filter(campaign=next_year)}
    assert before.keys() == after.keys() and len(before) == 63
    shift = next_year.inspection_start - this_year.inspection_start
    for code, template in after.items():
        if template.due_fixed_month:  # a fixed day of the year (年底资金支付) stays on its day
            assert template.due_date == before[code].replace(year=2027), code
        else:
            assert template.due_date - before[code] == shift, code
    assert after["2-1-1"].due_date == date(2027, 12, 10)
    assert after["3-9-2"].due_date == date(2027, 12, 24)


@pytest.mark.django_db
def test_it_loads_the_same_plan_twice_without_change(world):
    task_plan_load(campaign=world.campaign, name="2021-plan")
    again = task_plan_load(campaign=world.campaign, name="2021-plan")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 63)


@pytest.mark.django_db
def test_it_refuses_a_plan_with_a_duty_without_deadline(world, tmp_path):
    data = json.loads((PLANS_DIR / "2021-plan.json").read_text(encoding="utf-8"))
    del data["templates"][3]["due"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanError, match="2-1-4.*没有截止日期"):
        task_plan_load(campaign=world.campaign, name="broken", path=path)
    assert not TaskTemplate.objects.exists()


@pytest.mark.django_db
def test_it_assigns_each_duty_to_the_units_the_plan_names(world, plan):
    count = task_plan_assign_all(campaign=plan, user=world.users["coordinator"])
    assignments = Assignment.objects.filter(campaign=plan)
    assert assignments.count() == count
    assert set(assignments.filter(template__code="2-1-1").values_list("department__name", flat=True)) == {"卫生健康局"}
    assert set(assignments.filter(template__code="2-1-4").values_list("department__name", flat=True)) == {"教育局"}
    assert assignments.filter(template__code="3-1").count() == 2  # both townships
    assert assignments.filter(template__code="3-3").count() == 4  # every village
    assert not assignments.filter(template__code="3-2-9").exists()  # no village has a relocation site
    supervision = WorkingGroup.objects.get(county=world.county)
    assert list(assignments.filter(template__code="F1-4").values_list("working_group", flat=True)) == [supervision.pk]
    assert all(a.due_date == a.template.due_date for a in assignments.select_related("template__campaign"))
    assert task_plan_assign_all(campaign=plan, user=world.users["coordinator"]) == 0


@pytest.mark.django_db
def test_it_loads_and_assigns_the_plan_from_the_command_line(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("load_task_plan", "2021-plan", "--county", world.county.code, "--assign", stdout=out)
    assert "新增63项" in out.getvalue() and "已分派" in out.getvalue()
    assert Assignment.objects.filter(campaign=world.campaign, created_by__isnull=True).exists()
    assert not TaskTemplate.objects.filter(campaign=world.other_campaign).exists()
