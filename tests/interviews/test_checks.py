"""The consistency checks: between respondents, and against the registry."""

from datetime import date

import pytest

from evalprep.core.models import Department, DepartmentKind, RelocationSite, Role
from households.models import Household, Member
from interviews.models import Question
from interviews.selectors import sheets_checked
from interviews.services import answer_save, question_add, respondents_assign
from tests.factories import make_household, make_user
from tests.interviews.conftest import outline, sheet


def _answer(world, code: str, username: str, number: int, text: str):
    respondent = sheet(world, code, username)
    question = Question.objects.get(outline=respondent.outline, number=number)
    answer_save(respondent=respondent, question=question, text=text, user=world.users[username])
    return respondent


def _row(respondent, number: int):
    return next(row for row in sheets_checked([respondent])[respondent.pk] if row.question.number == number)


@pytest.mark.django_db
def test_it_flags_the_secretary_and_first_secretary_giving_different_numbers(loaded):
    world = loaded
    secretary = _answer(world, "village", "village_cadre", 9, "本村有合作社3个，带动脱贫户45户。")
    first = _answer(world, "village", "first_secretary", 9, "全村合作社三个，带动脱贫户40户。")
    mine, theirs = _row(secretary, 9), _row(first, 9)
    assert [flag.message for flag in mine.peer] == ["与驻村第一书记 first_secretary不一致：本人答45户，驻村第一书记 first_secretary答40户"]
    assert [(f.mine, f.theirs) for f in mine.peer] == [("45户", "40户")]
    assert [(f.mine, f.theirs) for f in theirs.peer] == [("40户", "45户")]
    _answer(world, "village", "first_secretary", 9, "全村合作社三个，带动脱贫户45户。")
    assert _row(secretary, 9).peer == [] and _row(first, 9).peer == []


@pytest.mark.django_db
def test_it_compares_county_leaders_among_themselves(loaded):
    world = loaded
    make_user("leader2", role=Role.LEADER, county=world.county)
    world.users["leader2"] = world.county.role_assignments.get(user__username="leader2").user
    respondents_assign(campaign=world.campaign)
    one = _answer(world, "county-leaders", "leader", 10, "今年选派第一书记35名，驻村工作队员105人。")
    _answer(world, "county-leaders", "leader2", 10, "选派第一书记35名，队员98人。")
    assert [(f.mine, f.theirs) for f in _row(one, 10).peer] == [("35人、105人", "35人、98人")]


@pytest.mark.django_db
def test_it_does_not_compare_different_villages(loaded):
    world = loaded
    make_user("v2_secretary", role=Role.VILLAGE_CADRE, county=world.county, village=world.villages[1], post="secretary")
    world.users["v2_secretary"] = world.county.role_assignments.get(user__username="v2_secretary").user
    respondents_assign(campaign=world.campaign)
    one = _answer(world, "village", "village_cadre", 9, "合作社3个。")
    _answer(world, "village", "v2_secretary", 9, "合作社5个。")
    assert _row(one, 9).peer == []


def _insured_village(world) -> None:
    """V1: 10 members in lifted households (all insured), 4 in an ordinary one (3 insured) → 13/14 = 92.9 %."""
    for n in range(1, 6):
        make_household(world.villages[0], number=f"000{n}", members=2, seq=n)
    ordinary = make_household(world.villages[0], number="0009", members=4, category="ordinary", seq=9)
    ordinary.members.filter(relation="之女").update(medical_insurance=False)


@pytest.mark.django_db
def test_it_checks_the_enrolment_rate_against_the_roster(loaded):
    world = loaded
    _insured_village(world)
    wrong = _answer(world, "village", "village_cadre", 2, "参保率为100%，脱贫户参保率100%，其他农户参保率100%。")
    assert [flag.message for flag in _row(wrong, 2).data] == [
        "台账：参保率92.9%；回答：100%", "台账：其他农户参保率75%；回答：100%",
    ]
    right = _answer(world, "village", "first_secretary", 2, "全村参保率92.9%，其中脱贫户100%，其他农户75%。")
    assert _row(right, 2).data == []


@pytest.mark.django_db
def test_it_checks_monitored_households_and_those_included_this_year(loaded):
    world = loaded
    bureau = Department.objects.create(county=world.county, kind=DepartmentKind.BUREAU, name="乡村振兴局")
    world.users["bureau_head"] = make_user("bureau_head", role=Role.DEPARTMENT_HEAD, county=world.county, department=bureau)
    for n, since in enumerate([date(2026, 3, 1), date(2026, 9, 1), date(2024, 5, 1)], start=1):
        household = make_household(world.villages[n % 3], number=f"00{n}0", category="monitored", seq=n)
        Household.objects.filter(pk=household.pk).update(monitoring_type="marginal", monitoring_since=since)
    respondents_assign(campaign=world.campaign)
    county = _answer(world, "bureau", "bureau_head", 5, "出台了实施办法。全县纳入监测户3户，其中今年新纳入3户，均已落实帮扶。")
    assert [flag.message for flag in _row(county, 5).data] == ["台账：今年新纳入监测2户；回答：3户"]
    # The bureau adds the question to the village outline: V1 holds the one included in 2024.
    question_add(outline=outline(world, "village"), text="全村共有监测户多少户，今年新纳入多少户？",
                 data_check="monitored_households", user=world.users["coordinator"])
    village = _answer(world, "village", "village_cadre", 18, "全村共有监测户1户，今年新纳入0户。")
    assert _row(village, 18).data == []


@pytest.mark.django_db
def test_it_checks_out_of_school_children_and_dangerous_houses(loaded):
    world = loaded
    household = make_household(world.villages[0], number="0001", members=4, seq=1)
    Member.objects.filter(household=household, relation="之女").update(out_of_school=True)
    Household.objects.filter(pk=household.pk).update(housing_grade="D")
    school = _answer(world, "village", "village_cadre", 1, "今年以来本村没有出现辍学现象。")
    assert [flag.message for flag in _row(school, 1).data] == ["台账：义务教育阶段失学辍学1人；回答：0人"]
    houses = _answer(world, "village", "village_cadre", 6, "本村没有住危房的情况。")
    assert [flag.message for flag in _row(houses, 6).data] == ["台账：C/D级危房1户；回答：0户"]
    _answer(world, "village", "village_cadre", 6, "有1户住D级危房，已纳入改造计划。")
    assert _row(houses, 6).data == []


@pytest.mark.django_db
def test_it_checks_relocation_households_at_the_site(loaded):
    world = loaded
    site = RelocationSite.objects.create(county=world.county, village=world.villages[0], name="新创家园")
    for n in range(1, 4):
        household = make_household(world.villages[0], number=f"000{n}", members=3, seq=n)
        Household.objects.filter(pk=household.pk).update(relocation_site=site)
    respondents_assign(campaign=world.campaign)
    respondent = _answer(world, "relocation-site", "village_cadre", 1, "本安置点共安置搬迁群众3户12人。")
    assert [flag.message for flag in _row(respondent, 1).data] == ["台账：搬迁人口9人；回答：12人"]
    unanswered = sheet(world, "relocation-site", "first_secretary")
    assert _row(unanswered, 1).notes == ["台账：易地搬迁3户", "台账：搬迁人口9人"]
