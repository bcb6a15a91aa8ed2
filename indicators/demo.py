"""Demo data: evidence on file for part of the demo county's checklist, in every state."""

import hashlib
import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfWriter

from evalprep.core.models import Campaign, County, RoleAssignment
from indicators.models import ChecklistRow, EvidenceFile, FileKind, RowStatus

# Share of rows in each state; townships further along the list lag behind.
STATES = (
    (RowStatus.ACCEPTED, 0.35), (RowStatus.SIGNED_OFF, 0.15), (RowStatus.SUBMITTED, 0.15),
    (RowStatus.RETURNED, 0.05), (RowStatus.MISSING, 0.30),
)
RETURN_REASONS = ("会议记录缺少签到表，请补齐后重新上传。", "文件日期不在评估年度内，请换成本年度的材料。", "扫描件不清晰，请重新扫描。")


def indicators_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Idempotent: a campaign that already has evidence on file is left as it is."""
    if EvidenceFile.objects.filter(row__campaign=campaign).exists():
        return
    rows = list(
        ChecklistRow.objects.filter(campaign=campaign, status=RowStatus.MISSING)
        .select_related("requirement", "county", "department", "township", "village__township").order_by("pk")
    )
    rng = random.Random(f"evidence-{seed}")
    bureau = RoleAssignment.objects.filter(county=county, role="coordinator").select_related("user").first()
    user = bureau.user if bureau else None
    content = _blank_pdf()
    digest = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    changed = []
    for row in rows:
        status = _state(rng, row)
        if status == RowStatus.MISSING:
            continue
        submitted = now - timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 600))
        evidence = EvidenceFile(
            row=row, original_name=f"{row.requirement.code}-{row.unit}.pdf"[-200:], sha256=digest, kind=FileKind.PDF,
            content_type="application/pdf", size=len(content), evidence_date=submitted.date(), uploaded_by=user,
            uploaded_at=submitted, note="演示材料",
        )
        evidence.file.save(evidence.original_name, ContentFile(content), save=True)
        row.status, row.submitted_at = status, submitted
        if status in (RowStatus.SIGNED_OFF, RowStatus.ACCEPTED):
            row.signed_off_at = submitted + timedelta(days=1)
        if status == RowStatus.ACCEPTED:
            row.accepted_by, row.accepted_at = user, submitted + timedelta(days=2)
        if status == RowStatus.RETURNED:
            row.return_reason = rng.choice(RETURN_REASONS)
        changed.append(row)
    ChecklistRow.objects.bulk_update(
        changed, ["status", "submitted_at", "signed_off_at", "accepted_by", "accepted_at", "return_reason"], batch_size=500,
    )


def _state(rng: random.Random, row: ChecklistRow) -> str:
    township = row.village.township if row.village_id else row.township
    lag = 0.12 * (int(township.code[6:9]) % 4) if township else 0.0
    if rng.random() < lag:
        return RowStatus.MISSING
    pick, total = rng.random(), 0.0
    for status, share in STATES:
        total += share
        if pick < total:
            return status
    return RowStatus.MISSING


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
