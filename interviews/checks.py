"""Consistency checks shown beside each question.

Two kinds:

- between respondents who answer the same question for the same unit (the
  village secretary and the first secretary; county leaders among themselves;
  a department's people): the figures of each kind are compared in the order
  written, and differing ones are flagged with both values;
- against the registry where the question has a computable answer: the
  registry's figures (one grouped query per check, whatever the number of
  units) are compared in order with the answer's figures of the same kind —
  "台账：参保率97.3%；回答：100%".
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from evalprep.core.models import Campaign
from households.models import Category, Household, HousingGrade, Member
from interviews.models import DataCheck, OutlineLevel
from interviews.numbers import COUNT, PERCENT, Figure, figure_format, same_value

# "没有危房", "未出现辍学", "无": an answer that states zero in words.
_ZERO_WORDS = re.compile(r"没有|未出现|未发生|不存在|无一|均无|零|^无")


@dataclass(frozen=True)
class Expected:
    """A figure the registry gives for a question."""

    label: str
    value: Decimal
    kind: str
    unit: str

    def __str__(self) -> str:
        return figure_format(self.value, self.kind, self.unit)


@dataclass(frozen=True)
class DataFlag:
    label: str
    expected: str
    answered: str

    @property
    def message(self) -> str:
        return f"台账：{self.label}{self.expected}；回答：{self.answered}"


@dataclass(frozen=True)
class PeerFlag:
    kind: str
    mine: str
    theirs: str
    other: str  # who answered differently

    @property
    def message(self) -> str:
        return f"与{self.other}不一致：本人答{self.mine}，{self.other}答{self.theirs}"


# Where the unit sits on a household, per outline level.
UNIT_FIELD = {
    OutlineLevel.COUNTY: "village__township__county_id",
    OutlineLevel.VILLAGE: "village_id",
    OutlineLevel.RELOCATION_SITE: "relocation_site_id",
}


def _rate(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected_by_unit(check: str, *, campaign: Campaign, level: str, unit_ids: set[int]) -> dict[int, list[Expected]]:
    """The registry's figures for one check over many units, in one query."""
    field = UNIT_FIELD[level]
    if not unit_ids:
        return {}
    households = Household.objects.filter(**{f"{field}__in": unit_ids})
    if check == DataCheck.MEDICAL_INSURANCE_RATE:
        key = f"household__{field}"
        lifted = Q(household__category__in=[Category.LIFTED, Category.MONITORED])
        rows = (
            Member.objects.filter(**{f"{key}__in": unit_ids}).values(key)
            .annotate(
                total=Count("pk"), insured=Count("pk", filter=Q(medical_insurance=True)),
                lifted=Count("pk", filter=lifted), lifted_insured=Count("pk", filter=lifted & Q(medical_insurance=True)),
                other=Count("pk", filter=~lifted), other_insured=Count("pk", filter=~lifted & Q(medical_insurance=True)),
            )
        )
        return {
            row[key]: [
                Expected("参保率", _rate(row["insured"], row["total"]), PERCENT, "%"),
                Expected("脱贫户（含监测户）参保率", _rate(row["lifted_insured"], row["lifted"]), PERCENT, "%"),
                Expected("其他农户参保率", _rate(row["other_insured"], row["other"]), PERCENT, "%"),
            ]
            for row in rows
        }
    if check == DataCheck.MONITORED_HOUSEHOLDS:
        monitored = Q(category=Category.MONITORED)
        rows = households.values(field).annotate(
            monitored=Count("pk", filter=monitored),
            this_year=Count("pk", filter=monitored & Q(monitoring_since__year=campaign.year)),
        )
        return {
            row[field]: [
                Expected("监测户", Decimal(row["monitored"]), COUNT, "户"),
                Expected("今年新纳入监测", Decimal(row["this_year"]), COUNT, "户"),
            ]
            for row in rows
        }
    if check == DataCheck.CHILDREN_OUT_OF_SCHOOL:
        key = f"household__{field}"
        rows = Member.objects.filter(**{f"{key}__in": unit_ids}).values(key).annotate(
            out=Count("pk", filter=Q(out_of_school=True))
        )
        return {row[key]: [Expected("义务教育阶段失学辍学", Decimal(row["out"]), COUNT, "人")] for row in rows}
    if check == DataCheck.DANGEROUS_HOUSES:
        rows = households.values(field).annotate(
            dangerous=Count("pk", filter=Q(housing_grade__in=[HousingGrade.C, HousingGrade.D]))
        )
        return {row[field]: [Expected("C/D级危房", Decimal(row["dangerous"]), COUNT, "户")] for row in rows}
    if check == DataCheck.RELOCATION_HOUSEHOLDS:
        rows = households.filter(relocation_site__isnull=False).values(field).annotate(
            households=Count("pk"), people=Sum("member_count")
        )
        found = {
            row[field]: [
                Expected("易地搬迁", Decimal(row["households"]), COUNT, "户"),
                Expected("搬迁人口", Decimal(row["people"] or 0), COUNT, "人"),
            ]
            for row in rows
        }
        return {unit: found.get(unit, [Expected("易地搬迁", Decimal(0), COUNT, "户"),
                                        Expected("搬迁人口", Decimal(0), COUNT, "人")]) for unit in unit_ids}
    raise ValueError(check)


def data_flags(text: str, figures: list[Figure], expected: list[Expected]) -> tuple[list[DataFlag], list[str]]:
    """Compare an answer with the registry's figures, key by key, in the order written.

    Returns the flags, and notes for figures the answer does not give (so the
    respondent can add them)."""
    flags: list[DataFlag] = []
    notes: list[str] = []
    states_zero = bool(_ZERO_WORDS.search(text or ""))
    keys = []
    for item in expected:
        if (item.kind, item.unit) not in keys:
            keys.append((item.kind, item.unit))
    for key in keys:
        wanted = [item for item in expected if (item.kind, item.unit) == key]
        given = [figure for figure in figures if figure.key == key]
        if not given and states_zero and key[0] == COUNT:
            given = [Figure(Decimal(0), COUNT, key[1], "没有")]
        for index, item in enumerate(wanted):
            if index >= len(given):
                notes.append(f"台账：{item.label}{item}（回答中未给出）")
                continue
            if not same_value(given[index].value, item.value, item.kind):
                flags.append(DataFlag(item.label, str(item), str(given[index])))
    return flags, notes


def peer_flags(mine: list[Figure], theirs: list[Figure], other: str) -> list[PeerFlag]:
    """Differing figures between two answers to the same question, key by key."""
    flags = []
    keys = []
    for figure in mine:
        if figure.key not in keys:
            keys.append(figure.key)
    for key in keys:
        a = [figure for figure in mine if figure.key == key]
        b = [figure for figure in theirs if figure.key == key]
        if not b:
            continue
        common = min(len(a), len(b))
        if any(not same_value(a[i].value, b[i].value, key[0]) for i in range(common)):
            flags.append(PeerFlag(
                kind=key[0], mine="、".join(str(f) for f in a), theirs="、".join(str(f) for f in b), other=other,
            ))
    return flags

