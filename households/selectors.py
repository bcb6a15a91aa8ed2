"""Reads of the household registry, always through the user's scope."""

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from evalprep.core.counts import counted_per_village
from evalprep.core.idnumber import mask_id_number, mask_phone
from evalprep.core.models import Township, Village
from evalprep.core.paging import GroupedRows
from evalprep.core.scoping import scope_for, village_read_q, villages_visible_to
from evalprep.core.usercache import kept_with_user
from households.models import Household, IncomeYear, Member, RosterImport


def households_visible_to(user) -> QuerySet[Household]:
    return Household.objects.filter(village_read_q(scope_for(user), "village__"))


def get_household_for_user(request: HttpRequest, pk: int) -> Household:
    found = households_visible_to(request.user).select_related("village__township", "group", "relocation_site").filter(pk=pk)
    household = next(iter(found[:1]), None)  # unordered: .first() would sort by the roster order
    if household is None:
        raise Http404
    return household


def get_member_for_user(request: HttpRequest, household_pk: int, pk: int) -> Member:
    household = get_household_for_user(request, household_pk)
    member = household.members.filter(pk=pk).first()
    if member is None:
        raise Http404
    member.household = household
    return member


def roster_imports_visible_to(user) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(village_read_q(scope_for(user), "village__"))


def get_roster_import_for_user(request: HttpRequest, pk: int) -> RosterImport:
    record = roster_imports_visible_to(request.user).select_related("village__township", "user").filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@dataclass(frozen=True)
class RosterFilter:
    village_id: int | None = None
    group_id: int | None = None
    category: str = ""
    monitoring_type: str = ""
    flag: str = ""
    query: str = ""


FLAGS = {
    "housing": ("住房C/D级", Q(housing_grade__in=["C", "D"])),
    "water": ("饮水不安全", Q(water_safe=False)),
    "dropout": ("义务教育阶段失学辍学", Q(Exists(Member.objects.filter(household=OuterRef("pk"), out_of_school=True)))),
    "uninsured": ("有成员未参加医保", Q(Exists(Member.objects.filter(household=OuterRef("pk"), medical_insurance=False)))),
    "welfare": ("享受低保或特困供养", Q(minimum_living=True) | Q(destitute_support=True)),
    "medical": ("合规自付医疗支出≥1万元", Q(medical_out_of_pocket__gte=10000)),
}


def roster_villages_for(user) -> list[tuple[int, str, str]]:
    """The villages whose roster the user sees, in roster order: (pk, name, township name); kept
    with the user (evalprep.core.usercache)."""
    return kept_with_user(user, "villages", lambda: list(
        villages_visible_to(user).order_by("code").values_list("pk", "name", "township__name")
    ))


def roster_filtered(user, roster_filter: RosterFilter) -> QuerySet[Household]:
    households = _roster_matching(households_visible_to(user), roster_filter)
    return households.select_related("village__township", "group").order_by("village__code", "number")


# What the roster's counts read (a search and the flags read members too): see evalprep.core.counts.
ROSTER_COUNTED = (Household, Member, Village, Township)
ROSTER_COLUMNS = (
    "pk", "village_id", "number", "head_name", "group__name", "category", "monitoring_type", "member_count",
    "housing_grade", "phone",
)


def roster_listed(village_ids: list[int], roster_filter: RosterFilter) -> GroupedRows:
    """The filtered roster of these villages (the user's, in roster order), to page through as
    ROSTER_COLUMNS values. One count per village, read from the village index alone, gives the exact
    total and the villages a page spans; the page reads only those. The counts are kept per block of
    villages (evalprep.core.counts): a village's import counts its block again, not the county."""
    if roster_filter.village_id:
        village_ids = [pk for pk in village_ids if pk == roster_filter.village_id]
    households = _roster_matching(Household.objects.all(), roster_filter)
    per_village = dict(counted_per_village(
        lambda ids: households.filter(village_id__in=ids).values_list("village_id").annotate(n=Count("*")).order_by(),
        village_ids, *ROSTER_COUNTED,
    ))

    def read(villages: list[int], offset: int, limit: int) -> list[dict]:
        in_order = ("number",) if len(villages) == 1 else ("village__code", "number")  # one village: no join
        spanned = households.filter(village_id__in=villages).order_by(*in_order)
        return list(spanned.values(*ROSTER_COLUMNS)[offset:offset + limit])

    return GroupedRows([(pk, per_village[pk]) for pk in village_ids if pk in per_village], read)


def _roster_matching(households: QuerySet[Household], roster_filter: RosterFilter) -> QuerySet[Household]:
    f = roster_filter
    if f.village_id:
        households = households.filter(village_id=f.village_id)
    if f.group_id:
        households = households.filter(group_id=f.group_id)
    if f.category:
        households = households.filter(category=f.category)
    if f.monitoring_type:
        households = households.filter(monitoring_type=f.monitoring_type)
    if f.flag in FLAGS:
        households = households.filter(FLAGS[f.flag][1])
    query = f.query.strip()
    if query:
        if query.isdigit() or query[-1:] in "Xx" and query[:-1].isdigit():
            member_match = Member.objects.filter(household=OuterRef("pk"), id_number__endswith=query.upper())
        else:
            member_match = Member.objects.filter(household=OuterRef("pk"), name__contains=query)
        households = households.filter(Q(head_name__contains=query) | Q(Exists(member_match)) | Q(number__endswith=query))
    return households


def household_detail(household: Household) -> dict:
    # Explicit orders: the models' default ones start with the household's, which joins the village.
    members = sorted(household.members.order_by("pk"), key=lambda m: (m.relation != "户主", m.pk))
    incomes = list(household.incomes.order_by("year"))
    return {
        "members": members,
        "incomes": incomes,
        "income_chart": {
            "years": [str(i.year) for i in incomes],
            "per_capita": [float(i.net_income_per_capita) for i in incomes],
            "wage": [float(i.wage) for i in incomes],
            "business": [float(i.business) for i in incomes],
            "transfer": [float(i.transfer) for i in incomes],
        },
        "risks": list(household.risks.order_by("identified_on", "pk")),
        "measures": list(household.measures.order_by("started_on", "pk")),
        "events": list(household.monitoring_events.order_by("on", "pk")),
    }


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    subject: str
    action: str
    changes: list[str]


PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone, "helper_phone": mask_phone}
HISTORY_ACTIONS = {"+": "新建", "~": "修改", "-": "删除"}


def household_history(household: Household, *, limit: int = 60) -> list[HistoryEntry]:
    """The latest changes to the household, its members and its income, each
    with what changed. Three queries, whatever the length of the history, read
    as plain values rather than historical model objects."""
    sources = [
        (Household, household.history.all(), lambda row: "户信息"),
        (Member, Member.history.filter(household_id=household.pk), lambda row: f"成员 {row['name']}"),
        (IncomeYear, IncomeYear.history.filter(household_id=household.pk), lambda row: f"{row['year']}年收入"),
    ]
    entries = []
    for model, records, subject in sources:
        fields = _history_fields(model)
        rows = list(
            records.order_by("-history_date", "-history_id")
            .values(*(field.attname for field in fields), *_HISTORY_COLUMNS)[:limit]
        )
        previous_of = {}
        for row in reversed(rows):  # oldest first, so each record meets its predecessor
            entries.append(_history_entry(row, previous_of.get(row["id"]), fields, subject(row)))
            previous_of[row["id"]] = row
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


_HISTORY_COLUMNS = (
    "history_date", "history_type", "history_user__username", "history_user__first_name", "history_user__last_name",
)


@lru_cache(maxsize=None)
def _history_fields(model) -> tuple:
    """The model's fields its history keeps (the id among them), except the time of the last save."""
    kept = {field.attname for field in model.history.model._meta.fields}
    return tuple(field for field in model._meta.fields if field.attname in kept and field.attname != "updated_at")


def _history_entry(row: dict, previous: dict | None, fields: tuple, subject: str) -> HistoryEntry:
    changes = []
    if previous is not None and row["history_type"] == "~":
        for field in fields:
            name = field.attname
            old, new = previous[name], row[name]
            if old != new:
                mask = PERSONAL_FIELDS.get(name)
                if mask is not None:
                    old, new = mask(old) if old else old, mask(new) if new else new
                changes.append(f"{field.verbose_name}：{_shown(old)} → {_shown(new)}")
    full_name = f"{row['history_user__first_name'] or ''} {row['history_user__last_name'] or ''}".strip()
    return HistoryEntry(
        at=row["history_date"],
        user=full_name or row["history_user__username"] or "系统",
        subject=subject,
        action=HISTORY_ACTIONS.get(row["history_type"], row["history_type"]),
        changes=changes,
    )


def _shown(value) -> str:
    if value is None or value == "":
        return "空"
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


@dataclass
class HouseholdSnapshot:
    household: Household
    members: list[Member]


def household_as_of(household: Household, when: date) -> HouseholdSnapshot | None:
    """The household and its members as they stood at the end of `when`
    (None if the household was not registered yet)."""
    moment = timezone.make_aware(datetime.combine(when, time.max))
    try:
        past = household.history.as_of(moment)
    except Household.DoesNotExist:
        return None
    members = sorted(
        Member.history.as_of(moment).filter(household_id=household.pk),
        key=lambda m: (m.relation != "户主", m.pk),
    )
    return HouseholdSnapshot(household=past, members=members)
