import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from evalprep.core.idnumber import mask_phone
from evalprep.core.models import AuditEvent
from evalprep.dossiers.models import Job, JobStatus
from households import views
from households.models import Household, ImportStatus, Member, RosterImport
from tests.dossiers.test_jobs import jobs_inline  # noqa: F401 (fixture)
from tests.factories import PASSWORD, make_household
from tests.households.builders import family, header_for, write_xlsx


def _login(client, role: str) -> None:
    assert client.login(username=role, password=PASSWORD)


def _bulk_households(village, count: int) -> None:
    start = Household.objects.count()
    Household.objects.bulk_create(
        Household(village=village, number=f"B{n:06d}", head_name=f"户主{n}", member_count=1) for n in range(start, start + count)
    )
    households = list(Household.objects.filter(village=village, number__startswith="B", members__isnull=True).values_list("pk", flat=True))
    Member.objects.bulk_create(
        Member(household_id=pk, name="某", id_number=f"X{pk:017d}", sex="male", birth_date=date(1980, 1, 1), relation="户主")
        for pk in households
    )


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("role", ["coordinator", "village_cadre"])
def test_it_lists_100_or_10000_households_with_the_same_queries(world, client, role):
    _login(client, role)
    village = world.villages[0]
    counts = []
    for total in (100, 10_000):
        _bulk_households(village, total - Household.objects.count())
        counts.append(_count_queries(client, reverse("households:roster") + "?flag=uninsured&q=户主"))
        counts.append(_count_queries(client, reverse("households:roster") + "?page=3"))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert max(counts) <= 9


def test_it_pages_the_county_roster_in_village_and_number_order_with_the_exact_total(world, client, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    placed = [(2, "0002"), (0, "0003"), (2, "0001"), (0, "0001"), (1, "0005"), (0, "0002"), (2, "0004")]
    for seq, (village, number) in enumerate(placed, 1):
        make_household(world.villages[village], number=number, seq=seq)
    _login(client, "coordinator")
    shown = []
    for number in (1, 2, 3):
        response = client.get(reverse("households:roster") + f"?page={number}")
        shown += [(row["village_id"], row["number"]) for row in response.context["page"]]
    in_order = sorted(placed, key=lambda place: (world.villages[place[0]].code, place[1]))
    assert shown == [(world.villages[v].pk, n) for v, n in in_order]
    assert "共 7 户" in response.content.decode() and "第 3 / 3 页" in response.content.decode()
    response = client.get(reverse("households:roster") + "?q=户主000&category=lifted&page=2")  # filtered, same order
    assert [(row["village_id"], row["number"]) for row in response.context["page"]] == shown[3:6]


def test_it_shows_a_household_with_the_same_queries_whatever_the_registry_size(world, client):
    _login(client, "village_cadre")
    household = make_household(world.villages[0], number="0001", members=4, seq=1)
    counts = []
    for total in (100, 10_000):
        _bulk_households(world.villages[0], total - Household.objects.count())
        counts.append(_count_queries(client, reverse("households:household", args=[household.pk])))
    assert counts[0] == counts[1] <= 10, counts


def test_it_masks_ids_and_logs_every_reveal(world, client):
    household = make_household(world.villages[0], number="0001", seq=1)
    head = household.members.get(relation="户主")
    _login(client, "village_cadre")
    page = client.get(reverse("households:household", args=[household.pk])).content.decode()
    assert head.id_number not in page and head.id_number[:6] + "********" + head.id_number[-4:] in page
    response = client.post(reverse("households:member_reveal", args=[household.pk, head.pk, "id_number"]))
    assert head.id_number in response.content.decode()
    event = AuditEvent.objects.get(action="reveal_id_number")
    assert (event.user, event.object_id) == (world.users["village_cadre"], str(head.pk))
    assert client.post(reverse("households:member_reveal", args=[household.pk, head.pk, "name"])).status_code == 404
    assert AuditEvent.objects.count() == 1


def test_the_member_and_income_rows_written_in_python_escape_what_people_typed(world, client):
    """The household's members and incomes are written without the template engine: what was typed
    must still come out escaped, ID numbers and phones masked, and the reveal buttons only for those
    who may write (a phone's only where there is one)."""
    household = make_household(world.villages[0], number="0001", members=2, seq=1)
    head, spouse = household.members.order_by("pk")
    Member.objects.filter(pk=head.pk).update(
        name='<script>alert("x")</script>', phone="13912345678", disability_grade=2, chronic_illness=True,
        out_of_school=True, out_of_school_reason='因病 & "休学"', medical_insurance=False, work_location="province",
    )
    Member.objects.filter(pk=spouse.pk).update(medical_insurance=None)
    _login(client, "village_cadre")
    page = client.get(reverse("households:household", args=[household.pk])).content.decode()
    assert "<script>alert" not in page and '<td class="text-nowrap">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>' in page
    assert ' <span class="badge text-bg-danger">失学辍学</span> 因病 &amp; &quot;休学&quot;</td>' in page
    assert '<span class="badge text-bg-secondary">残疾2级</span> 慢病</td>' in page
    assert '<td><span class="badge text-bg-danger">未参保</span></td>' in page and "<td>—</td>" in page and "<td>省内县外</td>" in page
    assert head.id_number not in page and "13912345678" not in page
    assert f'<span class="font-monospace">{mask_phone("13912345678")}</span>' in page
    reveal = '<button class="btn btn-link btn-sm p-0 ms-1" hx-post="{}" hx-target="closest td" hx-swap="innerHTML">显示</button>'
    urls = {(m, f): reverse("households:member_reveal", args=[household.pk, m.pk, f]) for m in (head, spouse) for f in ("id_number", "phone")}
    assert all(reveal.format(urls[key]) in page for key in [(head, "id_number"), (head, "phone"), (spouse, "id_number")])
    assert urls[spouse, "phone"] not in page  # no phone, nothing to reveal
    assert '<td class="text-end">30000.00</td>' in page and '<td class="text-end fw-semibold">' in page
    _login(client, "leader")
    page = client.get(reverse("households:household", args=[household.pk])).content.decode()
    assert "hx-post" not in page.split('data-testid="members"')[1].split("</table>")[0]
    assert head.id_number not in page and "13912345678" not in page and "&lt;script&gt;" in page


def test_it_exports_the_filtered_roster_masked_for_leaders_and_logs_it(world, client):
    household = make_household(world.villages[0], number="0001", seq=1)
    Household.objects.filter(pk=household.pk).update(head_name="=HYPERLINK(1)")
    Member.objects.filter(household=household, relation="户主").update(name="=HYPERLINK(1)")
    make_household(world.villages[2], number="0003", seq=3, category="ordinary")
    _login(client, "leader")
    response = client.get(reverse("households:roster_export") + "?category=lifted")
    rows = list(load_workbook(io.BytesIO(response.content))["花名册"].iter_rows(values_only=True))
    assert rows[0][:3] == ("行政村", "户编号", "村民小组")
    assert len(rows) == 1 + 3 and {row[1] for row in rows[1:]} == {"0001"}
    assert rows[1][5] == "'=HYPERLINK(1)"
    assert all("********" in row[6] for row in rows[1:])
    assert AuditEvent.objects.get(action="roster_exported").user == world.users["leader"]

    _login(client, "village_cadre")
    response = client.get(reverse("households:roster_export"))
    rows = list(load_workbook(io.BytesIO(response.content))["花名册"].iter_rows(values_only=True))
    assert {row[6] for row in rows[1:]} == set(household.members.values_list("id_number", flat=True))


def _upload(client, village, rows, name="花名册.xlsx", tmp_path=None):
    path = write_xlsx(tmp_path / name, header_for(rows), rows, title_rows=2)
    upload = SimpleUploadedFile(name, path.read_bytes())
    return client.post(reverse("households:import_upload"), {"village": village.pk, "file": upload, "income_year": 2025})


def test_it_previews_then_imports_in_the_browser_flow(world, client, tmp_path):
    _login(client, "village_cadre")
    bad = [{**row, "身份证号": "6.40104E+17"} for row in family("0002", head="赵一", spouse="钱二", child="赵三")[:1]]
    response = _upload(client, world.villages[0], family("0001") + bad, tmp_path=tmp_path)
    record = RosterImport.objects.get()
    assert response.url == reverse("households:import_detail", args=[record.pk])
    page = client.get(response.url).content.decode()
    assert "新增户" in page and "出错明细" in page and "文本" in page
    errors = client.get(reverse("households:import_errors", args=[record.pk]))
    sheet = load_workbook(io.BytesIO(errors.content)).active
    assert [cell.value for cell in sheet[1]][0] == "行号" and sheet.max_row == 2
    client.post(reverse("households:import_apply", args=[record.pk]))
    assert Household.objects.count() == 0  # rejected rows and no accept_valid: nothing written
    client.post(reverse("households:import_apply", args=[record.pk]), {"accept_valid": "1"})
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED and Household.objects.get().number == "0001"


def test_it_refuses_an_upload_into_another_village(world, client, tmp_path):
    _login(client, "village_cadre")
    response = _upload(client, world.villages[1], family("0001"), tmp_path=tmp_path)
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_it_explains_a_wrong_file_type(world, client):
    _login(client, "village_cadre")
    upload = SimpleUploadedFile("花名册.csv", b"a,b\n")
    response = client.post(reverse("households:import_upload"), {"village": world.villages[0].pk, "file": upload, "income_year": 2025})
    assert "另存为 .xlsx" in response.content.decode()


def test_it_imports_a_large_file_as_a_background_job(world, client, tmp_path, settings, jobs_inline):  # noqa: F811
    settings.ROSTER_INLINE_ROWS = 3
    _login(client, "village_cadre")
    _upload(client, world.villages[0], family("0001") + family("0002", head="赵一", spouse="钱二", child="赵三"), tmp_path=tmp_path)
    record = RosterImport.objects.get()
    with jobs_inline(execute=True):
        response = client.post(reverse("households:import_apply", args=[record.pk]))
    job = Job.objects.get()
    assert response.url == reverse("dossiers:job_detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "新增2户" in job.message and Household.objects.count() == 2


def test_it_records_the_monitoring_workflow_in_order(world, client):
    household = make_household(world.villages[0], number="0001", seq=1, category="ordinary")
    _login(client, "village_cadre")
    url = reverse("households:monitoring_step", args=[household.pk])
    response = client.post(url, {"step": "eliminated", "on": "2026-11-01", "by_name": "张书记"}, follow=True)
    assert "请先完成：识别、纳入监测、落实帮扶、村级评议并公示、乡镇审核、县级审定" in response.content.decode()
    for step in ("identified", "included"):
        client.post(url, {"step": step, "on": "2026-11-01", "by_name": "张书记"})
    household.refresh_from_db()
    assert household.category == "monitored" and household.monitoring_since == date(2026, 11, 1)
    assert list(household.monitoring_events.values_list("step", flat=True)) == ["identified", "included"]


def test_it_shows_the_household_as_it_stood_on_a_date(world, client):
    household = make_household(world.villages[0], number="0001", seq=1)
    _login(client, "coordinator")
    page = client.get(reverse("households:household", args=[household.pk]) + "?as_of=2020-01-01").content.decode()
    assert "当日该户尚未登记" in page
    page = client.get(reverse("households:household", args=[household.pk]) + f"?as_of={date.today():%Y-%m-%d}").content.decode()
    assert "户主00010（户主）" in page


def test_it_filters_the_roster_by_group_flag_and_id_digits(world, client):
    village = world.villages[0]
    first = make_household(village, number="0001", seq=1)
    second = make_household(village, number="0002", seq=2)
    other_group = village.groups.create(number=2, name="第二组")
    Household.objects.filter(pk=second.pk).update(group=other_group, housing_grade="D")
    _login(client, "village_cadre")
    url = reverse("households:roster")

    def numbers(query: str) -> list[str]:
        return [row["number"] for row in client.get(f"{url}?{query}").context["page"]]

    assert numbers(f"group={other_group.pk}") == ["0002"]
    assert numbers("flag=housing") == ["0002"]
    last_digits = first.members.get(relation="户主").id_number[-6:]
    assert numbers(f"q={last_digits}") == ["0001"]
    assert numbers("q=户主0002") == ["0002"]


def test_the_roster_rows_written_in_python_escape_what_people_typed(world, client):
    """The roster's rows are written without the template engine: names and group names must still
    come out escaped, with the household's link, the unsafe-housing badge and the masked phone."""
    household = make_household(world.villages[0], number="0001", seq=1)
    group = world.villages[0].groups.create(number=9, name='一组 & "二组"')
    Household.objects.filter(pk=household.pk).update(head_name='<script>alert("x")</script>', group=group, housing_grade="D")
    _login(client, "village_cadre")
    page = client.get(reverse("households:roster")).content.decode()
    assert "<script>alert" not in page and "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>" in page
    assert "<td>一组 &amp; &quot;二组&quot;</td>" in page
    assert f'<a href="{reverse("households:household", args=[household.pk])}">0001</a>' in page
    assert '<span class="badge text-bg-danger">D级</span>' in page
    assert "13800001234" not in page and mask_phone("13800001234") in page
    assert "没有符合条件的农户" not in page
    assert "没有符合条件的农户" in client.get(reverse("households:roster") + "?q=无此人").content.decode()


def test_it_offers_the_groups_of_the_chosen_village_only(world, client):
    first, second = world.villages[0], world.villages[1]
    first_group = first.groups.create(number=7, name="第七组")
    second.groups.create(number=8, name="第八组")
    _login(client, "coordinator")
    url = reverse("households:roster")

    page = client.get(url).content.decode()
    assert "请先选择行政村" in page and "第七组" not in page and "第八组" not in page
    page = client.get(f"{url}?village={second.pk}").content.decode()
    assert f'<option value="{second.pk}" selected>' in page
    assert "第八组" in page and "第七组" not in page
    assert client.get(f"{url}?group={first_group.pk}").context["form"].is_valid()  # a link with a group only
    assert not client.get(f"{url}?village={second.pk}&group={first_group.pk}").context["form"].is_valid()


def test_it_explains_an_unreadable_date_instead_of_failing(world, client):
    household = make_household(world.villages[0], number="0001", seq=1)
    _login(client, "coordinator")
    response = client.get(reverse("households:household", args=[household.pk]) + "?as_of=去年")
    assert response.status_code == 200
    assert "查看日期有误" in response.content.decode() and 'data-testid="as-of"' not in response.content.decode()
