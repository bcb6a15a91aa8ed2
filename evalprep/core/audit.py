"""Reading the audit log: what each action means, and who may read which events."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet
from django.utils import timezone

from evalprep.core.models import AuditEvent

# Actions whose record is personal data leaving the masked view.
PERSONAL_DATA_ACTIONS = ("reveal_id_number", "reveal_phone")
EXPORT_SUFFIX = "_exported"

ACTION_LABELS = {
    "reveal_id_number": "查看完整身份证号",
    "reveal_phone": "查看完整联系电话",
    "roster_exported": "导出花名册",
    "roster_imported": "导入花名册",
    "milestone_created": "新增时间节点",
    "milestone_changed": "修改时间节点",
    "campaign_framework_set": "设置指标体系",
    "local_requirement_added": "新增本地佐证要求",
    "income_estimate_saved": "保存村收入测算",
    "screening_decided": "应纳未纳研判",
    "screening_thresholds_changed": "修改筛查阈值",
    "evidence_signed_off": "佐证材料负责人审核",
    "evidence_accepted": "验收佐证材料",
    "evidence_returned": "退回佐证材料",
    "dossier_requested": "生成迎评资料",
    "dossier_downloaded": "下载迎评资料",
    "task_plan_loaded": "载入任务方案",
    "task_assigned": "分派任务",
    "task_due_changed": "修改任务截止日期",
    "task_submitted": "提交任务材料",
    "task_signed_off": "任务负责人审核",
    "task_accepted": "验收任务",
    "task_returned": "退回任务",
    "finding_created": "登记问题",
    "finding_rectified": "提交问题整改",
    "finding_closed": "问题销号",
    "finding_reopened": "问题退回重新整改",
    "findings_imported": "导入问题台账",
    "outlines_loaded": "载入访谈提纲",
    "respondents_assigned": "分配访谈对象",
    "respondent_added": "添加访谈对象",
    "interview_sheet_approved": "审核访谈答卷",
    "inspection_sample_drawn": "模拟抽样",
    "national_snapshot_imported": "导入国家系统数据",
    "national_roster_checked": "核查本系统花名册",
    "national_hits_exported": "导出疑点数据",
    "national_hit_marked": "标记疑点处理",
    "national_discrepancy_resolved": "处理账机差异",
    "national_check_settings_saved": "修改核查阈值",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class AuditFilter:
    personal_only: bool = False
    username: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audit_events_for(*, county_ids: set[int], audit_filter: AuditFilter) -> QuerySet[AuditEvent]:
    """The county's events, newest first, with the user in the same query."""
    events = AuditEvent.objects.filter(county_id__in=county_ids).select_related("user")
    if audit_filter.personal_only:
        events = events.filter(Q(action__in=PERSONAL_DATA_ACTIONS) | Q(action__endswith=EXPORT_SUFFIX))
    if audit_filter.username:
        events = events.filter(user__username__icontains=audit_filter.username)
    zone = timezone.get_current_timezone()
    if audit_filter.date_from:
        events = events.filter(at__gte=datetime.combine(audit_filter.date_from, time.min, tzinfo=zone))
    if audit_filter.date_to:
        events = events.filter(at__lte=datetime.combine(audit_filter.date_to, time.max, tzinfo=zone))
    return events.order_by("-at", "-pk")
