"""The navigation: each role sees only the entries it has."""

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import reverse

from evalprep.core.models import Role
from evalprep.core.scoping import scope_for
from tasks.models import Notification


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


@dataclass(frozen=True)
class NavGroup:
    """A dropdown in the navbar; shown only when it has entries."""

    label: str
    items: tuple[NavItem, ...]


def _nav_groups(scope) -> tuple[NavItem | NavGroup, ...]:
    return _nav_groups_for(
        reads_county=bool(scope.read_county_ids), reads_township=bool(scope.read_township_ids),
        writes_county=bool(scope.write_county_ids), village_pk=min(scope.village_ids, default=None),
        in_department=bool(scope.department_ids),
    )


@lru_cache(maxsize=1024)
def _nav_groups_for(
    *, reads_county: bool, reads_township: bool, writes_county: bool, village_pk: int | None, in_department: bool
) -> tuple[NavItem | NavGroup, ...]:
    """The menu for one kind of scope; the same for every request of that kind, so built once per process."""
    reads_county_or_township = reads_county or reads_township
    org = []
    if reads_county_or_township:
        org.append(NavItem("组织架构", reverse("core:org_overview")))
    elif village_pk is not None:
        org.append(NavItem("本村", reverse("core:village_detail", args=[village_pk])))
    if reads_county or in_department:
        org.append(NavItem("部门", reverse("core:department_list")))
    org += [NavItem("工作专班", reverse("core:task_force")), NavItem("评估节点", reverse("core:campaign_detail"))]
    if writes_county:
        org.append(NavItem("操作日志", reverse("core:audit_log")))
    households = []
    if reads_county_or_township or village_pk is not None:
        households = [
            NavItem("住户台账", reverse("households:roster")),
            NavItem("应纳未纳筛查", reverse("households:screening_worklist")),
            NavItem("国家系统比对", reverse("households:national_overview")),
            NavItem("入户演练", reverse("interviews:rehearsal")),
        ]
    work = [
        NavItem("指标与佐证", reverse("indicators:checklist")),
        NavItem("部门任务", reverse("tasks:assignments")),
        NavItem("问题整改", reverse("tasks:findings")),
        NavItem("访谈准备", reverse("interviews:landing")),
    ]
    papers = []
    if reads_county:
        papers.append(NavItem("领导看板", reverse("dossiers:dashboard")))
    if reads_county_or_township or village_pk is not None or in_department:
        papers.append(NavItem("迎评资料", reverse("dossiers:dossier_index")))
    papers.append(NavItem("后台任务", reverse("dossiers:job_list")))
    groups = [
        NavGroup("组织与安排", tuple(org)), NavGroup("住户", tuple(households)), NavGroup("迎评工作", tuple(work)),
        NavGroup("资料与看板", tuple(papers)),
    ]
    return tuple(group for group in groups if group.items)


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    items: list[NavItem | NavGroup] = [NavItem("首页", reverse("home"))]
    if not scope.is_empty:
        items += _nav_groups(scope)
    links = [link for item in items for link in (item.items if isinstance(item, NavGroup) else (item,))]
    path = request.path
    matching = [link.url for link in links if path == link.url or (link.url != "/" and path.startswith(link.url))]
    active = max(matching, key=len, default="/")  # the most specific entry: 入户演练 over 访谈准备
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
