"""Fuzzing the two parsers that take whatever a village cadre pastes: the ID-number
validator and the roster parser. Neither may crash on any input, and the
validator may never accept a wrong check character."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalprep.core.errors import EvalprepError
from evalprep.core.idnumber import CHECK_CHARACTERS, IdNumberError, check_character, parse_id_number
from households.ledger import roster_parse
from tests.households.builders import INCOME_YEAR, REFERENCE_DATE, family, header_for, write_xlsx

TODAY = date(2026, 11, 22)

# What lands in a pasted ID cell: digits (half and full width), X in any case,
# spaces, separators, scientific notation, Chinese, control characters.
ID_ALPHABET = "0123456789０１２３４５６７８９XxＸ .-E+e\t\n\u200b\ufeff身份证号：,'"
id_texts = st.one_of(
    st.text(alphabet=ID_ALPHABET, max_size=30),
    st.text(max_size=30),
    st.integers(min_value=0, max_value=10**19),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none(),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
first17 = st.builds(
    lambda region, born, seq: f"{region:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(min_value=110000, max_value=659999), birth_dates, st.integers(min_value=0, max_value=999),
)


@given(id_texts)
@settings(max_examples=400, deadline=None)
def test_it_never_crashes_on_any_id_text(raw):
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except IdNumberError as error:
        assert error.code and str(error)
    else:
        assert len(parsed.value) == 18
        assert parsed.value[17] == check_character(parsed.value[:17])


@given(first17, st.sampled_from(CHECK_CHARACTERS))
@settings(max_examples=400, deadline=None)
def test_it_accepts_a_check_character_only_when_it_is_right(digits, check):
    right = check_character(digits)
    try:
        parsed = parse_id_number(digits + check, today=TODAY)
    except IdNumberError as error:
        assert check != right and error.code == "check_character"
    else:
        assert check == right and parsed.value == digits + check


@given(first17, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
@settings(max_examples=300, deadline=None)
def test_it_refuses_any_single_digit_typo(digits, position, shift):
    """Mod 11-2 catches every single-digit error: a typo can never pass as valid."""
    valid = digits + check_character(digits)
    typo = valid[:position] + str((int(valid[position]) + shift) % 10) + valid[position + 1:]
    try:
        parse_id_number(typo, today=TODAY)
    except IdNumberError:
        return
    raise AssertionError(f"a typo at position {position} passed the check")


# Cells a roster may hold in any column: WPS habits, Excel damage and noise
# (no control characters: a spreadsheet cannot hold them).
cells = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
    st.sampled_from(["是", "否", "√", "×", "  脱贫户 ", "1,200元", "６４０１０４", "6.40104E+17", "#N/A", "=1+1", "/", "无"]),
    st.integers(min_value=-10**12, max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.decimals(min_value=Decimal(-10**6), max_value=Decimal(10**6), allow_nan=False, places=2),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
)


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_it_never_crashes_on_a_damaged_roster(tmp_path, data):
    rows = family("0001") + family("0002", head="赵一", spouse="钱二", child="赵三")
    header = header_for(rows)
    damaged = []
    for row in rows:
        row = dict(row)
        for column in data.draw(st.lists(st.sampled_from(header), max_size=4, unique=True)):
            row[column] = data.draw(cells)
        damaged.append(row)
    extra = data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=3))
    title_rows = data.draw(st.integers(min_value=0, max_value=3))
    path = write_xlsx(tmp_path / "花名册.xlsx", header, damaged + extra, title_rows=title_rows)
    try:
        parsed = roster_parse(path.read_bytes(), filename=path.name, default_income_year=INCOME_YEAR, reference_date=REFERENCE_DATE)
    except EvalprepError as error:
        assert str(error)
        return
    for error in parsed.errors:
        assert error.row >= 1 and error.message, error
    valid_rows = {row for household in parsed.households for row in household.rows}
    assert not valid_rows & parsed.rejected_rows
