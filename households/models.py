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
