"""Writing Excel workbooks the same way everywhere: write-only openpyxl,
frozen header, set widths, and no cell that a spreadsheet would run as a
formula."""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def neutralize_cell(value):
    """Text that starts like a formula gets a leading apostrophe, so Excel and
    WPS show it as text instead of running it. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class SheetSpec:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] = ()


def workbook_bytes(sheets: Sequence[SheetSpec]) -> bytes:
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        sheet.freeze_panes = "A2"
        for index, width in enumerate(spec.widths or [16] * len(spec.headers)):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        header_cells = []
        for text in spec.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in spec.rows:
            sheet.append([_cell_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date) or value is None:
        return value
    return neutralize_cell(value)
