"""The three household questionnaires (三类问卷: 脱贫户、监测户、其他农户) and their
subjects, as the seeds list them: food and clothing, the three guarantees and
water, income structure, policies the household enjoys, living environment,
satisfaction. Each subject names the fields of the rehearsal-visit form."""

from dataclasses import dataclass

from households.models import Category


@dataclass(frozen=True)
class Subject:
    title: str
    fields: tuple[str, ...]


COMMON = (
    Subject("户类型", ("stated_category",)),
    Subject("两不愁（吃穿）", ("food_clothing_ok",)),
    Subject("三保障及饮水安全", ("schooling_ok", "medical_insured", "housing_safe", "water_safe")),
    Subject("收入结构", ("stated_income_per_capita", "stated_income_sources")),
)
TAIL = (
    Subject("人居环境", ("environment_ok", "sanitary_toilet")),
    Subject("认可度（满意度）", ("satisfaction",)),
    Subject("走访情况", ("visited_on", "visitor_name", "note")),
)

QUESTIONNAIRES = {
    Category.LIFTED: ("脱贫户问卷", (*COMMON, Subject("享受政策及帮扶", ("stated_measures", "knows_helper")), *TAIL)),
    Category.MONITORED: ("防止返贫监测户问卷", (*COMMON, Subject("享受政策及帮扶（风险类型清、帮扶措施清）", ("stated_measures", "knows_helper")), *TAIL)),
    Category.ORDINARY: ("其他农户问卷", (*COMMON, Subject("享受政策", ("stated_measures",)), *TAIL)),
}


def questionnaire_title(category: str) -> str:
    return QUESTIONNAIRES[category][0]


def questionnaire_subjects(category: str) -> tuple[Subject, ...]:
    return QUESTIONNAIRES[category][1]
