"""Every builder on a small county: what the files say, that the Chinese font
is embedded, page counts, sheets and rows, and that personal data is masked."""

import io
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from evalprep.core.errors import DossierError
from evalprep.dossiers.builders import REGISTRY, builder_for
from evalprep.dossiers.services import dossier_context


def _render(kind: str, scope: str, unit, fmt: str) -> bytes:
    name, mimetype, content = builder_for(kind).render(dossier_context(scope=scope, unit=unit), fmt)
    assert name.endswith(f".{fmt}")
    return content


def _text(content: bytes) -> str:
    """The PDF's text without whitespace (narrow table cells wrap anywhere)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def _pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def _fonts(content: bytes, tmp_path) -> str:
    path = tmp_path / "f.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def _assert_cjk_embedded(content: bytes, tmp_path) -> None:
    lines = [line for line in _fonts(content, tmp_path).splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert lines, "no CJK font in the PDF"
    assert all(line.split()[-5] == "yes" for line in lines), lines  # the "emb" column


def test_it_builds_a_village_dossier_pdf_with_its_households(filled, tmp_path):
    village = filled.world.villages[0]
    content = _render("village", "village", village, "pdf")
    text = _text(content)
    assert village.name in text and "户主" in text
    assert filled.households[1].head_name in text  # a household head's name in the roster
    for title in ["目", "村情概况", "农户分类统计与花名册", "监测户风险", "应纳未纳筛查", "佐证资料清单"]:
        assert title in text
    assert "慢性病长期用药" in text and "家庭医生签约服务" in text and "纳入监测" in text
    assert "会议记录.pdf" in text  # what is on file
    assert "138****1234" in text and "13800001234" not in text  # household phones, masked
    assert text.count("甲县2026年度后评估") >= _pages(content)  # the running header (and the cover)
    assert 5 <= _pages(content) <= 12
    _assert_cjk_embedded(content, tmp_path)


def test_it_numbers_the_contents_with_the_pages_chapters_start_on(filled):
    content = _render("village", "village", filled.world.villages[0], "pdf")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    contents = next(p for p in pages if "目" in p and "录" in p)
    start = next(i for i, p in enumerate(pages) if "1．村情概况" in p and "录" not in p) + 1
    assert "1．村情概况" in contents and f" {start}" in contents.split("1．村情概况", 1)[1].split("\n", 1)[0]
    assert f"—{start}—" in pages[start - 1].replace(" ", "")


def test_it_repeats_table_headers_on_every_page_of_a_long_table(world, tmp_path):
    from tests.factories import make_household

    village = world.villages[1]
    for n in range(80):
        make_household(village, number=f"R{n:04d}", members=1, seq=100 + n)
    content = _render("village", "village", village, "pdf")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    roster_pages = [p for p in pages if "R00" in p]
    assert len(roster_pages) >= 2
    assert all("户编号" in p and "帮扶责任人" in p for p in roster_pages)


def test_it_leaves_out_sections_whose_module_has_no_data(world):
    content = _render("village", "village", world.villages[2], "pdf")
    text = _text(content)
    assert "村情概况" in text
    assert "应纳未纳筛查" not in text and "佐证资料清单" not in text  # never screened, no framework


def test_it_writes_the_village_workbook_with_a_sheet_per_section(filled, tmp_path):
    content = _render("village", "village", filled.world.villages[0], "xlsx")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["封面", "村情概况", "村干部", "分类统计", "花名册", "监测户", "筛查提示", "佐证清单"]
    roster = workbook["花名册"]
    assert roster.freeze_panes == "A2"
    assert roster.column_dimensions["A"].width == 16
    assert roster.max_row == 1 + 3
    heads = [row[1] for row in roster.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"x\")" in heads  # a formula-like name is neutralised
    assert all(cell.data_type != "f" for row in roster.iter_rows() for cell in row)
    phones = [row[8] for row in roster.iter_rows(min_row=2, values_only=True)]
    assert phones and all("****" in phone for phone in phones)
    assert workbook["监测户"].max_row == 2


def test_it_prints_one_information_card_per_household_with_masked_ids(filled, tmp_path):
    village = filled.world.villages[0]
    content = _render("cards", "village", village, "pdf")
    assert _pages(content) == 3
    text = _text(content)
    member = filled.households[1].members.first()
    assert member.name in text and member.id_number not in text and member.id_number[-4:] in text
    assert "低保：3,600.00元/年" in text and "健康帮扶" in text and "人均纯收入" in text
    _assert_cjk_embedded(content, tmp_path)


def test_it_builds_the_department_dossier(filled, tmp_path):
    department = filled.world.departments[0]
    pdf = _render("department", "department", department, "pdf")
    text = _text(pdf)
    assert "教育局" in text and "补贴发放名单.pdf" in text and "department_staff" in text
    _assert_cjk_embedded(pdf, tmp_path)
    workbook = load_workbook(io.BytesIO(_render("department", "department", department, "xlsx")))
    assert workbook.sheetnames == ["封面", "部门职责", "部门人员", "佐证清单"]
    assert workbook["佐证清单"].max_row == 2


def test_it_builds_the_county_briefing_pack(filled, tmp_path):
    county = filled.world.county
    pdf = _render("county", "county", county, "pdf")
    text = _text(pdf)
    for title in ["全县基本数据", "迎评资料完成度", "主要风险", "逾期事项", "按乡镇", "按行政村", "因病"]:
        assert title in text, title
    assert filled.world.villages[0].name in text and filled.monitored.head_name[:5] in text
    _assert_cjk_embedded(pdf, tmp_path)
    workbook = load_workbook(io.BytesIO(_render("county", "county", county, "xlsx")))
    assert {"全县基本数据", "分乡镇", "完成度按乡镇", "完成度按行政村", "风险类型", "逾期佐证"} <= set(workbook.sheetnames)
    assert workbook["完成度按行政村"].max_row == 1 + 4  # every village of the county, with or without rows


def test_it_packs_the_briefing_and_every_village_into_a_zip(filled):
    content = _render("pack", "county", filled.world.county, "zip")
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert sum(name.startswith("各村档案/") and name.endswith(".pdf") for name in names) == 4
    assert any(name.endswith("迎评情况汇报材料_" + name.rsplit("_", 1)[1]) for name in names if name.endswith(".xlsx"))


def test_it_binds_pdfs_and_images_behind_a_cover_and_contents(filled, tmp_path):
    content = _render("binder", "village", filled.world.villages[0], "pdf")
    reader = PdfReader(io.BytesIO(content))
    front = reader.pages[0].extract_text() + reader.pages[1].extract_text() if len(reader.pages) > 1 else ""
    assert "佐证资料汇编" in front and "会议记录.pdf" in front and "签到表.png" in front
    assert len(reader.pages) == 2 + 2 + 1  # cover and contents, the 2-page PDF, the image
    assert [item.title for item in reader.outline][-2:] == ["会议记录.pdf", "签到表.png"]


def test_it_refuses_an_empty_binder_with_a_message(world):
    with pytest.raises(DossierError, match="还没有上传"):
        _render("binder", "village", world.villages[1], "pdf")


def test_it_registers_every_kind_in_one_place():
    assert set(REGISTRY) == {
        "village_dossier", "household_cards", "department_dossier", "county_briefing", "county_pack",
        "evidence_binder", "policy_compilation",
    }
    with pytest.raises(DossierError, match="不提供"):
        builder_for("cards").render(None, "xlsx")


def test_it_reads_a_bounded_number_of_queries_whatever_the_village_size(world, django_assert_max_num_queries):
    from evalprep.dossiers.builders.base import NoProgress
    from tests.dossiers.conftest import fill_modules, fill_national
    from tests.factories import make_household

    village = world.villages[0]
    for n in range(30):
        make_household(village, number=f"Q{n:04d}", members=2, category="monitored", seq=200 + n)
    fill_modules(world, tasks=10, findings=10)  # interview sheets, assignments, findings and guides too
    fill_national(world, extra=10)  # and the national export's discrepancies and check hits
    ctx = dossier_context(scope="village", unit=village)
    with django_assert_max_num_queries(36):
        chapters = builder_for("village").chapters(ctx, NoProgress)
    assert {"reconciliation", "village_interviews", "village_tasks", "village_findings", "village_guides"} <= {c.key for c in chapters}
    with django_assert_max_num_queries(15):
        chapters = builder_for("department").chapters(dossier_context(scope="department", unit=world.departments[0]), NoProgress)
    assert {"department_tasks", "department_interviews", "department_findings"} <= {c.key for c in chapters}
    with django_assert_max_num_queries(45):
        chapters = builder_for("county").chapters(dossier_context(scope="county", unit=world.county), NoProgress)
    assert {"findings_status", "county_reconciliation", "leader_cards"} <= {c.key for c in chapters}
    with django_assert_max_num_queries(10):
        from evalprep.dossiers.builders.sections import household_cards

        household_cards(village)
