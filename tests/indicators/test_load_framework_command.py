import io

import pytest
from django.core.management import CommandError, call_command

from indicators.models import ChecklistRow, Framework


def _run(*args) -> str:
    out = io.StringIO()
    call_command("load_framework", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_prints_counts_per_area_and_per_level():
    out = _run("2022-inner-mongolia")
    assert "指标：新增 28，更新 0，未变 0" in out
    assert "责任落实：4 项指标，24 条佐证要求" in out
    assert "工作落实：12 项指标，45 条佐证要求" in out
    assert "合计：4 个方面，28 项指标，104 条佐证要求" in out
    assert "按保存层级：县级（乡村振兴局） 7 条，部门 19 条，乡镇 18 条，行政村 60 条" in out

    again = _run("2022-inner-mongolia")
    assert "未变 104" in again and "与已导入的内容相同，没有改动。" in again


@pytest.mark.django_db
def test_it_prints_the_2021_library():
    out = _run("2021-national")
    assert "合计：4 个方面，20 项指标，34 条佐证要求" in out
    assert "政策落实：3 项指标" in out and "成效巩固：5 项指标" in out


def test_with_a_campaign_year_it_expands_the_checklist(world):
    out = _run("2022-inner-mongolia", "--campaign-year", 2026, "--county", world.county.code)
    assert "「甲县2026年度后评估」佐证清单：新增 271 行，共 271 行。" in out
    assert "注意：2.3.1-D 由医疗保障局保存，但本县尚未建立该部门，没有清单行。" in out
    world.campaign.refresh_from_db()
    assert world.campaign.framework == "2022-inner-mongolia"
    assert ChecklistRow.objects.filter(campaign=world.campaign).count() == 271
    assert "新增 0 行，共 271 行" in _run("2022-inner-mongolia", "--campaign-year", 2026, "--county", world.county.code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2030-mars"], "找不到指标体系「2030-mars」的数据文件"),
        (["2022-inner-mongolia", "--campaign-year", 2031], "没有2031年度的评估"),
        (["2022-inner-mongolia", "--campaign-year", 2026], "有多个县的2026年度评估，请用 --county 指定"),
    ],
)
def test_it_refuses(world, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not Framework.objects.exists()
