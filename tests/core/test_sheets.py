import io
import struct
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from xml.sax.saxutils import escape

import openpyxl
import pytest
from python_calamine import PasswordError

from evalprep.core import sheets
from evalprep.core.sheets import (
    CellError,
    SheetError,
    column_letter,
    find_header_row,
    format_date_zh,
    normalize_text,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    parse_year_month,
    read_workbook_rows,
)

PERSON_HEADERS = {
    "县": "county",
    "县(市、区、旗)": "county",
    "乡": "township",
    "乡(镇)": "township",
    "村": "village",
    "行政村": "village",
    "户编号": "household_number",
    "证件号码": "id_number",
    "身份证号码": "id_number",
    "姓名": "name",
    "出生日期": "birth_date",
    "人均纯收入（元）": "net_income_per_capita",
    "是否危房户": "dangerous_housing",
    "识别监测时间": "monitoring_start",
    "公益性岗位": "public_welfare_job",
    "公益性岗位(月数)": "public_welfare_job_months",
}


# Building real files


def write_xlsx(path, rows, *, merges=(), title="Sheet1"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def ods_bytes(rows, *, title="Sheet1", merged_title_span=0):
    """A minimal .ods: mimetype, manifest and content.xml, written by hand."""

    def cell(value, span=0):
        spanned = f' table:number-columns-spanned="{span}"' if span else ""
        if isinstance(value, (int, float)):
            return f'<table:table-cell{spanned} office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if isinstance(value, date):
            return f'<table:table-cell{spanned} office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value}</text:p></table:table-cell>'
        if value is None:
            return "<table:table-cell/>"
        return f'<table:table-cell{spanned} office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    xml_rows = []
    for index, row in enumerate(rows):
        if index == 0 and merged_title_span:
            cells = cell(row[0], merged_title_span) + f'<table:covered-table-cell table:number-columns-repeated="{merged_title_span - 1}"/>'
        else:
            cells = "".join(cell(value) for value in row)
        xml_rows.append(f"<table:table-row>{cells}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(title)}">'
        + "".join(xml_rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def xls_bytes(rows, *, title="Sheet1", fat_offset=1):
    """A minimal old-style .xls: BIFF8 records (BOF, BOUNDSHEET, LABEL, NUMBER,
    EOF) in a one-stream compound file. fat_offset other than 1 breaks the
    sector chain, which makes a damaged file."""

    def record(kind, data=b""):
        return struct.pack("<HH", kind, len(data)) + data

    def bof(kind):
        return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    def value_record(row, col, value):
        if isinstance(value, str):
            text = struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")
            return record(0x0204, struct.pack("<HHH", row, col, 0) + text)
        return record(0x0203, struct.pack("<HHHd", row, col, 0, value))

    cells = b"".join(
        value_record(r, c, value)
        for r, row in enumerate(rows)
        for c, value in enumerate(row)
        if value is not None
    )
    dimensions = record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, max(map(len, rows)), 0))
    sheet = bof(0x0010) + dimensions + cells + record(0x000A)

    def globals_(offset):
        name = struct.pack("<BB", len(title), 1) + title.encode("utf-16-le")
        return (
            bof(0x0005)
            + record(0x0042, struct.pack("<H", 1200))
            + record(0x0085, struct.pack("<IBB", offset, 0, 0) + name)
            + record(0x000A)
        )

    stream = globals_(len(globals_(0))) + sheet
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\x00")
    sectors = len(stream) // 512
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat = [0xFFFFFFFD, end] + [i + fat_offset for i in range(2, sectors + 1)] + [end]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")

    def entry(name, kind, child, start, size):
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", free, free, child)
            + b"\x00" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("Workbook", 2, free, 2, len(stream))
        + entry("", 0, free, 0, 0) * 2
    )
    return header + fat_sector + directory + stream


@pytest.fixture
def village_roster(tmp_path):
    """A roster as a village sends it: merged title, a notes row, header on
    row 3 with stray spaces and notes, full-width digits, 元 amounts, √/×."""
    rows = [
        ["某某村脱贫户花名册"],
        ["填表说明：身份证号码请设为文本格式"],
        ["县 ", "乡", "村", "户编号", "姓 名", "身份证号码（必填）", "出生日期", "人均纯收入（元）", "是否危房户", "备注"],
        ["某县", "某乡", "某村", "５２０１２２０００１", "张三 ", " 11010519491231002X ", date(1949, 12, 31), "1,234.50元", "×", ""],
        ["某县", "某乡", "某村", 520122000002, "李\u3000四", "１１０１０１２００００１０１００２９", "2000.1.1", "１２，３４５元", "√", "新增"],
        ["某县", "某乡", "某村", 520122000003, "王五", 6.40104199001011e17, "2022年12月20日", 3200.5, "是", None],
    ]
    path = write_xlsx(tmp_path / "花名册.xlsx", rows, merges=["A1:J1", "A2:J2"], title="脱贫户")
    return path


# Cell values


class TestNormalizeText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, ""),
            ("", ""),
            ("  张三  ", "张三"),
            ("李\u3000\u3000四", "李 四"),
            ("\xa0身份证\n号码\r\n", "身份证 号码"),
            ("１２３ＡＢＣａｂｃ", "123ABCabc"),
            ("身份证号码（必填）", "身份证号码(必填)"),
            ("产业帮扶，就业帮扶", "产业帮扶,就业帮扶"),
            ("产业帮扶、就业帮扶。", "产业帮扶、就业帮扶。"),
            ("【注意】《办法》", "【注意】《办法》"),
            ("\ufeff户编号\u200b", "户编号"),
            (12.0, "12"),
            (520122000001.0, "520122000001"),
            (1234.5, "1234.5"),
            (6.40104199001011e17, "6.40104199001011e+17"),
            (float("nan"), ""),
            (7, "7"),
            (True, "TRUE"),
            (date(2022, 12, 20), "2022-12-20"),
            (datetime(2022, 12, 20), "2022-12-20"),
            (datetime(2022, 12, 20, 8, 30), "2022-12-20 08:30:00"),
            (time(8, 30), "08:30:00"),
        ],
    )
    def test_it_normalizes(self, value, text):
        assert normalize_text(value) == text


class TestParseBool:
    @pytest.mark.parametrize(
        "value",
        ["是", "√", "✓", "✔", "有", "Y", "y", "yes", "YES", "True", "TRUE", "1", 1, 1.0, "对", "已", " 是 ", "Ｙ", True],
    )
    def test_it_reads_yes(self, value):
        assert parse_bool(value) is True

    @pytest.mark.parametrize(
        "value",
        ["否", "×", "✗", "✘", "无", "N", "n", "no", "NO", "false", "FALSE", "0", 0, 0.0, "错", "未", "\u3000否", "Ｎ", False],
    )
    def test_it_reads_no(self, value):
        assert parse_bool(value) is False

    @pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
    def test_it_reads_blank_as_none(self, value):
        assert parse_bool(value) is None

    @pytest.mark.parametrize("value", ["可能", "2", 2.0, "是否", "X"])
    def test_it_rejects_anything_else(self, value):
        with pytest.raises(CellError) as caught:
            parse_bool(value)
        assert f"「{normalize_text(value)}」" in caught.value.message
        assert "是 或 否" in caught.value.message


class TestParseAmount:
    @pytest.mark.parametrize(
        ("value", "amount"),
        [
            ("1234.50", Decimal("1234.50")),
            ("1,234.50元", Decimal("1234.50")),
            ("１，２３４．５０元", Decimal("1234.50")),
            ("￥1,234.5", Decimal("1234.5")),
            ("¥ 88", Decimal("88")),
            (" 3 200 元 ", Decimal("3200")),
            ("1.2万元", Decimal("12000")),
            ("3万", Decimal("30000")),
            ("-12.5", Decimal("-12.5")),
            ("−3元", Decimal("-3")),
            ("-￥5", Decimal("-5")),
            ("+7", Decimal("7")),
            (".5", Decimal("0.5")),
            (1234.5, Decimal("1234.5")),
            (0.1, Decimal("0.1")),
            (3200, Decimal("3200")),
            (Decimal("9.99"), Decimal("9.99")),
        ],
    )
    def test_it_reads_amounts(self, value, amount):
        assert parse_amount(value) == amount

    def test_it_keeps_floats_exact_as_shown(self):
        assert str(parse_amount(1234.56)) == "1234.56"

    @pytest.mark.parametrize("value", [None, "", " ", float("nan")])
    def test_it_reads_blank_as_none(self, value):
        assert parse_amount(value) is None

    def test_it_explains_garbage(self):
        with pytest.raises(CellError) as caught:
            parse_amount("一千二")
        assert caught.value.message == "「一千二」不是金额，请填写数字，如 1234.50。"

    @pytest.mark.parametrize("value", ["元", "1.2.3", "12元5角", "--5", "1e5", True, float("inf"), "约1000"])
    def test_it_rejects_what_is_not_an_amount(self, value):
        with pytest.raises(CellError, match="不是金额"):
            parse_amount(value)


class TestParseInt:
    @pytest.mark.parametrize(
        ("value", "number"),
        [("3", 3), ("3人", 3), ("3户", 3), (" 3 人 ", 3), ("3.0", 3), ("３", 3), ("1,200", 1200), ("-2", -2), (3, 3), (3.0, 3), (Decimal("4"), 4)],
    )
    def test_it_reads_whole_numbers(self, value, number):
        assert parse_int(value) == number

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_it_reads_blank_as_none(self, value):
        assert parse_int(value) is None

    @pytest.mark.parametrize("value", ["三个", "3.5", 3.5, Decimal("3.5"), True, "3万", "人"])
    def test_it_rejects_what_is_not_a_whole_number(self, value):
        with pytest.raises(CellError) as caught:
            parse_int(value)
        assert "不是整数" in caught.value.message
        assert f"「{normalize_text(value)}」" in caught.value.message


class TestParseDate:
    @pytest.mark.parametrize(
        "value",
        [
            "2022年12月20日",
            "2022 年 12 月 20 日",
            "2022年12月20号",
            "２０２２年１２月２０日",
            "2022.12.20",
            "2022/12/20",
            "2022-12-20",
            "2022-12-20 08:30:00",
            "2022-12-20T08:30",
            "20221220",
            " 20221220 ",
            20221220.0,
            20221220,
            44915.0,
            44915.75,
            "44915",
            date(2022, 12, 20),
            datetime(2022, 12, 20, 15, 0),
        ],
    )
    def test_it_reads_the_spellings_villages_use(self, value):
        assert parse_date(value) == date(2022, 12, 20)

    @pytest.mark.parametrize(("value", "expected"), [("2022.1.5", date(2022, 1, 5)), ("2022/1/5", date(2022, 1, 5))])
    def test_it_reads_single_digit_months_and_days(self, value, expected):
        assert parse_date(value) == expected

    @pytest.mark.parametrize("value", ["202212", 202212.0, "2022年12月", "2022-12"])
    def test_it_reads_a_bare_year_month_as_the_first(self, value):
        assert parse_date(value) == date(2022, 12, 1)

    @pytest.mark.parametrize(
        ("serial", "expected"),
        [(1, date(1900, 1, 1)), (59, date(1900, 2, 28)), (61, date(1900, 3, 1)), (36526, date(2000, 1, 1)), (45292.0, date(2024, 1, 1))],
    )
    def test_it_reads_excel_serials_in_the_1900_system(self, serial, expected):
        assert parse_date(serial) == expected

    def test_it_rejects_excels_29_february_1900(self):
        with pytest.raises(CellError, match="不存在"):
            parse_date(60)

    @pytest.mark.parametrize("value", [None, "", "\u3000", float("nan")])
    def test_it_reads_blank_as_none(self, value):
        assert parse_date(value) is None

    @pytest.mark.parametrize("value", ["2022年2月30日", "2022-13-01", "20221320", 20220230.0, "2022.02.29"])
    def test_it_rejects_days_that_do_not_exist(self, value):
        with pytest.raises(CellError) as caught:
            parse_date(value)
        assert "不存在" in caught.value.message

    @pytest.mark.parametrize("value", ["1850-01-01", date(1899, 12, 31), "2101-01-01", 2958465.0, 0, -5.0])
    def test_it_rejects_dates_outside_1900_to_2100(self, value):
        with pytest.raises(CellError, match="1900 年到 2100 年"):
            parse_date(value)

    @pytest.mark.parametrize("value", ["明年", "2022", "22.12.20", "2022-12/20", "12/20/2022", True])
    def test_it_rejects_what_is_not_a_date(self, value):
        with pytest.raises(CellError) as caught:
            parse_date(value)
        assert "不是日期" in caught.value.message
        assert "2022年12月20日" in caught.value.message

    def test_it_names_the_bad_month(self):
        with pytest.raises(CellError, match="月份应为 1–12"):
            parse_date("2022年13月")


class TestParseYearMonth:
    @pytest.mark.parametrize(
        "value",
        ["202212", " 202212 ", "２０２２１２", 202212.0, 202212, "2022年12月", "2022年12", "2022-12", "2022.12", "2022/12", "2022-12-20", "2022年12月20日", date(2022, 12, 20), datetime(2022, 12, 31, 23, 59)],
    )
    def test_it_reads_the_first_of_the_month(self, value):
        assert parse_year_month(value) == date(2022, 12, 1)

    def test_it_reads_single_digit_months(self):
        assert parse_year_month("2023年3月") == date(2023, 3, 1)

    @pytest.mark.parametrize("value", [None, "", " "])
    def test_it_reads_blank_as_none(self, value):
        assert parse_year_month(value) is None

    @pytest.mark.parametrize("value", ["202213", "2022年0月", "2022-13"])
    def test_it_rejects_bad_months(self, value):
        with pytest.raises(CellError, match="月份应为 1–12"):
            parse_year_month(value)

    @pytest.mark.parametrize("value", ["去年", "2022", "12月"])
    def test_it_rejects_what_is_not_a_year_month(self, value):
        with pytest.raises(CellError) as caught:
            parse_year_month(value)
        assert "不是年月" in caught.value.message

    def test_it_rejects_years_out_of_range(self):
        with pytest.raises(CellError, match="1900 年到 2100 年"):
            parse_year_month("185001")


def test_it_formats_dates_in_chinese():
    assert format_date_zh(date(2022, 12, 20)) == "2022年12月20日"
    assert format_date_zh(date(2023, 1, 5)) == "2023年1月5日"


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (4, "E"), (25, "Z"), (26, "AA"), (51, "AZ"), (176, "FU"), (701, "ZZ"), (702, "AAA")])
def test_it_names_columns_like_a_spreadsheet(index, letter):
    assert column_letter(index) == letter


# Reading files


class TestReadWorkbookRows:
    def test_it_reads_a_village_roster_from_a_path(self, village_roster):
        rows = read_workbook_rows(village_roster, filename="花名册.xlsx")
        assert rows[0][0] == "某某村脱贫户花名册"
        assert rows[0][1:] == [""] * 9  # a merged cell comes through once
        assert rows[2][0] == "县 "  # raw: cleaning is the caller's business
        assert rows[3][6] == date(1949, 12, 31)
        assert rows[4][3] == 520122000002.0
        assert len(rows) == 6

    def test_it_reads_bytes_and_file_objects(self, village_roster):
        data = village_roster.read_bytes()
        from_path = read_workbook_rows(str(village_roster), filename="花名册.xlsx")
        assert read_workbook_rows(data, filename="花名册.xlsx") == from_path
        upload = io.BytesIO(data)
        upload.read(10)  # a half-read upload is rewound
        assert read_workbook_rows(upload, filename="花名册.xlsx") == from_path

    def test_rows_and_columns_match_the_spreadsheet(self, tmp_path):
        workbook = openpyxl.Workbook()
        workbook.active["C3"] = "户编号"
        workbook.active["D4"] = 1
        workbook.save(tmp_path / "offset.xlsx")
        rows = read_workbook_rows(tmp_path / "offset.xlsx", filename="offset.xlsx")
        assert rows[2][2] == "户编号"  # row 3, column C
        assert rows[3][3] == 1.0

    def test_it_drops_trailing_blank_rows(self, tmp_path):
        workbook = openpyxl.Workbook()
        workbook.active.append(["县", "乡"])
        workbook.active["A10"] = "   "
        workbook.save(tmp_path / "blank-tail.xlsx")
        assert read_workbook_rows(tmp_path / "blank-tail.xlsx", filename="blank-tail.xlsx") == [["县", "乡"]]

    def test_it_picks_a_sheet_by_name_or_index(self, tmp_path):
        workbook = openpyxl.Workbook()
        workbook.active.title = "说明"
        workbook.active.append(["请勿修改"])
        workbook.create_sheet("户信息").append(["户编号", "户主"])
        workbook.save(tmp_path / "two.xlsx")
        assert read_workbook_rows(tmp_path / "two.xlsx", filename="two.xlsx") == [["请勿修改"]]
        assert read_workbook_rows(tmp_path / "two.xlsx", filename="two.xlsx", sheet="户信息") == [["户编号", "户主"]]
        assert read_workbook_rows(tmp_path / "two.xlsx", filename="two.xlsx", sheet=1) == [["户编号", "户主"]]

    def test_it_names_the_sheets_there_are(self, tmp_path):
        write_xlsx(tmp_path / "one.xlsx", [["县", "乡"]], title="人员")
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(tmp_path / "one.xlsx", filename="one.xlsx", sheet="户信息")
        assert "「户信息」" in caught.value.message
        assert "「人员」" in caught.value.message
        assert "one.xlsx" in caught.value.message

    def test_it_rejects_a_sheet_index_out_of_range(self, tmp_path):
        write_xlsx(tmp_path / "one.xlsx", [["县", "乡"]])
        with pytest.raises(SheetError, match="没有工作表"):
            read_workbook_rows(tmp_path / "one.xlsx", filename="one.xlsx", sheet=3)

    def test_it_reads_ods(self):
        data = ods_bytes(
            [["监测对象信息", None, None], ["证件号码", "人均纯收入（元）", "识别监测时间"], ["11010519491231002X", 1234.5, date(2022, 12, 20)]],
            title="人员",
            merged_title_span=3,
        )
        rows = read_workbook_rows(data, filename="监测对象.ods")
        assert rows == [["监测对象信息", "", ""], ["证件号码", "人均纯收入（元）", "识别监测时间"], ["11010519491231002X", 1234.5, date(2022, 12, 20)]]

    def test_it_reads_old_xls(self):
        data = xls_bytes([["某县花名册", None, None], ["户编号", "证件号码", "金额"], ["001", "11010519491231002X", 1234.5]], title="花名册")
        rows = read_workbook_rows(data, filename="花名册.xls")
        assert rows == [["某县花名册", "", ""], ["户编号", "证件号码", "金额"], ["001", "11010519491231002X", 1234.5]]

    def test_it_goes_by_content_not_extension(self):
        data = xls_bytes([["户编号", "户主"]])
        assert read_workbook_rows(data, filename="改了扩展名.xlsx") == [["户编号", "户主"]]

    @pytest.mark.parametrize(("filename", "words"), [("名单.csv", "CSV"), ("名单.et", ".et"), ("名单.docx", ".xlsx"), ("名单", ".xlsx")])
    def test_it_rejects_unsupported_extensions(self, village_roster, filename, words):
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(village_roster, filename=filename)
        assert f"「{filename}」" in caught.value.message
        assert words in caught.value.message
        assert "另存为" in caught.value.message

    def test_it_explains_a_renamed_csv(self):
        with pytest.raises(SheetError) as caught:
            read_workbook_rows("县,乡,村\n某县,某乡,某村\n".encode("gb18030"), filename="名单.xlsx")
        assert "「名单.xlsx」" in caught.value.message
        assert "CSV" in caught.value.message

    @pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
    def test_it_explains_a_long_renamed_csv(self, encoding):
        text = "县,乡,村,户主姓名\n" + "某某县,某某乡,某某村,张三丰\n" * 200
        with pytest.raises(SheetError, match="CSV"):
            read_workbook_rows(text.encode(encoding), filename="名单.xls")

    def test_it_explains_a_web_page_saved_as_xls(self):
        with pytest.raises(SheetError) as caught:
            read_workbook_rows("<html><table><tr><td>县</td></tr></table></html>".encode(), filename="导出.xls")
        assert "「导出.xls」" in caught.value.message
        assert "网页" in caught.value.message

    def test_it_rejects_an_empty_file(self):
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(b"", filename="空.xlsx")
        assert "「空.xlsx」" in caught.value.message
        assert "0 字节" in caught.value.message

    def test_it_rejects_an_empty_workbook(self, tmp_path):
        openpyxl.Workbook().save(tmp_path / "blank.xlsx")
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(tmp_path / "blank.xlsx", filename="blank.xlsx")
        assert "「blank.xlsx」" in caught.value.message
        assert "是空的" in caught.value.message

    def test_it_rejects_a_truncated_xlsx(self, village_roster):
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(village_roster.read_bytes()[:2000], filename="花名册.xlsx")
        assert "已损坏" in caught.value.message

    def test_it_survives_a_damaged_xls_that_makes_calamine_panic(self):
        damaged = xls_bytes([["户编号", "户主"]], fat_offset=3)
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(damaged, filename="坏.xls")
        assert "「坏.xls」" in caught.value.message

    def test_it_recognises_an_encrypted_workbook(self):
        # Excel and WPS store a password-protected .xlsx as a compound file
        # with an EncryptedPackage stream; its name is in the directory.
        data = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
        with pytest.raises(SheetError) as caught:
            read_workbook_rows(data, filename="加密.xlsx")
        assert "「加密.xlsx」" in caught.value.message
        assert "密码" in caught.value.message

    def test_it_explains_a_password_protected_xls(self, village_roster, monkeypatch):
        def refuse(_file):
            raise PasswordError("Workbook is password protected")

        monkeypatch.setattr(sheets.CalamineWorkbook, "from_filelike", refuse)
        with pytest.raises(SheetError, match="密码"):
            read_workbook_rows(village_roster, filename="花名册.xls")


# Finding the header


class TestFindHeaderRow:
    def test_it_finds_the_header_below_title_and_notes(self, village_roster):
        rows = read_workbook_rows(village_roster, filename="花名册.xlsx")
        index, columns, unknown = find_header_row(rows, known_headers=PERSON_HEADERS)
        assert index == 2
        assert columns == {
            0: "county",
            1: "township",
            2: "village",
            3: "household_number",
            4: "name",
            5: "id_number",
            6: "birth_date",
            7: "net_income_per_capita",
            8: "dangerous_housing",
        }
        assert unknown == ["备注"]

    def test_the_roster_reads_end_to_end(self, village_roster):
        rows = read_workbook_rows(village_roster, filename="花名册.xlsx")
        index, columns, _ = find_header_row(rows, known_headers=PERSON_HEADERS)
        field = {key: col for col, key in columns.items()}
        first, second, third = rows[index + 1 :]
        assert normalize_text(first[field["household_number"]]) == "5201220001"
        assert normalize_text(second[field["name"]]) == "李 四"
        assert parse_amount(first[field["net_income_per_capita"]]) == Decimal("1234.50")
        assert parse_amount(second[field["net_income_per_capita"]]) == Decimal("12345")
        assert parse_amount(third[field["net_income_per_capita"]]) == Decimal("3200.5")
        assert [parse_bool(row[field["dangerous_housing"]]) for row in (first, second, third)] == [False, True, True]
        assert [parse_date(row[field["birth_date"]]) for row in (first, second, third)] == [date(1949, 12, 31), date(2000, 1, 1), date(2022, 12, 20)]
        assert normalize_text(third[field["id_number"]]) == "6.40104199001011e+17"

    def test_it_reads_the_national_system_layout(self, tmp_path):
        header = ["县", "乡", "村", "户编号", "证件号码", "出生日期", "识别监测时间", "公益性岗位", "公益性岗位(月数)", "致贫/返贫风险1"]
        path = write_xlsx(
            tmp_path / "监测对象信息.xlsx",
            [["（自定义）监测对象信息"], ["导出时间：2023-12-20"], header, ["某县", "某乡", "某村", "5201220001", "11010519491231002X", "19491231", "202212", "是", "6", "因病"]],
            merges=["A1:J1", "A2:J2"],
        )
        rows = read_workbook_rows(path, filename="监测对象信息.xlsx")
        index, columns, unknown = find_header_row(rows, known_headers=PERSON_HEADERS)
        assert index == 2
        assert columns[7] == "public_welfare_job"
        assert columns[8] == "public_welfare_job_months"
        assert unknown == ["致贫/返贫风险1"]
        data = rows[3]
        assert parse_date(data[5]) == date(1949, 12, 31)
        assert parse_year_month(data[6]) == date(2022, 12, 1)

    @pytest.mark.parametrize(
        "cell",
        ["身份证号码（必填）", "身份证号码(必填)", "身份证号码 （必填） ", "身份证号码【必填】", "*身份证号码", "身份证号码*", "身份证\n号码", "身 份 证 号 码", "\u3000身份证号码\u3000"],
    )
    def test_it_matches_header_variants(self, cell):
        rows = [["姓名", cell]]
        assert find_header_row(rows, known_headers=PERSON_HEADERS)[1] == {0: "name", 1: "id_number"}

    def test_it_matches_variants_listed_in_known_headers(self):
        rows = [["县(市、区、旗)", "乡(镇)", "行政村"]]
        assert find_header_row(rows, known_headers=PERSON_HEADERS)[1] == {0: "county", 1: "township", 2: "village"}

    def test_a_bare_spelling_beats_one_with_notes(self):
        headers = {"公益性岗位(月数)": "job_months", "公益性岗位": "job"}
        rows = [["公益性岗位（月数）", "公益性岗位", "公益性岗位（个）"]]
        _, columns, unknown = find_header_row(rows, known_headers=headers)
        assert columns == {0: "job_months", 1: "job"}
        assert unknown == ["公益性岗位(个)"]

    def test_a_bare_spelling_owns_its_bare_form(self):
        headers = {"公益性岗位(月数)": "job_months", "公益性岗位": "job"}
        rows = [["*公益性岗位", "公益性岗位（月数）"]]
        assert find_header_row(rows, known_headers=headers)[1] == {0: "job", 1: "job_months"}

    def test_a_repeated_field_keeps_its_first_column(self):
        rows = [["证件号码", "姓名", "身份证号码"]]
        _, columns, unknown = find_header_row(rows, known_headers=PERSON_HEADERS)
        assert columns == {0: "id_number", 1: "name"}
        assert unknown == ["身份证号码"]

    def test_a_merged_title_is_never_the_header(self):
        rows = [["证件号码", "", "", ""], ["说明", "", "", ""], ["户编号", "姓名", "备注", ""]]
        index, columns, _ = find_header_row(rows, known_headers=PERSON_HEADERS, min_matches=1)
        assert index == 2
        assert columns == {0: "household_number", 1: "name"}

    def test_a_merged_title_loses_even_a_tie(self):
        rows = [["证件号码", "", ""], ["姓名", "电话", "住址"]]
        assert find_header_row(rows, known_headers=PERSON_HEADERS, min_matches=1)[0] == 1

    def test_it_takes_the_row_with_the_most_matches(self):
        rows = [
            ["说明：", "姓名", "证件号码请填 18 位"],
            ["县", "乡", "村", "姓名", "证件号码"],
        ]
        assert find_header_row(rows, known_headers=PERSON_HEADERS)[0] == 1

    def test_it_takes_the_first_of_equally_good_rows(self):
        rows = [["县", "乡"], ["县", "乡"]]
        assert find_header_row(rows, known_headers=PERSON_HEADERS)[0] == 0

    def test_it_needs_min_matches(self):
        rows = [["姓名", "电话", "住址"]]
        with pytest.raises(SheetError):
            find_header_row(rows, known_headers=PERSON_HEADERS)
        assert find_header_row(rows, known_headers=PERSON_HEADERS, min_matches=1)[1] == {0: "name"}

    def test_it_scans_only_the_first_rows(self):
        rows = [["标题"]] * 15 + [["县", "乡", "村"]]
        with pytest.raises(SheetError):
            find_header_row(rows, known_headers=PERSON_HEADERS)
        assert find_header_row(rows, known_headers=PERSON_HEADERS, max_scan=16)[0] == 15

    def test_it_says_which_headers_it_expected(self):
        rows = [["某村名单"], ["序号", "名字", "电话"]]
        with pytest.raises(SheetError) as caught:
            find_header_row(rows, known_headers=PERSON_HEADERS)
        message = caught.value.message
        assert "没有找到表头" in message
        assert "「县」、「乡」" in message
        assert "「户编号」" in message
        assert "「证件号码」" not in message  # only the first few fields are named

    def test_it_handles_no_rows(self):
        with pytest.raises(SheetError):
            find_header_row([], known_headers=PERSON_HEADERS)


# Dangerous packages: refused before a cell is read


def _plain_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["户编号", "姓名"])
    workbook.active.append(["0001", "王大"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_part(content: bytes, name: str, data: bytes, *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", compression=compression) as package:
        package.writestr(name, data)
    return buffer.getvalue()


def test_it_reads_a_plain_package():
    assert read_workbook_rows(_plain_xlsx(), filename="花名册.xlsx")[1] == ["0001", "王大"]


@pytest.mark.parametrize(("part", "words"), [
    ("xl/vbaProject.bin", "含有宏"),
    ("xl/externalLinks/externalLink1.xml", "断开链接"),
])
def test_it_refuses_macros_and_links_to_other_workbooks(part, words):
    with pytest.raises(SheetError, match=words):
        read_workbook_rows(_with_part(_plain_xlsx(), part, b"<x/>"), filename="花名册.xlsx")


def test_it_refuses_macros_in_an_ods_and_an_old_xls():
    with pytest.raises(SheetError, match="含有宏"):
        read_workbook_rows(_with_part(_plain_xlsx(), "Basic/Standard/Module1.xml", b"<x/>"), filename="花名册.ods")
    fake_xls = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(500) + "_VBA_PROJECT".encode("utf-16-le") + bytes(100)
    with pytest.raises(SheetError, match="含有宏"):
        read_workbook_rows(fake_xls, filename="花名册.xls")


def test_it_refuses_a_zip_bomb_without_unpacking_it():
    bomb = _with_part(_plain_xlsx(), "xl/worksheets/sheet2.xml", b" " * (32 * 1024 * 1024))
    assert len(bomb) < 200 * 1024
    with pytest.raises(SheetError, match="压缩炸弹"):
        read_workbook_rows(bomb, filename="花名册.xlsx")
