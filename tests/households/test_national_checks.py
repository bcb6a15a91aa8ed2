"""The suspect-data checks over a planted national export and over the roster."""

import pytest

from households.models import HitStatus, NationalCheckHit, NationalSnapshot
from households.national import national_snapshot_create
from households.national_checks import FAMILIES, RULES, national_checks_run
from households.national_services import national_hit_mark, national_roster_snapshot, national_snapshot_process
from tests.factories import make_household
from tests.households.national_builders import TAKEN_ON, planted_export

pytestmark = pytest.mark.django_db


def take(world, paths, *, taken_on=TAKEN_ON, township=None) -> NationalSnapshot:
    snapshot = national_snapshot_create(
        county=world.county, township=township, taken_on=taken_on, user=world.users["coordinator"],
        uploads=[(path.name, path.read_bytes()) for path in paths],
    )
    national_snapshot_process(snapshot=snapshot, campaign=world.campaign, user=world.users["coordinator"])
    snapshot.refresh_from_db()
    return snapshot


def found(snapshot) -> set[tuple[str, str]]:
    hits = NationalCheckHit.objects.filter(last_snapshot=snapshot, gone_snapshot__isnull=True)
    return {(hit.rule, hit.subject_key) for hit in hits}


def test_it_finds_exactly_the_planted_hits_with_their_explanations(world, tmp_path):
    export = planted_export(tmp_path)
    snapshot = take(world, export.files())
    wage = export.work[1]
    expected = export.expected | {("7.01", f"{wage['证件号码']}/{2025 * 12 + 3}")}
    assert found(snapshot) == expected
    assert {rule for rule, _ in expected} >= {"1.07", "2.01", "3.05", "4.05", "5.03", "6.03", "7.01", "8.02", "9.06"}
    families = {int(rule.split(".")[0]) for rule, _ in expected}
    assert families == set(FAMILIES)
    explanations = {hit.rule: hit.explanation for hit in NationalCheckHit.objects.all()}
    assert "与户主关系为“之子”，性别却是“女”" in explanations["1.07"]
    assert "的民族没有填写" in explanations["2.01"]
    assert "人均纯收入5000元，低于监测收入线6000元" in explanations["3.05"]
    assert "2024年1月识别、2024年3月消除" in explanations["4.05"]
    assert "户编号990101001000014" in explanations["5.03"] and "因学" in explanations["5.03"]
    assert "66岁" in explanations["6.03"] and "普通劳动力" in explanations["6.03"]
    assert "务工月收入为50元" in explanations["7.01"]
    assert "与村主干路距离8公里，超过5公里" in explanations["8.02"]
    assert "甲县第1镇2村到乡镇未通沥青（水泥）路" in explanations["9.06"]
    village_ids = {hit.rule: hit.village.name for hit in NationalCheckHit.objects.select_related("village")}
    assert village_ids["3.05"] == "甲县第1镇2村" and village_ids["8.02"] == "甲县第2镇1村"


def test_it_numbers_every_rule_once_and_describes_it():
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert all(rule.title and rule.family in FAMILIES for rule in RULES)


def test_it_verifies_a_fixed_hit_on_the_next_snapshot_and_reopens_one_still_there(world, tmp_path):
    export = planted_export(tmp_path)
    first = take(world, export.files())
    income = NationalCheckHit.objects.get(rule="3.05")
    road = NationalCheckHit.objects.get(rule="8.02")
    for hit in (income, road):
        national_hit_mark(hit=hit, status=HitStatus.FIXED, reason="已在系统中更正", user=world.users["village_cadre"])
    for row in export.persons:
        if row["户编号"] == "990101001000012":
            row["人均纯收入（元）"] = "9000"
    second = take(world, export.files(person_name="export_b.xlsx"))
    income.refresh_from_db()
    road.refresh_from_db()
    assert income.gone_snapshot == second and income.is_verified
    assert road.status == HitStatus.OPEN and road.reopened and road.gone_snapshot is None
    assert second.pk != first.pk


def test_it_keeps_an_exemption_with_its_reason(world, tmp_path):
    export = planted_export(tmp_path)
    take(world, export.files())
    hit = NationalCheckHit.objects.get(rule="6.03")
    with pytest.raises(Exception, match="豁免须写明理由"):
        national_hit_mark(hit=hit, status=HitStatus.EXEMPT, reason=" ", user=world.users["coordinator"])
    national_hit_mark(hit=hit, status=HitStatus.EXEMPT, reason="本人身体好，仍在务农", user=world.users["coordinator"])
    take(world, export.files(person_name="again.xlsx"))
    hit.refresh_from_db()
    assert hit.status == HitStatus.EXEMPT and hit.reason == "本人身体好，仍在务农"


def test_it_runs_the_checks_that_apply_over_the_roster(world):
    household = make_household(world.villages[0], number="990101001000077", seq=7)
    household.category, household.monitoring_type = "monitored", "marginal"
    household.save()
    head = household.members.get(relation="户主")
    head.relation, head.work_location = "之女", "province"
    head.save()
    snapshot, result = national_roster_snapshot(county=world.county, township=None, campaign=world.campaign, user=world.users["coordinator"])
    rules = {hit.rule for hit in NationalCheckHit.objects.filter(source="roster")}
    assert "1.09" in rules  # no head any more
    assert "1.07" in rules  # 之女 is male
    assert result.rules_run < len(RULES)
    assert not NationalCheckHit.objects.filter(source="roster", rule__startswith="9.").exists()
    row = snapshot.person_rows.get(id_number=head.id_number)
    assert (row.monitoring_type, row.work_place, row.sex) == ("边缘易致贫户", "省内县外", "男")


def test_it_runs_one_query_per_rule_whatever_the_size(world, tmp_path, django_assert_max_num_queries):
    export = planted_export(tmp_path)
    snapshot = take(world, export.files())
    with django_assert_max_num_queries(len(RULES) + 12):
        national_checks_run(snapshot=snapshot, campaign=world.campaign)


def test_it_leaves_hits_alone_that_a_partial_snapshot_cannot_see(world, tmp_path):
    export = planted_export(tmp_path)
    take(world, export.files())
    person, household, work, village = export.files(person_name="again.xlsx")
    later = take(world, [village])
    assert later.persons == 0 and later.village_rows == 2
    gone = set(NationalCheckHit.objects.filter(gone_snapshot__isnull=False).values_list("rule", flat=True))
    assert gone == set()
    assert NationalCheckHit.objects.get(rule="9.06").last_snapshot == later
