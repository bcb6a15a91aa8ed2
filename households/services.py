"""Writes to the household registry: roster import, the monitoring workflow,
revealing personal data."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from evalprep.core.counts import rows_changed
from evalprep.core.errors import EvalprepError, ImportRejected
from evalprep.core.idnumber import mask_id_number
from evalprep.core.models import Village
from evalprep.core.services import audit_log
from evalprep.dossiers.services import ProgressFn
from evalprep.core.sheets import SheetError
from households.ledger import (
    SAME_HOUSEHOLD_MESSAGE,
    ParsedHousehold,
    ParsedMember,
    ParsedRoster,
    RowError,
    rejected_rows_workbook,
    roster_parse,
)
from households.models import (
    STEP_ORDER,
    Category,
    Household,
    ImportStatus,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    MonitoringStep,
    Relation,
    Risk,
    RosterImport,
)

MEMBER_FIELDS = [
    "name", "sex", "birth_date", "relation", "ethnicity", "phone", "health", "schooling", "out_of_school",
    "out_of_school_reason", "medical_insurance", "serious_illness_insurance", "disability_grade",
    "chronic_illness", "family_doctor_contract", "labour_capacity", "work_location",
]
ALWAYS_GIVEN = {"name", "sex", "birth_date", "relation"}
INCOME_FIELDS = ["household_size", "wage", "business", "property_income", "transfer", "production_costs", "net_income_per_capita"]
LOOKUP_CHUNK = 2000


@dataclass
class ImportPlan:
    """What taking in a parsed roster would do."""

    parsed: ParsedRoster
    errors: list[RowError]
    rejected_rows: set[int]
    group_ids: dict[int, int]
    new: list[ParsedHousehold] = field(default_factory=list)
    updated: list[ParsedHousehold] = field(default_factory=list)
    unchanged: list[ParsedHousehold] = field(default_factory=list)
    existing: "_Existing | None" = None

    @property
    def member_fields(self) -> list[str]:
        """The member fields the file gives: an update never blanks the others."""
        given = self.parsed.member_fields
        return [name for name in MEMBER_FIELDS if name in given or name in ALWAYS_GIVEN]

    @property
    def has_risks(self) -> bool:
        return any(key == "risks" or key.startswith("risk:") for key in self.parsed.columns.values())

    @property
    def has_measures(self) -> bool:
        return any(key == "measures" or key.startswith("measure:") for key in self.parsed.columns.values())


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def roster_import_preview(*, village: Village, content: bytes, filename: str, user, income_year: int) -> RosterImport:
    """Read and check a roster file and keep it with what importing it would do."""
    plan = roster_plan(village=village, content=content, filename=filename, income_year=income_year)
    record = RosterImport(
        village=village, user=user, filename=filename[:200], sha256=_sha256(content), income_year=income_year
    )
    _record_plan(record, plan)
    record.file.save(filename[-80:], ContentFile(content), save=False)
    record.full_clean(exclude=["village", "user"])  # instances at hand: checking that they exist took two queries
    record.save()
    return record


def roster_plan(*, village: Village, content: bytes, filename: str, income_year: int) -> ImportPlan:
    """What importing this file into the village would do, and every problem."""
    return _plan(village, _parse(content, filename, income_year))


# A previewed file is read once: its reading is kept this long for 导入 (applying it reads the very
# same file, and compares it with the registry again). Files of more than ROSTER_INLINE_ROWS rows are
# applied in the background, and read again there.
PARSED_KEEP_SECONDS = 15 * 60


def _parse(content: bytes, filename: str, income_year: int) -> ParsedRoster:
    """The file read and checked row by row; from the cache when the same file was read today (ID numbers
    are checked against today's date), else read now and kept for the apply."""
    key = f"roster-parse:{_sha256(content)}:{_sha256(filename.encode())}:{income_year}:{date.today()}"
    try:
        parsed = cache.get(key)
    except Exception:
        key, parsed = None, None
    if parsed is not None:
        return parsed
    reference = date(income_year, 12, 31)
    try:
        parsed = roster_parse(content, filename=filename, default_income_year=income_year, reference_date=reference)
    except SheetError as exc:
        raise ImportRejected(exc.message) from None
    if not parsed.data_rows:
        raise ImportRejected(f"「{filename}」里没有找到农户数据行，请确认表头下面填了数据。")
    if key and parsed.data_rows <= settings.ROSTER_INLINE_ROWS:
        try:
            cache.set(key, parsed, PARSED_KEEP_SECONDS)
        except Exception:
            pass  # the apply reads the file again
    return parsed


def _plan(village: Village, parsed: ParsedRoster) -> ImportPlan:
    """Compare a parsed file with the registry."""
    group_ids = dict(village.groups.values_list("number", "pk"))
    database_errors = _database_errors(village, parsed.households, group_ids)
    error_rows = {error.row for error in database_errors}
    # parsed.households holds the households the file itself found valid
    bad_households = {id(h) for h in parsed.households if error_rows.intersection(h.rows)}
    rejected = set(parsed.rejected_rows)
    for household in parsed.households:
        if id(household) in bad_households:
            rejected.update(household.rows)
    errors = parsed.errors + database_errors
    errors += _household_followups(parsed.households, bad_households, error_rows)
    plan = ImportPlan(parsed=parsed, errors=sorted(errors, key=lambda e: e.row), rejected_rows=rejected, group_ids=group_ids)
    _classify(village, [h for h in parsed.households if id(h) not in bad_households], plan)
    return plan


def _household_followups(households, bad_households, error_rows: set[int]) -> list[RowError]:
    """Rows of a household rejected by a registry check that have no error of their own."""
    followups = []
    for household in households:
        if id(household) not in bad_households:
            continue
        first_bad = min(row for row in household.rows if row in error_rows)
        for row in household.rows:
            if row not in error_rows:
                followups.append(RowError(row, "", "", SAME_HOUSEHOLD_MESSAGE.format(row=first_bad)))
    return followups


def _database_errors(village: Village, households: list[ParsedHousehold], group_ids: dict[int, int]) -> list[RowError]:
    """Checks that need the registry: unknown groups, people registered elsewhere."""
    errors = []
    for household in households:
        if household.group_number is not None and household.group_number not in group_ids:
            errors.append(RowError(
                household.rows[0], "村民小组", str(household.group_number),
                f"本村没有第{household.group_number}组，请核对组号，或先请乡村振兴局在组织架构中添加该组",
            ))
    members = {m.id_number: m for h in households for m in h.members}
    for chunk in _chunks(list(members), LOOKUP_CHUNK):
        elsewhere = (
            Member.objects.filter(id_number__in=chunk)
            .exclude(household__village=village)
            .values_list("id_number", "household__village__township__name", "household__village__name", "household__number")
        )
        for id_number, township, other_village, number in elsewhere:
            member = members[id_number]
            errors.append(RowError(
                member.row, "身份证号", member.id_number[:6] + "********" + member.id_number[-4:],
                f"此人已登记在{township}{other_village}（户编号 {number}），同一人不能在两个村登记；"
                f"如确已迁入本村，请先由原村将其移出",
            ))
    return errors


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class _Existing:
    households: dict[str, Household]
    members: dict[int, list[Member]]
    incomes: dict[tuple[int, int], IncomeYear]
    risks: dict[int, set[str]]
    measures: dict[int, set[tuple[str, str]]]


def _load_existing(village: Village, numbers: list[str]) -> _Existing:
    households = {}
    for chunk in _chunks(numbers, LOOKUP_CHUNK):
        households.update({h.number: h for h in Household.objects.filter(village=village, number__in=chunk)})
    ids = [h.pk for h in households.values()]
    members, incomes = defaultdict(list), {}
    risks, measures = defaultdict(set), defaultdict(set)
    for chunk in _chunks(ids, LOOKUP_CHUNK):
        for member in Member.objects.filter(household_id__in=chunk).order_by("pk"):
            members[member.household_id].append(member)
        for income in IncomeYear.objects.filter(household_id__in=chunk):
            incomes[(income.household_id, income.year)] = income
        for household_id, kind in Risk.objects.filter(household_id__in=chunk).values_list("household_id", "kind"):
            risks[household_id].add(kind)
        for household_id, kind, detail in Measure.objects.filter(household_id__in=chunk).values_list("household_id", "kind", "detail"):
            measures[household_id].add((kind, detail))
    return _Existing(households, members, incomes, risks, measures)


def _classify(village: Village, households: list[ParsedHousehold], plan: ImportPlan) -> None:
    existing = _load_existing(village, [h.number for h in households])
    plan.existing = existing
    for parsed in households:
        current = existing.households.get(parsed.number)
        if current is None:
            plan.new.append(parsed)
        elif _differs(parsed, current, existing, plan):
            plan.updated.append(parsed)
        else:
            plan.unchanged.append(parsed)


def _household_values(parsed: ParsedHousehold, group_ids: dict[int, int]) -> dict:
    values = dict(parsed.fields)
    values["member_count"] = len(parsed.members) if len(parsed.members) > 1 else values.get("member_count") or len(parsed.members)
    if parsed.group_number is not None:
        values["group_id"] = group_ids[parsed.group_number]
    if values.get("category") and values["category"] != Category.MONITORED:
        values["monitoring_type"] = ""
    return values


def _member_values(member: ParsedMember, fields: list[str]) -> dict:
    return {name: getattr(member, name) for name in fields}


def _income_values(parsed: ParsedHousehold) -> dict | None:
    income = parsed.income
    if income is None:
        return None
    size = max(len(parsed.members), parsed.fields.get("member_count") or 0, 1)
    values = {
        "household_size": size, "wage": income.wage, "business": income.business,
        "property_income": income.property_income, "transfer": income.transfer,
        "production_costs": income.production_costs,
    }
    values["net_income_per_capita"] = IncomeYear.per_capita(**values)
    return values


def _differs(parsed: ParsedHousehold, current: Household, existing: _Existing, plan: ImportPlan) -> bool:
    values = _household_values(parsed, plan.group_ids)
    if any(getattr(current, name) != value for name, value in values.items()):
        return True
    stored = {m.id_number: m for m in existing.members.get(current.pk, [])}
    if set(stored) != {m.id_number for m in parsed.members}:
        return True
    for member in parsed.members:
        row = stored[member.id_number]
        if any(getattr(row, name) != value for name, value in _member_values(member, plan.member_fields).items()):
            return True
    income = _income_values(parsed)
    if income is not None:
        stored_income = existing.incomes.get((current.pk, parsed.income.year))
        if stored_income is None or any(getattr(stored_income, k) != v for k, v in income.items()):
            return True
    if plan.has_risks and set(parsed.risks) != existing.risks.get(current.pk, set()):
        return True
    if plan.has_measures and set(parsed.measures) != existing.measures.get(current.pk, set()):
        return True
    return False


def _record_plan(record: RosterImport, plan: ImportPlan) -> None:
    parsed = plan.parsed
    record.layout = parsed.layout
    record.rows = parsed.data_rows
    record.new_households = len(plan.new)
    record.updated_households = len(plan.updated)
    record.unchanged_households = len(plan.unchanged)
    record.rejected_rows = len(plan.rejected_rows)
    record.unknown_columns = list(parsed.unknown_columns)
    record.report = {
        "errors": [[e.row, e.column, _masked(e.value), e.message] for e in plan.errors[:2000]],
        "error_count": len(plan.errors),
        "warnings": [[w.row, w.column, w.value, w.message] for w in parsed.warnings[:500]],
        "header_row": parsed.header_row,
    }


def _masked(value: str) -> str:
    """ID-like values are kept masked in the stored report, which readers see too."""
    digits = value.replace("X", "").replace("x", "")
    return mask_id_number(value) if len(value) >= 15 and digits.isdigit() else value


def roster_import_errors_workbook(*, record: RosterImport) -> bytes:
    """The rejected rows of a previewed file, with an error column, to fix and re-upload."""
    with record.file.open("rb") as handle:
        content = handle.read()
    plan = roster_plan(village=record.village, content=content, filename=record.filename, income_year=record.income_year)
    return roster_plan_errors_workbook(plan)


def roster_plan_errors_workbook(plan: ImportPlan) -> bytes:
    return rejected_rows_workbook(replace(plan.parsed, errors=plan.errors, rejected_rows=plan.rejected_rows))


def roster_import_apply(*, record: RosterImport, user, accept_valid: bool, progress: ProgressFn | None = None) -> RosterImport:
    """Take in a previewed roster: every valid household in one transaction."""
    progress = progress or (lambda percent, message: None)
    if record.status == ImportStatus.APPLIED:
        return record
    with record.file.open("rb") as handle:
        content = handle.read()
    if _sha256(content) != record.sha256:
        raise ImportRejected("保存的文件已损坏（校验值不符），请重新上传。")
    progress(5, "正在读取并校验文件")
    parsed = _parse(content, record.filename, record.income_year)
    progress(30, "正在与台账比对")
    with transaction.atomic():
        # The record is locked, and the comparison made, inside the transaction:
        # two clicks on 导入 take the file in once, against the registry as it is.
        locked = RosterImport.objects.select_for_update().get(pk=record.pk)
        if locked.status == ImportStatus.APPLIED:
            return locked
        # The village's households are locked too: an edit in the browser waits for
        # the import, then finds a newer version and is refused, not lost.
        list(Household.objects.select_for_update().filter(village=record.village).values_list("pk", flat=True))
        plan = _plan(record.village, parsed)
        if plan.rejected_rows and not accept_valid:
            raise ImportRejected(
                f"有 {len(plan.rejected_rows)} 行有错误。请改正后重新上传，或选择“先导入无误的行”。"
            )
        progress(40, "正在写入数据库")  # the last step others can see before the commit
        _write_plan(record.village, plan, user)
        rows_changed(Household, Member, village_ids=[record.village_id])
        _record_plan(record, plan)
        record.status = ImportStatus.APPLIED
        record.applied_at = timezone.now()
        record.save()
        audit_log(
            user=user, action="roster_imported", obj=record, county_id=record.village.township.county_id,
            detail=f"{record.filename}：新增{record.new_households}户，更新{record.updated_households}户，出错{record.rejected_rows}行",
        )
    progress(100, "导入完成")
    return record


def _write_plan(village: Village, plan: ImportPlan, user) -> None:
    existing = plan.existing
    new_households = [Household(village=village, number=p.number, **_household_values(p, plan.group_ids)) for p in plan.new]
    bulk_create_with_history(new_households, Household, default_user=user, batch_size=1000)
    created = {h.number: h for h in Household.objects.filter(village=village, number__in=[p.number for p in plan.new])} if plan.new else {}
    changed_households = []
    for parsed in plan.updated:
        household = existing.households[parsed.number]
        for name, value in _household_values(parsed, plan.group_ids).items():
            setattr(household, name, value)
        household.version += 1
        changed_households.append(household)
    if changed_households:
        fields = sorted({name for p in plan.updated for name in _household_values(p, plan.group_ids)} | {"version"})
        bulk_update_with_history(changed_households, Household, fields, default_user=user, batch_size=1000)
    targets = [(p, created[p.number]) for p in plan.new] + [(p, existing.households[p.number]) for p in plan.updated]
    _write_members(targets, existing, plan.member_fields, user)
    _write_household_details(targets, existing, plan, user)


def _write_members(targets, existing: _Existing, fields: list[str], user) -> None:
    by_id = {m.id_number: m for members in existing.members.values() for m in members}
    moving = [m.id_number for p, _ in targets for m in p.members if m.id_number not in by_id]
    for chunk in _chunks(moving, LOOKUP_CHUNK):  # people moving in from another household of this village
        for member in Member.objects.filter(id_number__in=chunk):
            by_id[member.id_number] = member
    to_create, to_update, keep = [], [], set()
    for parsed, household in targets:
        for member in parsed.members:
            keep.add(member.id_number)
            current = by_id.get(member.id_number)
            if current is None:
                to_create.append(Member(household=household, id_number=member.id_number, **_member_values(member, MEMBER_FIELDS)))
                continue
            values = _member_values(member, fields)
            if current.household_id != household.pk or any(getattr(current, k) != v for k, v in values.items()):
                current.household = household
                for name, value in values.items():
                    setattr(current, name, value)
                to_update.append(current)
    for parsed, household in targets:
        for member in existing.members.get(household.pk, []):
            if member.id_number not in keep:
                member.delete()  # rare; keeps its own history row
    if to_update:
        # Heads may change hands (户主 → 配偶 and back): neutral relations first, so
        # that no moment has two heads in one household.
        for chunk in _chunks([m.pk for m in to_update], LOOKUP_CHUNK):
            Member.objects.filter(pk__in=chunk).update(relation=Relation.OTHER)
        bulk_update_with_history(to_update, Member, ["household", *fields], default_user=user, batch_size=1000)
    bulk_create_with_history(to_create, Member, default_user=user, batch_size=1000)


def _write_household_details(targets, existing: _Existing, plan: ImportPlan, user) -> None:
    incomes_new, incomes_changed = [], []
    risks_new, measures_new, clear_risks, clear_measures = [], [], [], []
    for parsed, household in targets:
        values = _income_values(parsed)
        if values is not None:
            current = existing.incomes.get((household.pk, parsed.income.year))
            if current is None:
                incomes_new.append(IncomeYear(household=household, year=parsed.income.year, **values))
            elif any(getattr(current, k) != v for k, v in values.items()):
                for name, value in values.items():
                    setattr(current, name, value)
                incomes_changed.append(current)
        if plan.has_risks and set(parsed.risks) != existing.risks.get(household.pk, set()):
            clear_risks.append(household.pk)
            risks_new += [Risk(household=household, kind=kind, identified_on=parsed.fields.get("monitoring_since")) for kind in dict.fromkeys(parsed.risks)]
        if plan.has_measures and set(parsed.measures) != existing.measures.get(household.pk, set()):
            clear_measures.append(household.pk)
            measures_new += [Measure(household=household, kind=kind, detail=detail) for kind, detail in dict.fromkeys(parsed.measures)]
    bulk_create_with_history(incomes_new, IncomeYear, default_user=user, batch_size=1000)
    if incomes_changed:
        bulk_update_with_history(incomes_changed, IncomeYear, INCOME_FIELDS, default_user=user, batch_size=1000)
    for model, ids in ((Risk, clear_risks), (Measure, clear_measures)):
        for chunk in _chunks(ids, LOOKUP_CHUNK):
            for obj in model.objects.filter(household_id__in=chunk):
                obj.delete()
    bulk_create_with_history(risks_new, Risk, default_user=user, batch_size=1000)
    bulk_create_with_history(measures_new, Measure, default_user=user, batch_size=1000)


def monitoring_record_step(*, household: Household, step: str, on: date, by_name: str, user, note: str = "") -> MonitoringEvent:
    """Record the next step of the monitoring workflow, in order.

    Risk elimination needs the village review with public notice, the township
    check and the county approval first, each recorded with who and when.
    """
    done = list(household.monitoring_events.values_list("step", flat=True))
    position = STEP_ORDER.index(step)
    missing = [s for s in STEP_ORDER[:position] if s not in done]
    if step in done:
        raise EvalprepError(f"“{MonitoringStep(step).label}”已经记录过了。")
    if missing:
        labels = "、".join(str(MonitoringStep(s).label) for s in missing)
        raise EvalprepError(f"请先完成：{labels}，再记录“{MonitoringStep(step).label}”。")
    last = household.monitoring_events.order_by("-on").first()
    if last and on < last.on:
        raise EvalprepError(f"日期不能早于上一环节（{last.get_step_display()}，{last.on:%Y-%m-%d}）。")
    event = MonitoringEvent(household=household, step=step, on=on, by_name=by_name, recorded_by=user, note=note)
    event.full_clean()
    with transaction.atomic():
        event.save()
        if step == MonitoringStep.INCLUDED and household.category != Category.MONITORED:
            household.category = Category.MONITORED
            household.monitoring_since = household.monitoring_since or on
            household._change_reason = "纳入监测"
            household.save()
    return event


def personal_data_reveal(*, user, member: Member, field_name: str, ip_address: str | None) -> str:
    """The unmasked ID number or phone of a member, logged with who and when."""
    if field_name not in ("id_number", "phone"):
        raise EvalprepError("只能查看身份证号或联系电话。")
    audit_log(
        user=user, action=f"reveal_{field_name}", obj=member, ip_address=ip_address,
        county_id=member.household.village.township.county_id,
        detail=f"{member.household.village.name} {member.name}",
    )
    return getattr(member, field_name)


class HouseholdConflict(EvalprepError):
    """The household changed after the form was opened; nothing was saved."""


def household_update(*, household_id: int, expected_version: int, changes: dict, user) -> Household:
    """Save a cadre's edit, unless someone changed the household since the form was opened."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household_id)
        if household.version != expected_version:
            raise HouseholdConflict(_conflict_message(household))
        for name, value in changes.items():
            setattr(household, name, value)
        household.version += 1
        household.full_clean()
        household._change_reason = "网页修改"
        household._history_user = user
        household.save()
    return household


def _conflict_message(household: Household) -> str:
    latest = household.history.select_related("history_user").first()
    who = "有人"
    if latest is not None:
        person = latest.history_user
        name = (person.get_full_name() or person.username) if person else "系统导入"
        who = f"{name}于{timezone.localtime(latest.history_date):%m月%d日 %H:%M}"
    return (
        f"您打开这一页之后，{who}修改了这户的信息，您这次的修改没有保存，以免覆盖对方的修改。"
        "下面已换成最新的信息，请核对后重新填写您要改的内容。"
    )
