"""What every dossier builder shares: the unit it is built for, sections that
collect their data once and render it twice (an HTML fragment for the PDF, a
sheet for the workbook), and the two renderers.

A section whose module has no data for the unit returns None from `collect`
and is left out of both files: a dossier never claims data it does not have.
"""

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from evalprep.core.excel import SheetSpec, workbook_bytes
from evalprep.core.models import Campaign, County, Department, Village
from evalprep.dossiers.services import ProgressFn

# WeasyPrint reports every layout step at INFO; workers and tests need only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
MIMETYPES = {"pdf": PDF, "xlsx": XLSX, "zip": ZIP}
FORMAT_LABELS = {"pdf": "PDF", "xlsx": "Excel", "zip": "ZIP"}
SCOPES = {"village": Village, "department": Department, "county": County}


@dataclass
class DossierContext:
    """The unit a dossier is built for, its county and campaign, and when."""

    scope: str
    unit: Village | Department | County
    county: County
    campaign: Campaign | None
    generated_at: datetime = field(default_factory=timezone.localtime)
    options: dict = field(default_factory=dict)

    @property
    def unit_label(self) -> str:
        if self.scope == "village":
            return f"{self.unit.township.name}{self.unit.name}"
        if self.scope == "department":
            return f"{self.county.name}{self.unit.name}"
        return self.county.name

    @property
    def campaign_label(self) -> str:
        return self.campaign.name if self.campaign else ""

    @property
    def running_unit(self) -> str:
        """The unit for the running header (a CSS string inside <style>)."""
        return css_string(self.unit_label)

    @property
    def running_campaign(self) -> str:
        return css_string(self.campaign_label)


def css_string(text: str) -> str:
    """Text safe inside a double-quoted CSS string within a <style> element."""
    return "".join(ch for ch in text if ch not in '"\\<>\n\r')


class Section:
    """One chapter: `collect` reads (a bounded number of queries), `template`
    shows it in the PDF, `sheets` writes it into the workbook."""

    key: str = ""
    title: str = ""
    template: str = ""

    def collect(self, ctx: DossierContext) -> dict | None:
        raise NotImplementedError

    def sheets(self, data: dict) -> list[SheetSpec]:
        return []


@dataclass
class Chapter:
    key: str
    title: str
    template: str
    data: dict


class Builder:
    """A dossier kind: identifier, title, the scope it takes, the formats it
    makes, and `render(ctx, fmt) -> (filename, mimetype, bytes)`."""

    identifier: str = ""
    title: str = ""
    scope: str = "village"
    formats: Sequence[str] = ("pdf", "xlsx")
    sections: Sequence[type[Section]] = ()
    document_title: str = ""
    #: who may ask for it: "read" (anyone who can see the unit) or "county" (county readers only)
    audience: str = "read"

    def filename(self, ctx: DossierContext, fmt: str) -> str:
        stamp = ctx.generated_at.strftime("%Y%m%d")
        return f"{ctx.unit_label}{self.title}_{stamp}.{fmt}"

    def chapters(self, ctx: DossierContext, progress: ProgressFn, share: int = 80) -> list[Chapter]:
        result = []
        classes = list(self.sections)
        for index, section_class in enumerate(classes):
            section = section_class()
            progress(5 + share * index // max(1, len(classes)), f"正在整理：{section.title}")
            data = section.collect(ctx)
            if data is not None:
                result.append(Chapter(section.key, section.title, section.template, data))
        return result

    def check_format(self, fmt: str) -> None:
        if fmt not in self.formats:
            from evalprep.core.errors import DossierError

            raise DossierError(f"“{self.title}”不提供{FORMAT_LABELS.get(fmt, fmt)}格式。")

    def render(self, ctx: DossierContext, fmt: str, progress: ProgressFn = lambda p, m: None) -> tuple[str, str, bytes]:
        self.check_format(fmt)
        chapters = self.chapters(ctx, progress)
        progress(85, "正在排版" if fmt == "pdf" else "正在写入表格")
        if fmt == "pdf":
            content = pdf_from_html(self.html(ctx, chapters))
        else:
            content = self.workbook(ctx, chapters)
        return self.filename(ctx, fmt), MIMETYPES[fmt], content

    def html(self, ctx: DossierContext, chapters: list[Chapter]) -> str:
        return render_to_string("dossiers/pdf/document.html", {
            "ctx": ctx, "builder": self, "chapters": chapters,
            "document_title": self.document_title or self.title,
        })

    def workbook(self, ctx: DossierContext, chapters: list[Chapter]) -> bytes:
        cover = SheetSpec(
            title="封面", headers=["项目", "内容"], widths=[18, 60],
            rows=[
                ["资料名称", f"{ctx.unit_label}{self.document_title or self.title}"],
                ["评估年度", ctx.campaign_label],
                ["生成时间", ctx.generated_at.strftime("%Y年%m月%d日 %H:%M")],
                *[["第%d部分" % (i + 1), chapter.title] for i, chapter in enumerate(chapters)],
            ],
        )
        sheets = [cover]
        for chapter in chapters:
            sheets += SECTION_CLASSES[chapter.key]().sheets(chapter.data)
        return workbook_bytes([_plain_sheet(spec) for spec in sheets])


def _plain_value(value):
    """Lazy translations and other objects become text; numbers and dates stay."""
    if value is None or isinstance(value, (int, float, str, Decimal, date)):
        return value
    return str(value)


def _plain_sheet(spec: SheetSpec) -> SheetSpec:
    return SheetSpec(
        title=str(spec.title), headers=[str(h) for h in spec.headers], widths=spec.widths,
        rows=[[_plain_value(value) for value in row] for row in spec.rows],
    )


SECTION_CLASSES: dict[str, type[Section]] = {}


def section(cls: type[Section]) -> type[Section]:
    """Register a section class by key (so a workbook can find its sheets)."""
    assert cls.key not in SECTION_CLASSES, cls.key
    SECTION_CLASSES[cls.key] = cls
    return cls


def pdf_from_html(html: str, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    from django.conf import settings

    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf()


def pdf_page_count(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


NoProgress: Callable[[int, str], None] = lambda percent, message: None  # noqa: E731
