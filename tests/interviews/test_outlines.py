import json

import pytest

from interviews.models import Outline, Question, Respondent
from interviews.services import (
    InterviewError,
    outline_load,
    question_add,
    question_save,
    respondent_add,
    respondents_assign,
)
from tests.interviews.conftest import add_first_secretary, outline

# As the seed plan has them (附件2.1: ten groups, 74 questions; 2.2: 17; 2.3: 13, numbered 1–14 without 5).
EXPECTED = {
    "county-leaders": 10, "bureau": 5, "bureau-relocation": 16, "education": 6, "health": 8, "housing": 7,
    "water": 6, "agriculture": 6, "human-resources": 7, "civil-affairs": 3, "village": 17, "relocation-site": 13,
}


@pytest.mark.django_db
def test_it_loads_twelve_outlines_with_104_questions(world):
    result = outline_load(campaign=world.campaign)
    assert (result.outlines_created, result.questions_created) == (12, 104)
    counts = {o.code: o.questions.count() for o in Outline.objects.filter(campaign=world.campaign)}
    assert counts == EXPECTED
    assert sum(n for code, n in counts.items() if outline(world, code).level == "county") == 74
    site = outline(world, "relocation-site")
    assert list(site.questions.values_list("number", flat=True)) == [1, 2, 3, 4, *range(6, 15)]
    assert site.questions.get(number=6).text.startswith("是否成立了社区居委会")
    assert outline(world, "village").questions.get(number=2).data_check == "medical_insurance_rate"
    assert outline(world, "health").department_kinds == ["health", "medical_insurance"]


@pytest.mark.django_db
def test_it_keeps_the_bureaus_edits_and_additions_when_loaded_again(world):
    outline_load(campaign=world.campaign)
    village = outline(world, "village")
    question = village.questions.get(number=3)
    question_save(question=question, text="村卫生室有几名村医？", data_check="", user=world.users["coordinator"])
    added = question_add(outline=village, text="全村共有监测户多少户，今年新纳入多少户？", data_check="monitored_households",
                         user=world.users["coordinator"])
    assert added.number == 18 and added.is_local
    result = outline_load(campaign=world.campaign)
    assert (result.outlines_created, result.questions_created, result.questions_kept) == (0, 0, 104)
    assert village.questions.get(number=3).text == "村卫生室有几名村医？"
    assert village.questions.count() == 18
    assert question.history.count() == 2


@pytest.mark.django_db
def test_it_rejects_a_broken_file_without_writing_anything(world, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"outlines": [
        {"code": "a", "title": "甲", "level": "village", "respondent_kind": "village", "questions": [{"number": 1, "text": "问"}]},
        {"code": "b", "title": "乙", "level": "village", "respondent_kind": "village",
         "questions": [{"number": 1, "text": "问"}, {"number": 1, "text": "重复"}]},
    ]}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InterviewError, match="第2份提纲（乙）：题号重复"):
        outline_load(campaign=world.campaign, path=path)
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_it_gives_each_outline_to_the_people_whose_roles_answer_it(world):
    add_first_secretary(world)
    outline_load(campaign=world.campaign)
    created = respondents_assign(campaign=world.campaign)
    sheets = {(r.outline.code, r.user.username) for r in Respondent.objects.select_related("outline", "user")}
    # The leader answers the county leaders' outline; the education department's head its outline;
    # V1's secretary and first secretary the village outline. No relocation site: no site sheets.
    assert sheets == {
        ("county-leaders", "leader"), ("education", "department_head"),
        ("village", "village_cadre"), ("village", "first_secretary"),
    }
    assert created == 4
    assert respondents_assign(campaign=world.campaign) == 0


@pytest.mark.django_db
def test_it_lets_the_bureau_add_a_respondent_whose_role_fits_the_outline(world):
    outline_load(campaign=world.campaign)
    role = lambda name: world.users[name].role_assignments.get()  # noqa: E731
    added = respondent_add(outline=outline(world, "county-leaders"), assignment=role("coordinator"),
                           user=world.users["coordinator"])
    assert (added.user, added.post, added.village, added.department) == (world.users["coordinator"], "乡村振兴局统筹", None, None)
    with pytest.raises(InterviewError, match="村级提纲只能分配给村干部"):
        respondent_add(outline=outline(world, "village"), assignment=role("department_staff"), user=world.users["coordinator"])
    added = respondent_add(outline=outline(world, "education"), assignment=role("department_staff"), user=world.users["coordinator"])
    assert added.department == world.departments[0]
    with pytest.raises(InterviewError, match="已是这份提纲的答题人"):
        respondent_add(outline=outline(world, "education"), assignment=role("department_staff"), user=world.users["coordinator"])
