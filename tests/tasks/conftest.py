"""Fixtures for the tasks tests: the 2021 plan loaded into the test world's
campaign, the education dropout list assigned to D1, and Excel bytes."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from evalprep.core.idnumber import generate_id_number
from tasks.models import Assignment, TaskTemplate
from tasks.services import task_assign, task_plan_load
from tests.factories import World

DROPOUT_HEADER = ["学生姓名", "身份证号", "行政村", "学段", "情况类别", "劝返或资助情况"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def xlsx_bytes(header: list[str], rows: list[list], *, title_rows: list[str] = ()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def student_id(seq: int) -> str:
    return generate_id_number(region="990101", birth_date=date(2012, 5, 1), sex="male", sequence=seq)


def dropout_rows(count: int = 2) -> list[list]:
    return [[f"学生{n}", student_id(n), "第1镇1村", "初中", "疑似辍学", "已劝返"] for n in range(1, count + 1)]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def plan(world: World):
    task_plan_load(campaign=world.campaign, name="2021-plan")
    return world.campaign


@pytest.fixture
def dropout(world: World, plan) -> Assignment:
    """The education dropout list (六(二)1 四) assigned to D1 教育局."""
    template = TaskTemplate.objects.get(campaign=world.campaign, code="2-1-4")
    return task_assign(template=template, units=[world.departments[0]], user=world.users["coordinator"])[0]
