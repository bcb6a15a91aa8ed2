import io
from datetime import date

from openpyxl import load_workbook

from evalprep.core.excel import SheetSpec, workbook_bytes


def test_it_writes_text_that_looks_like_a_formula_as_text():
    content = workbook_bytes([SheetSpec("名单", ["姓名", "备注", "金额"], [
        ("=HYPERLINK(\"http://x\")", "+86 138", 1200),
        ("@SUM(A1)", "-1", -5),
        ("张三", date(2022, 12, 20), None),
    ], widths=[10, 20, 8])])
    sheet = load_workbook(io.BytesIO(content))["名单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "备注", "金额")
    assert rows[1] == ("'=HYPERLINK(\"http://x\")", "'+86 138", 1200)
    assert rows[2] == ("'@SUM(A1)", "'-1", -5)
    assert rows[3][0] == "张三" and rows[3][1].date() == date(2022, 12, 20)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 20
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
