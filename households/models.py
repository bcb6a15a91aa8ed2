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
    # Optimistic locking: every change through the app bumps it, and a change
    # made from an older version is refused (household_update, roster import).
    version = models.PositiveIntegerField(_("修改版本"), default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

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
    # The household's village, copied (by save() and by every run's upsert) so that the worklist
    # filters and counts a village's or a township's flags without joining every flag to its
    # household. Neither the roster import nor the edit form ever moves a household.
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="+", editable=False, db_index=False, verbose_name=_("行政村")
    )
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
        indexes = [
            models.Index(fields=["campaign", "rule"], name="screeningflag_campaign_rule"),
            # The worklist: a village's (or a few villages') flags, counted by rule and due
            # date, and a page read one due date at a time.
            models.Index(fields=["campaign", "village", "due_date"], name="screeningflag_village_due"),
        ]

    def __str__(self) -> str:
        return f"{self.household}：{self.get_rule_display()}"

    def save(self, *args, **kwargs) -> None:
        self.village_id = self.household.village_id
        super().save(*args, **kwargs)

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


# National export (国家防返贫监测系统导出): dated snapshots of the national
# system's sheets, their reconciliation with the roster (账机一致) and the
# suspect-data checks (疑点数据核查). Reading and checking live in
# households/national.py, households/reconciliation.py and households/national_checks.py.


class SnapshotSource(models.TextChoices):
    SYSTEM = "system", _("国家系统导出")
    ROSTER = "roster", _("本系统花名册")


class SnapshotStatus(models.TextChoices):
    PENDING = "pending", _("导入中")
    READY = "ready", _("已导入")
    FAILED = "failed", _("导入失败")


class NationalSnapshot(models.Model):
    """One dated set of the national system's sheets (or of the roster, for the
    checks over it). Its rows are never changed once taken."""

    county = models.ForeignKey("core.County", models.CASCADE, related_name="national_snapshots", verbose_name=_("县（区）"))
    township = models.ForeignKey(
        "core.Township", models.CASCADE, null=True, blank=True, related_name="national_snapshots",
        verbose_name=_("乡镇"), help_text=_("空表示全县"),
    )
    source = models.CharField(_("来源"), max_length=10, choices=SnapshotSource.choices, default=SnapshotSource.SYSTEM)
    taken_on = models.DateField(_("导出日期"))
    status = models.CharField(_("状态"), max_length=10, choices=SnapshotStatus.choices, default=SnapshotStatus.PENDING)
    error = models.TextField(_("错误"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("导入人")
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    sheets = models.JSONField(_("工作表"), default=list, blank=True, help_text=_("每张表：文件、工作表、识别为、表头行、数据行"))
    persons = models.PositiveIntegerField(_("人员数"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    work_spells = models.PositiveIntegerField(_("务工记录"), default=0)
    planned_work = models.PositiveIntegerField(_("计划务工记录"), default=0)
    village_rows = models.PositiveIntegerField(_("行政村记录"), default=0)
    skipped_rows = models.PositiveIntegerField(_("跳过行（不在本乡镇）"), default=0)
    unmatched_villages = models.JSONField(_("未匹配的村"), default=list, blank=True)
    checks_run_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("比对时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("国家系统数据快照")
        verbose_name_plural = _("国家系统数据快照")
        ordering = ["-taken_on", "-pk"]
        indexes = [models.Index(fields=["county", "source", "status"], name="natsnap_county_source")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.taken_on:%Y-%m-%d}"

    @property
    def uploaded_by_label(self) -> str:
        return (self.uploaded_by.get_full_name() or self.uploaded_by.username) if self.uploaded_by else "系统（命令行）"


class NationalSnapshotFile(models.Model):
    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="files", verbose_name=_("快照"))
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("文件"), upload_to="national/%Y/%m/")

    class Meta:
        verbose_name = _("快照文件")
        verbose_name_plural = _("快照文件")
        ordering = ["snapshot", "pk"]

    def __str__(self) -> str:
        return self.filename


def _text(label: str) -> models.TextField:
    return models.TextField(label, blank=True, default="")


def _number(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, null=True, blank=True)


class NationalRowBase(models.Model):
    """What every snapshot row keeps: the original row (header → text) and where it is."""

    row_number = models.PositiveIntegerField(_("行号"))
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    village = models.ForeignKey(Village, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("行政村"))
    county_name = _text(_("县"))
    township_name = _text(_("乡"))
    village_name = _text(_("村"))
    raw = models.JSONField(_("原始行"), default=dict)
    bad_values = models.TextField(_("读不出的数值"), blank=True, default="", help_text=_("形如 ,farmland,road_distance,"))

    class Meta:
        abstract = True


class NationalPerson(NationalRowBase):
    """One row of the person sheet (监测对象信息 / 基础信息)."""

    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="person_rows", verbose_name=_("快照"))
    group_name = _text(_("组"))
    household_number = models.CharField(_("户编号"), max_length=40, blank=True)
    name = _text(_("姓名"))
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    id_check_ok = models.BooleanField(_("证件号码校验通过"), null=True)
    id_type = _text(_("证件类型"))
    relation = _text(_("与户主关系"))
    household_type = _text(_("户类型"))
    monitoring_type = _text(_("监测对象类别"))
    household_phone = _text(_("户联系电话"))
    member_phone = _text(_("家庭成员联系电话"))
    is_household_row = models.BooleanField(_("代表本户的行"), default=False)
    household_size = models.PositiveSmallIntegerField(_("本户人数"), default=0)
    # Person
    sex = _text(_("性别"))
    ethnicity = _text(_("民族"))
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    education = _text(_("文化程度"))
    schooling = _text(_("在校生状况"))
    not_in_school_reason = _text(_("义务教育阶段未上学原因"))
    health = _text(_("健康状况"))
    labour_skill = _text(_("劳动技能"))
    work_place = _text(_("务工所在地"))
    employment_channel = _text(_("就业渠道"))
    public_welfare_job = _text(_("公益性岗位"))
    public_welfare_job_months = _number(_("公益性岗位(月数)"))
    # Social security
    resident_medical = _text(_("是否参加城乡居民基本医疗保险"))
    employee_medical = _text(_("是否参加城镇职工基本医疗保险"))
    serious_illness_insurance = _text(_("是否参加大病保险"))
    medical_assistance = _text(_("是否接受医疗救助"))
    resident_pension = _text(_("是否参加城乡居民基本养老保险"))
    employee_pension = _text(_("是否参加城镇职工基本养老保险"))
    minimum_living = _text(_("享受低保政策情况"))
    destitute = _text(_("享受特困供养政策情况"))
    # Household conditions
    dangerous_house = _text(_("是否危房户"))
    safe_water = _text(_("是否解决安全饮用水"))
    electricity = _text(_("是否通生活用电"))
    toilet = _text(_("是否有卫生厕所"))
    road_hardened = _text(_("入户道路是否硬化"))
    housing_area = _number(_("住房面积"))
    road_distance = _number(_("与村主干路距离"))
    farmland = _number(_("耕地面积（亩）"))
    forest = _number(_("林地面积（亩）"))
    returned_forest = _number(_("退耕还林面积（亩）"))
    orchard = _number(_("林果面积（亩）"))
    pasture = _number(_("牧草地面积"))
    water_area = _number(_("水面面积"))
    # Income at identification
    income_per_capita = _number(_("人均纯收入（元）"))
    wage_income = _number(_("工资性收入"))
    business_income = _number(_("生产经营性收入"))
    transfer_income = _number(_("转移性收入"))
    out_of_pocket = _number(_("合规自付支出"))
    no_labour_household = _text(_("整户无劳动能力兜底保障户"))
    # Monitoring
    risk1 = _text(_("致贫/返贫风险1"))
    risk2 = _text(_("致贫/返贫风险2"))
    risk3 = _text(_("致贫/返贫风险3"))
    risk4 = _text(_("致贫/返贫风险4"))
    risk5 = _text(_("致贫/返贫风险5"))
    risk_note = _text(_("风险说明"))
    out_of_school = _text(_("是否义务教育阶段适龄儿童少年失学辍学"))
    member_uninsured = _text(_("是否有家庭成员未参加基本医疗保险"))
    risk_eliminated = _text(_("风险是否已消除"))
    identified_month = models.PositiveIntegerField(_("识别监测时间（月序）"), null=True, blank=True, help_text=_("年×12+月"))
    elimination_method = _text(_("风险消除方式"))
    eliminated_month = models.PositiveIntegerField(_("消除监测时间（月序）"), null=True, blank=True, help_text=_("年×12+月"))
    collector = _text(_("信息采集人"))
    collector_phone = _text(_("信息采集人联系电话"))
    # Assistance measures (comma-joined values)
    m_industry = _text(_("产业帮扶"))
    m_employment = _text(_("就业帮扶"))
    m_public_job = _text(_("公益岗位帮扶"))
    m_finance = _text(_("金融帮扶"))
    m_health = _text(_("健康帮扶"))
    m_education = _text(_("教育帮扶"))
    m_compulsory_education = _text(_("义务教育保障"))
    m_housing = _text(_("住房安全保障"))
    m_water = _text(_("饮水安全保障"))
    m_welfare = _text(_("综合保障"))
    m_social = _text(_("社会帮扶"))
    m_relocation = _text(_("搬迁"))
    m_conditions = _text(_("生产生活条件改善"))
    m_infrastructure = _text(_("基础设施建设"))
    development_status = _text(_("实施开发式帮扶措施情况"))
    # After risk elimination (风险消除后…)
    post_out_of_school = _text(_("风险消除后是否失学辍学"))
    post_house_damaged = _text(_("风险消除后是否住房损毁"))
    post_uninsured = _text(_("风险消除后是否有成员未参保"))
    post_water_damaged = _text(_("风险消除后是否饮水设施损毁"))
    post_wage = _number(_("风险消除后工资性收入"))
    post_property = _number(_("风险消除后财产性收入"))
    post_transfer = _number(_("风险消除后转移性收入"))
    post_business = _number(_("风险消除后生产经营性收入"))
    post_business_cost = _number(_("风险消除后生产经营性支出"))
    post_net = _number(_("风险消除后家庭纯收入"))
    post_per_capita = _number(_("风险消除后家庭人均纯收入"))
    post_claims = _number(_("风险消除后理赔收入"))
    post_out_of_pocket = _number(_("风险消除后合规自付支出"))

    class Meta:
        verbose_name = _("快照人员")
        verbose_name_plural = _("快照人员")
        ordering = ["snapshot", "row_number"]
        indexes = [
            models.Index(fields=["snapshot", "household_number"], name="natperson_snap_household"),
            models.Index(fields=["snapshot", "id_number"], name="natperson_snap_id"),
            models.Index(fields=["snapshot", "is_household_row"], name="natperson_snap_hhrow"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.household_number}）"


class NationalHousehold(NationalRowBase):
    """One row of the household sheet (（乡村建设）户信息)."""

    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="household_rows", verbose_name=_("快照"))
    household_number = models.CharField(_("户编号"), max_length=40, blank=True)
    head_name = _text(_("户主姓名"))
    member_count = _number(_("家庭人口数"))

    class Meta:
        verbose_name = _("快照户")
        verbose_name_plural = _("快照户")
        ordering = ["snapshot", "row_number"]
        indexes = [models.Index(fields=["snapshot", "household_number"], name="nathousehold_snap_number")]

    def __str__(self) -> str:
        return self.household_number


class NationalWorkSpell(NationalRowBase):
    """One row of the work sheet (（务工月监测）已外出务工信息): a spell of work."""

    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="work_rows", verbose_name=_("快照"))
    household_number = models.CharField(_("户编号"), max_length=40, blank=True)
    name = _text(_("姓名"))
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    is_working = _text(_("是否已务工"))
    started_month = models.PositiveIntegerField(_("开始时间（月序）"), null=True, blank=True)
    ended_month = models.PositiveIntegerField(_("结束时间（月序）"), null=True, blank=True)
    work_county = _text(_("务工所在县"))
    monthly_income = _number(_("务工月收入"))
    employer = _text(_("务工企业名称"))
    industry = _text(_("所属行业"))
    channel = _text(_("就业渠道"))
    point_to_point = _text(_("是否点对点输送"))
    travel_subsidy = _number(_("年度交通费补助"))

    class Meta:
        verbose_name = _("快照务工记录")
        verbose_name_plural = _("快照务工记录")
        ordering = ["snapshot", "row_number"]
        indexes = [models.Index(fields=["snapshot", "id_number"], name="natwork_snap_id")]

    def __str__(self) -> str:
        return f"{self.name} {self.id_number[-4:]}"


class NationalPlannedWork(NationalRowBase):
    """One row of the planned-work sheet (计划外出务工信息)."""

    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="planned_rows", verbose_name=_("快照"))
    name = _text(_("姓名"))
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    planned = _text(_("是否计划务工"))
    planned_county = _text(_("计划务工所在县"))
    service_needs = _text(_("就业服务需求"))

    class Meta:
        verbose_name = _("快照计划务工")
        verbose_name_plural = _("快照计划务工")
        ordering = ["snapshot", "row_number"]

    def __str__(self) -> str:
        return self.name


class NationalVillageRow(NationalRowBase):
    """One row of the village sheet (（自定义）行政村信息)."""

    snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="village_rows_set", verbose_name=_("快照"))
    exited = _text(_("是否出列"))
    households_total = _number(_("总户数"))
    population = _number(_("总人口数"))
    collective_income = _number(_("村级集体经济收入（万元）"))
    schools = _text(_("村小学（个数）"))
    clinics = _text(_("卫生室"))
    public_toilets = _text(_("公共厕所"))
    doctors = _text(_("执业医师"))
    refuse_points = _text(_("垃圾集中堆放点"))
    culture_rooms = _text(_("文化室"))
    minimum_living_households = _text(_("低保户数"))
    minimum_living_people = _text(_("低保人口数"))
    destitute_people = _text(_("特困供养人口数"))
    disabled_people = _text(_("残疾人口数"))
    paved_road = _text(_("到乡镇是否通沥青（水泥）路"))
    unsafe_water_households = _number(_("未实现饮水安全户数"))
    dangerous_houses = _number(_("危房户数"))

    class Meta:
        verbose_name = _("快照行政村")
        verbose_name_plural = _("快照行政村")
        ordering = ["snapshot", "row_number"]

    def __str__(self) -> str:
        return self.village_name


class NationalCheckSettings(models.Model):
    """Thresholds of the suspect-data checks for one campaign (the province's
    monitoring income line itself is Campaign.monitoring_income_line)."""

    campaign = models.OneToOneField(
        "core.Campaign", models.CASCADE, related_name="national_check_settings", verbose_name=_("评估年度")
    )
    working_age_min = models.PositiveSmallIntegerField(_("劳动年龄下限（岁）"), default=16)
    working_age_max = models.PositiveSmallIntegerField(_("劳动年龄上限（岁）"), default=60)
    school_age_min = models.PositiveSmallIntegerField(_("义务教育年龄下限（岁）"), default=6)
    school_age_max = models.PositiveSmallIntegerField(_("义务教育年龄上限（岁）"), default=16)
    public_job_age_max = models.PositiveSmallIntegerField(_("公益性岗位年龄上限（岁）"), default=70)
    monthly_wage_min = models.DecimalField(_("务工月收入下限（元）"), max_digits=10, decimal_places=2, default=Decimal("100"))
    monthly_wage_max = models.DecimalField(_("务工月收入上限（元）"), max_digits=10, decimal_places=2, default=Decimal("30000"))
    income_high = models.DecimalField(_("识别时人均纯收入偏高（元）"), max_digits=10, decimal_places=2, default=Decimal("20000"))
    income_low = models.DecimalField(_("识别时人均纯收入偏低（元）"), max_digits=10, decimal_places=2, default=Decimal("4000"))
    land_max = models.DecimalField(_("耕地/牧草地面积上限（亩）"), max_digits=10, decimal_places=2, default=Decimal("100"))
    forest_max = models.DecimalField(_("林地面积上限（亩）"), max_digits=10, decimal_places=2, default=Decimal("200"))
    distance_max = models.DecimalField(_("与村主干路距离上限（公里）"), max_digits=10, decimal_places=2, default=Decimal("5"))
    away_since_year = models.PositiveSmallIntegerField(_("长期外出起算年份"), default=2020)
    discrepancy_days = models.PositiveSmallIntegerField(_("账机差异整改期限（天）"), default=15)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("疑点核查阈值")
        verbose_name_plural = _("疑点核查阈值")
        constraints = [
            models.CheckConstraint(condition=Q(working_age_min__lt=models.F("working_age_max")), name="natsettings_working_ages"),
            models.CheckConstraint(condition=Q(monthly_wage_min__lt=models.F("monthly_wage_max")), name="natsettings_wage_range"),
            models.CheckConstraint(condition=Q(income_low__lt=models.F("income_high")), name="natsettings_income_range"),
            models.CheckConstraint(condition=Q(discrepancy_days__gte=1), name="natsettings_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}疑点核查阈值"


class DiscrepancyKind(models.TextChoices):
    ONLY_ROSTER_HOUSEHOLD = "only_roster_household", _("户仅在花名册")
    ONLY_SYSTEM_HOUSEHOLD = "only_system_household", _("户仅在国家系统")
    ONLY_ROSTER_PERSON = "only_roster_person", _("人仅在花名册")
    ONLY_SYSTEM_PERSON = "only_system_person", _("人仅在国家系统")
    FIELD = "field", _("字段不一致")


class DiscrepancyField(models.TextChoices):
    NONE = "", _("—")
    CATEGORY = "category", _("户类型")
    MONITORING_TYPE = "monitoring_type", _("监测对象类别")
    MEMBERS = "members", _("家庭人口")
    INCOME = "income_per_capita", _("人均纯收入")
    RISK_ELIMINATED = "risk_eliminated", _("风险是否已消除")
    DANGEROUS_HOUSE = "dangerous_house", _("住房安全（危房）")
    SAFE_WATER = "safe_water", _("饮水安全")
    MEDICAL_INSURANCE = "medical_insurance", _("基本医疗保险")
    OUT_OF_SCHOOL = "out_of_school", _("义务教育失学辍学")


class Resolution(models.TextChoices):
    OPEN = "", _("未处理")
    ROSTER_FIXED = "roster_fixed", _("已改花名册")
    SYSTEM_TO_FIX = "system_to_fix", _("待改国家系统")
    EXPLAINED = "explained", _("已说明")


class NationalDiscrepancy(models.Model):
    """One disagreement between the roster and the national system (账机不一致),
    owned by a village, kept across snapshots: `gone_snapshot` is the first later
    snapshot where it is no longer found."""

    county = models.ForeignKey("core.County", models.CASCADE, related_name="national_discrepancies", verbose_name=_("县（区）"))
    village = models.ForeignKey(Village, models.SET_NULL, null=True, blank=True, related_name="national_discrepancies", verbose_name=_("责任村"))
    kind = models.CharField(_("类型"), max_length=30, choices=DiscrepancyKind.choices)
    field = models.CharField(_("字段"), max_length=30, choices=DiscrepancyField.choices, blank=True)
    subject_key = models.CharField(_("户编号或证件号码"), max_length=40)
    household_number = models.CharField(_("户编号"), max_length=40, blank=True)
    name = models.CharField(_("姓名/户主"), max_length=60, blank=True)
    roster_value = models.CharField(_("花名册"), max_length=100, blank=True)
    system_value = models.CharField(_("国家系统"), max_length=100, blank=True)
    explanation = models.CharField(_("说明"), max_length=300)
    first_snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="+", verbose_name=_("首次发现"))
    last_snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="+", verbose_name=_("最近发现"))
    gone_snapshot = models.ForeignKey(
        NationalSnapshot, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("已消失于")
    )
    deadline = models.DateField(_("整改期限"))
    resolution = models.CharField(_("处理结果"), max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    resolved_by_name = models.CharField(_("处理人姓名"), max_length=60, blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账机差异")
        verbose_name_plural = _("账机差异")
        ordering = ["village", "kind", "subject_key"]
        constraints = [
            models.UniqueConstraint(fields=["county", "kind", "field", "subject_key"], name="natdiscrepancy_unique"),
            models.CheckConstraint(
                condition=Q(resolution="") | Q(resolution="system_to_fix") | ~Q(resolution_note=""),
                name="natdiscrepancy_note_when_resolved",
            ),
        ]
        indexes = [models.Index(fields=["county", "village"], name="natdiscrepancy_county_village")]

    def __str__(self) -> str:
        return self.explanation


class HitStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    FIXED = "fixed", _("已整改（待下次导出核验）")
    EXEMPT = "exempt", _("豁免")


class NationalCheckHit(models.Model):
    """One rule's hit on one person, household, work spell or village, kept across
    snapshots of the same source. `gone_snapshot` marks that a later snapshot no
    longer has it: a hit marked fixed is then verified."""

    county = models.ForeignKey("core.County", models.CASCADE, related_name="national_check_hits", verbose_name=_("县（区）"))
    source = models.CharField(_("数据来源"), max_length=10, choices=SnapshotSource.choices)
    rule = models.CharField(_("规则"), max_length=10)
    subject_key = models.CharField(_("对象"), max_length=60)
    village = models.ForeignKey(Village, models.SET_NULL, null=True, blank=True, related_name="national_check_hits", verbose_name=_("行政村"))
    village_label = models.CharField(_("村（导出）"), max_length=60, blank=True)
    household_number = models.CharField(_("户编号"), max_length=40, blank=True)
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    id_number = models.CharField(_("证件号码"), max_length=40, blank=True)
    explanation = models.CharField(_("说明"), max_length=400)
    values = models.JSONField(_("触发值"), default=dict, blank=True)
    first_snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="+", verbose_name=_("首次发现"))
    last_snapshot = models.ForeignKey(NationalSnapshot, models.CASCADE, related_name="+", verbose_name=_("最近发现"))
    gone_snapshot = models.ForeignKey(
        NationalSnapshot, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("已消失于")
    )
    status = models.CharField(_("状态"), max_length=10, choices=HitStatus.choices, default=HitStatus.OPEN)
    reason = models.CharField(_("整改情况或豁免理由"), max_length=500, blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    status_by_name = models.CharField(_("处理人姓名"), max_length=60, blank=True)
    status_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reopened = models.BooleanField(_("核验未通过"), default=False, help_text=_("标记已整改后，下次导出仍有此问题"))

    class Meta:
        verbose_name = _("疑点数据")
        verbose_name_plural = _("疑点数据")
        ordering = ["village", "rule", "subject_key"]
        constraints = [
            models.UniqueConstraint(fields=["county", "source", "rule", "subject_key"], name="nathit_unique"),
            models.CheckConstraint(condition=~Q(status="exempt") | ~Q(reason=""), name="nathit_exempt_has_reason"),
        ]
        indexes = [
            # The suspect-data pages count a county's hits per village and rule (or status) from this index alone.
            models.Index(fields=["county", "source", "village", "status", "rule", "gone_snapshot"], name="nathit_list"),
            models.Index(fields=["county", "source", "rule"], name="nathit_county_rule"),
        ]

    def __str__(self) -> str:
        return self.explanation

    @property
    def is_verified(self) -> bool:
        return self.status == HitStatus.FIXED and self.gone_snapshot_id is not None
