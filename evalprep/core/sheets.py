"""Reading the spreadsheets villages and the national system send.

Pure helpers: read rows with python-calamine (.xlsx, .xls, .ods), find the
header row among title and notes rows, and turn messy cell values into text,
booleans, amounts, counts and dates. Errors carry a Chinese message a village
cadre can act on; callers add the row and column.
"""

from __future__ import annotations

import codecs
import io
import math
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from python_calamine import CalamineWorkbook, PasswordError, WorksheetNotFound

from evalprep.core.errors import EvalprepError

# Raw cell values as calamine returns them: str ("" when blank), float, int,
# bool, date, datetime, time or timedelta.
Row = list[Any]
FieldKey = str

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

_FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WHITESPACE = re.compile(r"\s+")
_NOTES = re.compile(r"\([^()]*\)|【[^【】]*】|〔[^〔〕]*〕")
_REQUIRED_MARKS = "*※"

_TRUE_WORDS = frozenset({"是", "√", "✓", "✔", "有", "Y", "YES", "TRUE", "1", "对", "已"})
_FALSE_WORDS = frozenset({"否", "×", "✗", "✘", "无", "N", "NO", "FALSE", "0", "错", "未"})
_AMOUNT = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(万元|万|元)?")
_INTEGER = re.compile(r"[+-]?\d+(?:\.0*)?")
_COUNT_UNITS = "人户个口名次岁间套处所座"

_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?"),
    re.compile(r"(\d{4})([-./])(\d{1,2})\2(\d{1,2})" + _TIME_SUFFIX),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_YEAR_MONTH_PATTERNS = (
    re.compile(r"(\d{4})(\d{2})"),
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月?"),
    re.compile(r"(\d{4})[-./](\d{1,2})"),
)
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")

_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ZIP_MAGIC = b"PK\x03\x04"
# An .xlsx or .ods is a zip of XML: even a sheet of empty cells packs about 100:1;
# a zip bomb packs about 1000:1. Past these limits the file is refused unread.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_PACKING_RATIO = 400
# Macro storage in the three formats: xlsm's vbaProject.bin, ODF's Basic/ and
# Scripts/ folders, and the _VBA_PROJECT stream of an old .xls.
_MACRO_PARTS = re.compile(r"(^|/)vbaProject\.bin$|^Basic/|^Scripts/", re.IGNORECASE)
_XLS_MACROS = "_VBA_PROJECT".encode("utf-16-le")
_EXTERNAL_LINK_PARTS = re.compile(r"^xl/externalLinks/", re.IGNORECASE)


class CellError(EvalprepError, ValueError):
    """A cell value that cannot be read; `message` is Chinese."""


class SheetError(EvalprepError, ValueError):
    """A file or sheet that cannot be read; `message` is Chinese."""


# Cell values


def normalize_text(value: object) -> str:
    """Cell value as one clean line of text; full-width ASCII made half-width."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).translate(_INVISIBLE).translate(_FULL_WIDTH_ASCII)
    return _WHITESPACE.sub(" ", text).strip()


def parse_bool(value: object) -> bool | None:
    """是/否, √/×, 有/无, Y/N and friends; blank is None."""
    if isinstance(value, bool):
        return value
    text = normalize_text(value).upper()
    if not text:
        return None
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise CellError(f"「{_shown(value)}」不是“是”或“否”，请填写 是 或 否。")


def parse_amount(value: object) -> Decimal | None:
    """Yuan as Decimal from 1234.5, '1,234.50元', '￥1234', '1.2万元'; blank is None."""
    if _is_blank(value):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    text = normalize_text(value).replace(" ", "").replace(",", "").replace("−", "-")
    if text[:1] in ("-", "+") and text[1:2] in ("￥", "¥"):
        text = text[:1] + text[2:]
    elif text[:1] in ("￥", "¥"):
        text = text[1:]
    match = _AMOUNT.fullmatch(text)
    if isinstance(value, bool) or match is None:
        raise CellError(f"「{_shown(value)}」不是金额，请填写数字，如 1234.50。")
    amount = Decimal(match[1])
    return amount * 10000 if match[2] in ("万元", "万") else amount


def parse_int(value: object) -> int | None:
    """A whole number from 3, 3.0, '3人', '3户', '1,200'; blank is None."""
    if _is_blank(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    text = normalize_text(value).replace(" ", "").replace(",", "").rstrip(_COUNT_UNITS)
    if isinstance(value, (bool, float, Decimal)) or not _INTEGER.fullmatch(text):
        raise CellError(f"「{_shown(value)}」不是整数，请填写数字，如 3。")
    return int(text.split(".")[0])


def parse_date(value: object) -> date | None:
    """A date from the spellings villages use, or an Excel serial number; blank is None.

    Accepts 2022年12月20日, 2022-12-20, 2022.12.20, 2022/12/20, 20221220 and
    date/datetime cells; a bare year and month (202212, 2022年12月) gives the
    first of that month.
    """
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        return _in_range(value.date(), value)
    if isinstance(value, date):
        return _in_range(value, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_from_number(value)
    text = normalize_text(value)
    found = _match_date(text) or _match_year_month(text)
    if found is None and _SERIAL_TEXT.fullmatch(text):
        return _date_from_number(float(text))
    if found is None:
        raise CellError(f"「{_shown(value)}」不是日期，请按 2022年12月20日 或 2022-12-20 填写。")
    return _in_range(found, value)


def parse_year_month(value: object) -> date | None:
    """The first day of the month from 202212, 2022年12月, 2022-12 or any full date."""
    if _is_blank(value):
        return None
    if isinstance(value, str):
        text = normalize_text(value)
        found = _match_year_month(text)
        if found is not None:
            return _in_range(found, value)
        if _match_date(text) is None and not _SERIAL_TEXT.fullmatch(text):
            raise CellError(f"「{_shown(value)}」不是年月，请按 202212 或 2022年12月 填写。")
    full = parse_date(value)
    return full.replace(day=1) if full else None


def format_date_zh(d: date) -> str:
    """2022年12月20日"""
    return f"{d.year}年{d.month}月{d.day}日"


def column_letter(index: int) -> str:
    """Spreadsheet column name for a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _is_blank(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or (isinstance(value, str) and not normalize_text(value))


def _shown(value: object) -> str:
    text = normalize_text(value)
    return text if len(text) <= 20 else text[:20] + "…"


def _match_date(text: str) -> date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups() if g.isdigit())
            try:
                return date(year, month, day)
            except ValueError:
                raise CellError(f"「{text}」这一天不存在，请核对日期。") from None
    return None


def _match_year_month(text: str) -> date | None:
    for pattern in _YEAR_MONTH_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            found = _year_month(int(match[1]), int(match[2]))
            if found is None:
                raise CellError(f"「{text}」的月份不对，月份应为 1–12。")
            return found
    return None


def _year_month(year: int, month: int) -> date | None:
    return date(year, month, 1) if 1 <= month <= 12 and year >= 1 else None


def _date_from_number(number: float) -> date:
    """YYYYMMDD and YYYYMM typed as numbers, else an Excel (1900 system) serial."""
    if float(number).is_integer():
        digits = str(int(number))
        if len(digits) == 8:
            found = _match_date(digits)
            if found:
                return _in_range(found, number)
        if len(digits) == 6 and 1 <= int(digits[4:]) <= 12:
            return _in_range(date(int(digits[:4]), int(digits[4:]), 1), number)
    days = math.floor(number)
    if days == 60:  # Excel's 1900-02-29, a day that never existed
        raise CellError("「1900年2月29日」这一天不存在，请核对日期。")
    try:
        if days < 60:
            found = date(1899, 12, 31) + timedelta(days=days)
        else:
            found = date(1899, 12, 30) + timedelta(days=days)
    except OverflowError:
        found = date.max
    return _in_range(found, number)


def _in_range(found: date, value: object) -> date:
    if not EARLIEST_DATE <= found <= LATEST_DATE:
        raise CellError(f"「{_shown(value)}」不是 1900 年到 2100 年之间的日期，请核对。")
    return found


# Files and headers


def read_workbook_rows(
    path_or_bytes: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    filename: str,
    sheet: str | int = 0,
) -> list[Row]:
    """All rows of one sheet, from row 1 and column A, trailing blank rows dropped.

    The file type comes from its content, so a renamed .xls still reads; the
    filename is used for the extension check and in messages.
    """
    if Path(filename).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise SheetError(_unsupported_message(filename))
    data = _read_bytes(path_or_bytes)
    if not data:
        raise SheetError(f"「{filename}」是空文件（0 字节），请重新导出或重新上传。")
    if data.startswith(_CFB_MAGIC) and _ENCRYPTED_PACKAGE in data:
        raise SheetError(_encrypted_message(filename))
    _package_check(data, filename)
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            names = workbook.sheet_names
            if isinstance(sheet, int):
                selected = workbook.get_sheet_by_index(sheet)
            else:
                selected = workbook.get_sheet_by_name(sheet)
            rows = selected.to_python(skip_empty_area=False)
    except PasswordError:
        raise SheetError(_encrypted_message(filename)) from None
    except WorksheetNotFound:
        shown = "、".join(f"「{name}」" for name in names) or "（没有工作表）"
        raise SheetError(
            f"「{filename}」里没有工作表「{sheet}」，现有的工作表：{shown}。"
        ) from None
    except Exception as error:  # calamine raises several kinds of its own
        raise SheetError(_unreadable_message(filename, data)) from error
    except BaseException as error:  # a Rust panic on a damaged file
        if type(error).__name__ != "PanicException":
            raise
        raise SheetError(_unreadable_message(filename, data)) from None
    while rows and not any(normalize_text(cell) for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError(f"「{filename}」的工作表「{selected.name}」是空的，没有任何内容。")
    return rows


def find_header_row(
    rows: Sequence[Sequence[Any]],
    *,
    known_headers: Mapping[str, FieldKey],
    min_matches: int = 2,
    max_scan: int = 15,
) -> tuple[int, dict[int, FieldKey], list[str]]:
    """Find the header among the first rows; map its columns to field keys.

    known_headers maps every accepted spelling to a field key. A cell matches
    a spelling exactly, then ignoring spaces, then ignoring notes in brackets
    and * marks (身份证号码（必填） → 身份证号码). Returns the row index, the
    {column index: field key} mapping (first column wins when a field repeats)
    and the header names not used (unknown or repeated), in column order.
    """
    lookups = _header_lookups(known_headers)
    best: tuple[int, dict[int, FieldKey], list[str]] | None = None
    for index, row in enumerate(rows[:max_scan]):
        if sum(1 for cell in row if normalize_text(cell)) < 2:
            continue  # blank, a merged title or a one-cell note
        columns, unused = _match_header(row, lookups)
        if len(columns) >= min_matches and (best is None or len(columns) > len(best[1])):
            best = (index, columns, unused)
    if best is None:
        expected = "、".join(f"「{spelling}」" for spelling in _first_spellings(known_headers))
        raise SheetError(
            f"没有找到表头：前 {max_scan} 行里没有一行包含至少 {min_matches} 个认得的列名"
            f"（应有 {expected} 等列）。请检查是否选错了文件或工作表，或表头被改过。"
        )
    return best


def _header_forms(text: str) -> tuple[str, str, str]:
    """The exact, space-free and notes-free forms of a header name."""
    exact = normalize_text(text)
    compact = exact.replace(" ", "")
    bare = _NOTES.sub("", compact).strip(_REQUIRED_MARKS)
    return exact, compact, bare


def _header_lookups(known_headers: Mapping[str, FieldKey]) -> list[dict[str, FieldKey]]:
    return _header_lookups_for(tuple(known_headers.items()))


@lru_cache(maxsize=32)
def _header_lookups_for(known_headers: tuple[tuple[str, FieldKey], ...]) -> list[dict[str, FieldKey]]:
    """The exact, space-free and notes-free spellings, built once per set of known headers."""
    exact: dict[str, FieldKey] = {}
    compact: dict[str, FieldKey] = {}
    bare: dict[str, FieldKey] = {}
    # Spellings without notes claim their bare form first, so that a cell
    # 公益性岗位 is not taken by the spelling 公益性岗位(月数).
    for spelling, field in sorted(known_headers, key=lambda item: _has_notes(item[0])):
        for lookup, form in zip((exact, compact, bare), _header_forms(spelling)):
            lookup.setdefault(form, field)
    return [exact, compact, bare]


def _has_notes(spelling: str) -> bool:
    _, compact, bare = _header_forms(spelling)
    return compact != bare


def _match_header(
    row: Sequence[Any], lookups: list[dict[str, FieldKey]]
) -> tuple[dict[int, FieldKey], list[str]]:
    columns: dict[int, FieldKey] = {}
    unused: list[str] = []
    for index, cell in enumerate(row):
        forms = _header_forms(normalize_text(cell))
        if not forms[0]:
            continue
        field = next(
            (lookup[form] for lookup, form in zip(lookups, forms) if form in lookup), None
        )
        if field is None or field in columns.values():
            unused.append(forms[0])
        else:
            columns[index] = field
    return columns, unused


def _first_spellings(known_headers: Mapping[str, FieldKey], count: int = 4) -> list[str]:
    firsts: dict[FieldKey, str] = {}
    for spelling, field in known_headers.items():
        firsts.setdefault(field, spelling)
    return list(firsts.values())[:count]


def _read_bytes(source: str | os.PathLike[str] | bytes | IO[bytes]) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def _unsupported_message(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        kind = "是 CSV 文本文件"
    elif suffix in (".et", ".ett"):
        kind = "是 WPS 表格自己的 .et 格式"
    else:
        kind = "不是 .xlsx、.xls 或 .ods 表格文件"
    return f"「{filename}」{kind}。请用 WPS 或 Excel 打开，另存为“Excel 工作簿（.xlsx）”后重新上传。"


def _package_check(data: bytes, filename: str) -> None:
    """Refuse, before reading a cell, a file with macros, links to other
    workbooks, or a zip that would unpack to far more than it weighs."""
    save_as = "请在 WPS 或 Excel 中打开，用“文件→另存为”存成普通的 Excel 工作簿（.xlsx），再上传。"
    if data.startswith(_CFB_MAGIC):
        if _XLS_MACROS in data:
            raise SheetError(f"「{filename}」里含有宏（VBA 代码），为安全起见不能导入。{save_as}")
        return
    if not data.startswith(_ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, ValueError):
        return  # calamine's own message says the file is damaged
    unpacked = sum(part.file_size for part in parts)
    too_packed = any(part.file_size > 1024 * 1024 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1) for part in parts)
    if unpacked > MAX_UNPACKED_BYTES or too_packed:
        raise SheetError(
            f"「{filename}」解压后有 {unpacked / 1024 / 1024:,.0f} MB，压缩比例异常，不像正常导出的表格"
            "（可能是恶意构造的“压缩炸弹”），不能导入。请从原系统重新导出，或把表格拆成几个文件再上传。"
        )
    names = [part.filename for part in parts]
    if any(_MACRO_PARTS.search(name) for name in names):
        raise SheetError(f"「{filename}」里含有宏（VBA 或脚本），为安全起见不能导入。{save_as}")
    if any(_EXTERNAL_LINK_PARTS.search(name) for name in names):
        raise SheetError(
            f"「{filename}」里有链接到其他工作簿的公式，为安全起见不能导入。"
            "请在 Excel 中用“数据→编辑链接→断开链接”（WPS：“数据→编辑链接→断开”）把公式变成数值，另存后再上传。"
        )


def _encrypted_message(filename: str) -> str:
    return (
        f"「{filename}」设置了打开密码，系统读不了。"
        "请用 WPS 或 Excel 打开，取消密码（文件 → 文档加密 / 保护工作簿）后另存，再重新上传。"
    )


def _unreadable_message(filename: str, data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"<":
        kind = "其实是网页（HTML）格式，只是扩展名像表格"
    elif b"\x00" not in head and _is_text(head):
        kind = "其实是 CSV 或文本文件，只是扩展名像表格"
    else:
        kind = "已损坏，或不是 Excel/WPS 表格"
    return f"无法读取「{filename}」：这个文件{kind}。请用 WPS 或 Excel 打开，另存为“Excel 工作簿（.xlsx）”后重新上传。"


def _is_text(head: bytes) -> bool:
    """UTF-8 or GB18030 text (the head may end in the middle of a character)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False
