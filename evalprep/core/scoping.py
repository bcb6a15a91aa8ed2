"""Who may see and change what. Every view reaches objects through here.

A user's scope is the union of their role assignments. Outside the scope an
object does not exist (404); inside it but read-only where a write is needed is
a 403.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from evalprep.core.models import Campaign, County, Department, Role, Township, Village
from evalprep.core.usercache import kept_with_user

COUNTY_READ_ROLES = {Role.COORDINATOR, Role.LEADER, Role.ADMINISTRATOR}
COUNTY_WRITE_ROLES = {Role.COORDINATOR, Role.ADMINISTRATOR}
TOWNSHIP_WRITE_ROLES = {Role.TOWNSHIP_STAFF, Role.TOWNSHIP_HEAD}
TOWNSHIP_READ_ROLES = TOWNSHIP_WRITE_ROLES | {Role.SUPERVISION}
DEPARTMENT_ROLES = {Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD}


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str] = frozenset()
    county_ids: frozenset[int] = frozenset()
    read_county_ids: frozenset[int] = frozenset()
    write_county_ids: frozenset[int] = frozenset()
    read_township_ids: frozenset[int] = frozenset()
    write_township_ids: frozenset[int] = frozenset()
    village_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    head_department_ids: frozenset[int] = frozenset()
    head_township_ids: frozenset[int] = frozenset()
    assignments: tuple = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def scope_for(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """The user's scope, computed once per request (from the assignments read with the user, else one query)."""
    if not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, "_evalprep_scope", None)
    if cached is not None:
        return cached
    assignments = getattr(user, "_evalprep_assignments", None)  # read with the user (evalprep.core.auth)
    if assignments is None:
        assignments = tuple(user.role_assignments.all())
    sets: dict[str, set[int]] = {name: set() for name in (
        "county_ids", "read_county_ids", "write_county_ids", "read_township_ids",
        "write_township_ids", "village_ids", "department_ids", "head_department_ids",
        "head_township_ids",
    )}
    for assignment in assignments:
        role = assignment.role
        sets["county_ids"].add(assignment.county_id)
        if role in COUNTY_READ_ROLES:
            sets["read_county_ids"].add(assignment.county_id)
        if role in COUNTY_WRITE_ROLES:
            sets["write_county_ids"].add(assignment.county_id)
        if role in TOWNSHIP_READ_ROLES:
            sets["read_township_ids"].add(assignment.township_id)
        if role in TOWNSHIP_WRITE_ROLES:
            sets["write_township_ids"].add(assignment.township_id)
        if role == Role.TOWNSHIP_HEAD:
            sets["head_township_ids"].add(assignment.township_id)
        if role in DEPARTMENT_ROLES:
            sets["department_ids"].add(assignment.department_id)
        if role == Role.DEPARTMENT_HEAD:
            sets["head_department_ids"].add(assignment.department_id)
        if role == Role.VILLAGE_CADRE:
            sets["village_ids"].add(assignment.village_id)
    scope = Scope(
        roles=frozenset(a.role for a in assignments),
        assignments=assignments,
        **{name: frozenset(ids) for name, ids in sets.items()},
    )
    user._evalprep_scope = scope
    return scope


def village_read_q(scope: Scope, path: str = "") -> Q:
    """Rows whose village the scope may read; `path` leads to the village ("village__")."""
    return (
        Q(**{f"{path}township__county_id__in": scope.read_county_ids})
        | Q(**{f"{path}township_id__in": scope.read_township_ids})
        | Q(**{f"{path}pk__in": scope.village_ids})
    )


def village_write_q(scope: Scope, path: str = "") -> Q:
    """Rows whose village the scope may change."""
    return (
        Q(**{f"{path}township__county_id__in": scope.write_county_ids})
        | Q(**{f"{path}township_id__in": scope.write_township_ids})
        | Q(**{f"{path}pk__in": scope.village_ids})
    )


def readable_village_pks(scope: Scope) -> frozenset[int] | QuerySet:
    """The pks of the villages the scope may read, for `village_id__in=` on a row's own column: a
    cadre's own ids, else a subquery (a county's or a township's villages), so that the row query
    plans no join through village and township."""
    if scope.read_county_ids or scope.read_township_ids:
        return Village.objects.filter(village_read_q(scope)).values("pk")
    return scope.village_ids


def villages_visible_to(user) -> QuerySet[Village]:
    scope = scope_for(user)
    if scope.is_empty:
        return Village.objects.none()
    return Village.objects.filter(village_read_q(scope))


def writable_villages(user) -> QuerySet[Village]:
    """Villages whose data the user may change (and whose personal data they may reveal)."""
    scope = scope_for(user)
    if scope.is_empty:
        return Village.objects.none()
    return Village.objects.filter(village_write_q(scope))


def townships_visible_to(user) -> QuerySet[Township]:
    scope = scope_for(user)
    if scope.is_empty:
        return Township.objects.none()
    return Township.objects.filter(
        Q(county_id__in=scope.read_county_ids) | Q(pk__in=scope.read_township_ids)
    )


def departments_visible_to(user) -> QuerySet[Department]:
    scope = scope_for(user)
    if scope.is_empty:
        return Department.objects.none()
    return Department.objects.filter(
        Q(county_id__in=scope.read_county_ids) | Q(pk__in=scope.department_ids)
    )


def counties_of(user) -> QuerySet[County]:
    return County.objects.filter(pk__in=scope_for(user).county_ids)


def current_campaign_for(user) -> Campaign | None:
    """The current campaign of the user's (first) county, read once per request (like the scope)
    and kept with the user (evalprep.core.usercache)."""
    scope = scope_for(user)
    if scope.is_empty:
        return None
    return kept_with_user(user, "campaign", lambda: (
        Campaign.objects.filter(county_id__in=scope.county_ids, is_current=True)
        .select_related("county")
        .order_by("county__code")
        .first()
    ))


def can_write_village(user, village: Village) -> bool:
    scope = scope_for(user)
    return (
        village.pk in scope.village_ids
        or village.township_id in scope.write_township_ids
        or village.township.county_id in scope.write_county_ids
    )


def can_write_township(user, township: Township) -> bool:
    scope = scope_for(user)
    return township.pk in scope.write_township_ids or township.county_id in scope.write_county_ids


def can_write_department(user, department: Department) -> bool:
    scope = scope_for(user)
    return department.pk in scope.department_ids or department.county_id in scope.write_county_ids


def can_manage_county(user, county_id: int) -> bool:
    """Configure the campaign, the org tree and run county-wide jobs."""
    return county_id in scope_for(user).write_county_ids


def require_county_manager(request: HttpRequest, county_id: int) -> None:
    if county_id not in scope_for(request.user).county_ids:
        raise Http404
    if not can_manage_county(request.user, county_id):
        raise PermissionDenied("只有乡村振兴局统筹人员可以执行此操作。")


def get_or_404(queryset: QuerySet, pk: int):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def require_village_write(request: HttpRequest, village: Village, message: str = "您对该村只有查看权限。") -> None:
    """403 unless the user may change this village's data (which they can already see)."""
    if not can_write_village(request.user, village):
        raise PermissionDenied(message)


def get_village_for_user(request: HttpRequest, pk: int, *, write: bool = False) -> Village:
    village = get_or_404(villages_visible_to(request.user).select_related("township__county"), pk)
    if write:
        require_village_write(request, village)
    return village


def get_township_for_user(request: HttpRequest, pk: int, *, write: bool = False) -> Township:
    township = get_or_404(townships_visible_to(request.user).select_related("county"), pk)
    if write and not can_write_township(request.user, township):
        raise PermissionDenied("您对该乡镇只有查看权限。")
    return township


def get_department_for_user(request: HttpRequest, pk: int, *, write: bool = False) -> Department:
    department = get_or_404(departments_visible_to(request.user).select_related("county"), pk)
    if write and not can_write_department(request.user, department):
        raise PermissionDenied("您对该部门只有查看权限。")
    return department
