"""Fixtures for the indicators tests: a tiny library with one requirement per
level (fast), the real 2022 library expanded for the test world, and file
contents of every kind an upload may have."""

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image

from evalprep.core.models import Campaign
from indicators.models import ChecklistRow, Level
from indicators.services import campaign_framework_assign, checklist_expand, framework_load
from tests.factories import World

TINY = {
    "name": "tiny", "version": 1, "title": "测试指标体系", "year": 2026, "province": "",
    "areas": [{"code": "1", "title": "政策落实", "items": [{
        "code": "1.1", "title": "教育帮扶政策落实情况", "focus": "主要评估失学辍学。",
        "requirements": [
            {"code": "1", "mark": "①", "text": "县级会议纪要。", "levels": ["county"]},
            {"code": "2", "mark": "②", "text": "补贴发放名单。", "levels": ["department"], "departments": ["education"]},
            {"code": "3", "mark": "③", "text": "领导小组会议记录。", "levels": ["township", "village"]},
        ],
    }]}],
}
EVIDENCE_DATE = date(2026, 1, 10)


def campaign_use(campaign: Campaign, name: str, path=None) -> int:
    result = framework_load(name=name, path=path)
    campaign_framework_assign(campaign=campaign, framework=result.framework)
    return checklist_expand(campaign=campaign)


@dataclass
class TinyRows:
    county: ChecklistRow
    department: ChecklistRow
    township: ChecklistRow
    village: ChecklistRow


@pytest.fixture
def tiny(world: World, tmp_path) -> TinyRows:
    """The tiny library in the world's campaign: the rows of T1, V1 and D1 (education)."""
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY, ensure_ascii=False), encoding="utf-8")
    campaign_use(world.campaign, "tiny", path)
    rows = ChecklistRow.objects.filter(campaign=world.campaign).select_related("requirement", "campaign")
    return TinyRows(
        county=rows.get(level=Level.COUNTY),
        department=rows.get(department=world.departments[0]),
        township=rows.get(township=world.townships[0]),
        village=rows.get(village=world.villages[0]),
    )


@pytest.fixture
def world_2022(world: World) -> World:
    campaign_use(world.campaign, "2022-inner-mongolia")
    return world


# --- file contents --------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode." * 4
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def image_bytes(fmt: str, colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "补贴发放名单"
    workbook.save(buffer)
    return buffer.getvalue()


def ooxml_bytes(main_type: str, part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)
