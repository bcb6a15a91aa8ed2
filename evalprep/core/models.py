"""The organisation tree, the campaign, people's roles and the audit trail."""

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

division_code_validator = RegexValidator(
    r"^\d{12}$", _("统计用区划代码应为12位数字。")
)
phone_validator = RegexValidator(
    r"^[0-9\-\s]{7,20}$", _("电话号码只能包含数字和连字符。")
)


class County(models.Model):
    """县（区、旗）: the tenant."""

    name = models.CharField(_("名称"), max_length=50)
    code = models.CharField(
        _("统计用区划代码"), max_length=12, unique=True, validators=[division_code_validator]
    )

    class Meta:
        verbose_name = _("县（区）")
        verbose_name_plural = _("县（区）")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Township(models.Model):
    """乡镇."""

    county = models.ForeignKey(County, models.CASCADE, related_name="townships", verbose_name=_("县（区）"))
    name = models.CharField(_("名称"), max_length=50)
    code = models.CharField(
        _("统计用区划代码"), max_length=12, unique=True, validators=[division_code_validator]
    )

    class Meta:
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """行政村."""

    township = models.ForeignKey(Township, models.CASCADE, related_name="villages", verbose_name=_("乡镇"))
    name = models.CharField(_("名称"), max_length=50)
    code = models.CharField(
        _("统计用区划代码"), max_length=12, unique=True, validators=[division_code_validator]
    )
    is_lifted_village = models.BooleanField(_("脱贫村"), default=False)

    class Meta:
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VillageGroup(models.Model):
    """村民小组."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="groups", verbose_name=_("行政村"))
    number = models.PositiveSmallIntegerField(_("组号"))
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = _("村民小组")
        ordering = ["village", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="villagegroup_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.village.name}{self.name}"


class RelocationSite(models.Model):
    """易地扶贫搬迁安置点."""

    county = models.ForeignKey(County, models.CASCADE, related_name="relocation_sites", verbose_name=_("县（区）"))
    village = models.ForeignKey(
        Village, models.CASCADE, related_name="relocation_sites", verbose_name=_("所在行政村")
    )
    name = models.CharField(_("名称"), max_length=80)
    households_planned = models.PositiveIntegerField(_("安置户数"), default=0)
    people_planned = models.PositiveIntegerField(_("安置人数"), default=0)

    class Meta:
        verbose_name = _("易地搬迁安置点")
        verbose_name_plural = _("易地搬迁安置点")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="relocationsite_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DepartmentKind(models.TextChoices):
    BUREAU = "bureau", _("乡村振兴局")
    PARTY_OFFICE = "party_office", _("县委办公室")
    GOVERNMENT_OFFICE = "government_office", _("政府办公室")
    ORGANIZATION = "organization", _("组织部")
    PROPAGANDA = "propaganda", _("宣传部")
    DEVELOPMENT_REFORM = "development_reform", _("发展和改革局")
    EDUCATION = "education", _("教育局")
    HEALTH = "health", _("卫生健康局")
    MEDICAL_INSURANCE = "medical_insurance", _("医疗保障局")
    CIVIL_AFFAIRS = "civil_affairs", _("民政局")
    HUMAN_RESOURCES = "human_resources", _("人力资源和社会保障局")
    HOUSING = "housing", _("住房和城乡建设局")
    AGRICULTURE_WATER = "agriculture_water", _("农业农村和水务局")
    FINANCE = "finance", _("财政局")
    AUDIT = "audit", _("审计局")
    TRANSPORT = "transport", _("交通运输局")
    NATURAL_RESOURCES = "natural_resources", _("自然资源局")
    COMMERCE = "commerce", _("商务合作局")
    EMPLOYMENT = "employment", _("就业创业服务中心")
    DISABLED_FEDERATION = "disabled_federation", _("残疾人联合会")
    PETITIONS = "petitions", _("信访局")
    PUBLIC_SECURITY = "public_security", _("公安分局")
    SCIENCE = "science", _("科技局")
    CULTURE = "culture", _("文化旅游广电局")
    GENERAL_AFFAIRS = "general_affairs", _("机关事务管理中心")


class Department(models.Model):
    """行业部门 (and the county offices that hold evidence)."""

    county = models.ForeignKey(County, models.CASCADE, related_name="departments", verbose_name=_("县（区）"))
    kind = models.CharField(_("部门类别"), max_length=30, choices=DepartmentKind.choices)
    name = models.CharField(_("名称"), max_length=50)
    duties = models.TextField(_("迎评职责"), blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["county", "name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "kind"], name="department_unique_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingGroupKind(models.TextChoices):
    LEADING_GROUP = "leading_group", _("领导小组")
    WORKING_GROUP = "working_group", _("工作组")
    SUPERVISION = "supervision", _("乡镇包抓组")


class WorkingGroup(models.Model):
    """领导小组 / 工作组 / 包抓组 of the task force."""

    county = models.ForeignKey(County, models.CASCADE, related_name="working_groups", verbose_name=_("县（区）"))
    kind = models.CharField(_("类别"), max_length=20, choices=WorkingGroupKind.choices)
    name = models.CharField(_("名称"), max_length=80)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    township = models.ForeignKey(
        Township, models.CASCADE, null=True, blank=True, related_name="supervision_groups",
        verbose_name=_("包抓乡镇"),
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    duties = models.TextField(_("工作职责"), blank=True)

    class Meta:
        verbose_name = _("工作组")
        verbose_name_plural = _("工作组")
        ordering = ["county", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="workinggroup_unique_name"),
            models.CheckConstraint(
                condition=Q(kind="supervision", township__isnull=False) | ~Q(kind="supervision"),
                name="workinggroup_supervision_has_township",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupRole(models.TextChoices):
    LEADER = "leader", _("组长")
    DEPUTY = "deputy", _("副组长")
    MEMBER = "member", _("成员")
    LIAISON = "liaison", _("联络员")


class WorkingGroupMember(models.Model):
    group = models.ForeignKey(WorkingGroup, models.CASCADE, related_name="members", verbose_name=_("工作组"))
    role = models.CharField(_("组内职务"), max_length=10, choices=GroupRole.choices)
    name = models.CharField(_("姓名"), max_length=30)
    position = models.CharField(_("单位及职务"), max_length=80, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("系统账号")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("工作组成员")
        verbose_name_plural = _("工作组成员")
        ordering = ["group", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class Campaign(models.Model):
    """One yearly evaluation the county prepares for."""

    county = models.ForeignKey(County, models.CASCADE, related_name="campaigns", verbose_name=_("县（区）"))
    year = models.PositiveSmallIntegerField(_("评估年度"))
    name = models.CharField(_("名称"), max_length=100)
    framework = models.CharField(_("指标体系"), max_length=50, blank=True)
    inspection_start = models.DateField(_("预计评估开始"), null=True, blank=True)
    inspection_end = models.DateField(_("预计评估结束"), null=True, blank=True)
    reference_date = models.DateField(_("统计基准日"), null=True, blank=True)
    monitoring_income_line = models.DecimalField(
        _("监测收入线（元/人·年）"), max_digits=8, decimal_places=0, default=6000
    )
    is_current = models.BooleanField(_("当前评估"), default=True)

    class Meta:
        verbose_name = _("评估年度")
        verbose_name_plural = _("评估年度")
        ordering = ["county", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="campaign_unique_year"),
            models.UniqueConstraint(
                fields=["county"], condition=Q(is_current=True), name="campaign_one_current"
            ),
            models.CheckConstraint(
                condition=Q(inspection_end__isnull=True)
                | Q(inspection_start__isnull=True)
                | Q(inspection_end__gte=models.F("inspection_start")),
                name="campaign_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def days_to_inspection(self, today: date | None = None) -> int | None:
        if self.inspection_start is None:
            return None
        return (self.inspection_start - (today or timezone.localdate())).days


class MilestoneKind(models.TextChoices):
    NATIONAL_SYSTEM_CLOSES = "national_system_closes", _("全国监测系统关闭")
    LISTS_DUE = "lists_due", _("名单报送截止")
    OUTLINES_DUE = "outlines_due", _("访谈提纲报送截止")
    REPORTS_DUE = "reports_due", _("汇报材料报送截止")
    REHEARSAL_DONE = "rehearsal_done", _("大走访大演练完成")
    RECTIFICATION_DUE = "rectification_due", _("问题整改清零")
    FUNDS_PAID = "funds_paid", _("衔接资金支付")
    TRAINING = "training", _("培训会")
    OTHER = "other", _("其他节点")


class Milestone(models.Model):
    """A dated step of the backward schedule (倒排工期)."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="milestones", verbose_name=_("评估年度"))
    kind = models.CharField(_("类别"), max_length=30, choices=MilestoneKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    due_date = models.DateField(_("截止日期"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("时间节点")
        verbose_name_plural = _("时间节点")
        ordering = ["campaign", "due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="milestone_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def days_left(self, today: date | None = None) -> int:
        return (self.due_date - (today or timezone.localdate())).days


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("乡村振兴局统筹")
    DEPARTMENT_STAFF = "department_staff", _("部门经办人")
    DEPARTMENT_HEAD = "department_head", _("部门负责人")
    TOWNSHIP_STAFF = "township_staff", _("乡镇经办人")
    TOWNSHIP_HEAD = "township_head", _("乡镇负责人")
    VILLAGE_CADRE = "village_cadre", _("村干部")
    SUPERVISION = "supervision", _("包抓组")
    LEADER = "leader", _("县领导")
    ADMINISTRATOR = "administrator", _("系统管理员")


class VillagePost(models.TextChoices):
    SECRETARY = "secretary", _("村党支部书记")
    HEAD = "head", _("村主任")
    FIRST_SECRETARY = "first_secretary", _("驻村第一书记")
    TEAM_MEMBER = "team_member", _("驻村工作队员")
    HELPER = "helper", _("帮扶责任人")


# Which unit each role is attached to; the check constraint below enforces it.
ROLE_UNIT = {
    Role.COORDINATOR: "county",
    Role.LEADER: "county",
    Role.ADMINISTRATOR: "county",
    Role.DEPARTMENT_STAFF: "department",
    Role.DEPARTMENT_HEAD: "department",
    Role.TOWNSHIP_STAFF: "township",
    Role.TOWNSHIP_HEAD: "township",
    Role.SUPERVISION: "township",
    Role.VILLAGE_CADRE: "village",
}


def _role_unit_condition() -> Q:
    units = ("department", "township", "village")
    condition = Q()
    for role, unit in ROLE_UNIT.items():
        fields = {f"{other}__isnull": other != unit for other in units}
        condition |= Q(role=role, **fields)
    return condition


class RoleAssignment(models.Model):
    """A user's role in one unit. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="role_assignments", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    county = models.ForeignKey(County, models.CASCADE, related_name="role_assignments", verbose_name=_("县（区）"))
    department = models.ForeignKey(
        Department, models.CASCADE, null=True, blank=True, related_name="role_assignments",
        verbose_name=_("部门"),
    )
    township = models.ForeignKey(
        Township, models.CASCADE, null=True, blank=True, related_name="role_assignments",
        verbose_name=_("乡镇"),
    )
    village = models.ForeignKey(
        Village, models.CASCADE, null=True, blank=True, related_name="role_assignments",
        verbose_name=_("行政村"),
    )
    post = models.CharField(_("村级职务"), max_length=20, choices=VillagePost.choices, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(condition=_role_unit_condition(), name="roleassignment_unit_matches_role"),
            models.CheckConstraint(
                condition=Q(role="village_cadre") | Q(post=""), name="roleassignment_post_only_for_cadres"
            ),
            *[
                models.UniqueConstraint(
                    fields=["user", "role", unit],
                    condition=Q(**{f"{unit}__isnull": False}),
                    name=f"roleassignment_unique_{unit}",
                )
                for unit in ("department", "township", "village")
            ],
            models.UniqueConstraint(
                fields=["user", "role", "county"],
                condition=Q(department__isnull=True, township__isnull=True, village__isnull=True),
                name="roleassignment_unique_county",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit_name}"

    @property
    def unit_name(self) -> str:
        unit = self.department or self.village or self.township or self.county
        return unit.name if unit else ""

    @property
    def unit_key(self) -> tuple[str, int] | None:
        """(level, pk) of the unit unit_name names, without loading it (see evalprep/core/units.py)."""
        for level in ("department", "village", "township", "county"):
            if pk := getattr(self, f"{level}_id"):
                return level, pk
        return None


class AuditEvent(models.Model):
    """Who did what to which record: reveals of personal data, exports, sign-offs."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("用户")
    )
    county = models.ForeignKey(County, models.CASCADE, null=True, related_name="+", verbose_name=_("县（区）"))
    action = models.CharField(_("操作"), max_length=40)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    detail = models.TextField(_("说明"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action}"
