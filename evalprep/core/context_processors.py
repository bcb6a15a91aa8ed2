"""The navigation: each role sees only the entries it has."""

from dataclasses import dataclass
from html import escape
from functools import lru_cache

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from evalprep.core.http import url_for_each
from evalprep.core.models import Role
from evalprep.core.scoping import scope_for
from evalprep.core.usercache import kept_with_user
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


def _nav_kind(scope) -> tuple:
    """What the menu depends on: the same for every user with the same kind of scope."""
    return (bool(scope.read_county_ids), bool(scope.read_township_ids), bool(scope.write_county_ids),
            min(scope.village_ids, default=None), bool(scope.department_ids))


def _nav_groups_for(
    reads_county: bool, reads_township: bool, writes_county: bool, village_pk: int | None, in_department: bool
) -> tuple[NavItem | NavGroup, ...]:
    """The menu's groups for one kind of scope (see _nav_kind)."""
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
    kind = None if scope.is_empty else _nav_kind(scope)
    path = request.path
    matching = [url for url in _nav_items(kind)[1] if path == url or (url != "/" and path.startswith(url))]
    active = max(matching, key=len, default="/")  # the most specific entry: 入户演练 over 访谈准备
    show_admin = user.is_staff or scope.has_role(Role.ADMINISTRATOR)
    return {
        "nav_menu": _nav_menu(kind, active, show_admin, get_language()),
        "nav_roles": "、".join(sorted({a.get_role_display() for a in scope.assignments})),
        **_notifications(request, user),
    }


@lru_cache(maxsize=1024)
def _nav_items(kind: tuple | None) -> tuple[tuple[NavItem | NavGroup, ...], tuple[str, ...]]:
    """The menu for one kind of scope, and the addresses of its entries."""
    items = (NavItem("首页", reverse("home")), *(_nav_groups_for(*kind) if kind is not None else ()))
    return items, tuple(link.url for item in items for link in (item.items if isinstance(item, NavGroup) else (item,)))


@lru_cache(maxsize=4096)
def _nav_menu(kind: tuple | None, active: str, show_admin: bool, language: str) -> SafeString:
    """The menu's entries as HTML: the same for every request with the same kind of scope and active entry,
    so rendered once per process."""
    context = {"items": _nav_items(kind)[0], "active": active, "show_admin": show_admin}
    return render_to_string("partials/nav_menu.html", context)


NOTIFICATIONS_SHOWN = 6


def _notifications(request: HttpRequest, user) -> dict:
    """The newest unread notifications for the bell (one query, kept with the user: evalprep.core.usercache),
    each a form that opens it, written here in one pass: as a template loop with a URL and a CSRF token
    per entry, the bell cost every page about as much as the rest of its menu."""
    unread = kept_with_user(user, "unread", lambda: list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .order_by("-created_at", "-pk").values("pk", "title")[: NOTIFICATIONS_SHOWN + 1]
    ))
    if unread:
        token, url = escape(get_token(request)), url_for_each("tasks:notification_open")
        items = "".join(
            f'<li><form method="post" action="{url(note["pk"])}"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{token}"><button class="dropdown-item small text-wrap" type="submit">{escape(note["title"])}'
            f"</button></form></li>"
            for note in unread[:NOTIFICATIONS_SHOWN]
        )
    else:
        items = f'<li><span class="dropdown-item-text small text-muted">{escape(gettext("没有未读通知"))}</span></li>'
    return {
        "nav_notifications": mark_safe(items),  # every value is escaped above
        "nav_unread": f"{NOTIFICATIONS_SHOWN}+" if len(unread) > NOTIFICATIONS_SHOWN else len(unread),
    }
