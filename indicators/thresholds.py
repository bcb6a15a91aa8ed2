"""The quantitative thresholds a framework text states, as a fixed vocabulary.

Data files put them on items as `{"<key>": {"value": …, "quote": "…"}}`; the
loader refuses keys that are not listed here, so that code reading a key (the
households screening) and the data agree. `quote` is the sentence of the seed
text the figure comes from, for explaining a flag.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThresholdSpec:
    label: str
    unit: str
    kind: type  # int/float for figures, list for sets of codes, dict for amounts by case


THRESHOLDS: dict[str, ThresholdSpec] = {
    "medical_insurance_enrolment_min_pct": ThresholdSpec("基本医疗保险参保率不低于", "%", float),
    "medical_insurance_key_groups_enrolment_min_pct": ThresholdSpec("重点人群基本医疗保险参保率不低于", "%", float),
    "net_income_growth_min_pct": ThresholdSpec("人均纯收入比上年增长不低于", "%", float),
    "housing_grades_forbidden": ThresholdSpec("脱贫人口和监测对象住房不得出现的等级", "", list),
    "dropout_allowed_reasons": ThresholdSpec("义务教育阶段未上学仅限的原因", "", list),
    "medical_out_of_pocket_near_threshold_yuan": ThresholdSpec("因病因意外自付医疗费用达到（接近监测标准）", "元", float),
    "medical_out_of_pocket_income_multiple": ThresholdSpec("自付医疗费用超过上年度农民人均可支配收入的倍数", "倍", float),
    "work_subsidy_yuan_per_person_year": ThresholdSpec("务工补助标准", "元/人·年", dict),
    "employment_subsidy_yuan_per_person_year": ThresholdSpec("稳岗就业补助标准", "元/人·年", dict),
    "employed_per_lifted_household_min": ThresholdSpec("脱贫户家庭稳定就业至少", "人", float),
    "linkage_funds_paid_min_pct": ThresholdSpec("衔接资金支付进度不低于", "%", float),
    "worst_households_per_category_per_village": ThresholdSpec("每村每类倒排条件最差的户数", "户", float),
}


@dataclass(frozen=True)
class Threshold:
    key: str
    value: Any
    quote: str
    item_code: str
    item_title: str

    @property
    def label(self) -> str:
        return THRESHOLDS[self.key].label

    @property
    def unit(self) -> str:
        return THRESHOLDS[self.key].unit


def threshold_problem(key: str, entry: Any) -> str | None:
    """Why a data file's threshold entry is unusable, in Chinese; None when it is fine."""
    spec = THRESHOLDS.get(key)
    if spec is None:
        return f"未知的量化标准「{key}」"
    if not isinstance(entry, dict) or set(entry) - {"value", "quote"} or "value" not in entry:
        return f"量化标准「{key}」应写成 {{\"value\": …, \"quote\": \"…\"}}"
    value = entry["value"]
    if spec.kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif spec.kind is dict:
        ok = isinstance(value, dict) and all(isinstance(v, (int, float)) for v in value.values())
    else:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok:
        return f"量化标准「{key}」的取值类型不对"
    return None
