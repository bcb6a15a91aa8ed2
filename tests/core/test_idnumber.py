from datetime import date

import pytest

from evalprep.core.idnumber import (
    FEMALE,
    MALE,
    IdNumber,
    IdNumberError,
    age_on,
    check_character,
    generate_id_number,
    mask_id_number,
    mask_phone,
    parse_certificate_number,
    parse_id_number,
)

# Checked by hand with the GB 11643 weights (see test_it_computes_check_characters).
SAMPLE = "11010519491231002X"  # the standard's published sample: 1949-12-31, female
MALE_1990 = "64010419900101123X"  # 1990-01-01, digit 17 = 3, male
FEMALE_2000 = "110101200001010029"  # 2000-01-01, digit 17 = 2, female
BORN_1880 = "440524188001010014"  # valid check character, but born before 1900


class TestCheckCharacter:
    @pytest.mark.parametrize(
        ("first17", "expected"),
        [
            # 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0+0+2*2 = 167, 167 % 11 = 2 -> X
            ("11010519491231002", "X"),
            # 42+36+0+5+0+16+2+9+54+0+0+9+0+5+8+8+6 = 200, 200 % 11 = 2 -> X
            ("64010419900101123", "X"),
            # 7+9+0+5+0+4+4+0+0+0+0+9+0+5+0+0+4 = 47, 47 % 11 = 3 -> 9
            ("11010120000101002", "9"),
            # 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195, 195 % 11 = 8 -> 4
            ("44052418800101001", "4"),
        ],
    )
    def test_it_computes_check_characters(self, first17, expected):
        assert check_character(first17) == expected

    def test_it_satisfies_iso_7064_mod_11_2_for_every_check_character(self):
        # Independent oracle: with X = 10, sum(a_i * 2**(18 - i)) % 11 == 1.
        seen = set()
        for sequence in range(0, 300, 3):
            first17 = f"52012219800101{sequence:03d}"
            value = first17 + check_character(first17)
            digits = [10 if ch == "X" else int(ch) for ch in value]
            assert sum(d * 2 ** (17 - i) for i, d in enumerate(digits)) % 11 == 1
            seen.add(value[-1])
        assert seen == set("0123456789X")

    @pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100A"])
    def test_it_rejects_anything_but_17_digits(self, bad):
        with pytest.raises(ValueError):
            check_character(bad)


class TestParseIdNumber:
    def test_it_reads_the_published_sample(self):
        parsed = parse_id_number(SAMPLE)
        assert parsed == IdNumber(value=SAMPLE, birth_date=date(1949, 12, 31), sex=FEMALE)

    def test_it_reads_sex_from_digit_17(self):
        assert parse_id_number(MALE_1990).sex == MALE
        assert parse_id_number(FEMALE_2000).sex == FEMALE

    def test_it_reads_the_birth_date(self):
        assert parse_id_number(MALE_1990).birth_date == date(1990, 1, 1)
        assert parse_id_number(FEMALE_2000).birth_date == date(2000, 1, 1)

    @pytest.mark.parametrize(
        "raw",
        [
            " 11010519491231002X ",
            "\u300011010519491231002X\u3000",
            "\xa011010519491231002X\n",
            "110105 19491231 002X",
            "\ufeff11010519491231002X\u200b",
            "11010519491231002x",
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
            "'11010519491231002X",
        ],
    )
    def test_it_cleans_what_cadres_paste(self, raw):
        assert parse_id_number(raw).value == SAMPLE

    def test_it_accepts_an_int(self):
        assert parse_id_number(110101200001010029).value == FEMALE_2000

    @pytest.mark.parametrize("raw", [None, "", "   ", "\u3000\xa0", float("nan")])
    def test_it_rejects_empty(self, raw):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(raw)
        assert caught.value.code == "empty"
        assert "空" in caught.value.message

    @pytest.mark.parametrize(
        "raw",
        [
            "6.40104E+17",
            "6.40104e+17",
            "6.40104E17",
            " ６．４０１０４Ｅ＋１７ ",
            6.40104199001011e17,
            "640104199001011000.0",
            "6401041990010112.0",
        ],
    )
    def test_it_explains_digits_lost_to_a_number_cell(self, raw):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(raw)
        error = caught.value
        assert error.code == "lost_digits"
        assert "丢失" in error.message
        assert "文本" in error.message
        assert "重新录入" in error.message

    @pytest.mark.parametrize("raw", ["110105491231002", 110105491231002, 110105491231002.0, "110105491231002.0"])
    def test_it_asks_for_the_new_id_instead_of_the_15_digit_one(self, raw):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(raw)
        assert caught.value.code == "old_15_digit"
        assert "15 位" in caught.value.message
        assert "18 位" in caught.value.message

    @pytest.mark.parametrize(("raw", "length"), [("64010419900101123", 17), ("6401041990010112301", 19), ("6401041990", 10)])
    def test_it_rejects_the_wrong_length(self, raw, length):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(raw)
        assert caught.value.code == "length"
        assert f"现在是 {length} 位" in caught.value.message

    @pytest.mark.parametrize(
        ("raw", "shown"),
        [("6401041990010112A4", "「A」"), ("640104-19900101123", "「-」"), ("无", "「无」"), ("6401041990O101123X", "「O」")],
    )
    def test_it_names_characters_that_are_not_digits(self, raw, shown):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(raw)
        assert caught.value.code == "characters"
        assert shown in caught.value.message

    def test_it_allows_x_only_as_the_last_character(self):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number("1101051949123X002X")
        assert caught.value.code == "characters"
        assert "最后一位" in caught.value.message

    @pytest.mark.parametrize("birth", ["19901301", "19900230", "19900229", "19900100"])
    def test_it_rejects_impossible_birth_dates(self, birth):
        first17 = f"640104{birth}123"
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(first17 + check_character(first17))
        assert caught.value.code == "birth_date"
        assert f"「{birth}」" in caught.value.message

    def test_it_accepts_29_february_in_a_leap_year(self):
        value = generate_id_number(region="640104", birth_date=date(2000, 2, 29), sex=MALE, sequence=1)
        assert parse_id_number(value).birth_date == date(2000, 2, 29)

    def test_it_rejects_births_before_1900(self):
        assert check_character(BORN_1880[:17]) == BORN_1880[17]
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(BORN_1880)
        assert caught.value.code == "birth_date"
        assert "1900" in caught.value.message

    def test_it_rejects_births_after_today(self):
        value = generate_id_number(region="640104", birth_date=date(2024, 6, 2), sex=FEMALE, sequence=8)
        assert parse_id_number(value, today=date(2024, 6, 2)).birth_date == date(2024, 6, 2)
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(value, today=date(2024, 6, 1))
        assert caught.value.code == "birth_date"
        assert "晚于今天" in caught.value.message

    def test_it_uses_the_real_today_by_default(self):
        value = generate_id_number(region="640104", birth_date=date(2099, 1, 1), sex=MALE, sequence=1)
        with pytest.raises(IdNumberError, match="晚于今天"):
            parse_id_number(value)

    def test_it_reveals_the_expected_check_character(self):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number("110105194912310021")
        assert caught.value.code == "check_character"
        assert "应为 X" in caught.value.message
        assert "现在是 1" in caught.value.message

    @pytest.mark.parametrize("wrong", "0123456789")
    def test_it_rejects_every_wrong_check_character(self, wrong):
        first17 = MALE_1990[:17]
        if wrong == check_character(first17):
            pytest.skip("the right one")
        with pytest.raises(IdNumberError):
            parse_id_number(first17 + wrong)

    def test_it_rejects_a_single_mistyped_digit(self):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number("11010519491231003X")
        assert caught.value.code == "check_character"

    def test_it_rejects_the_no_id_placeholder(self):
        with pytest.raises(IdNumberError) as caught:
            parse_id_number("999999199001011234")
        assert caught.value.code == "placeholder"
        assert "999999" in caught.value.message

    def test_the_error_is_a_value_error(self):
        with pytest.raises(ValueError):
            parse_id_number("abc")


class TestIdNumber:
    def test_it_masks_itself(self):
        assert parse_id_number(MALE_1990).masked == "640104********123X"

    def test_its_repr_keeps_the_number_out_of_logs(self):
        text = repr(parse_id_number(MALE_1990))
        assert MALE_1990 not in text
        assert "640104********123X" in text

    def test_it_knows_its_region(self):
        assert parse_id_number(MALE_1990).region == "640104"

    def test_it_is_frozen(self):
        parsed = parse_id_number(MALE_1990)
        with pytest.raises(AttributeError):
            parsed.sex = FEMALE  # type: ignore[misc]


class TestMasking:
    @pytest.mark.parametrize(
        ("value", "masked"),
        [
            ("640104199001011234", "640104********1234"),
            (" 640104199001011234 ", "640104********1234"),
            ("11010519491231002X42", "110105**********2X42"),
            ("110105491231002", "110105*****1002"),
            ("12345678901234", "**************"),
            ("1234", "****"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_it_masks_id_numbers(self, value, masked):
        assert mask_id_number(value) == masked

    @pytest.mark.parametrize(
        ("value", "masked"),
        [
            ("13812345678", "138****5678"),
            (13812345678, "138****5678"),
            (13812345678.0, "138****5678"),
            ("138 1234 5678", "138****5678"),
            ("+86 138-1234-5678", "138****5678"),
            ("0851-86812345", "085*****2345"),
            ("12345", "***45"),
            ("12", "**"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_it_masks_phone_numbers(self, value, masked):
        assert mask_phone(value) == masked


class TestAgeOn:
    def test_it_counts_whole_years(self):
        person = parse_id_number(MALE_1990)
        assert age_on(person, date(2022, 12, 31)) == 32
        assert age_on(person, date(2023, 1, 1)) == 33
        assert age_on(person, date(1990, 1, 1)) == 0

    def test_it_waits_for_the_birthday(self):
        person = parse_id_number(SAMPLE)  # 1949-12-31
        assert age_on(person, date(2023, 12, 30)) == 73
        assert age_on(person, date(2023, 12, 31)) == 74

    def test_it_counts_birthdays_by_calendar_day_across_leap_years(self):
        person = parse_id_number(
            generate_id_number(region="640104", birth_date=date(2000, 12, 31), sex=MALE, sequence=5)
        )
        assert age_on(person, date(2023, 12, 30)) == 22
        assert age_on(person, date(2023, 12, 31)) == 23

    def test_it_ages_leap_day_babies_on_1_march(self):
        person = parse_id_number(
            generate_id_number(region="640104", birth_date=date(2008, 2, 29), sex=FEMALE, sequence=2)
        )
        assert age_on(person, date(2026, 2, 28)) == 17
        assert age_on(person, date(2026, 3, 1)) == 18

    def test_it_rejects_a_day_before_birth(self):
        with pytest.raises(ValueError):
            age_on(parse_id_number(MALE_1990), date(1989, 12, 31))


class TestGenerateIdNumber:
    @pytest.mark.parametrize("sex", [MALE, FEMALE])
    @pytest.mark.parametrize("sequence", [0, 1, 2, 123, 998, 999])
    def test_it_makes_valid_numbers(self, sex, sequence):
        birth = date(1975, 7, 15)
        value = generate_id_number(region="520122", birth_date=birth, sex=sex, sequence=sequence)
        parsed = parse_id_number(value)
        assert (parsed.birth_date, parsed.sex, parsed.region) == (birth, sex, "520122")

    def test_it_adjusts_the_sequence_parity(self):
        assert generate_id_number(region="640104", birth_date=date(1990, 1, 1), sex=MALE, sequence=123) == MALE_1990
        assert generate_id_number(region="640104", birth_date=date(1990, 1, 1), sex=MALE, sequence=122)[14:17] == "123"
        assert generate_id_number(region="640104", birth_date=date(1990, 1, 1), sex=FEMALE, sequence=123)[14:17] == "122"
        assert generate_id_number(region="110101", birth_date=date(2000, 1, 1), sex=FEMALE, sequence=2) == FEMALE_2000

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"region": "64010", "birth_date": date(1990, 1, 1), "sex": MALE, "sequence": 1},
            {"region": "64010A", "birth_date": date(1990, 1, 1), "sex": MALE, "sequence": 1},
            {"region": "640104", "birth_date": date(1990, 1, 1), "sex": "男", "sequence": 1},
            {"region": "640104", "birth_date": date(1990, 1, 1), "sex": MALE, "sequence": 1000},
            {"region": "640104", "birth_date": date(1990, 1, 1), "sex": MALE, "sequence": -1},
            {"region": "640104", "birth_date": date(1899, 12, 31), "sex": MALE, "sequence": 1},
        ],
    )
    def test_it_rejects_bad_arguments(self, kwargs):
        with pytest.raises(ValueError):
            generate_id_number(**kwargs)


class TestParseCertificateNumber:
    def test_it_reads_a_plain_id(self):
        assert parse_certificate_number(SAMPLE) == (parse_id_number(SAMPLE), None, None)

    def test_it_reads_category_and_grade_from_20_characters(self):
        person, category, grade = parse_certificate_number(SAMPLE + "42")
        assert (person.value, category, grade) == (SAMPLE, 4, 2)

    @pytest.mark.parametrize("suffix", ["B1", "b2", "01"])
    def test_it_reads_22_characters(self, suffix):
        person, category, grade = parse_certificate_number(MALE_1990 + "71" + suffix)
        assert (person.value, category, grade) == (MALE_1990, 7, 1)

    def test_it_cleans_full_width_certificate_numbers(self):
        person, category, grade = parse_certificate_number(" １１０１０５１９４９１２３１００２ｘ６３ ")
        assert (person.value, category, grade) == (SAMPLE, 6, 3)

    @pytest.mark.parametrize("tail", ["02", "82", "45", "40", "4A"])
    def test_it_rejects_unknown_categories_and_grades(self, tail):
        with pytest.raises(IdNumberError) as caught:
            parse_certificate_number(SAMPLE + tail)
        assert caught.value.code == "certificate"
        assert f"「{tail}」" in caught.value.message

    def test_it_checks_the_id_part(self):
        with pytest.raises(IdNumberError) as caught:
            parse_certificate_number("11010519491231003X42")
        assert caught.value.code == "check_character"

    @pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002X4", "11010519491231002X421"])
    def test_it_rejects_other_lengths(self, raw):
        with pytest.raises(IdNumberError) as caught:
            parse_certificate_number(raw)
        assert caught.value.code == "length"
        assert f"现在是 {len(raw)} 位" in caught.value.message

    @pytest.mark.parametrize("raw", ["999999000000000000", "99999919900101123X42"])
    def test_it_rejects_the_placeholder_by_default(self, raw):
        with pytest.raises(IdNumberError) as caught:
            parse_certificate_number(raw)
        assert caught.value.code == "placeholder"
        assert "没有登记" in caught.value.message

    def test_it_returns_none_for_an_allowed_placeholder(self):
        assert parse_certificate_number("999999000000000000", allow_placeholder=True) is None

    def test_allowing_the_placeholder_still_checks_real_numbers(self):
        with pytest.raises(IdNumberError):
            parse_certificate_number("110105194912310021", allow_placeholder=True)

    def test_it_rejects_empty(self):
        with pytest.raises(IdNumberError) as caught:
            parse_certificate_number("  ")
        assert caught.value.code == "empty"
