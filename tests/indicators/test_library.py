import json
from collections import Counter
from pathlib import Path

import pytest

from evalprep.core.errors import EvalprepError
from indicators.library import FRAMEWORKS_DIR
from indicators.models import Area, ChecklistRow, EvidenceRequirement, Framework, Item, Level, VillageFilter
from indicators.selectors import thresholds_for
from indicators.services import checklist_expand, evidence_submit, framework_load
from tests.indicators.conftest import EVIDENCE_DATE, PDF, upload

SEED_2022 = Path("/work/shared/seeds/2022-inner-mongolia-assessment-interpretation.txt")


def _counts(name: str):
    framework = Framework.objects.get(name=name)
    items = Counter(
        Item.objects.filter(area__framework=framework, is_active=True).values_list("area__title", flat=True)
    )
    levels = Counter(
        EvidenceRequirement.objects.filter(item__area__framework=framework, is_active=True).values_list("level", flat=True)
    )
    return framework.areas.count(), items, levels


def _requirement(code: str, name: str = "2022-inner-mongolia") -> EvidenceRequirement:
    return EvidenceRequirement.objects.get(item__area__framework__name=name, code=code, campaign__isnull=True)


def _snapshot(name: str) -> dict:
    framework = Framework.objects.get(name=name)
    return {
        "framework": Framework.objects.filter(pk=framework.pk).values().get(),
        "areas": list(Area.objects.filter(framework=framework).values().order_by("pk")),
        "items": list(Item.objects.filter(area__framework=framework).values().order_by("pk")),
        "requirements": list(EvidenceRequirement.objects.filter(item__area__framework=framework).values().order_by("pk")),
        "history": [model.history.count() for model in (Framework, Item, EvidenceRequirement)],
    }


@pytest.mark.django_db
def test_it_loads_2021_national_as_4_areas_and_20_items():
    result = framework_load(name="2021-national")
    areas, items, levels = _counts("2021-national")
    assert areas == 4
    assert items == {"责任落实": 4, "政策落实": 3, "工作落实": 8, "成效巩固": 5}
    assert result.items.created == 20 and result.areas.created == 4
    assert levels == {Level.COUNTY: 8, Level.DEPARTMENT: 7, Level.TOWNSHIP: 6, Level.VILLAGE: 13}
    first = Item.objects.get(area__framework__name="2021-national", code="1.1")
    assert first.title == "各级党委和政府主体责任落实情况"
    assert "重点关注党政主要负责同志亲自抓、分管负责同志直接抓、其他负责同志协助抓责任落实情况" in first.focus
    assert Item.objects.get(area__framework__name="2021-national", code="3.8").title == (
        "中办督查、国务院大督查等发现相关问题整改落实情况"
    )
    assert Area.objects.get(framework__name="2021-national", code="2").focus == "聚焦脱贫攻坚同乡村振兴政策有效衔接"


@pytest.mark.django_db
def test_it_loads_2022_inner_mongolia_as_4_areas_28_items_and_104_requirements():
    result = framework_load(name="2022-inner-mongolia")
    areas, items, levels = _counts("2022-inner-mongolia")
    assert areas == 4
    assert items == {"责任落实": 4, "政策落实": 7, "工作落实": 12, "成效巩固": 5}
    assert levels == {Level.COUNTY: 7, Level.DEPARTMENT: 19, Level.TOWNSHIP: 18, Level.VILLAGE: 60}
    assert result.requirements.created == 104
    framework = result.framework
    assert (framework.version, framework.year, framework.province) == (1, 2022, "内蒙古自治区")


@pytest.mark.django_db
def test_2022_texts_match_the_seed():
    framework_load(name="2022-inner-mongolia")
    item = Item.objects.get(area__framework__name="2022-inner-mongolia", code="2.3")
    assert item.title == "医疗保障政策落实情况"
    assert item.focus.startswith("主要评估脱贫人口、特困人口、农村低保对象、防止返贫监测对象等参加城乡居民基本医疗保险")
    enrolment = _requirement("2.3.1-D")
    assert enrolment.text == "基本医疗参保情况，考核指标是参保率95%以上，重点人群必须达到100%。"
    assert (enrolment.mark, enrolment.departments) == ("①", ["medical_insurance"])
    # 镇村两级: one numbered 检查内容, held at both levels
    assert _requirement("1.2.1-T").text == _requirement("1.2.1-V").text == "成立领导小组，并有会议记录。"
    assert _requirement("4.2.2-3-V").mark == "②③"
    assert "自付1万元已上" in _requirement("3.3.3-V").text
    assert {r.village_filter for r in EvidenceRequirement.objects.filter(item__code="3.4")} == {VillageFilter.RELOCATION}
    merged = Item.objects.get(area__framework__name="2022-inner-mongolia", code="3.10")
    assert merged.requirements.count() == 0 and "融合在一起" in merged.check_note
    assert _requirement("3.7.a-D").departments == ["finance"]


@pytest.mark.skipif(not SEED_2022.exists(), reason="the seed documents live outside the repository")
@pytest.mark.django_db
def test_every_2022_numbered_text_is_verbatim_from_the_seed():
    seed = SEED_2022.read_text(encoding="utf-8")
    framework_load(name="2022-inner-mongolia")
    for item in Item.objects.filter(area__framework__name="2022-inner-mongolia"):
        assert f"{item.title}。{item.focus}" in seed, item.code
    for requirement in EvidenceRequirement.objects.exclude(mark=""):
        assert f"{requirement.mark}{requirement.text}" in seed.replace("\n", ""), requirement.code


@pytest.mark.django_db
def test_thresholds_travel_on_the_items(world):
    framework_load(name="2022-inner-mongolia")
    world.campaign.framework = "2022-inner-mongolia"
    thresholds = thresholds_for(world.campaign)
    assert thresholds["medical_insurance_enrolment_min_pct"].value == 95
    assert thresholds["medical_insurance_key_groups_enrolment_min_pct"].value == 100
    assert thresholds["net_income_growth_min_pct"].value == 10
    assert thresholds["net_income_growth_min_pct"].item_code == "3.5"
    assert thresholds["housing_grades_forbidden"].value == ["C", "D"]
    assert thresholds["dropout_allowed_reasons"].value == ["因病", "因残"]
    assert thresholds["medical_out_of_pocket_near_threshold_yuan"].value == 10000
    assert thresholds["work_subsidy_yuan_per_person_year"].value == {
        "in_region": 2000, "beijing": 2000, "outside_region_not_beijing": 2000,
    }
    assert thresholds["employment_subsidy_yuan_per_person_year"].value["beijing"] == 2500
    assert thresholds["net_income_growth_min_pct"].unit == "%"
    assert "10%以上" in thresholds["net_income_growth_min_pct"].quote


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    framework_load(name="2022-inner-mongolia")
    before = _snapshot("2022-inner-mongolia")
    result = framework_load(name="2022-inner-mongolia")
    assert not result.changed
    assert (result.items.unchanged, result.requirements.unchanged) == (28, 104)
    assert _snapshot("2022-inner-mongolia") == before


def _modified_copy(tmp_path, change) -> Path:
    data = json.loads((FRAMEWORKS_DIR / "2022-inner-mongolia.json").read_text(encoding="utf-8"))
    data["version"] = 2
    change(data)
    path = tmp_path / "2022-inner-mongolia.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _item(data: dict, code: str) -> dict:
    return next(item for area in data["areas"] for item in area["items"] if item["code"] == code)


def test_a_newer_version_updates_texts_and_keeps_evidence(world_2022, tmp_path):
    row = ChecklistRow.objects.get(campaign=world_2022.campaign, requirement__code="2.5.1-V", village=world_2022.villages[0])
    [evidence] = evidence_submit(
        row=row, files=[upload("水质检测报告.pdf", PDF)], note="第一季度", evidence_date=EVIDENCE_DATE,
        user=world_2022.users["village_cadre"],
    )
    rows_before = set(ChecklistRow.objects.values_list("pk", "requirement_id", "village_id", "status"))

    def change(data):
        _item(data, "2.5")["requirements"][0]["text"] = "近期（三个月内）水质检测报告。"

    result = framework_load(name="2022-inner-mongolia", path=_modified_copy(tmp_path, change))
    assert (result.requirements.updated, result.requirements.unchanged, result.items.updated) == (1, 103, 0)
    assert checklist_expand(campaign=world_2022.campaign) == 0
    assert set(ChecklistRow.objects.values_list("pk", "requirement_id", "village_id", "status")) == rows_before
    row.refresh_from_db()
    assert row.requirement.text == "近期（三个月内）水质检测报告。"
    assert list(row.files.all()) == [evidence]
    assert evidence.file.storage.exists(evidence.file.name)
    history = list(row.requirement.history.order_by("history_date").values_list("text", "history_change_reason"))
    assert history == [
        ("近期水质检测报告。", "导入2022-inner-mongolia第1版"),
        ("近期（三个月内）水质检测报告。", "导入2022-inner-mongolia第2版"),
    ]
    framework = Framework.objects.get(name="2022-inner-mongolia")
    assert framework.version == 2 and framework.history.count() == 2


def test_a_requirement_dropped_from_the_file_is_retired_and_rows_with_evidence_stay(world_2022, tmp_path):
    campaign = world_2022.campaign
    kept = ChecklistRow.objects.get(campaign=campaign, requirement__code="2.5.2-V", village=world_2022.villages[0])
    evidence_submit(
        row=kept, files=[upload("供水记录.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE,
        user=world_2022.users["village_cadre"],
    )

    def change(data):
        del _item(data, "2.5")["requirements"][1]

    result = framework_load(name="2022-inner-mongolia", path=_modified_copy(tmp_path, change))
    assert result.requirements.retired == 1
    requirement = _requirement("2.5.2-V")
    assert requirement.is_active is False
    checklist_expand(campaign=campaign)
    assert list(requirement.rows.values_list("pk", flat=True)) == [kept.pk]  # the empty rows went, this one stayed
    assert kept.files.count() == 1


@pytest.mark.django_db
def test_an_older_version_than_the_loaded_one_is_refused(tmp_path):
    framework_load(name="2022-inner-mongolia", path=_modified_copy(tmp_path, lambda data: None))
    with pytest.raises(EvalprepError, match="已导入第2版，不能用较旧的第1版覆盖"):
        framework_load(name="2022-inner-mongolia")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _item(d, "1.1")["requirements"][0].update(levels=["villages"]), "检查内容 1.1.1 的「levels」"),
        (lambda d: _item(d, "2.1")["requirements"][0].update(departments=[]), "须在「departments」中写明哪些部门"),
        (lambda d: _item(d, "3.5")["thresholds"].update(income_growth={"value": 10}), "未知的量化标准「income_growth」"),
        (lambda d: _item(d, "3.5")["thresholds"].update(net_income_growth_min_pct={"value": "10%"}), "取值类型不对"),
        (lambda d: _item(d, "1.2").update(code="1.1"), "指标编号「1.1」重复"),
        (lambda d: d.update(name="other"), "文件中的标识是「other」"),
    ],
)
def test_a_malformed_file_is_refused_with_the_place_named(tmp_path, change, message):
    with pytest.raises(EvalprepError, match=message):
        framework_load(name="2022-inner-mongolia", path=_modified_copy(tmp_path, change))
    assert not Framework.objects.exists()


@pytest.mark.django_db
def test_an_unknown_library_is_refused():
    with pytest.raises(EvalprepError, match="找不到指标体系「2030-mars」的数据文件"):
        framework_load(name="2030-mars")
