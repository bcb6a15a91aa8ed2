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
