"""A small county with what a dossier shows: a few households per village
(one monitored, with risks, measures and workflow steps), a screening run,
the tiny framework's checklist and evidence files (a real PDF and an image)."""

import io
import json
from dataclasses import dataclass
from datetime import date

import pytest
from pypdf import PdfWriter

from households.models import Category, Household, Measure, MonitoringEvent, MonitoringType, Risk
from households.screening import screening_run
from indicators.models import ChecklistRow
from indicators.services import evidence_submit
from tests.factories import World, make_household
from tests.indicators.conftest import EVIDENCE_DATE, TINY, campaign_use, image_bytes, upload


def pdf_pages(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Filled:
    world: World
    monitored: Household
    households: list


def fill_county(world: World, tmp_path, *, per_village: int = 3) -> Filled:
    households = []
    for v, village in enumerate(world.villages):
        for n in range(per_village):
            households.append(make_household(village, number=f"{village.code}{n + 1:04d}", seq=v * 10 + n))
    monitored = households[0]
    Household.objects.filter(pk=monitored.pk).update(
        category=Category.MONITORED, monitoring_type=MonitoringType.MARGINAL, monitoring_since=date(2025, 3, 1),
        helper_name="帮扶人甲", helper_phone="13912345678", minimum_living=True, minimum_living_amount=3600,
        head_name="=HYPERLINK(\"x\")",
    )
    monitored.refresh_from_db()
    Risk.objects.create(household=monitored, kind="因病", identified_on=date(2025, 3, 1), note="慢性病长期用药")
    Measure.objects.create(household=monitored, kind="健康帮扶", detail="家庭医生签约服务", started_on=date(2025, 4, 1))
    MonitoringEvent.objects.create(household=monitored, step="identified", on=date(2025, 3, 1), by_name="村支书")
    MonitoringEvent.objects.create(household=monitored, step="included", on=date(2025, 3, 10), by_name="村支书")
    Household.objects.filter(pk=households[1].pk).update(housing_grade="D")
    path = tmp_path / "tiny-dossier.json"
    path.write_text(json.dumps(TINY, ensure_ascii=False), encoding="utf-8")
    campaign_use(world.campaign, "tiny", path)
    screening_run(campaign=world.campaign)
    row = ChecklistRow.objects.get(campaign=world.campaign, village=world.villages[0])
    evidence_submit(row=row, files=[upload("会议记录.pdf", pdf_pages(2)), upload("签到表.png", image_bytes("PNG"))],
                    note="", evidence_date=EVIDENCE_DATE, user=world.users["village_cadre"])
    department_row = ChecklistRow.objects.get(campaign=world.campaign, department=world.departments[0])
    evidence_submit(row=department_row, files=[upload("补贴发放名单.pdf", pdf_pages(1))], note="",
                    evidence_date=EVIDENCE_DATE, user=world.users["department_staff"])
    return Filled(world=world, monitored=monitored, households=households)


@pytest.fixture
def filled(world, tmp_path) -> Filled:
    return fill_county(world, tmp_path)
