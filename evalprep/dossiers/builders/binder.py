"""Evidence binders: every file on record for a unit (or only its policy
documents: the policy compilation), merged behind a cover and a contents page.

PDFs are appended as they are, images are placed one per page; Word and Excel
files cannot be printed here, so the contents names them as kept separately.
"""

import io
from dataclasses import dataclass

from django.db.models import Q
from django.template.loader import render_to_string

from evalprep.core.errors import DossierError
from evalprep.dossiers.builders.base import PDF, Builder, DossierContext, pdf_from_html
from indicators.models import EvidenceFile, FileKind
from indicators.selectors import ACTIVE_ROWS

IMAGE_KINDS = {FileKind.PNG, FileKind.JPEG}
POLICY_WORDS = ("政策",)


@dataclass
class BinderEntry:
    title: str
    item: str
    name: str
    date: str
    kind: str
    pdf: bytes = b""
    pages: int = 0
    start: int = 0
    note: str = ""

    @property
    def css_name(self) -> str:
        from evalprep.dossiers.builders.base import css_string

        return css_string(self.name)


def _files(ctx: DossierContext, *, policy: bool):
    files = EvidenceFile.objects.filter(row__campaign=ctx.campaign).filter(
        **{f"row__{ctx.scope}": ctx.unit}
    ).filter(Q(**{f"row__{name}": value for name, value in ACTIVE_ROWS.children}))
    if policy:
        words = Q()
        for word in POLICY_WORDS:
            words |= Q(row__requirement__text__contains=word) | Q(row__requirement__item__title__contains=word)
        files = files.filter(words)
    return files.select_related("row__requirement__item").order_by(
        "row__requirement__item__area__order", "row__requirement__item__order", "row__requirement__code", "uploaded_at", "pk"
    )


def _image_pdf(entry: BinderEntry, path: str) -> bytes:
    html = render_to_string("dossiers/pdf/binder_image.html", {"entry": entry, "src": path})
    return pdf_from_html(html)


class EvidenceBinder(Builder):
    identifier = "evidence_binder"
    title = "佐证资料汇编"
    scope = "any"
    formats = ("pdf",)
    policy = False

    def render(self, ctx: DossierContext, fmt: str, progress=lambda p, m: None) -> tuple[str, str, bytes]:
        from pypdf import PdfReader, PdfWriter

        self.check_format(fmt)
        if ctx.campaign is None:
            raise DossierError("当前没有评估年度，无法汇编佐证资料。")
        files = list(_files(ctx, policy=self.policy))
        if not files:
            raise DossierError(f"{ctx.unit_label}还没有上传{'政策文件' if self.policy else '佐证资料'}，无需汇编。")
        entries = []
        for index, f in enumerate(files):
            progress(5 + 60 * index // len(files), f"正在读取：{f.original_name}")
            entry = BinderEntry(
                title=f.row.requirement.text, item=f"{f.row.requirement.item.code} {f.row.requirement.item.title}",
                name=f.original_name, date=f"{f.evidence_date:%Y年%m月%d日}", kind=f.get_kind_display(),
            )
            if f.kind == FileKind.PDF:
                entry.pdf = f.file.open("rb").read()
                f.file.close()
            elif f.kind in IMAGE_KINDS:
                entry.pdf = _image_pdf(entry, f.file.path)
            else:
                entry.note = "原件为Office文档，另行装订"
            if entry.pdf:
                try:
                    entry.pages = len(PdfReader(io.BytesIO(entry.pdf)).pages)
                except Exception:
                    entry.pdf, entry.note = b"", "文件无法读取，请重新上传"
            entries.append(entry)
        progress(70, "正在编排目录")
        front = self._front(ctx, entries, front_pages=1)
        front_pages = len(PdfReader(io.BytesIO(front)).pages)
        front = self._front(ctx, entries, front_pages=front_pages)
        progress(85, "正在合并文件")
        writer = PdfWriter()
        writer.append(PdfReader(io.BytesIO(front)))
        for entry in entries:
            if entry.pdf:
                writer.append(PdfReader(io.BytesIO(entry.pdf)), outline_item=entry.name)
        buffer = io.BytesIO()
        writer.write(buffer)
        return self.filename(ctx, "pdf"), PDF, buffer.getvalue()

    def _front(self, ctx, entries: list[BinderEntry], *, front_pages: int) -> bytes:
        page = front_pages + 1
        for entry in entries:
            entry.start = page if entry.pdf else 0
            page += entry.pages
        html = render_to_string("dossiers/pdf/binder_front.html", {
            "ctx": ctx, "entries": entries, "title": self.title, "total_pages": page - 1,
        })
        return pdf_from_html(html)


class PolicyCompilation(EvidenceBinder):
    identifier = "policy_compilation"
    title = "政策汇编"
    policy = True
