"""Department tasks: templates loaded from a plan, assignments to units with
deliverables and sign-off, reminders and notifications, findings and their
rectification (问题整改台账), and the guides (引导员) of each village group."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evalprep.core.models import Campaign, County, Department, Township, Village, VillageGroup, WorkingGroup


class Level(models.TextChoices):
    DEPARTMENT = "department", _("部门")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("行政村")
    WORKING_GROUP = "working_group", _("工作组")


UNIT_FIELDS = tuple(Level.values)


class Section(models.TextChoices):
    DEPT_DUTY = "dept_duty", _("部门职责")
    COUNTY_MATERIALS = "county_materials", _("资料收集整理（县级）")
    DEPT_MATERIALS = "dept_materials", _("资料收集整理（部门）")
    REPORTS = "reports", _("汇报材料和典型经验材料")
    LOCAL_WORK = "local_work", _("乡镇、行政村具体工作")
    LOCAL_MATERIALS = "local_materials", _("资料收集整理（乡镇、行政村）")
    ASSISTING = "assisting", _("帮扶部门具体工作")
    WORKING_GROUPS = "working_groups", _("工作组职责")
    LOCAL = "local", _("本县增加")


class DeliverableKind(models.TextChoices):
    FILES = "files", _("文件")
    LIST = "list", _("Excel名单")


class TaskTemplate(models.Model):
    """One duty of the plan, loaded into a campaign.

    The deadline is either counted back from the campaign's inspection start
    (倒排工期, `due_offset_days`, negative = before) or a fixed day of the
    campaign's year (`due_fixed_month`/`due_fixed_day`), so next year's
    campaign reuses the same plan file.
    """

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="task_templates", verbose_name=_("评估年度"))
    plan = models.CharField(_("任务方案"), max_length=50)
    code = models.CharField(_("编号"), max_length=20)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    section = models.CharField(_("方案章节"), max_length=20, choices=Section.choices)
    section_label = models.CharField(_("章节"), max_length=60, blank=True)
    title = models.CharField(_("任务"), max_length=100)
    text = models.TextField(_("方案原文"))
    level = models.CharField(_("责任层级"), max_length=15, choices=Level.choices)
    department_kinds = models.JSONField(_("责任部门类别"), default=list, blank=True)
    working_group_name = models.CharField(_("责任工作组"), max_length=80, blank=True)
    working_group_kind = models.CharField(_("责任工作组类别"), max_length=20, blank=True)
    village_filter = models.CharField(_("适用行政村"), max_length=20, blank=True)
    due_offset_days = models.SmallIntegerField(_("距评估开始（天）"), null=True, blank=True)
    due_fixed_month = models.PositiveSmallIntegerField(_("固定截止月"), null=True, blank=True)
    due_fixed_day = models.PositiveSmallIntegerField(_("固定截止日"), null=True, blank=True)
    deliverable = models.CharField(_("报送方式"), max_length=10, choices=DeliverableKind.choices, default=DeliverableKind.FILES)
    columns = models.JSONField(_("名单列"), default=list, blank=True)
    head_signature_in_plan = models.BooleanField(_("方案要求一把手签字"), default=False)
    tracks_guides = models.BooleanField(_("对应引导员"), default=False)

    class Meta:
        verbose_name = _("任务模板")
        verbose_name_plural = _("任务模板")
        ordering = ["campaign", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="tasktemplate_unique_code"),
            models.CheckConstraint(
                condition=Q(due_offset_days__isnull=False) | Q(due_fixed_month__isnull=False, due_fixed_day__isnull=False),
                name="tasktemplate_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(deliverable="list") | Q(columns=[]), name="tasktemplate_columns_only_for_lists"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def due_for(self, campaign: Campaign) -> date | None:
        """The deadline in `campaign` (None when its inspection date is not set yet)."""
        if self.due_fixed_month:
            return date(campaign.year, self.due_fixed_month, self.due_fixed_day)
        if campaign.inspection_start is None:
            return None
        return campaign.inspection_start + timedelta(days=self.due_offset_days)

    @property
    def due_date(self) -> date | None:
        return self.due_for(self.campaign)

    @property
    def schedule_label(self) -> str:
        if self.due_fixed_month:
            return f"每年{self.due_fixed_month}月{self.due_fixed_day}日"
        if self.due_offset_days == 0:
            return "评估开始当天"
        if self.due_offset_days < 0:
            return f"评估开始前{-self.due_offset_days}天"
        return f"评估开始后{self.due_offset_days}天"

    @property
    def required_labels(self) -> list[str]:
        return [column["label"] for column in self.columns if column.get("required")]


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("已分派")
    IN_PROGRESS = "in_progress", _("办理中")
    SUBMITTED = "submitted", _("已提交")
    SIGNED_OFF = "signed_off", _("负责人已审核")
    ACCEPTED = "accepted", _("已验收")
    RETURNED = "returned", _("已退回")


OPEN_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS, AssignmentStatus.RETURNED)


def _unit_condition() -> Q:
    condition = Q()
    for level in UNIT_FIELDS:
        condition |= Q(level=level, **{f"{unit}__isnull": unit != level for unit in UNIT_FIELDS})
    return condition


class Assignment(models.Model):
    """A template given to one unit with a due date.

    assigned → in_progress (first deliverable) → submitted → signed_off (the
    unit's head; a village's by its township's head; a working group's by its
    leader) → accepted by the bureau; the bureau may return a submitted or
    signed-off assignment with a reason. Overdue is computed from the due date.
    """

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="assignments", verbose_name=_("评估年度"))
    template = models.ForeignKey(TaskTemplate, models.CASCADE, related_name="assignments", verbose_name=_("任务"))
    level = models.CharField(_("层级"), max_length=15, choices=Level.choices)
    department = models.ForeignKey(
        Department, models.CASCADE, null=True, blank=True, related_name="task_assignments", verbose_name=_("部门")
    )
    township = models.ForeignKey(
        Township, models.CASCADE, null=True, blank=True, related_name="task_assignments", verbose_name=_("乡镇")
    )
    village = models.ForeignKey(
        Village, models.CASCADE, null=True, blank=True, related_name="task_assignments", verbose_name=_("行政村")
    )
    working_group = models.ForeignKey(
        WorkingGroup, models.CASCADE, null=True, blank=True, related_name="task_assignments", verbose_name=_("工作组")
    )
    due_date = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    note = models.TextField(_("分派说明"), blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    signed_off_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("验收人")
    )
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("分派人")
    )
    created_at = models.DateTimeField(_("分派时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("任务分派")
        verbose_name_plural = _("任务分派")
        ordering = ["due_date", "template__order", "pk"]
        constraints = [
            models.CheckConstraint(condition=_unit_condition(), name="assignment_unit_matches_level"),
            *[
                models.UniqueConstraint(
                    fields=["template", unit], condition=Q(**{f"{unit}__isnull": False}),
                    name=f"assignment_unique_{unit}",
                )
                for unit in UNIT_FIELDS
            ],
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""), name="assignment_returned_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status", "due_date"], name="assignment_campaign_status")]

    def __str__(self) -> str:
        return f"{self.template.code} {self.template.title} · {self.unit}"

    @property
    def unit(self):
        return getattr(self, self.level)

    @property
    def unit_id(self) -> int:
        return getattr(self, f"{self.level}_id")

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status != AssignmentStatus.ACCEPTED and self.due_date < (today or timezone.localdate())

    def days_left(self, today: date | None = None) -> int:
        return (self.due_date - (today or timezone.localdate())).days


def deliverable_upload_to(instance: "Deliverable", filename: str) -> str:
    return f"tasks/{instance.assignment.campaign_id}/{instance.assignment_id}/{instance.sha256[:16]}.{instance.extension}"


class Deliverable(models.Model):
    """A file handed in for an assignment; for list templates, the checked rows too."""

    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="deliverables", verbose_name=_("任务分派"))
    kind = models.CharField(_("类别"), max_length=10, choices=DeliverableKind.choices)
    file = models.FileField(_("文件"), upload_to=deliverable_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    extension = models.CharField(_("扩展名"), max_length=5)
    content_type = models.CharField(_("MIME类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    rows = models.JSONField(_("名单行"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("名单行数"), default=0)
    is_current = models.BooleanField(_("当前名单"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("报送材料")
        verbose_name_plural = _("报送材料")
        ordering = ["assignment", "-uploaded_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["assignment", "sha256"], name="deliverable_unique_content")]

    def __str__(self) -> str:
        return self.original_name


class Comment(models.Model):
    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="comments", verbose_name=_("任务分派"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("留言人"))
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("留言")
        verbose_name_plural = _("留言")
        ordering = ["assignment", "created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:30]


class NotificationKind(models.TextChoices):
    DIGEST = "digest", _("每日提醒")
    EVENT = "event", _("办理动态")


class Notification(models.Model):
    """An in-app notification. Reminders come as one digest per person per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("接收人"))
    county = models.ForeignKey(County, models.CASCADE, related_name="+", verbose_name=_("县（区）"))
    kind = models.CharField(_("类别"), max_length=10, choices=NotificationKind.choices)
    day = models.DateField(_("日期"))
    title = models.CharField(_("标题"), max_length=200)
    items = models.JSONField(_("条目"), default=list, blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["user", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], condition=Q(kind="digest"), name="notification_one_digest_per_day"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title


class ReminderStage(models.TextChoices):
    DUE_IN_3 = "due_in_3", _("3天后到期")
    DUE_TOMORROW = "due_tomorrow", _("明天到期")
    OVERDUE = "overdue", _("已逾期")


class ReminderSent(models.Model):
    """One reminder (assignment × person × stage) is never sent twice."""

    assignment = models.ForeignKey(Assignment, models.CASCADE, related_name="reminders", verbose_name=_("任务分派"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("接收人"))
    stage = models.CharField(_("提醒类别"), max_length=15, choices=ReminderStage.choices)
    due_date = models.DateField(_("截止日期"))
    notification = models.ForeignKey(Notification, models.CASCADE, related_name="reminders", verbose_name=_("通知"))
    sent_on = models.DateField(_("提醒日期"))

    class Meta:
        verbose_name = _("已发提醒")
        verbose_name_plural = _("已发提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "user", "stage", "due_date"], name="remindersent_once"
            ),
        ]


class FindingSource(models.TextChoices):
    EVALUATION = "evaluation", _("上级考核评估反馈")
    AUDIT = "audit", _("审计")
    SUPERVISION = "supervision", _("督查巡查")
    MEDIA = "media", _("媒体暗访")
    SELF_CHECK = "self_check", _("自查")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    RECTIFIED = "rectified", _("已整改待销号")
    CLOSED = "closed", _("已销号")


class Finding(models.Model):
    """One problem on the rectification ledger (问题整改台账)."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="findings", verbose_name=_("评估年度"))
    number = models.PositiveIntegerField(_("序号"))
    source = models.CharField(_("问题来源"), max_length=12, choices=FindingSource.choices)
    source_detail = models.CharField(_("来源说明"), max_length=100, blank=True)
    found_on = models.DateField(_("发现日期"), null=True, blank=True)
    description = models.TextField(_("问题描述"))
    village = models.ForeignKey(
        Village, models.SET_NULL, null=True, blank=True, related_name="findings", verbose_name=_("涉及行政村")
    )
    department = models.ForeignKey(
        Department, models.SET_NULL, null=True, blank=True, related_name="findings", verbose_name=_("涉及部门")
    )
    household = models.ForeignKey(
        "households.Household", models.SET_NULL, null=True, blank=True, related_name="findings", verbose_name=_("涉及农户")
    )
    household_name = models.CharField(_("涉及农户（户主）"), max_length=30, blank=True)
    responsible_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="findings_owned", verbose_name=_("责任部门")
    )
    responsible_township = models.ForeignKey(
        Township, models.PROTECT, null=True, blank=True, related_name="findings_owned", verbose_name=_("责任乡镇")
    )
    measures = models.TextField(_("整改措施"), blank=True)
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(_("整改状态"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    result = models.TextField(_("整改情况"), blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("整改填报人")
    )
    rectified_at = models.DateTimeField(_("整改填报时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("销号人")
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    reopen_reason = models.TextField(_("退回原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("反馈问题")
        verbose_name_plural = _("问题整改台账")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="finding_unique_number"),
            models.CheckConstraint(
                condition=Q(responsible_department__isnull=False, responsible_township__isnull=True)
                | Q(responsible_department__isnull=True, responsible_township__isnull=False),
                name="finding_one_responsible_unit",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="finding_campaign_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.description[:30]}"

    @property
    def responsible(self):
        return self.responsible_department or self.responsible_township

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status != FindingStatus.CLOSED and self.deadline < (today or timezone.localdate())


def finding_evidence_upload_to(instance: "FindingEvidence", filename: str) -> str:
    return f"findings/{instance.finding.campaign_id}/{instance.finding_id}/{instance.sha256[:16]}.{instance.extension}"


class FindingEvidence(models.Model):
    finding = models.ForeignKey(Finding, models.CASCADE, related_name="evidence", verbose_name=_("反馈问题"))
    file = models.FileField(_("文件"), upload_to=finding_evidence_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    extension = models.CharField(_("扩展名"), max_length=5)
    content_type = models.CharField(_("MIME类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("整改佐证")
        verbose_name_plural = _("整改佐证")
        ordering = ["finding", "uploaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["finding", "sha256"], name="findingevidence_unique_content")]

    def __str__(self) -> str:
        return self.original_name


class Guide(models.Model):
    """The guide (引导员) of one village group in one campaign."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="guides", verbose_name=_("评估年度"))
    group = models.ForeignKey(VillageGroup, models.CASCADE, related_name="guides", verbose_name=_("村民小组"))
    name = models.CharField(_("姓名"), max_length=30)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    trained_on = models.DateField(_("培训日期"), null=True, blank=True)
    training_note = models.CharField(_("培训内容"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("填报人")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("引导员")
        verbose_name_plural = _("引导员")
        ordering = ["campaign", "group"]
        constraints = [models.UniqueConstraint(fields=["campaign", "group"], name="guide_one_per_group")]

    def __str__(self) -> str:
        return self.name
