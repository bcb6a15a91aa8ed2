from datetime import timedelta

import pytest
from django.utils import timezone

from evalprep.core.errors import EvalprepError
from evalprep.core.models import AuditEvent, Department, DepartmentKind, Role
from indicators.errors import ChecklistNotAllowed, EvidenceRejected
from indicators.models import ChecklistRow, EvidenceFile, FileKind, RowStatus
from indicators.services import (
    MAX_EVIDENCE_BYTES,
    checklist_row_accept,
    checklist_row_return,
    checklist_row_sign_off,
    evidence_file_remove,
    evidence_submit,
)
from tests.factories import make_user
from tests.indicators.conftest import (
    DOCM_MAIN,
    DOCX_MAIN,
    EVIDENCE_DATE,
    EXE,
    OLE2,
    PDF,
    image_bytes,
    ooxml_bytes,
    upload,
    xlsx_bytes,
)

# --- the state machine on a village row -------------------------------------
# cadre of V1 uploads, the head of T1 approves (乡级审核盖章), the bureau accepts or returns.


def _submit(world, row, name="会议记录.pdf", content=PDF):
    return evidence_submit(
        row=row, files=[upload(name, content)], note="", evidence_date=EVIDENCE_DATE, user=world.users["village_cadre"]
    )


ACTIONS = {
    "submit": lambda world, row: _submit(world, row, name=f"补充{timezone.now().timestamp()}.pdf",
                                         content=PDF + str(timezone.now().timestamp()).encode()),
    "sign_off": lambda world, row: checklist_row_sign_off(row=row, user=world.users["township_head"]),
    "accept": lambda world, row: checklist_row_accept(row=row, user=world.users["coordinator"]),
    "return": lambda world, row: checklist_row_return(row=row, user=world.users["coordinator"], reason="缺少会议签到表"),
}
PATHS = {
    RowStatus.MISSING: [],
    RowStatus.SUBMITTED: ["submit"],
    RowStatus.SIGNED_OFF: ["submit", "sign_off"],
    RowStatus.ACCEPTED: ["submit", "sign_off", "accept"],
    RowStatus.RETURNED: ["submit", "return"],
}
ALLOWED = {
    ("submit", RowStatus.MISSING): RowStatus.SUBMITTED,
    ("submit", RowStatus.SUBMITTED): RowStatus.SUBMITTED,
    ("submit", RowStatus.RETURNED): RowStatus.SUBMITTED,
    ("sign_off", RowStatus.SUBMITTED): RowStatus.SIGNED_OFF,
    ("accept", RowStatus.SIGNED_OFF): RowStatus.ACCEPTED,
    ("return", RowStatus.SUBMITTED): RowStatus.RETURNED,
    ("return", RowStatus.SIGNED_OFF): RowStatus.RETURNED,
}
REFUSED = {
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


def test_the_tables_cover_every_action_from_every_state():
    pairs = {(action, status) for action in ACTIONS for status in RowStatus}
    assert set(ALLOWED) | set(REFUSED) == pairs and not set(ALLOWED) & set(REFUSED)


def _row_in(world, row: ChecklistRow, status: str) -> ChecklistRow:
    for action in PATHS[status]:
        ACTIONS[action](world, row)
    row.refresh_from_db()
    assert row.status == status
    return row


@pytest.mark.parametrize(("action", "start"), sorted(ALLOWED))
def test_allowed_transition(tiny, world, action, start):
    row = _row_in(world, tiny.village, start)
    ACTIONS[action](world, row)
    row.refresh_from_db()
    assert row.status == ALLOWED[(action, start)]


@pytest.mark.parametrize(("action", "start"), sorted(REFUSED))
def test_refused_transition(tiny, world, action, start):
    row = _row_in(world, tiny.village, start)
    history = row.history.count()
    with pytest.raises(EvalprepError) as error:
        ACTIONS[action](world, row)
    assert error.value.message == REFUSED[(action, start)]
    row.refresh_from_db()
    assert row.status == start and row.history.count() == history


def test_every_change_is_kept_with_who_and_when(tiny, world):
    row = tiny.village
    _submit(world, row)
    checklist_row_sign_off(row=row, user=world.users["township_head"])
    checklist_row_return(row=row, user=world.users["coordinator"], reason="日期不对")
    assert (row.signed_off_by, row.return_reason) == (None, "日期不对")
    _submit(world, row, name="改正.pdf", content=PDF + b"%fixed")
    assert row.return_reason == ""
    checklist_row_sign_off(row=row, user=world.users["township_head"])
    checklist_row_accept(row=row, user=world.users["coordinator"])

    history = list(row.history.order_by("history_date", "history_id"))
    assert [(h.status, h.history_user.username if h.history_user else None) for h in history] == [
        (RowStatus.MISSING, None),
        (RowStatus.SUBMITTED, "village_cadre"),
        (RowStatus.SIGNED_OFF, "township_head"),
        (RowStatus.RETURNED, "coordinator"),
        (RowStatus.SUBMITTED, "village_cadre"),
        (RowStatus.SIGNED_OFF, "township_head"),
        (RowStatus.ACCEPTED, "coordinator"),
    ]
    assert history[3].return_reason == "日期不对" and history[3].history_change_reason == "退回：日期不对"
    assert row.accepted_by == world.users["coordinator"] and row.signed_off_by == world.users["township_head"]
    events = AuditEvent.objects.filter(object_type=row._meta.label, object_id=str(row.pk))  # not the campaign's of that pk
    assert list(events.order_by("at", "pk").values_list("action", flat=True)) == [
        "evidence_signed_off", "evidence_returned", "evidence_signed_off", "evidence_accepted",
    ]


def test_a_return_needs_a_reason(tiny, world):
    row = _row_in(world, tiny.village, RowStatus.SIGNED_OFF)
    with pytest.raises(EvalprepError, match="请填写退回原因"):
        checklist_row_return(row=row, user=world.users["coordinator"], reason="  ")


# --- who may do what -------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "user", "message"),
    [
        ("village", "department_staff", "您不是甲县第1镇1村的经办人员，不能上传或改动该项佐证材料。"),
        ("village", "other_coordinator", "您不是甲县第1镇1村的经办人员，不能上传或改动该项佐证材料。"),
        ("township", "village_cadre", "您不是甲县第1镇的经办人员，不能上传或改动该项佐证材料。"),
        ("department", "township_staff", "您不是教育局的经办人员，不能上传或改动该项佐证材料。"),
        ("county", "department_head", "您不是甲县的经办人员，不能上传或改动该项佐证材料。"),
        ("county", "leader", "您不是甲县的经办人员，不能上传或改动该项佐证材料。"),
    ],
)
def test_only_the_units_own_people_upload(tiny, world, level, user, message):
    with pytest.raises(ChecklistNotAllowed) as error:
        evidence_submit(
            row=getattr(tiny, level), files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE,
            user=world.users[user],
        )
    assert error.value.message == message


@pytest.mark.parametrize(
    ("level", "uploader"),
    [("village", "village_cadre"), ("village", "township_staff"), ("township", "township_staff"),
     ("department", "department_staff"), ("county", "coordinator")],
)
def test_the_units_own_people_upload(tiny, world, level, uploader):
    row = getattr(tiny, level)
    evidence_submit(row=row, files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE, user=world.users[uploader])
    assert row.status == RowStatus.SUBMITTED


@pytest.mark.parametrize(
    ("level", "user", "message"),
    [
        ("village", "village_cadre", "村级材料须由甲县第1镇负责人审核盖章。"),
        ("village", "township_staff", "村级材料须由甲县第1镇负责人审核盖章。"),
        ("township", "township_staff", "乡镇材料须由甲县第1镇负责人审核签字。"),
        ("department", "department_staff", "部门材料须由教育局负责人审核签字。"),
        ("department", "township_head", "部门材料须由教育局负责人审核签字。"),
        ("county", "coordinator", "县级材料须由乡村振兴局负责人审核签字。"),
        ("county", "department_head", "县级材料须由乡村振兴局负责人审核签字。"),
    ],
)
def test_only_the_units_head_signs_off(tiny, world, level, user, message):
    row = getattr(tiny, level)
    uploader = {"village": "village_cadre", "township": "township_staff", "department": "department_staff",
                "county": "coordinator"}[level]
    evidence_submit(row=row, files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE, user=world.users[uploader])
    with pytest.raises(ChecklistNotAllowed) as error:
        checklist_row_sign_off(row=row, user=world.users[user])
    assert error.value.message == message


def test_heads_sign_off_their_units_rows(tiny, world):
    bureau = Department.objects.create(county=world.county, kind=DepartmentKind.BUREAU, name="乡村振兴局")
    bureau_head = make_user("bureau_head", role=Role.DEPARTMENT_HEAD, county=world.county, department=bureau)
    for level, uploader, head in [
        ("township", "township_staff", world.users["township_head"]),
        ("department", "department_staff", world.users["department_head"]),
        ("county", "coordinator", bureau_head),
    ]:
        row = getattr(tiny, level)
        evidence_submit(row=row, files=[upload("a.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE, user=world.users[uploader])
        checklist_row_sign_off(row=row, user=head)
        assert row.status == RowStatus.SIGNED_OFF and row.signed_off_by == head


@pytest.mark.parametrize("user", ["township_head", "leader", "other_coordinator", "department_head"])
def test_only_the_bureau_accepts_or_returns(tiny, world, user):
    row = _row_in(world, tiny.village, RowStatus.SIGNED_OFF)
    with pytest.raises(ChecklistNotAllowed, match="只有乡村振兴局统筹人员可以验收佐证材料。"):
        checklist_row_accept(row=row, user=world.users[user])
    with pytest.raises(ChecklistNotAllowed, match="只有乡村振兴局统筹人员可以退回佐证材料。"):
        checklist_row_return(row=row, user=world.users[user], reason="不清楚")


# --- files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("会议记录.pdf", PDF, FileKind.PDF),
        ("照片.jpg", image_bytes("JPEG"), FileKind.JPEG),
        ("截图.png", image_bytes("PNG"), FileKind.PNG),
        ("扫描件.pdf", image_bytes("PNG", "blue"), FileKind.PNG),  # named .pdf, is a PNG: taken as PNG
        ("名单.xlsx", xlsx_bytes(), FileKind.XLSX),
        ("名单", xlsx_bytes(), FileKind.XLSX),
        ("总结.docx", ooxml_bytes(DOCX_MAIN, "word/document.xml"), FileKind.DOCX),
        ("总结.doc", OLE2 + "WordDocument".encode("utf-16-le"), FileKind.DOC),
        ("台账.xls", OLE2 + "Workbook".encode("utf-16-le"), FileKind.XLS),
    ],
)
def test_the_file_type_comes_from_the_content(tiny, world, name, content, kind):
    [evidence] = evidence_submit(
        row=tiny.village, files=[upload(name, content)], note="三季度", evidence_date=EVIDENCE_DATE,
        user=world.users["village_cadre"],
    )
    evidence.refresh_from_db()
    assert (evidence.kind, evidence.original_name, evidence.size) == (kind, name, len(content))
    assert evidence.file.name.endswith(f".{kind}") and evidence.file.read() == content
    assert (evidence.note, evidence.evidence_date, evidence.uploaded_by) == ("三季度", EVIDENCE_DATE, world.users["village_cadre"])
    assert timezone.localtime(evidence.uploaded_at).date() == timezone.localdate() != evidence.evidence_date


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("扫描件.pdf", EXE),  # a program renamed .pdf
        ("总结.docx", b"PK\x03\x04" + b"not really a zip"),
        ("宏.docx", ooxml_bytes(DOCM_MAIN, "word/document.xml")),
        ("演示.doc", OLE2 + "PowerPoint Document".encode("utf-16-le")),
        ("说明.txt", "这是一段文字".encode()),
    ],
)
def test_other_content_is_refused_whatever_the_name(tiny, world, name, content):
    with pytest.raises(EvidenceRejected, match=f"「{name}」不是可以接受的文件类型（按文件内容判断，与文件名无关）"):
        evidence_submit(
            row=tiny.village, files=[upload("好文件.pdf", PDF), upload(name, content)], note="",
            evidence_date=EVIDENCE_DATE, user=world.users["village_cadre"],
        )
    assert not EvidenceFile.objects.exists()  # nothing of the batch is kept
    tiny.village.refresh_from_db()
    assert tiny.village.status == RowStatus.MISSING


def test_files_over_20_mb_are_refused(tiny, world):
    content = PDF + b"0" * (MAX_EVIDENCE_BYTES - len(PDF))
    evidence_submit(row=tiny.village, files=[upload("刚好.pdf", content)], note="", evidence_date=EVIDENCE_DATE,
                    user=world.users["village_cadre"])
    with pytest.raises(EvidenceRejected, match="「过大.pdf」有 20.0 MB，超过了 20 MB 的上限"):
        evidence_submit(row=tiny.village, files=[upload("过大.pdf", content + b"1")], note="",
                        evidence_date=EVIDENCE_DATE, user=world.users["village_cadre"])


@pytest.mark.parametrize(
    ("files", "days", "message"),
    [
        ([], 0, "请至少选择一个文件。"),
        ([("空.pdf", b"")], 0, "「空.pdf」是空文件。"),
        ([("a.pdf", PDF), ("b.pdf", PDF)], 0, "「b.pdf」已经上传过了（内容相同）。"),
        ([("a.pdf", PDF)], 1, "材料日期不能晚于今天。"),
    ],
)
def test_an_upload_is_refused_when(tiny, world, files, days, message):
    with pytest.raises(EvidenceRejected) as error:
        evidence_submit(
            row=tiny.village, files=[upload(name, content) for name, content in files], note="",
            evidence_date=timezone.localdate() + timedelta(days=days), user=world.users["village_cadre"],
        )
    assert error.value.message == message


def test_a_wrong_file_is_taken_back_before_sign_off(tiny, world):
    row = tiny.village
    [first] = _submit(world, row)
    [second] = _submit(world, row, name="另一份.pdf", content=PDF + b"%2")
    evidence_file_remove(evidence=first, user=world.users["village_cadre"])
    assert row.status == RowStatus.SUBMITTED and list(row.files.all()) == [second]
    evidence_file_remove(evidence=second, user=world.users["village_cadre"])
    row.refresh_from_db()
    assert row.status == RowStatus.MISSING and not row.files.exists()
    removed = EvidenceFile.history.filter(history_type="-").order_by("history_date")
    assert [(h.original_name, h.history_user.username) for h in removed] == [
        ("会议记录.pdf", "village_cadre"), ("另一份.pdf", "village_cadre"),
    ]

    [third] = _submit(world, row)
    checklist_row_sign_off(row=row, user=world.users["township_head"])
    with pytest.raises(EvalprepError, match="已经负责人审核，不能再改动"):
        evidence_file_remove(evidence=third, user=world.users["village_cadre"])
    with pytest.raises(ChecklistNotAllowed):
        evidence_file_remove(evidence=third, user=world.users["department_staff"])
