"""Interview outlines and their questions, the people who answer them, their
answers (with history), and the household-questionnaire rehearsal: rehearsal
visits and the mock inspection sample."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evalprep.core.models import Campaign, Department, RelocationSite, Village


class OutlineLevel(models.TextChoices):
    COUNTY = "county", _("县级")
    VILLAGE = "village", _("村级")
    RELOCATION_SITE = "relocation_site", _("安置点")


class RespondentKind(models.TextChoices):
    COUNTY_LEADER = "county_leader", _("县级负责同志")
    DEPARTMENT = "department", _("部门负责人")
    VILLAGE = "village", _("村干部")
    RELOCATION_SITE = "relocation_site", _("安置点所在村干部")


class DataCheck(models.TextChoices):
    """Questions whose answer the household registry can compute."""

    MEDICAL_INSURANCE_RATE = "medical_insurance_rate", _("基本医疗保险参保率")
    MONITORED_HOUSEHOLDS = "monitored_households", _("监测户数及今年纳入户数")
    CHILDREN_OUT_OF_SCHOOL = "children_out_of_school", _("义务教育阶段失学辍学人数")
    DANGEROUS_HOUSES = "dangerous_houses", _("C/D级危房户数")
    RELOCATION_HOUSEHOLDS = "relocation_households", _("易地搬迁户数及人数")


class Outline(models.Model):
    """访谈提纲: one respondent group's questions in one campaign."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="outlines", verbose_name=_("评估年度"))
    code = models.SlugField(_("代码"), max_length=40)
    library = models.CharField(_("来源文件"), max_length=50, blank=True)
    level = models.CharField(_("层级"), max_length=20, choices=OutlineLevel.choices)
    respondent_kind = models.CharField(_("访谈对象"), max_length=20, choices=RespondentKind.choices)
    department_kinds = models.JSONField(_("对应部门类别"), default=list, blank=True)
    title = models.CharField(_("名称"), max_length=100)
    respondents_note = models.CharField(_("访谈对象说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("访谈提纲")
        verbose_name_plural = _("访谈提纲")
        ordering = ["campaign", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="outline_unique_code")]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    outline = models.ForeignKey(Outline, models.CASCADE, related_name="questions", verbose_name=_("访谈提纲"))
    number = models.PositiveSmallIntegerField(_("题号"))
    text = models.TextField(_("问题"))
    data_check = models.CharField(_("数据核对"), max_length=30, choices=DataCheck.choices, blank=True)
    is_local = models.BooleanField(_("本县增加"), default=False)
    edited = models.BooleanField(_("已修改"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("访谈问题")
        verbose_name_plural = _("访谈问题")
        ordering = ["outline", "number"]
        constraints = [models.UniqueConstraint(fields=["outline", "number"], name="question_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:30]}"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("起草中")
    SUBMITTED = "submitted", _("已提交待审核")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("已退回")


class Respondent(models.Model):
    """One person's answer sheet for one outline: who answers, for which unit,
    and where the review stands (unit head's sign-off or township approval)."""

    outline = models.ForeignKey(Outline, models.CASCADE, related_name="respondents", verbose_name=_("访谈提纲"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="interview_sheets", verbose_name=_("答题人"))
    post = models.CharField(_("职务"), max_length=50, blank=True)
    department = models.ForeignKey(Department, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("部门"))
    village = models.ForeignKey(Village, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("行政村"))
    relocation_site = models.ForeignKey(
        RelocationSite, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("安置点")
    )
    status = models.CharField(_("状态"), max_length=10, choices=SheetStatus.choices, default=SheetStatus.DRAFT)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("答题人")
        verbose_name_plural = _("答题人")
        ordering = ["outline", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["outline", "user"], name="respondent_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.outline} · {self.user_label}"

    @property
    def user_label(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def unit_name(self) -> str:
        unit = self.relocation_site or self.village or self.department
        return unit.name if unit else self.outline.campaign.county.name

    @property
    def status_badge(self) -> str:
        return {"draft": "secondary", "submitted": "info", "approved": "success", "returned": "danger"}[self.status]

    @property
    def peer_key(self) -> tuple:
        """Respondents with the same key answer for the same unit and are compared."""
        return (self.outline_id, self.department_id, self.village_id, self.relocation_site_id)


class Answer(models.Model):
    respondent = models.ForeignKey(Respondent, models.CASCADE, related_name="answers", verbose_name=_("答题人"))
    question = models.ForeignKey(Question, models.CASCADE, related_name="answers", verbose_name=_("问题"))
    text = models.TextField(_("回答"), blank=True)
    figures = models.JSONField(_("识别的数字"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("填写人")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("回答")
        verbose_name_plural = _("回答")
        ordering = ["respondent", "question__number"]
        constraints = [models.UniqueConstraint(fields=["respondent", "question"], name="answer_unique_question")]

    def __str__(self) -> str:
        return self.text[:30]


# Household questionnaire rehearsal (大走访大演练).


class StatedCategory(models.TextChoices):
    LIFTED = "lifted", _("脱贫户")
    MONITORED = "monitored", _("监测户")
    ORDINARY = "ordinary", _("一般户")
    UNKNOWN = "unknown", _("说不清")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("比较满意")
    AVERAGE = "average", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")


class RehearsalVisit(models.Model):
    """One rehearsal visit: what the household answered to its questionnaire,
    and how that compared with the registry when it was recorded."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="rehearsal_visits", verbose_name=_("评估年度"))
    household = models.ForeignKey(
        "households.Household", models.CASCADE, related_name="rehearsal_visits", verbose_name=_("农户")
    )
    questionnaire = models.CharField(_("问卷类型"), max_length=10)
    visited_on = models.DateField(_("走访日期"))
    visitor_name = models.CharField(_("走访人"), max_length=30)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    # 两不愁 (food and clothing), 三保障 and water.
    food_clothing_ok = models.BooleanField(_("吃穿不愁"))
    schooling_ok = models.BooleanField(_("义务教育有保障（无失学辍学）"))
    medical_insured = models.BooleanField(_("家庭成员都参加了基本医疗保险"))
    housing_safe = models.BooleanField(_("住房安全"))
    water_safe = models.BooleanField(_("饮水安全"))
    # Income structure.
    stated_income_per_capita = models.DecimalField(_("农户说的人均纯收入（元）"), max_digits=10, decimal_places=0)
    stated_income_sources = models.JSONField(_("主要收入来源"), default=list, blank=True)
    # Policies and category.
    stated_measures = models.JSONField(_("农户说出的帮扶政策"), default=list, blank=True)
    stated_category = models.CharField(_("农户说的户类型"), max_length=10, choices=StatedCategory.choices)
    knows_helper = models.BooleanField(_("知道帮扶责任人"), default=True)
    # Living environment and satisfaction.
    environment_ok = models.BooleanField(_("庭院及室内卫生整洁"), default=True)
    sanitary_toilet = models.BooleanField(_("有卫生厕所"), default=True)
    satisfaction = models.CharField(_("对巩固脱贫成果的认可度"), max_length=15, choices=Satisfaction.choices)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    differences = models.JSONField(_("与台账不一致"), default=list, blank=True)

    class Meta:
        verbose_name = _("入户演练记录")
        verbose_name_plural = _("入户演练记录")
        ordering = ["household", "-visited_on", "-pk"]
        indexes = [models.Index(fields=["campaign", "household"], name="visit_campaign_household")]
        constraints = [
            models.CheckConstraint(condition=Q(stated_income_per_capita__gte=0), name="visit_income_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class InspectionSample(models.Model):
    """A mock inspection sample drawn from the registry, reproducible from its seed."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="inspection_samples", verbose_name=_("评估年度"))
    seed = models.PositiveIntegerField(_("随机种子"))
    size = models.PositiveIntegerField(_("抽样户数"))
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("抽取人")
    )
    summary = models.JSONField(_("构成"), default=dict, blank=True)

    class Meta:
        verbose_name = _("模拟抽样")
        verbose_name_plural = _("模拟抽样")
        ordering = ["-drawn_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.campaign} 模拟抽样（种子{self.seed}）"


SAMPLE_REASONS = {
    "monitored": "监测户", "marginal": "边缘易致贫户", "sudden_hardship": "突发严重困难户", "disaster": "受灾户",
    "relocated": "易地搬迁户", "lifted": "脱贫户", "key_village": "重点村（脱贫村）",
}


class SampleHousehold(models.Model):
    sample = models.ForeignKey(InspectionSample, models.CASCADE, related_name="entries", verbose_name=_("模拟抽样"))
    household = models.ForeignKey("households.Household", models.CASCADE, related_name="+", verbose_name=_("农户"))
    order = models.PositiveIntegerField(_("序号"))
    reasons = models.JSONField(_("重点类型"), default=list, blank=True)

    class Meta:
        verbose_name = _("抽中农户")
        verbose_name_plural = _("抽中农户")
        ordering = ["sample", "order"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "household"], name="samplehousehold_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.household_id}"

    @property
    def reason_labels(self) -> list[str]:
        return [SAMPLE_REASONS.get(reason, reason) for reason in self.reasons]
