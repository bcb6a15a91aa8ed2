"""The household roster: households, members, yearly income, guarantees,
risks, assistance measures and the monitoring workflow. Every change is kept
(django-simple-history), so a household can be shown as it stood on a date."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evalprep.core.models import RelocationSite, Village, VillageGroup


class Category(models.TextChoices):
    LIFTED = "lifted", _("脱贫户")
    MONITORED = "monitored", _("监测户")
    ORDINARY = "ordinary", _("一般户")


class MonitoringType(models.TextChoices):
    UNSTABLE = "unstable", _("脱贫不稳定户")
    MARGINAL = "marginal", _("边缘易致贫户")
    SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户")


class HousingGrade(models.TextChoices):
    A = "A", _("A级")
    B = "B", _("B级")
    C = "C", _("C级（危房）")
    D = "D", _("D级（危房）")


class WaterSource(models.TextChoices):
    PIPED = "piped", _("集中供水（自来水）")
    WELL = "well", _("分散供水（水井）")
    SPRING = "spring", _("山泉水")
    CELLAR = "cellar", _("水窖")
    OTHER = "other", _("其他")


class Household(models.Model):
    village = models.ForeignKey(Village, models.PROTECT, related_name="households", verbose_name=_("行政村"))
    group = models.ForeignKey(
        VillageGroup, models.SET_NULL, null=True, blank=True, related_name="households", verbose_name=_("村民小组")
    )
    number = models.CharField(_("户编号"), max_length=30)
    head_name = models.CharField(_("户主姓名"), max_length=30)
    category = models.CharField(_("户类型"), max_length=10, choices=Category.choices, default=Category.ORDINARY)
    monitoring_type = models.CharField(
        _("监测对象类别"), max_length=20, choices=MonitoringType.choices, blank=True
    )
    monitoring_since = models.DateField(_("识别监测时间"), null=True, blank=True)
    relocation_site = models.ForeignKey(
        RelocationSite, models.SET_NULL, null=True, blank=True, related_name="households",
        verbose_name=_("易地搬迁安置点"),
    )
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    helper_name = models.CharField(_("帮扶责任人"), max_length=30, blank=True)
    helper_phone = models.CharField(_("帮扶责任人电话"), max_length=20, blank=True)
    member_count = models.PositiveSmallIntegerField(_("家庭人口"), default=0)

    # Guarantees (两不愁三保障 and water safety) and social assistance.
    housing_grade = models.CharField(_("住房安全等级"), max_length=1, choices=HousingGrade.choices, blank=True)
    housing_renovated_year = models.PositiveSmallIntegerField(_("危房改造年度"), null=True, blank=True)
    water_source = models.CharField(_("饮水来源"), max_length=10, choices=WaterSource.choices, blank=True)
    water_safe = models.BooleanField(_("饮水安全"), null=True, blank=True)
    water_quality_report = models.BooleanField(_("有水质检测报告"), null=True, blank=True)
    water_seasonal_shortage = models.BooleanField(_("季节性缺水"), null=True, blank=True)
    minimum_living = models.BooleanField(_("享受低保"), default=False)
    minimum_living_amount = models.DecimalField(_("低保金（元/年）"), max_digits=10, decimal_places=2, null=True, blank=True)
    minimum_living_since = models.DateField(_("低保纳入时间"), null=True, blank=True)
    destitute_support = models.BooleanField(_("特困供养"), default=False)
    destitute_support_amount = models.DecimalField(_("特困供养金（元/年）"), max_digits=10, decimal_places=2, null=True, blank=True)
    destitute_support_since = models.DateField(_("特困纳入时间"), null=True, blank=True)
    temporary_assistance_amount = models.DecimalField(
        _("临时救助（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    medical_out_of_pocket = models.DecimalField(
        _("合规自付医疗支出（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    no_labour_household = models.BooleanField(_("整户无劳动能力兜底保障户"), default=False)

    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        ordering = ["village", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="household_unique_number"),
            models.CheckConstraint(
                condition=Q(category="monitored") | Q(monitoring_type=""),
                name="household_monitoring_type_only_when_monitored",
            ),
        ]
        indexes = [models.Index(fields=["village", "category"], name="household_village_category")]

    def __str__(self) -> str:
        return f"{self.head_name}（{self.number}）"


class Relation(models.TextChoices):
    HEAD = "户主", _("户主")
    SPOUSE = "配偶", _("配偶")
    SON = "之子", _("之子")
    DAUGHTER = "之女", _("之女")
    DAUGHTER_IN_LAW = "之儿媳", _("之儿媳")
    SON_IN_LAW = "之女婿", _("之女婿")
    GRANDSON = "之孙子", _("之孙子")
    GRANDDAUGHTER = "之孙女", _("之孙女")
    DAUGHTERS_SON = "之外孙子", _("之外孙子")
    DAUGHTERS_DAUGHTER = "之外孙女", _("之外孙女")
    FATHER = "之父", _("之父")
    MOTHER = "之母", _("之母")
    FATHER_IN_LAW_H = "之公公", _("之公公")
    MOTHER_IN_LAW_H = "之婆婆", _("之婆婆")
    FATHER_IN_LAW_W = "之岳父", _("之岳父")
    MOTHER_IN_LAW_W = "之岳母", _("之岳母")
    GRANDFATHER = "之祖父", _("之祖父")
    GRANDMOTHER = "之祖母", _("之祖母")
    SIBLING = "之兄弟姐妹", _("之兄弟姐妹")
    SIBLING_IN_LAW = "之兄弟媳妇", _("之兄弟媳妇")
    UNCLE = "之叔伯", _("之叔伯")
    NEPHEW = "之侄儿", _("之侄儿")
    NIECE = "之侄女", _("之侄女")
    GREAT_GRANDSON = "之曾孙子", _("之曾孙子")
    GREAT_GRANDDAUGHTER = "之曾孙女", _("之曾孙女")
    OTHER = "其他", _("其他")


class SchoolingStage(models.TextChoices):
    PRESCHOOL_AGE = "学龄前儿童", _("学龄前儿童")
    PRESCHOOL = "学前教育", _("学前教育")
    PRIMARY = "小学", _("小学")
    GRADE_7 = "七年级", _("七年级")
    GRADE_8 = "八年级", _("八年级")
    GRADE_9 = "九年级", _("九年级")
    SENIOR = "普通高中", _("普通高中")
    VOCATIONAL = "中职", _("中职")
    HIGHER_VOCATIONAL = "高职高专", _("高职高专")
    UNDERGRADUATE = "本科", _("本科")
    POSTGRADUATE = "硕士生及以上", _("硕士生及以上")
    NOT_IN_SCHOOL = "非在校生", _("非在校生")


class LabourCapacity(models.TextChoices):
    ORDINARY = "普通劳动力", _("普通劳动力")
    SKILLED = "技能劳动力", _("技能劳动力")
    WEAK = "弱劳动力或半劳动力", _("弱劳动力或半劳动力")
    NONE = "无劳动力", _("无劳动力")
    LOST = "丧失劳动力", _("丧失劳动力")


class HealthStatus(models.TextChoices):
    HEALTHY = "健康", _("健康")
    CHRONIC = "长期慢性病", _("长期慢性病")
    SERIOUS = "患大病", _("患大病")
    DISABLED = "残疾", _("残疾")


class WorkLocation(models.TextChoices):
    NONE = "", _("未务工")
    IN_COUNTY = "county", _("县内")
    IN_PROVINCE = "province", _("省内县外")
    OUTSIDE = "outside", _("省外")


class Member(models.Model):
    household = models.ForeignKey(Household, models.CASCADE, related_name="members", verbose_name=_("农户"))
    name = models.CharField(_("姓名"), max_length=30)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    sex = models.CharField(_("性别"), max_length=6, choices=[("male", _("男")), ("female", _("女"))])
    birth_date = models.DateField(_("出生日期"))
    relation = models.CharField(_("与户主关系"), max_length=10, choices=Relation.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    health = models.CharField(_("健康状况"), max_length=10, choices=HealthStatus.choices, blank=True)
    schooling = models.CharField(_("在校生状况"), max_length=10, choices=SchoolingStage.choices, blank=True)
    out_of_school = models.BooleanField(_("义务教育阶段失学辍学"), default=False)
    out_of_school_reason = models.CharField(_("未上学原因"), max_length=50, blank=True)
    medical_insurance = models.BooleanField(_("参加基本医疗保险"), null=True, blank=True)
    serious_illness_insurance = models.BooleanField(_("参加大病保险"), null=True, blank=True)
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    chronic_illness = models.BooleanField(_("慢性病"), default=False)
    family_doctor_contract = models.BooleanField(_("家庭医生签约"), null=True, blank=True)
    labour_capacity = models.CharField(_("劳动技能"), max_length=12, choices=LabourCapacity.choices, blank=True)
    work_location = models.CharField(_("务工地点"), max_length=10, choices=WorkLocation.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="member_disability_grade_1_to_4",
            ),
            models.UniqueConstraint(
                fields=["household"], condition=Q(relation="户主"), name="member_one_head_per_household"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_disabled(self) -> bool:
        return self.disability_grade is not None


class IncomeYear(models.Model):
    """One year's income; net income per capita is derived and stored."""

    household = models.ForeignKey(Household, models.CASCADE, related_name="incomes", verbose_name=_("农户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    household_size = models.PositiveSmallIntegerField(_("家庭人口"))
    wage = models.DecimalField(_("工资性收入"), max_digits=12, decimal_places=2, default=Decimal(0))
    business = models.DecimalField(_("生产经营性收入"), max_digits=12, decimal_places=2, default=Decimal(0))
    property_income = models.DecimalField(_("财产性收入"), max_digits=12, decimal_places=2, default=Decimal(0))
    transfer = models.DecimalField(_("转移性收入"), max_digits=12, decimal_places=2, default=Decimal(0))
    production_costs = models.DecimalField(_("生产经营性支出"), max_digits=12, decimal_places=2, default=Decimal(0))
    net_income_per_capita = models.DecimalField(_("人均纯收入"), max_digits=12, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度收入")
        verbose_name_plural = _("年度收入")
        ordering = ["household", "year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="incomeyear_unique_year"),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="incomeyear_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年"

    @staticmethod
    def per_capita(*, wage, business, property_income, transfer, production_costs, household_size) -> Decimal:
        net = wage + business + property_income + transfer - production_costs
        return (Decimal(net) / max(household_size, 1)).quantize(Decimal("0.01"))


class RiskType(models.TextChoices):
    ILLNESS = "因病", _("因病")
    DISABILITY = "因残", _("因残")
    SCHOOLING = "因学", _("因学")
    HOUSING = "因安全住房", _("因安全住房")
    WATER = "因安全饮水", _("因安全饮水")
    LABOUR_SHORTAGE = "缺劳动力", _("缺劳动力")
    UNSTABLE_WORK = "因务工就业不稳", _("因务工就业不稳")
    DISASTER = "因自然灾害", _("因自然灾害")
    ACCIDENT = "因意外事故", _("因意外事故")
    OTHER = "其他", _("其他")


class Risk(models.Model):
    household = models.ForeignKey(Household, models.CASCADE, related_name="risks", verbose_name=_("农户"))
    kind = models.CharField(_("风险类型"), max_length=10, choices=RiskType.choices)
    identified_on = models.DateField(_("识别时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("致贫返贫风险")
        verbose_name_plural = _("致贫返贫风险")
        ordering = ["household", "identified_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["household", "kind"], name="risk_unique_kind")]

    def __str__(self) -> str:
        return self.kind


class MeasureType(models.TextChoices):
    INDUSTRY = "产业帮扶", _("产业帮扶")
    EMPLOYMENT = "就业帮扶", _("就业帮扶")
    PUBLIC_WELFARE_JOB = "公益岗位帮扶", _("公益岗位帮扶")
    FINANCE = "金融帮扶", _("金融帮扶")
    EDUCATION = "教育帮扶", _("教育帮扶")
    HEALTH = "健康帮扶", _("健康帮扶")
    HOUSING = "住房安全保障", _("住房安全保障")
    WATER = "饮水安全保障", _("饮水安全保障")
    WELFARE = "综合保障", _("综合保障")
    SOCIAL = "社会帮扶", _("社会帮扶")
    RELOCATION = "搬迁", _("搬迁")
    OTHER = "其他", _("其他")


class Measure(models.Model):
    household = models.ForeignKey(Household, models.CASCADE, related_name="measures", verbose_name=_("农户"))
    kind = models.CharField(_("帮扶措施"), max_length=10, choices=MeasureType.choices)
    detail = models.CharField(_("具体内容"), max_length=200, blank=True)
    started_on = models.DateField(_("实施时间"), null=True, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    provider = models.CharField(_("帮扶单位/责任人"), max_length=80, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["household", "started_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["household", "kind", "detail"], name="measure_unique_kind_detail")
        ]

    def __str__(self) -> str:
        return self.kind


class MonitoringStep(models.TextChoices):
    IDENTIFIED = "identified", _("识别")
    INCLUDED = "included", _("纳入监测")
    ASSISTED = "assisted", _("落实帮扶")
    VILLAGE_REVIEW = "village_review", _("村级评议并公示")
    TOWNSHIP_CHECK = "township_check", _("乡镇审核")
    COUNTY_APPROVAL = "county_approval", _("县级审定")
    ELIMINATED = "eliminated", _("风险消除")


STEP_ORDER = list(MonitoringStep.values)


class MonitoringEvent(models.Model):
    """One step of the monitoring workflow, with who did it and when."""

    household = models.ForeignKey(Household, models.CASCADE, related_name="monitoring_events", verbose_name=_("农户"))
    step = models.CharField(_("环节"), max_length=20, choices=MonitoringStep.choices)
    on = models.DateField(_("日期"))
    by_name = models.CharField(_("经办人"), max_length=30)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监测流程")
        verbose_name_plural = _("监测流程")
        ordering = ["household", "on", "pk"]

    def __str__(self) -> str:
        return self.get_step_display()


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("已预览")
    APPLIED = "applied", _("已导入")
    REJECTED = "rejected", _("未导入")


class RosterImport(models.Model):
    """One roster file a village sent: who, when, which file, what came of it."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="roster_imports", verbose_name=_("行政村"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    layout = models.CharField(_("格式"), max_length=20, blank=True)
    income_year = models.PositiveSmallIntegerField(_("收入年度"))
    rows = models.PositiveIntegerField(_("数据行"), default=0)
    new_households = models.PositiveIntegerField(_("新增户"), default=0)
    updated_households = models.PositiveIntegerField(_("更新户"), default=0)
    unchanged_households = models.PositiveIntegerField(_("未变户"), default=0)
    rejected_rows = models.PositiveIntegerField(_("出错行"), default=0)
    unknown_columns = models.JSONField(_("未识别的列"), default=list, blank=True)
    report = models.JSONField(_("逐行结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("台账导入记录")
        verbose_name_plural = _("台账导入记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


# Screening (应纳未纳筛查): rules run over the registry per campaign; each hit is
# an explained flag on a village's worklist, where someone records a decision.
# The rules themselves live in households/screening.py.


class ScreeningThresholds(models.Model):
    """The screening thresholds of one campaign, set by the bureau (defaults from
    the seeds). The monitoring income line itself is Campaign.monitoring_income_line."""

    campaign = models.OneToOneField(
        "core.Campaign", models.CASCADE, related_name="screening_thresholds", verbose_name=_("评估年度")
    )
    income_drop_share = models.DecimalField(
        _("收入同比下降超过（比例）"), max_digits=4, decimal_places=3, default=Decimal("0.300"),
        help_text=_("如 0.300 表示人均纯收入比上年下降超过30%即提示。"),
    )
    lifted_growth_min = models.DecimalField(
        _("脱贫户收入最低增幅（比例）"), max_digits=4, decimal_places=3, default=Decimal("0.100"),
        help_text=_("如 0.100 表示脱贫户人均纯收入比上年增长不足10%即提示。"),
    )
    medical_out_of_pocket = models.DecimalField(
        _("合规自付医疗支出提示线（元）"), max_digits=10, decimal_places=2, default=Decimal("10000"),
        help_text=_("达到此数即提示（2022年内蒙古解读：因病因意外治疗自付1万元以上）。"),
    )
    # The province's (自治区's) published rural disposable income per capita of
    # the previous year (统计公报). The default is only a placeholder: each
    # province has its own figure and the bureau must set it every campaign.
    rural_disposable_income_last_year = models.DecimalField(
        _("上年度全区（省）农村居民人均可支配收入（元）"), max_digits=10, decimal_places=2, default=Decimal("17000"),
        help_text=_("自付医疗支出超过此数的2倍即提示（医保局筛查口径）。请按本省统计公报填写。"),
    )
    decision_days = models.PositiveSmallIntegerField(
        _("处理期限（天）"), default=10, help_text=_("新提示须在发现后多少天内作出是否纳入的决定。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("筛查阈值")
        verbose_name_plural = _("筛查阈值")
        constraints = [
            models.CheckConstraint(
                condition=Q(income_drop_share__gt=0, income_drop_share__lt=1), name="thresholds_drop_share_range"
            ),
            models.CheckConstraint(
                condition=Q(lifted_growth_min__gte=0, lifted_growth_min__lt=1), name="thresholds_growth_range"
            ),
            models.CheckConstraint(condition=Q(medical_out_of_pocket__gt=0), name="thresholds_medical_positive"),
            models.CheckConstraint(
                condition=Q(rural_disposable_income_last_year__gt=0), name="thresholds_rural_income_positive"
            ),
            models.CheckConstraint(
                condition=Q(decision_days__gte=1, decision_days__lte=90), name="thresholds_decision_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}筛查阈值"

    @property
    def medical_twice_income(self) -> Decimal:
        return self.rural_disposable_income_last_year * 2


class ScreeningRule(models.TextChoices):
    LOW_INCOME = "low_income", _("人均纯收入低于监测收入线")
    INCOME_DROP = "income_drop", _("人均纯收入同比大幅下降")
    INCOME_DOWN_TWO_YEARS = "income_down_two_years", _("人均纯收入连续两年下降")
    LIFTED_LOW_GROWTH = "lifted_low_growth", _("脱贫户收入增幅偏低")
    MEDICAL_EXPENSE = "medical_expense", _("自付医疗支出较大")
    NEW_MINIMUM_LIVING = "new_minimum_living", _("当年新纳入低保")
    NEW_DESTITUTE_SUPPORT = "new_destitute_support", _("当年新纳入特困供养")
    SEVERE_DISABILITY = "severe_disability", _("有重度残疾成员")
    DANGEROUS_HOUSE = "dangerous_house", _("住房为C/D级危房")
    OUT_OF_SCHOOL = "out_of_school", _("义务教育阶段失学辍学")
    UNINSURED = "uninsured", _("重点人群成员未参加基本医保")
    UNSAFE_WATER = "unsafe_water", _("饮水不安全")
    NO_MEASURE = "no_measure", _("监测户无帮扶措施")
    WELFARE_ONLY = "welfare_only", _("有劳动能力仅兜底保障（一兜了之）")
    ELIMINATION_UNCHECKED = "elimination_unchecked", _("风险消除程序不完整")


class ScreeningFlag(models.Model):
    """One rule's hit on one household in one campaign. A re-run updates the
    figures and last_seen_at, and sets resolved_at when the rule no longer finds it."""

    campaign = models.ForeignKey("core.Campaign", models.CASCADE, related_name="screening_flags", verbose_name=_("评估年度"))
    household = models.ForeignKey(Household, models.CASCADE, related_name="screening_flags", verbose_name=_("农户"))
    rule = models.CharField(_("筛查规则"), max_length=30, choices=ScreeningRule.choices)
    figure = models.DecimalField(_("数值"), max_digits=16, decimal_places=4, null=True, blank=True)
    threshold = models.DecimalField(_("阈值"), max_digits=16, decimal_places=4, null=True, blank=True)
    facts = models.JSONField(_("相关情况"), default=dict, blank=True)
    first_seen_at = models.DateTimeField(_("首次发现"))
    last_seen_at = models.DateTimeField(_("最近发现"))
    resolved_at = models.DateTimeField(_("不再符合时间"), null=True, blank=True)
    due_date = models.DateField(_("处理期限"))

    class Meta:
        verbose_name = _("筛查提示")
        verbose_name_plural = _("筛查提示")
        ordering = ["household", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household", "rule"], name="screeningflag_unique_rule"),
        ]
        indexes = [models.Index(fields=["campaign", "rule"], name="screeningflag_campaign_rule")]

    def __str__(self) -> str:
        return f"{self.household}：{self.get_rule_display()}"

    @property
    def explanation(self) -> str:
        from households.screening import flag_explanation

        return flag_explanation(self)

    @property
    def is_new(self) -> bool:
        return self.resolved_at is None and self.first_seen_at == self.last_seen_at


class DecisionOutcome(models.TextChoices):
    INCLUDE = "include", _("纳入监测")
    NOT_INCLUDE = "not_include", _("不纳入")
    RECTIFIED = "rectified", _("已整改")


class ScreeningDecision(models.Model):
    """What the village decided about a flag, with why and an optional proof."""

    flag = models.OneToOneField(ScreeningFlag, models.CASCADE, related_name="decision", verbose_name=_("筛查提示"))
    outcome = models.CharField(_("决定"), max_length=12, choices=DecisionOutcome.choices)
    reason = models.CharField(_("理由或整改情况"), max_length=500, blank=True)
    attachment = models.FileField(_("附件"), upload_to="screening/%Y/%m/", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("决定人")
    )
    decided_by_name = models.CharField(_("决定人姓名"), max_length=30, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("筛查处理决定")
        verbose_name_plural = _("筛查处理决定")
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="include") | ~Q(reason=""), name="screeningdecision_reason_unless_included"
            ),
        ]

    def __str__(self) -> str:
        return self.get_outcome_display()


class ScreeningRun(models.Model):
    """One run of the rules: when, by whom, over which villages, what it found."""

    campaign = models.ForeignKey("core.Campaign", models.CASCADE, related_name="screening_runs", verbose_name=_("评估年度"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("执行人")
    )
    scope = models.CharField(_("范围"), max_length=200)
    village_ids = models.JSONField(_("行政村"), default=list, blank=True, help_text=_("空表示全县"))
    counts = models.JSONField(_("各规则结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("筛查记录")
        verbose_name_plural = _("筛查记录")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.scope} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def run_by_label(self) -> str:
        return (self.run_by.get_full_name() or self.run_by.username) if self.run_by else "系统"


# The lines of a village income worksheet (收入测算), one JSON object each:
# kind → (label, the numeric fields in order, how the amount is computed).
INCOME_LINE_KINDS = {
    "crop": (_("种植业"), ("area", "yield_per_mu", "price", "cost")),
    "livestock": (_("养殖业"), ("head_sold", "margin")),
    "wage": (_("务工"), ("people", "average_earnings")),
    "transfer": (_("政策性转移"), ("amount",)),
    "other": (_("其他"), ("amount",)),
}


def income_line_amount(line: dict) -> Decimal:
    """面积×单产×单价−成本; 出栏数×每头纯收益; 人数×人均收入; or the amount itself."""
    values = {name: Decimal(str(line.get(name) or 0)) for name in INCOME_LINE_KINDS[line["kind"]][1]}
    kind = line["kind"]
    if kind == "crop":
        amount = values["area"] * values["yield_per_mu"] * values["price"] - values["cost"]
    elif kind == "livestock":
        amount = values["head_sold"] * values["margin"]
    elif kind == "wage":
        amount = values["people"] * values["average_earnings"]
    else:
        amount = values["amount"]
    return amount.quantize(Decimal("0.01"))


class VillageIncomeEstimate(models.Model):
    """A village's income worksheet for one campaign (2022 reading: 收入测算)."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="income_estimates", verbose_name=_("行政村"))
    campaign = models.ForeignKey("core.Campaign", models.CASCADE, related_name="income_estimates", verbose_name=_("评估年度"))
    year = models.PositiveSmallIntegerField(_("收入年度"))
    lines = models.JSONField(_("测算明细"), default=list, blank=True)
    population = models.PositiveIntegerField(_("登记人口（保存时花名册）"), default=0)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("填报人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("村收入测算")
        verbose_name_plural = _("村收入测算")
        ordering = ["village", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "campaign"], name="villageincomeestimate_unique_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.village}{self.year}年收入测算"

    @property
    def updated_by_label(self) -> str:
        return (self.updated_by.get_full_name() or self.updated_by.username) if self.updated_by else "—"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not isinstance(self.lines, list):
            raise ValidationError({"lines": _("测算明细格式不对。")})
        for number, line in enumerate(self.lines, start=1):
            kind = line.get("kind") if isinstance(line, dict) else None
            if kind not in INCOME_LINE_KINDS:
                raise ValidationError({"lines": _("第%(n)s行：收入类别不对。") % {"n": number}})
            if not str(line.get("name", "")).strip():
                raise ValidationError({"lines": _("第%(n)s行：请填写项目名称。") % {"n": number}})
            for name in INCOME_LINE_KINDS[kind][1]:
                try:
                    value = Decimal(str(line.get(name)))
                except (ArithmeticError, ValueError, TypeError):
                    raise ValidationError({"lines": _("第%(n)s行：数值不对。") % {"n": number}}) from None
                if not value.is_finite() or value < 0:
                    raise ValidationError({"lines": _("第%(n)s行：数值不能为负数。") % {"n": number}})

    @property
    def total(self) -> Decimal:
        return sum((income_line_amount(line) for line in self.lines), Decimal("0.00"))

    @property
    def per_capita(self) -> Decimal | None:
        if not self.population:
            return None
        return (self.total / self.population).quantize(Decimal("0.01"))
