from decimal import Decimal

import pytest

from interviews.numbers import COUNT, MONEY, NUMBER, PERCENT, chinese_number, figures_in


def _read(text: str) -> list[tuple[Decimal, str, str]]:
    return [(f.value, f.kind, f.unit) for f in figures_in(text)]


@pytest.mark.parametrize("text, expected", [
    ("参保率为97.3%", [(Decimal("97.3"), PERCENT, "%")]),
    ("全村共有监测户12户", [(Decimal("12"), COUNT, "户")]),
    ("人均纯收入1.2万元", [(Decimal("12000"), MONEY, "元")]),
    ("三百二十人", [(Decimal("320"), COUNT, "人")]),
    ("百分之九十七点三", [(Decimal("97.3"), PERCENT, "%")]),
    ("村医2名，人数够用", [(Decimal("2"), COUNT, "人")]),
    ("脱贫户参保率100%，其他农户98.5％", [(Decimal("100"), PERCENT, "%"), (Decimal("98.5"), PERCENT, "%")]),
    ("今年劝返１２人", [(Decimal("12"), COUNT, "人")]),
    ("分红资金共计1,250,000元", [(Decimal("1250000"), MONEY, "元")]),
    ("集体经济收入三十五万元", [(Decimal("350000"), MONEY, "元")]),
    ("务工人数约1.5万", [(Decimal("15000"), NUMBER, "")]),
])
def test_it_reads_the_figures_in_real_looking_answers(text, expected):
    assert _read(text) == expected


def test_it_ignores_years_dates_ordinals_and_set_phrases():
    text = "2021年以来，按照两不愁三保障要求，第一书记一户一档，12月20日前完成，三类人群全部遍访，一把手亲自抓"
    assert figures_in(text) == []


def test_it_keeps_figures_in_the_order_written():
    figures = figures_in("全县监测户120户，今年新纳入35户，涉及人口三百二十人，人均6000元以下")
    assert [str(f) for f in figures] == ["120户", "35户", "320人", "6000元"]


def test_it_reads_chinese_numerals():
    assert chinese_number("三百二十") == 320
    assert chinese_number("十二") == 12
    assert chinese_number("一万二千") == 12000
    assert chinese_number("两千零五") == 2005
    assert chinese_number("九十七点三") == Decimal("97.3")
    assert chinese_number("三二") is None
