"""The indicator system (framework → areas → items → evidence requirements),
the per-unit checklist a campaign expands it into, and the evidence files.

Library texts come from versioned data files (`indicators/frameworks/*.json`)
and are updated in place by stable codes, so a campaign's checklist rows and
their evidence survive a newer version. Requirement texts and checklist rows
keep their history (django-simple-history).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evalprep.core.models import Campaign, County, Department, Milestone, MilestoneKind, Township, Village


class Level(models.TextChoices):
    """Which kind of unit must hold the evidence."""

    COUNTY = "county", _("县级（乡村振兴局）")
    DEPARTMENT = "department", _("部门")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("行政村")


LEVEL_CODES = {Level.COUNTY: "C", Level.DEPARTMENT: "D", Level.TOWNSHIP: "T", Level.VILLAGE: "V"}
UNIT_FIELDS = tuple(Level.values)  # the checklist row's foreign key for each level has the level's name


class VillageFilter(models.TextChoices):
    ALL = "", _("全部行政村")
    RELOCATION = "relocation", _("有易地搬迁安置点的行政村")


class Framework(models.Model):
    """考核评估指标体系: one library, loaded from one data file."""

    name = models.SlugField(_("标识"), max_length=50, unique=True)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    province = models.CharField(_("省份"), max_length=30, blank=True, help_text=_("空白表示全国通用"))
    source = models.CharField(_("出处"), max_length=300, blank=True)
    note = models.TextField(_("说明"), blank=True)
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return self.title


class Area(models.Model):
    """One of the four areas: 责任落实 / 政策落实 / 工作落实 / 成效巩固."""

    framework = models.ForeignKey(Framework, models.CASCADE, related_name="areas", verbose_name=_("指标体系"))
    code = models.CharField(_("编号"), max_length=10)
    title = models.CharField(_("名称"), max_length=50)
    focus = models.TextField(_("评估聚焦"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评估方面")
        verbose_name_plural = _("评估方面")
        ordering = ["framework", "order"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="area_unique_code")]

    def __str__(self) -> str:
        return self.title


class Item(models.Model):
    """One evaluated item, with its focus text and the thresholds it states.

    `thresholds` maps a key from `indicators.thresholds.THRESHOLDS` to
    {"value": …, "quote": "…"}; the households screening reads them through
    `indicators.selectors.thresholds_for`.
    """

    area = models.ForeignKey(Area, models.CASCADE, related_name="items", verbose_name=_("评估方面"))
    code = models.CharField(_("编号"), max_length=10)
    title = models.CharField(_("名称"), max_length=200)
    focus = models.TextField(_("评估重点"), blank=True)
    check_note = models.TextField(_("检查内容说明"), blank=True)
    thresholds = models.JSONField(_("量化标准"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True, help_text=_("新版本中已删去的指标停用，不再删除"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评估指标")
        verbose_name_plural = _("评估指标")
        ordering = ["area", "order"]
        constraints = [models.UniqueConstraint(fields=["area", "code"], name="item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class EvidenceRequirement(models.Model):
    """检查内容: one piece of evidence that units of one level must hold.

    Library requirements (campaign empty) have stable codes
    `<item>.<number>-<level letter>`; a bureau's local requirements belong to
    one campaign and are coded `<item>.L<n>-<level letter>`. `departments`
    lists DepartmentKind values: for a department-level requirement, the
    departments that each owe a row; for other levels, the line department
    responsible for the subject (for information).
    """

    item = models.ForeignKey(Item, models.CASCADE, related_name="requirements", verbose_name=_("评估指标"))
    campaign = models.ForeignKey(
        Campaign, models.CASCADE, null=True, blank=True, related_name="local_requirements",
        verbose_name=_("本地增加（评估年度）"),
    )
    code = models.CharField(_("编号"), max_length=30)
    mark = models.CharField(_("序号"), max_length=10, blank=True)
    text = models.TextField(_("检查内容"))
    level = models.CharField(_("资料保存层级"), max_length=10, choices=Level.choices)
    departments = models.JSONField(_("责任部门"), default=list, blank=True)
    village_filter = models.CharField(
        _("适用行政村"), max_length=12, choices=VillageFilter.choices, default=VillageFilter.ALL, blank=True
    )
    milestone_kind = models.CharField(_("截止节点"), max_length=30, choices=MilestoneKind.choices, blank=True)
    source = models.CharField(_("出处"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True, help_text=_("新版本中已删去的要求停用，不再删除"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("添加人")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("佐证要求")
        verbose_name_plural = _("佐证要求")
        ordering = ["item", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "code"], condition=Q(campaign__isnull=True), name="requirement_unique_library_code"
            ),
            models.UniqueConstraint(
                fields=["item", "campaign", "code"], condition=Q(campaign__isnull=False),
                name="requirement_unique_local_code",
            ),
            models.CheckConstraint(
                condition=Q(level="village") | Q(village_filter=""), name="requirement_village_filter_only_for_villages"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    @property
    def is_local(self) -> bool:
        return self.campaign_id is not None


class RowStatus(models.TextChoices):
    MISSING = "missing", _("未上传")
    SUBMITTED = "submitted", _("已提交")
    SIGNED_OFF = "signed_off", _("负责人已审核")
    ACCEPTED = "accepted", _("已验收")
    RETURNED = "returned", _("已退回")


def _row_unit_condition() -> Q:
    condition = Q()
    for level in UNIT_FIELDS:
        condition |= Q(level=level, **{f"{unit}__isnull": unit != level for unit in UNIT_FIELDS})
    return condition


class ChecklistRow(models.Model):
    """One requirement for one responsible unit in one campaign.

    missing → submitted → signed_off (the unit's head; for a village, the
    township head) → accepted by the bureau; the bureau may return a submitted
    or signed-off row with a reason, and a new upload makes it submitted again.
    The due date is the milestone's, or the start of the inspection.
    """

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="checklist_rows", verbose_name=_("评估年度"))
    requirement = models.ForeignKey(
        EvidenceRequirement, models.PROTECT, related_name="rows", verbose_name=_("佐证要求")
    )
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    county = models.ForeignKey(
        County, models.CASCADE, null=True, blank=True, related_name="checklist_rows", verbose_name=_("县级")
    )
    department = models.ForeignKey(
        Department, models.CASCADE, null=True, blank=True, related_name="checklist_rows", verbose_name=_("部门")
    )
    township = models.ForeignKey(
        Township, models.CASCADE, null=True, blank=True, related_name="checklist_rows", verbose_name=_("乡镇")
    )
    village = models.ForeignKey(
        Village, models.CASCADE, null=True, blank=True, related_name="checklist_rows", verbose_name=_("行政村")
    )
    milestone = models.ForeignKey(
        Milestone, models.SET_NULL, null=True, blank=True, related_name="checklist_rows", verbose_name=_("截止节点")
    )
    status = models.CharField(_("状态"), max_length=10, choices=RowStatus.choices, default=RowStatus.MISSING)
    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    signed_off_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("验收人")
    )
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("佐证清单行")
        verbose_name_plural = _("佐证清单")
        ordering = ["campaign", "requirement", "pk"]
        constraints = [
            models.CheckConstraint(condition=_row_unit_condition(), name="checklistrow_unit_matches_level"),
            *[
                models.UniqueConstraint(
                    fields=["campaign", "requirement", unit], condition=Q(**{f"{unit}__isnull": False}),
                    name=f"checklistrow_unique_{unit}",
                )
                for unit in UNIT_FIELDS
            ],
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""), name="checklistrow_returned_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="checklistrow_campaign_status")]

    def __str__(self) -> str:
        return f"{self.requirement.code} · {self.unit}"

    @property
    def unit(self) -> County | Department | Township | Village:
        return getattr(self, self.level)

    @property
    def due_date(self) -> date | None:
        if self.milestone_id:
            return self.milestone.due_date
        return self.campaign.inspection_start


def evidence_upload_to(instance: "EvidenceFile", filename: str) -> str:
    # The stored name comes from the content, never from the uploader's name.
    return f"evidence/{instance.row.campaign_id}/{instance.row_id}/{instance.sha256[:16]}.{instance.kind}"


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    PNG = "png", _("PNG图片")
    JPEG = "jpg", _("JPEG图片")
    DOCX = "docx", _("Word文档")
    XLSX = "xlsx", _("Excel表格")
    DOC = "doc", _("Word文档（旧格式）")
    XLS = "xls", _("Excel表格（旧格式）")


class EvidenceFile(models.Model):
    """One uploaded file of a checklist row. The type is detected from the content."""

    row = models.ForeignKey(ChecklistRow, models.PROTECT, related_name="files", verbose_name=_("清单行"))
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    kind = models.CharField(_("文件类型"), max_length=4, choices=FileKind.choices)
    content_type = models.CharField(_("MIME类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    note = models.TextField(_("说明"), blank=True)
    evidence_date = models.DateField(_("材料日期"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("佐证文件")
        verbose_name_plural = _("佐证文件")
        ordering = ["row", "uploaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["row", "sha256"], name="evidencefile_unique_content")]

    def __str__(self) -> str:
        return self.original_name
