"""Chinese resident ID numbers (公民身份号码, GB 11643-1999).

Pure helpers: parse and check what village cadres type or paste, mask numbers
for display, and make valid synthetic numbers for demo data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from evalprep.core.errors import EvalprepError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
PLACEHOLDER_PREFIX = "999999"  # the national system's "no ID on record"
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

MALE = "male"
FEMALE = "female"

DISABILITY_CATEGORIES = {
    1: "视力残疾",
    2: "听力残疾",
    3: "言语残疾",
    4: "肢体残疾",
    5: "智力残疾",
    6: "精神残疾",
    7: "多重残疾",
}
DISABILITY_GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}

_DIGITS = "0123456789"
# Full-width ASCII to half-width (０-９, Ｘ, －…), and x to X.
_NORMALIZE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    ord(ch): "X" for ch in "xＸｘ"
}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?E[+-]?\d+", re.IGNORECASE)
_DECIMAL = re.compile(r"(\d+)\.(\d+)")

_LOST_DIGITS_MESSAGE = (
    "身份证号被表格当成了数字，后几位已经丢失"
    "（显示成 6.40104E+17 这样的科学计数，或末尾变成 000）。"
    "请把这一列的单元格格式设为“文本”，再重新录入身份证号。"
)


class IdNumberError(EvalprepError, ValueError):
    """A Chinese message for the cadre, and a short code for programs and tests."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    sex: str  # MALE or FEMALE

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)

    @property
    def region(self) -> str:
        return self.value[:6]

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # keep full numbers out of logs and tracebacks
        return f"IdNumber({self.masked!r})"


def check_character(first17: str) -> str:
    """The GB 11643 mod 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or any(ch not in _DIGITS for ch in first17):
        raise ValueError(f"expected 17 digits, got {len(first17)} characters")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(raw: object, *, today: date | None = None) -> IdNumber:
    """Check an 18-character ID as typed or pasted; raise IdNumberError if wrong."""
    text = _clean(raw)
    if text.startswith(PLACEHOLDER_PREFIX):
        raise _placeholder_error()
    _check_characters(text)
    if len(text) == 15:
        raise IdNumberError(
            "这是 15 位的旧身份证号，已经停用。"
            "请换成 18 位的新身份证号（看户口本或新身份证）。",
            code="old_15_digit",
        )
    if len(text) != 18:
        raise IdNumberError(
            f"身份证号应为 18 位，现在是 {len(text)} 位。请核对是否多输或漏输了数字。",
            code="length",
        )
    birth_date = _birth_date(text[6:14], today=today or date.today())
    expected = check_character(text[:17])
    if text[17] != expected:
        raise IdNumberError(
            f"身份证号最后一位（校验位）应为 {expected}，现在是 {text[17]}，"
            "说明号码中有数字抄错了。请对照身份证逐位核对。",
            code="check_character",
        )
    sex = MALE if int(text[16]) % 2 else FEMALE
    return IdNumber(value=text, birth_date=birth_date, sex=sex)


def parse_certificate_number(
    raw: object, *, allow_placeholder: bool = False, today: date | None = None
) -> tuple[IdNumber, int | None, int | None] | None:
    """Read an 18-character ID or a 20/22-character disability certificate number.

    Returns (id number, disability category, disability grade); the category and
    grade are None for a plain ID. A 999999 placeholder returns None when
    allowed. The two characters after the grade in a 22-character number (the
    reissue mark) are accepted but not interpreted.
    """
    text = _clean(raw)
    if text.startswith(PLACEHOLDER_PREFIX):
        if allow_placeholder:
            return None
        raise _placeholder_error()
    if len(text) in (19, 21) or len(text) > 22:
        raise IdNumberError(
            f"证件号码应为 18 位（身份证）或 20 位、22 位（残疾人证），现在是 {len(text)} 位。"
            "请核对是否多输或漏输了字符。",
            code="length",
        )
    if len(text) < 20:
        return parse_id_number(text, today=today), None, None
    id_number = parse_id_number(text[:18], today=today)
    category, grade, reissue = text[18], text[19], text[20:].upper()
    if not (
        category in "1234567"
        and grade in "1234"
        and all(ch in _DIGITS or "A" <= ch <= "Z" for ch in reissue)
    ):
        raise IdNumberError(
            f"残疾人证号是 18 位身份证号加上残疾类别（1–7）和残疾等级（1–4），"
            f"第 19–20 位现在是「{text[18:20]}」，不对。请对照残疾人证核对。",
            code="certificate",
        )
    return id_number, int(category), int(grade)


def mask_id_number(value: str | None) -> str:
    """640104********1234; anything shorter than 15 characters is masked fully."""
    text = "".join((value or "").split())
    if len(text) < 15:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_phone(value: object) -> str:
    """138****5678 for mobiles; other numbers keep at most 3 + 4 characters."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "".join(str(value if value is not None else "").split()).replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    if len(text) == 11 and text.startswith("1"):
        return text[:3] + "****" + text[-4:]
    if len(text) > 7:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) > 2:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


def age_on(id_number: IdNumber, on: date) -> int:
    """Age in whole years on a day (born 29 February: older on 1 March)."""
    born = id_number.birth_date
    if on < born:
        raise ValueError("date is before the birth date")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def generate_id_number(*, region: str, birth_date: date, sex: str, sequence: int) -> str:
    """A valid synthetic ID for demo data; the sequence's parity follows sex."""
    if len(region) != 6 or any(ch not in _DIGITS for ch in region):
        raise ValueError("region must be 6 digits")
    if sex not in (MALE, FEMALE):
        raise ValueError("sex must be 'male' or 'female'")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be between 0 and 999")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValueError("birth date must not be before 1900")
    if sequence % 2 != (1 if sex == MALE else 0):
        sequence ^= 1
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def _clean(raw: object) -> str:
    """Text with whitespace removed and full-width digits and x converted."""
    if raw is None:
        text = ""
    elif isinstance(raw, float):
        if math.isnan(raw):
            text = ""
        elif raw.is_integer() and abs(raw) < 1e15:
            text = str(int(raw))
        else:
            raise IdNumberError(_LOST_DIGITS_MESSAGE, code="lost_digits")
    else:
        text = str(raw)
    text = "".join(text.split()).translate(_INVISIBLE).translate(_NORMALIZE)
    text = text.removeprefix("'")  # the spreadsheet "treat as text" prefix
    if not text:
        raise IdNumberError("身份证号是空的，请填写 18 位身份证号。", code="empty")
    if _SCIENTIFIC.fullmatch(text):
        raise IdNumberError(_LOST_DIGITS_MESSAGE, code="lost_digits")
    decimal = _DECIMAL.fullmatch(text)
    if decimal and len(decimal[1]) >= 15:
        if len(decimal[1]) == 15 and not decimal[2].strip("0"):
            return decimal[1]  # an old 15-digit ID survives a number cell intact
        raise IdNumberError(_LOST_DIGITS_MESSAGE, code="lost_digits")
    return text


def _check_characters(text: str) -> None:
    wrong = [ch for ch in dict.fromkeys(text) if ch not in _DIGITS and ch != "X"]
    if wrong:
        shown = "、".join(f"「{ch}」" for ch in wrong[:5])
        raise IdNumberError(
            f"身份证号里有不该出现的字符 {shown}。"
            "身份证号只能是数字，只有最后一位可以是 X。",
            code="characters",
        )
    if "X" in text[:-1]:
        raise IdNumberError(
            "身份证号中间出现了 X，X 只能是最后一位。请核对号码。", code="characters"
        )


def _birth_date(digits: str, *, today: date) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise IdNumberError(
            f"身份证号第 7–14 位是出生日期，「{digits}」不是有效日期。请对照身份证核对。",
            code="birth_date",
        ) from None
    if born < EARLIEST_BIRTH_DATE:
        raise IdNumberError(
            f"身份证号中的出生日期 {born.year}年{born.month}月{born.day}日 早于 1900 年，"
            "号码有误。请对照身份证核对。",
            code="birth_date",
        )
    if born > today:
        raise IdNumberError(
            f"身份证号中的出生日期 {born.year}年{born.month}月{born.day}日 晚于今天，"
            "号码有误。请对照身份证核对。",
            code="birth_date",
        )
    return born


def _placeholder_error() -> IdNumberError:
    return IdNumberError(
        "证件号码以 999999 开头，表示系统里没有登记此人的身份证号。"
        "请向本人或户口本核实，补录真实的 18 位身份证号。",
        code="placeholder",
    )
