"""Recognising the numbers in an interview answer, so they can be checked.

An answer such as "全村共有监测户12户，参保率为97.3%，人均纯收入1.2万元，
劳动力三百二十人" yields four figures: 12 户, 97.3 %, 12000 元 and 320 人.
Years, dates, ordinals (第一书记) and set phrases (两不愁三保障, 一把手)
are not figures: a Chinese numeral counts only with a unit after it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


PERCENT = "percent"
MONEY = "money"
COUNT = "count"
NUMBER = "number"

KIND_LABELS = {PERCENT: "比例", MONEY: "金额", COUNT: "数量", NUMBER: "数字"}

# Count units as people write them → the unit compared.
COUNT_UNITS = {
    "户": "户", "人": "人", "名": "人", "位": "人", "口": "人", "人次": "人次", "个": "个", "所": "所",
    "家": "家", "间": "间", "套": "套", "处": "处", "座": "座", "亩": "亩", "头": "头", "只": "只",
    "项": "项", "次": "次", "期": "期", "批": "批", "村": "个村", "组": "个组", "岗": "个岗位",
    "公里": "公里", "千米": "公里", "吨": "吨", "平方米": "平方米", "栋": "栋",
}
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}
# Units that mark a date, time or duration, not a figure to check.
SKIP_UNITS = ("年", "月", "日", "号", "时", "点", "分钟", "天", "周", "岁", "级", "度", "类", "条", "种", "方面", "届")

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_LARGE = {"万": 10_000, "亿": 100_000_000}
CN_CHARS = "零〇一二两三四五六七八九十百千万亿"

_units = sorted([*COUNT_UNITS, *MONEY_UNITS, *SKIP_UNITS, "万", "亿"], key=len, reverse=True)
_UNIT = "|".join(re.escape(unit) for unit in _units)
_ARABIC = re.compile(
    rf"(?P<lead>百分之)?(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(?P<mult>万|亿)?\s*(?P<unit>%|‰|{_UNIT})?"
)
_CHINESE = re.compile(
    rf"(?P<lead>百分之)?(?P<num>[{CN_CHARS}]+(?:点[{''.join(CN_DIGITS)}]+)?)"
    rf"(?P<unit>%|{_UNIT})?"
)


_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "％": "%", "．": ".", "\u3000": " "})


@dataclass(frozen=True)
class Figure:
    """One number found in an answer: its value (yuan for money), kind and unit."""

    value: Decimal
    kind: str
    unit: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        """Figures are compared only with figures of the same key."""
        return (self.kind, self.unit)

    def __str__(self) -> str:
        return figure_format(self.value, self.kind, self.unit)


def figure_format(value: Decimal, kind: str, unit: str) -> str:
    """97.3 → "97.3%", 12000 元 → "1.2万元", 320 人 → "320人"."""
    if kind == PERCENT:
        return f"{_plain(value)}%"
    if kind == MONEY:
        if value >= 10_000 and value % 100 == 0:
            return f"{_plain(value / 10_000)}万元"
        return f"{_plain(value)}元"
    return f"{_plain(value)}{unit}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def chinese_number(text: str) -> Decimal | None:
    """"三百二十" → 320, "一万二千" → 12000, "十二" → 12, "九十七点三" → 97.3; None if not a number."""
    if not text or any(ch not in CN_CHARS + "点" for ch in text):
        return None
    whole, _, fraction = text.partition("点")
    if fraction and any(ch not in CN_DIGITS for ch in fraction):
        return None
    total, section, digit = 0, 0, None
    for ch in whole:
        if ch in CN_DIGITS:
            if digit is not None and digit != 0:  # "三二" is not a number we read
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            section += (1 if digit is None else digit) * CN_SMALL[ch]
            digit = None
        else:
            section += digit or 0
            total += (section or 1) * CN_LARGE[ch]
            section, digit = 0, None
    value = Decimal(total + section + (digit or 0))
    if fraction:
        value += Decimal("0." + "".join(str(CN_DIGITS[ch]) for ch in fraction))
    return value


def _figure(value: Decimal, lead: str | None, mult: str | None, unit: str | None, text: str) -> Figure | None:
    if mult:
        value *= CN_LARGE[mult]
    if lead or unit == "%":
        return Figure(value, PERCENT, "%", text)
    if unit == "‰":
        return Figure(value / 10, PERCENT, "%", text)
    if unit in MONEY_UNITS:
        return Figure(value * MONEY_UNITS[unit], MONEY, "元", text)
    if unit in ("万", "亿"):  # "1.2万" with no unit after it: a count in 万
        return Figure(value * CN_LARGE[unit], NUMBER, "", text)
    if unit in COUNT_UNITS:
        return Figure(value, COUNT, COUNT_UNITS[unit], text)
    if unit in SKIP_UNITS:
        return None
    return Figure(value, NUMBER, "", text)


def figures_in(text: str) -> list[Figure]:
    """Every figure in an answer, in the order written."""
    text = (text or "").translate(_FULL_WIDTH)
    found: list[tuple[int, Figure]] = []
    taken: list[tuple[int, int]] = []
    for match in _ARABIC.finditer(text):
        start = match.start()
        if start > 0 and text[start - 1] in "第":
            continue
        try:
            value = Decimal(match.group("num").replace(",", ""))
        except InvalidOperation:
            continue
        if match.group("unit") in ("年",) or (match.group("unit") is None and re.fullmatch(r"(19|20)\d\d", match.group("num"))):
            taken.append(match.span())
            continue
        figure = _figure(value, match.group("lead"), match.group("mult"), match.group("unit"), match.group(0))
        taken.append(match.span())
        if figure is not None:
            found.append((start, figure))
    for match in _CHINESE.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            continue
        unit, lead = match.group("unit"), match.group("lead")
        if not lead and (unit is None or unit in SKIP_UNITS or match.group("num") == "一"):
            continue  # 两不愁三保障, 一对一, 三年, 一户一档: not figures
        if start > 0 and text[start - 1] == "第":
            continue
        value = chinese_number(match.group("num"))
        if value is None:
            continue
        figure = _figure(value, lead, None, unit, match.group(0))
        if figure is not None:
            found.append((start, figure))
    return [figure for _, figure in sorted(found, key=lambda pair: pair[0])]


def figures_to_json(figures: list[Figure]) -> list[dict]:
    return [{"value": str(f.value), "kind": f.kind, "unit": f.unit, "text": f.text} for f in figures]


def figures_from_json(rows: list[dict]) -> list[Figure]:
    return [Figure(Decimal(row["value"]), row["kind"], row["unit"], row["text"]) for row in rows or []]


def same_value(a: Decimal, b: Decimal, kind: str) -> bool:
    """Percentages agree to one decimal place (97.30 = 97.3); everything else exactly."""
    if kind == PERCENT:
        return abs(a - b) < Decimal("0.05")
    return a == b
