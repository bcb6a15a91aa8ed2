"""The navigation: each role sees only the entries it has."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from evalprep.core.models import Role
from evalprep.core.scoping import scope_for
from tasks.models import Notification


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    items = [NavItem("首页", reverse("home"))]
    if scope.read_county_ids or scope.read_township_ids:
        items.append(NavItem("组织架构", reverse("core:org_overview")))
    elif scope.village_ids:
        items.append(NavItem("本村", reverse("core:village_detail", args=[min(scope.village_ids)])))
    if scope.read_county_ids or scope.department_ids:
        items.append(NavItem("部门", reverse("core:department_list")))
    if scope.read_county_ids or scope.read_township_ids or scope.village_ids:
        items.append(NavItem("住户台账", reverse("households:roster")))
        items.append(NavItem("应纳未纳筛查", reverse("households:screening_worklist")))
    if not scope.is_empty:
        items += [
            NavItem("工作专班", reverse("core:task_force")),
            NavItem("评估节点", reverse("core:campaign_detail")),
            NavItem("指标与佐证", reverse("indicators:checklist")),
            NavItem("部门任务", reverse("tasks:assignments")),
            NavItem("问题整改", reverse("tasks:findings")),
            NavItem("访谈准备", reverse("interviews:landing")),
            NavItem("后台任务", reverse("dossiers:job_list")),
        ]
    path = request.path
    active = next((item.url for item in reversed(items) if path == item.url or (item.url != "/" and path.startswith(item.url))), "/")
    role_labels = sorted({a.get_role_display() for a in scope.assignments})
    return {
        "nav_items": items,
        "nav_active": active,
        "nav_roles": "、".join(role_labels),
        "nav_show_admin": user.is_staff or scope.has_role(Role.ADMINISTRATOR),
        **_notifications(user),
    }


NOTIFICATIONS_SHOWN = 6


def _notifications(user) -> dict:
    """The newest unread notifications for the bell (one query)."""
    unread = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .only("pk", "title", "created_at", "kind").order_by("-created_at", "-pk")[: NOTIFICATIONS_SHOWN + 1]
    )
    return {
        "nav_notifications": unread[:NOTIFICATIONS_SHOWN],
        "nav_unread": f"{NOTIFICATIONS_SHOWN}+" if len(unread) > NOTIFICATIONS_SHOWN else len(unread),
    }
