"""Writes for the indicators app: loading framework libraries, expanding a
campaign's checklist, local requirements, evidence uploads and the sign-off
workflow of a checklist row.

Row states: missing → submitted → signed_off (the unit's head; a village's rows
are approved by its township's head, 乡级审核盖章) → accepted by the bureau.
The bureau may return a submitted or signed-off row with a reason; a new upload
makes it submitted again. Every change of a row is kept by simple-history with
the user; sign-offs, acceptances and returns also go to the audit log.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from evalprep.core.errors import EvalprepError
from evalprep.core.models import Campaign, Department, DepartmentKind, RelocationSite, Township, Village
from evalprep.core.scoping import can_manage_county, can_write_department, can_write_township, can_write_village, scope_for
from evalprep.core.services import audit_log
from indicators.errors import ChecklistNotAllowed, EvidenceRejected, LibraryError
from indicators.filetypes import CONTENT_TYPES, file_kind_detect
from indicators.library import FrameworkSpec, library_read
from indicators.models import (
    LEVEL_CODES,
    UNIT_FIELDS,
    Area,
    ChecklistRow,
    EvidenceFile,
    EvidenceRequirement,
    Framework,
    Item,
    Level,
    RowStatus,
    VillageFilter,
)

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
LOCAL_ORDER_START = 1000
ACTIVE_REQUIREMENTS = Q(is_active=True, item__is_active=True)


# ---------------------------------------------------------------------------
# Framework libraries
# ---------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


@dataclass
class LoadResult:
    framework: Framework
    areas: Tally = field(default_factory=Tally)
    items: Tally = field(default_factory=Tally)
    requirements: Tally = field(default_factory=Tally)

    @property
    def changed(self) -> bool:
        return self.areas.changed or self.items.changed or self.requirements.changed


def framework_load(*, name: str, path: Path | None = None) -> LoadResult:
    """Load (or update) the library `name` from its data file; idempotent.

    Areas, items and requirements are matched by their codes and updated in
    place, so checklist rows and their evidence stay attached; a changed text
    becomes a new history record. What the file no longer lists is retired
    (is_active=False), never deleted. A campaign's local requirements are not
    touched. An older version than the one loaded is refused.
    """
    spec = library_read(name=name, path=path)
    values = _framework_values(spec)
    reason = f"导入{name}第{spec.version}版"
    with transaction.atomic():
        framework = Framework.objects.select_for_update().filter(name=name).first()
        if framework is not None and spec.version < framework.version:
            raise LibraryError(
                f"指标体系「{name}」已导入第{framework.version}版，不能用较旧的第{spec.version}版覆盖。"
            )
        created = framework is None
        framework = framework or Framework()
        changed = [field_name for field_name, value in values.items() if getattr(framework, field_name) != value]
        for field_name in changed:
            setattr(framework, field_name, values[field_name])
        if created:
            _library_save(framework, reason)
        result = LoadResult(framework=framework)
        _areas_sync(framework, spec, result, reason)
        if not created and (changed or result.changed):
            framework.loaded_at = timezone.now()
            _library_save(framework, reason)
    return result


def _framework_values(spec: FrameworkSpec) -> dict:
    return {
        "name": spec.name, "version": spec.version, "title": spec.title, "year": spec.year,
        "province": spec.province, "source": spec.source, "note": spec.note,
    }


def _areas_sync(framework: Framework, spec: FrameworkSpec, result: LoadResult, reason: str) -> None:
    areas = {area.code: area for area in framework.areas.all()}
    items = {item.code: item for item in Item.objects.filter(area__framework=framework)}
    requirements = {
        requirement.code: requirement
        for requirement in EvidenceRequirement.objects.filter(item__area__framework=framework, campaign__isnull=True)
    }
    seen_items, seen_requirements = set(), set()
    for area_spec in spec.areas:
        area = _upsert(
            areas.get(area_spec.code), Area,
            {"framework": framework, "code": area_spec.code, "title": area_spec.title, "focus": area_spec.focus,
             "order": area_spec.order},
            result.areas, reason,
        )
        for item_spec in area_spec.items:
            item = _upsert(
                items.get(item_spec.code), Item,
                {"area": area, "code": item_spec.code, "title": item_spec.title, "focus": item_spec.focus,
                 "check_note": item_spec.check_note, "thresholds": item_spec.thresholds, "order": item_spec.order,
                 "is_active": True},
                result.items, reason,
            )
            seen_items.add(item.code)
            for req in item_spec.requirements:
                _upsert(
                    requirements.get(req.code), EvidenceRequirement,
                    {"item": item, "campaign": None, "code": req.code, "mark": req.mark, "text": req.text,
                     "level": req.level, "departments": list(req.departments), "village_filter": req.village_filter,
                     "milestone_kind": req.milestone_kind, "source": req.source, "order": req.order, "is_active": True},
                    result.requirements, reason,
                )
                seen_requirements.add(req.code)
    _retire([i for code, i in items.items() if code not in seen_items], result.items, reason)
    _retire([r for code, r in requirements.items() if code not in seen_requirements], result.requirements, reason)


def _upsert(obj: Model | None, model: type[Model], values: dict, tally: Tally, reason: str) -> Model:
    if obj is None:
        obj = model(**values)
        tally.created += 1
    else:
        changed = [name for name, value in values.items() if _field_value(obj, name) != _key(value)]
        if not changed:
            tally.unchanged += 1
            return obj
        for name in changed:
            setattr(obj, name, values[name])
        tally.updated += 1
    _library_save(obj, reason)
    return obj


def _library_save(obj: Model, reason: str) -> None:
    obj._change_reason = reason
    # Codes were checked for duplicates when the file was read; the database enforces the constraints.
    obj.full_clean(validate_unique=False, validate_constraints=False)
    obj.save()


def _field_value(obj: Model, name: str):
    field_ = obj._meta.get_field(name)
    return getattr(obj, field_.attname) if field_.is_relation else getattr(obj, name)


def _key(value):
    return value.pk if isinstance(value, Model) else value


def _retire(objects: list[Model], tally: Tally, reason: str) -> None:
    for obj in objects:
        if obj.is_active:
            obj.is_active = False
            obj._change_reason = f"{reason}：已删去"
            obj.save(update_fields=["is_active"])
            tally.retired += 1


def campaign_framework(campaign: Campaign) -> Framework:
    """The loaded framework the campaign uses (Campaign.framework holds its name)."""
    if not campaign.framework:
        raise EvalprepError(f"「{campaign}」还没有选择指标体系。")
    framework = Framework.objects.filter(name=campaign.framework).first()
    if framework is None:
        raise EvalprepError(f"指标体系「{campaign.framework}」尚未导入，请先导入（load_framework {campaign.framework}）。")
    return framework


def campaign_framework_assign(*, campaign: Campaign, framework: Framework, user=None) -> Campaign:
    """Point a campaign at a framework; refused once it has checklist rows of another one."""
    if campaign.framework == framework.name:
        return campaign
    if campaign.checklist_rows.exists():
        raise EvalprepError(
            f"「{campaign}」已按指标体系「{campaign.framework}」生成了佐证清单，不能改用「{framework.name}」。"
        )
    campaign.framework = framework.name
    campaign.full_clean()
    campaign.save(update_fields=["framework"])
    audit_log(user=user, action="campaign_framework_set", obj=campaign, county_id=campaign.county_id, detail=framework.name)
    return campaign


# ---------------------------------------------------------------------------
# Checklist expansion and local requirements
# ---------------------------------------------------------------------------


def checklist_expand(*, campaign: Campaign, user=None) -> int:
    """Give every active requirement one row per responsible unit; idempotent.

    County requirements get one row for the county (held by the bureau),
    department ones one row per named department that the county has, township
    ones one per township, village ones one per village (or per village with a
    relocation site). Rows no longer wanted are deleted only while nothing was
    ever uploaded (status missing); rows with evidence always stay. Returns the
    number of rows created.
    """
    framework = campaign_framework(campaign)
    requirements = list(
        EvidenceRequirement.objects.filter(ACTIVE_REQUIREMENTS, item__area__framework=framework)
        .filter(Q(campaign__isnull=True) | Q(campaign=campaign))
        .only("pk", "level", "departments", "village_filter", "milestone_kind")
    )
    wanted = _wanted_rows(campaign, requirements)
    existing = {}
    for pk, requirement_id, level, *units, status in ChecklistRow.objects.filter(campaign=campaign).values_list(
        "pk", "requirement_id", "level", *(f"{unit}_id" for unit in UNIT_FIELDS), "status"
    ):
        existing[(requirement_id, level, next(u for u in units if u is not None))] = (pk, status)
    milestones = _milestones_by_kind(campaign)
    kinds = {requirement.pk: requirement.milestone_kind for requirement in requirements}
    new_rows = [
        ChecklistRow(
            campaign=campaign, requirement_id=requirement_id, level=level, **{f"{level}_id": unit_id},
            milestone=milestones.get(kinds[requirement_id]),
        )
        for requirement_id, level, unit_id in wanted
        if (requirement_id, level, unit_id) not in existing
    ]
    unwanted = [pk for key, (pk, status) in existing.items() if key not in wanted and status == RowStatus.MISSING]
    with transaction.atomic():
        bulk_create_with_history(new_rows, ChecklistRow, default_user=user, batch_size=500)
        if unwanted:
            ChecklistRow.objects.filter(pk__in=unwanted, status=RowStatus.MISSING, files__isnull=True).delete()
        _milestones_link(campaign, milestones, user)
    return len(new_rows)


def _wanted_rows(campaign: Campaign, requirements: list[EvidenceRequirement]) -> set[tuple[int, str, int]]:
    county = campaign.county_id
    departments = dict(Department.objects.filter(county_id=county).values_list("kind", "pk"))
    townships = list(Township.objects.filter(county_id=county).values_list("pk", flat=True))
    villages = list(
        Village.objects.filter(township__county_id=county)
        .annotate(relocation=Exists(RelocationSite.objects.filter(village=OuterRef("pk"))))
        .values_list("pk", "relocation")
    )
    wanted = set()
    for requirement in requirements:
        level = requirement.level
        if level == Level.COUNTY:
            units = [county]
        elif level == Level.DEPARTMENT:
            units = [departments[kind] for kind in requirement.departments if kind in departments]
        elif level == Level.TOWNSHIP:
            units = townships
        elif requirement.village_filter == VillageFilter.RELOCATION:
            units = [pk for pk, relocation in villages if relocation]
        else:
            units = [pk for pk, _ in villages]
        wanted.update((requirement.pk, level, unit) for unit in units)
    return wanted


def _milestones_by_kind(campaign: Campaign) -> dict:
    milestones = {}
    for milestone in campaign.milestones.order_by("-due_date", "-pk"):
        milestones[milestone.kind] = milestone  # the earliest of each kind wins
    return milestones


def _milestones_link(campaign: Campaign, milestones: dict, user) -> None:
    """Attach rows to a milestone created after they were."""
    rows = list(
        ChecklistRow.objects.filter(campaign=campaign, milestone__isnull=True, requirement__milestone_kind__in=milestones)
        .select_related("requirement")
    )
    for row in rows:
        row.milestone = milestones[row.requirement.milestone_kind]
    if rows:
        bulk_update_with_history(rows, ChecklistRow, ["milestone"], default_user=user, batch_size=500)


def local_requirement_add(
    *, campaign: Campaign, item: Item, text: str, level: str, user, departments: Sequence[str] = (),
    village_filter: str = VillageFilter.ALL,
) -> EvidenceRequirement:
    """The bureau adds a requirement of its own to the campaign; its rows are expanded at once."""
    if not can_manage_county(user, campaign.county_id):
        raise ChecklistNotAllowed("只有乡村振兴局统筹人员可以增加本地佐证要求。")
    if item.area.framework.name != campaign.framework:
        raise EvalprepError("该指标不属于本评估年度使用的指标体系。")
    text = text.strip()
    if not text:
        raise EvalprepError("请填写检查内容。")
    if level not in Level.values:
        raise EvalprepError("请选择资料保存层级（县级、部门、乡镇或行政村）。")
    unknown = [kind for kind in departments if kind not in DepartmentKind.values]
    if unknown or (level == Level.DEPARTMENT and not departments):
        raise EvalprepError("部门保存的要求须选择一个或几个责任部门。")
    with transaction.atomic():
        number = EvidenceRequirement.objects.filter(item=item, campaign=campaign).count() + 1
        requirement = EvidenceRequirement(
            item=item, campaign=campaign, code=f"{item.code}.L{number}-{LEVEL_CODES[level]}", text=text, level=level,
            departments=list(departments), village_filter=village_filter, order=LOCAL_ORDER_START + number,
            source="本地增加", created_by=user,
        )
        requirement._history_user = user
        requirement.full_clean()
        requirement.save()
        audit_log(
            user=user, action="local_requirement_added", obj=requirement, county_id=campaign.county_id,
            detail=f"{requirement.code} {text[:80]}",
        )
        checklist_expand(campaign=campaign, user=user)
    return requirement


# ---------------------------------------------------------------------------
# Evidence and the row workflow
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedFile:
    name: str
    content: bytes
    kind: str
    sha256: str


_REFUSED = {
    ("submit", RowStatus.SIGNED_OFF): "该项材料已经负责人审核，不能再改动；如需修改，请联系乡村振兴局退回。",
    ("submit", RowStatus.ACCEPTED): "该项材料已经验收，不能再改动。",
    ("sign_off", RowStatus.MISSING): "该项还没有上传佐证材料，不能审核。",
    ("sign_off", RowStatus.SIGNED_OFF): "该项材料已经审核过了。",
    ("sign_off", RowStatus.ACCEPTED): "该项材料已经验收，不需要再审核。",
    ("sign_off", RowStatus.RETURNED): "该项材料已被退回，须经办人修改并重新提交后再审核。",
    ("accept", RowStatus.MISSING): "该项还没有上传佐证材料，不能验收。",
    ("accept", RowStatus.SUBMITTED): "该项材料尚未经单位负责人审核（村级材料须经乡镇审核盖章），不能验收。",
    ("accept", RowStatus.ACCEPTED): "该项材料已经验收过了。",
    ("accept", RowStatus.RETURNED): "该项材料已被退回，等待重新提交，不能验收。",
    ("return", RowStatus.MISSING): "该项还没有上传佐证材料，无需退回。",
    ("return", RowStatus.ACCEPTED): "该项材料已经验收，不能退回。",
    ("return", RowStatus.RETURNED): "该项材料已经退回，正等待重新提交。",
}


def _state_check(row: ChecklistRow, action: str) -> None:
    message = _REFUSED.get((action, row.status))
    if message:
        raise EvalprepError(message)


def evidence_submit(
    *, row: ChecklistRow, files: Sequence[File], note: str, evidence_date: date, user
) -> list[EvidenceFile]:
    """A member of the row's unit uploads one or more files; the row becomes submitted.

    Each file's type is judged by its content (PDF, PNG, JPEG, docx, xlsx, doc,
    xls), never by its name; at most 20 MB each; the same content twice in one
    row is refused. `evidence_date` is the date of the material itself, not of
    the upload. Virus scanning is out of scope (left to the server's own tools).
    """
    _member_check(row, user)
    _state_check(row, "submit")
    if not files:
        raise EvidenceRejected("请至少选择一个文件。")
    if evidence_date > timezone.localdate():
        raise EvidenceRejected("材料日期不能晚于今天。")
    checked = [_evidence_check(file) for file in files]
    known = set(row.files.values_list("sha256", flat=True))
    for item in checked:
        if item.sha256 in known:
            raise EvidenceRejected(f"「{item.name}」已经上传过了（内容相同）。")
        known.add(item.sha256)
    now = timezone.now()
    with transaction.atomic():
        saved = []
        for item in checked:
            evidence = EvidenceFile(
                row=row, original_name=item.name[-200:], sha256=item.sha256, kind=item.kind,
                content_type=CONTENT_TYPES[item.kind], size=len(item.content), note=note.strip(),
                evidence_date=evidence_date, uploaded_by=user, uploaded_at=now,
            )
            evidence.file.save(item.name, ContentFile(item.content), save=False)
            evidence._history_user = user
            evidence.full_clean()
            evidence.save()
            saved.append(evidence)
        row.status = RowStatus.SUBMITTED
        row.submitted_at = now
        row.return_reason = ""
        _row_save(row, user, f"上传{len(saved)}个文件")
    return saved


def _evidence_check(file: File) -> _CheckedFile:
    name = Path(file.name or "未命名").name
    size = getattr(file, "size", None)
    if size is not None and size > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected(_too_big(name, size))
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(MAX_EVIDENCE_BYTES + 1)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected(_too_big(name, len(content)))
    if not content:
        raise EvidenceRejected(f"「{name}」是空文件。")
    kind = file_kind_detect(content)
    if kind is None:
        raise EvidenceRejected(
            f"「{name}」不是可以接受的文件类型（按文件内容判断，与文件名无关）。"
            "只接受 PDF、JPG/PNG 图片、Word（doc、docx）和 Excel（xls、xlsx）文件。"
        )
    return _CheckedFile(name=name, content=content, kind=kind, sha256=hashlib.sha256(content).hexdigest())


def _too_big(name: str, size: int) -> str:
    return (
        f"「{name}」有 {size / 1024 / 1024:.1f} MB，超过了 {MAX_EVIDENCE_BYTES // 1024 // 1024} MB 的上限，"
        "请压缩或拆分后再上传。"
    )


def evidence_file_remove(*, evidence: EvidenceFile, user) -> ChecklistRow:
    """Take back a wrong file before sign-off; the last one gone makes the row missing again.

    The record's history keeps who removed it and when; the stored file stays.
    """
    row = evidence.row
    _member_check(row, user)
    _state_check(row, "submit")
    with transaction.atomic():
        evidence._history_user = user
        evidence.delete()
        if row.status == RowStatus.SUBMITTED and not row.files.exists():
            row.status = RowStatus.MISSING
            row.submitted_at = None
            _row_save(row, user, f"删除文件「{evidence.original_name}」")
    return row


def checklist_row_sign_off(*, row: ChecklistRow, user) -> ChecklistRow:
    """The unit's head signs off (审核签字); for a village row, its township's head (乡级审核盖章)."""
    _head_check(row, user)
    _state_check(row, "sign_off")
    row.status = RowStatus.SIGNED_OFF
    row.signed_off_by, row.signed_off_at = user, timezone.now()
    return _row_transition(row, user, action="evidence_signed_off", reason="负责人审核")


def checklist_row_accept(*, row: ChecklistRow, user) -> ChecklistRow:
    """The bureau accepts a signed-off row."""
    _coordinator_check(row, user, "验收")
    _state_check(row, "accept")
    row.status = RowStatus.ACCEPTED
    row.accepted_by, row.accepted_at = user, timezone.now()
    return _row_transition(row, user, action="evidence_accepted", reason="验收")


def checklist_row_return(*, row: ChecklistRow, user, reason: str) -> ChecklistRow:
    """The bureau returns a submitted or signed-off row with a reason; the sign-off lapses."""
    _coordinator_check(row, user, "退回")
    _state_check(row, "return")
    reason = reason.strip()
    if not reason:
        raise EvalprepError("请填写退回原因，让经办人知道要改什么。")
    row.status = RowStatus.RETURNED
    row.return_reason = reason
    row.signed_off_by = row.signed_off_at = None
    return _row_transition(row, user, action="evidence_returned", reason=f"退回：{reason[:80]}")


def _row_transition(row: ChecklistRow, user, *, action: str, reason: str) -> ChecklistRow:
    with transaction.atomic():
        _row_save(row, user, reason)
        audit_log(
            user=user, action=action, obj=row, county_id=row.campaign.county_id,
            detail=f"{row.requirement.code} {row.unit}：{reason}",
        )
    return row


def _row_save(row: ChecklistRow, user, reason: str) -> None:
    row._history_user = user
    row._change_reason = reason[:100]
    row.full_clean()
    row.save()


def _member_check(row: ChecklistRow, user) -> None:
    level = row.level
    if level == Level.VILLAGE:
        allowed = can_write_village(user, row.village)
    elif level == Level.TOWNSHIP:
        allowed = can_write_township(user, row.township)
    elif level == Level.DEPARTMENT:
        allowed = can_write_department(user, row.department)
    else:
        allowed = can_manage_county(user, row.county_id)
    if not allowed:
        raise ChecklistNotAllowed(f"您不是{row.unit}的经办人员，不能上传或改动该项佐证材料。")


def _head_check(row: ChecklistRow, user) -> None:
    scope = scope_for(user)
    level = row.level
    if level == Level.VILLAGE:
        township = row.village.township
        if township.pk not in scope.head_township_ids:
            raise ChecklistNotAllowed(f"村级材料须由{township.name}负责人审核盖章。")
    elif level == Level.TOWNSHIP:
        if row.township_id not in scope.head_township_ids:
            raise ChecklistNotAllowed(f"乡镇材料须由{row.township.name}负责人审核签字。")
    elif level == Level.DEPARTMENT:
        if row.department_id not in scope.head_department_ids:
            raise ChecklistNotAllowed(f"部门材料须由{row.department.name}负责人审核签字。")
    elif not Department.objects.filter(
        county_id=row.county_id, kind=DepartmentKind.BUREAU, pk__in=scope.head_department_ids
    ).exists():
        raise ChecklistNotAllowed("县级材料须由乡村振兴局负责人审核签字。")


def _coordinator_check(row: ChecklistRow, user, what: str) -> None:
    if not can_manage_county(user, row.campaign.county_id):
        raise ChecklistNotAllowed(f"只有乡村振兴局统筹人员可以{what}佐证材料。")
