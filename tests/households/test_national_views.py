"""The national-export pages: upload, the village's own hits and discrepancies, the workbook."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from evalprep.core.models import Village
from evalprep.dossiers.models import Job, JobStatus
from households import national_views
from households.models import HitStatus, NationalCheckHit, NationalDiscrepancy, NationalSnapshot, SnapshotStatus
from tests.dossiers.test_jobs import jobs_inline  # noqa: F401 (fixture)
from tests.factories import PASSWORD, make_household
from tests.households.national_builders import PERSON_HEADER, PERSON_TITLES, household_rows, planted_export, write_sheet

pytestmark = pytest.mark.django_db


def _login(client, role: str) -> None:
    assert client.login(username=role, password=PASSWORD)


def _upload(client, paths, **data):
    files = [SimpleUploadedFile(path.name, path.read_bytes()) for path in paths]
    return client.post(reverse("households:national_upload"), {"files": files, "taken_on": "2026-06-30", **data})


@pytest.fixture
def taken(world, client, tmp_path):
    make_household(world.villages[0], number="990101001000077", seq=7)  # only in the roster
    _login(client, "coordinator")
    response = _upload(client, planted_export(tmp_path).files())
    snapshot = NationalSnapshot.objects.get()
    assert response.url == reverse("households:national_snapshot", args=[snapshot.pk])
    client.logout()
    return snapshot


def test_it_takes_an_upload_in_and_shows_the_snapshot(world, client, taken):
    _login(client, "coordinator")
    page = client.get(reverse("households:national_snapshot", args=[taken.pk])).content.decode()
    assert "监测对象信息表（人员）" in page and "户信息表" in page and "超过劳动年龄仍为普通或技能劳动力" in page
    assert NationalDiscrepancy.objects.filter(kind="only_roster_household").exists()


def test_it_refuses_an_upload_missing_a_key_column_naming_it(world, client, tmp_path):
    header = [name for name in PERSON_HEADER if name != "户编号"]
    path = write_sheet(tmp_path / "人员.xlsx", header, household_rows("990101001000001"), titles=PERSON_TITLES)
    _login(client, "township_staff")
    page = _upload(client, [path], township=world.townships[0].pk).content.decode()
    assert "缺少关键列「户编号」" in page
    assert not NationalSnapshot.objects.exists()


def test_it_imports_a_large_export_as_a_background_job(world, client, tmp_path, monkeypatch, jobs_inline):  # noqa: F811
    monkeypatch.setattr(national_views, "INLINE_BYTES", 0)
    _login(client, "coordinator")
    with jobs_inline(execute=True):
        response = _upload(client, planted_export(tmp_path).files())
    job = Job.objects.get()
    assert response.url == reverse("dossiers:job_detail", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "疑点" in job.message and NationalSnapshot.objects.get().status == "ready"


def test_it_shows_a_village_only_its_own_hits_and_discrepancies(world, client, taken):
    _login(client, "village_cadre")
    hits = client.get(reverse("households:national_hits") + "?status=all").content.decode()
    assert "户编号990101001000013" in hits  # 4.05 in 甲县第1镇1村
    assert "户编号990101001000012" not in hits and "户编号990101001000014" not in hits  # 甲县第1镇2村
    discrepancies = client.get(reverse("households:national_discrepancies")).content.decode()
    assert "990101001000077" in discrepancies and "990101001000012" not in discrepancies
    client.logout()
    _login(client, "coordinator")
    hits = client.get(reverse("households:national_hits") + "?status=all").content.decode()
    assert "户编号990101001000012" in hits and "户编号990101002000016" in hits


def test_it_lets_the_village_mark_a_hit_fixed_or_exempt(world, client, taken):
    hit = NationalCheckHit.objects.get(rule="4.05")
    _login(client, "village_cadre")
    url = reverse("households:national_hit_mark", args=[hit.pk])
    client.post(url, {"status": "exempt", "reason": ""})
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN
    client.post(url, {"status": "exempt", "reason": "经县级审定，提前消除有文件依据"})
    hit.refresh_from_db()
    assert hit.status == HitStatus.EXEMPT and hit.status_by == world.users["village_cadre"]
    other = NationalCheckHit.objects.get(rule="3.05")  # another village
    assert client.post(reverse("households:national_hit_mark", args=[other.pk]), {"status": "fixed"}).status_code == 404


def test_it_shows_how_far_each_village_is_from_zero(world, client, taken):
    _login(client, "coordinator")
    page = client.get(reverse("households:national_overview"))
    rows = {row.village_id: row for row in page.context["progress"]}
    v1, v2, v3 = world.villages
    assert (rows[v2.pk].open_hits, rows[v3.pk].open_hits, rows[v1.pk].open_hits) == (3, 2, 4)  # 3.05 5.03 9.06 / 6.03 8.02
    for village in world.villages:
        open_discrepancies = NationalDiscrepancy.objects.filter(village=village).count()
        assert open_discrepancies and rows[village.pk].open_discrepancies == open_discrepancies
        assert rows[village.pk].to_zero == rows[village.pk].open_hits + open_discrepancies
    NationalCheckHit.objects.filter(village=v3).update(status=HitStatus.EXEMPT, reason="已核实")
    page = client.get(reverse("households:national_overview"))
    assert {row.village_id: row for row in page.context["progress"]}[v3.pk].open_hits == 0


def test_it_downloads_one_workbook_with_a_summary_and_a_sheet_per_rule(world, client, taken):
    _login(client, "coordinator")
    response = client.get(reverse("households:national_hits_export") + "?status=all")
    book = load_workbook(io.BytesIO(response.content))
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0][:3] == ("规则编号", "类别", "规则") and summary[0][-1] == "合计"
    assert len(book.sheetnames) == 1 + NationalCheckHit.objects.values("rule").distinct().count()
    sheet = book[next(name for name in book.sheetnames if name.startswith("6.03"))]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "说明" and "66岁" in rows[1][4]


@pytest.mark.parametrize("role", ["coordinator", "township_staff", "village_cadre"])
@pytest.mark.parametrize("name", ["national_overview", "national_hits", "national_discrepancies"])
def test_it_keeps_the_queries_of_a_page_bounded(world, client, taken, django_assert_max_num_queries, name, role):
    _login(client, role)
    with django_assert_max_num_queries(11):
        assert client.get(reverse(f"households:{name}") + "?status=all").status_code == 200


@pytest.fixture
def scattered_hits(world):
    """Hits over four villages and none, created out of order; a fifth village of the first
    township whose code sorts after the second township's villages."""
    snapshot = NationalSnapshot.objects.create(county=world.county, taken_on="2026-06-30", status=SnapshotStatus.READY)
    v1, v2, v3 = world.villages
    late = Village.objects.create(township=world.townships[0], name="甲县第1镇9村", code="990101109999")
    for village, rules in [(v3, "6.03 1.06 6.03"), (None, "7.02 1.06"), (late, "1.06 6.03 1.06 7.02 1.06"), (v1, "7.02 6.03"), (v2, "1.06")]:
        for n, rule in enumerate(rules.split()):
            NationalCheckHit.objects.create(
                county=world.county, source="system", rule=rule, subject_key=f"{9 - n}-{village.pk if village else 0}",
                village=village, village_label=village.name if village else "外县某村", explanation=f"{rule}：测试",
                first_snapshot=snapshot, last_snapshot=snapshot,
            )
    NationalCheckHit.objects.create(  # exempt: only under 豁免 and 全部
        county=world.county, source="system", rule="1.06", subject_key="0-exempt", village=v1, village_label=v1.name,
        explanation="豁免的", first_snapshot=snapshot, last_snapshot=snapshot, status=HitStatus.EXEMPT, reason="已核实",
    )
    return [v1, v2, late, v3, None]  # township code, then village code; no village last


def _walk_pages(client, query: str, name: str = "national_hits") -> tuple[list[int], int]:
    """Every row's pk page by page, and the total the page shows."""
    seen, number = [], 1
    while True:
        page = client.get(reverse(f"households:{name}") + f"?{query}&page={number}").context["page"]
        seen += [hit.pk for hit in page.object_list]
        if not page.has_next():
            return seen, page.paginator.count
        number += 1


@pytest.mark.parametrize("role, query", [
    ("coordinator", "status=open"), ("coordinator", "status=all"), ("coordinator", "rule=1.06"),
    ("township_staff", "status=open"), ("village_cadre", "status=all"),
])
def test_it_pages_hits_in_village_order_each_once(world, client, scattered_hits, monkeypatch, role, query):
    monkeypatch.setattr(national_views, "PAGE_SIZE", 3)
    visible = {
        "coordinator": scattered_hits, "township_staff": [world.villages[0], world.villages[1], scattered_hits[2]],
        "village_cadre": [world.villages[0]],
    }[role]
    order = [village.pk if village else None for village in visible]
    wanted = [
        hit for hit in NationalCheckHit.objects.all() if hit.village_id in order
        and (hit.status != HitStatus.EXEMPT or "status=all" in query) and (hit.rule == "1.06" or "rule=" not in query)
    ]
    expected = [hit.pk for hit in sorted(wanted, key=lambda hit: (order.index(hit.village_id), hit.rule, hit.subject_key))]
    _login(client, role)
    assert _walk_pages(client, query) == (expected, len(expected))


def test_it_pages_discrepancies_in_village_order_each_once(world, client, taken, monkeypatch):
    monkeypatch.setattr(national_views, "PAGE_SIZE", 2)
    place = {village.pk: n for n, village in enumerate(world.villages)}  # by code: township, then village
    found = NationalDiscrepancy.objects.all()
    expected = [item.pk for item in sorted(found, key=lambda item: (place.get(item.village_id, 99), item.kind, item.subject_key))]
    assert len(expected) > 4
    _login(client, "coordinator")
    assert _walk_pages(client, "status=all", "national_discrepancies") == (expected, len(expected))


def test_it_counts_hits_per_rule_before_the_rule_filter(world, client, scattered_hits):
    _login(client, "coordinator")
    response = client.get(reverse("households:national_hits") + "?rule=6.03")
    assert [(code, n) for code, _, n in response.context["per_rule"]] == [("1.06", 6), ("6.03", 4), ("7.02", 3)]
    assert response.context["page"].paginator.count == 4
    assert "共 4 条" in response.content.decode()


def test_it_reveals_id_numbers_in_the_workbook_only_for_villages_the_user_may_change(world, taken):
    from evalprep.core.idnumber import mask_id_number
    from households.national_selectors import hits_workbook

    hits = NationalCheckHit.objects.exclude(id_number="").filter(village__in=world.villages[:2])
    own = world.villages[0]
    assert {hit.village_id for hit in hits} == {own.pk, world.villages[1].pk}
    book = load_workbook(io.BytesIO(hits_workbook(hits, reveal_village_ids={own.pk}, reveal_unmatched=False)))
    shown = {row[3] for name in book.sheetnames[1:] for row in book[name].iter_rows(min_row=2, values_only=True)}
    for hit in hits:
        expected = hit.id_number if hit.village_id == own.pk else mask_id_number(hit.id_number)
        assert expected in shown
    assert not shown & {hit.id_number for hit in hits if hit.village_id != own.pk}


def test_it_counts_fixed_exempt_and_verified_hits_per_village(world, client, scattered_hits):
    v1, _, _, v3, _ = scattered_hits
    later = NationalSnapshot.objects.create(county=world.county, taken_on="2026-07-30", status=SnapshotStatus.READY)
    NationalCheckHit.objects.filter(village=v1, rule="7.02").update(status=HitStatus.FIXED, reason="已改")
    NationalCheckHit.objects.filter(village=v3, rule="6.03", subject_key__startswith="9").update(status=HitStatus.FIXED, gone_snapshot=later)
    NationalCheckHit.objects.filter(village=v3, rule="1.06").update(gone_snapshot=later)
    _login(client, "coordinator")
    rows = {row.village_id: row for row in client.get(reverse("households:national_overview")).context["progress"]}
    counts = {pk: (row.open_hits, row.fixed_waiting, row.exempt, row.verified, row.to_zero) for pk, row in rows.items()}
    assert counts[v1.pk] == (1, 1, 1, 0, 2)
    assert counts[v3.pk] == (1, 0, 0, 2, 1)
    assert counts[None] == (2, 0, 0, 0, 2)  # 未匹配到村, last


@pytest.mark.parametrize("role, may_change", [
    ("coordinator", [0, 1, 2, 3]), ("township_staff", [0, 1, 2]), ("supervision", []), ("leader", []),
])
def test_it_offers_the_mark_form_on_the_rows_the_user_may_change(world, client, scattered_hits, role, may_change):
    later = NationalSnapshot.objects.create(county=world.county, taken_on="2026-07-30", status=SnapshotStatus.READY)
    gone = NationalCheckHit.objects.filter(village=scattered_hits[0], rule="7.02").get()
    gone.gone_snapshot = later
    gone.save()
    _login(client, role)
    response = client.get(reverse("households:national_hits") + "?status=all")
    page, rows = response.content.decode(), response.context["page"].object_list
    writable = {scattered_hits[n].pk for n in may_change}
    assert rows and gone.pk in {row.pk for row in rows}
    for row in rows:
        assert row.can_mark == (row.village_id in writable and row.pk != gone.pk)
        assert (f'action="{reverse("households:national_hit_mark", args=[row.pk])}"' in page) == row.can_mark
    assert "已核销（2026年7月30日数据中已无）" in page
    assert page.count('<input name="reason"') == sum(row.can_mark for row in rows)


def test_it_marks_open_discrepancies_past_their_deadline_overdue(world, client, taken):
    items = list(NationalDiscrepancy.objects.filter(village=world.villages[0]).order_by("pk")[:3])
    assert len(items) == 3
    NationalDiscrepancy.objects.filter(pk__in=[item.pk for item in items]).update(deadline="2020-01-01")
    NationalDiscrepancy.objects.filter(pk=items[1].pk).update(resolution="explained", resolution_note="已说明情况")
    NationalDiscrepancy.objects.filter(pk=items[2].pk).update(resolution="system_to_fix")
    _login(client, "village_cadre")
    response = client.get(reverse("households:national_discrepancies") + "?status=all")
    rows = {row.pk: row for row in response.context["page"].object_list}
    assert [rows[item.pk].overdue for item in items] == [True, False, True]
    assert all(row.can_resolve for row in rows.values())
    assert rows[items[1].pk].resolution_label == "已说明" and "已说明情况" in response.content.decode()


def test_the_hit_rows_written_in_python_escape_what_people_typed(world, client, scattered_hits):
    """The hits list's rows are written without the template engine: what the export and the
    villages wrote must still come out escaped, under each village's heading, with the mark form."""
    hit = NationalCheckHit.objects.filter(village=scattered_hits[0], rule="7.02").get()
    NationalCheckHit.objects.filter(pk=hit.pk).update(
        explanation='<script>alert("x")</script>', status=HitStatus.FIXED, reason="已改 & 待核", status_by_name='"张三"',
        status_at=timezone.now(), reopened=True,
    )
    NationalCheckHit.objects.filter(village=None).update(village_label="<b>外县某村</b>")
    _login(client, "coordinator")
    page = client.get(reverse("households:national_hits") + "?status=all").content.decode()
    assert "<script>alert" not in page and "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <span" in page
    assert '<span class="badge text-bg-warning">上次标记已整改，最新数据仍有</span>' in page
    assert '<div class="text-muted">已改 &amp; 待核（&quot;张三&quot;，' in page
    assert '<th colspan="5">&lt;b&gt;外县某村&lt;/b&gt;</th>' in page and "<b>外县某村</b>" not in page
    assert f'<form method="post" action="{reverse("households:national_hit_mark", args=[hit.pk])}"' in page


def test_the_discrepancy_rows_written_in_python_escape_what_people_typed(world, client, taken):
    """The discrepancies list's rows are written without the template engine: explanations and
    resolution notes must still come out escaped, with the resolve form."""
    first, second = NationalDiscrepancy.objects.filter(village=world.villages[0]).order_by("pk")[:2]
    NationalDiscrepancy.objects.filter(pk=first.pk).update(explanation='<script>alert("x")</script>')
    NationalDiscrepancy.objects.filter(pk=second.pk).update(
        resolution="explained", resolution_note='说明 & "备注"', resolved_by_name="<i>王五</i>", resolved_at=timezone.now(),
    )
    _login(client, "village_cadre")
    page = client.get(reverse("households:national_discrepancies") + "?status=all").content.decode()
    assert "<script>alert" not in page and "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>" in page
    assert '已说明<div class="text-muted">说明 &amp; &quot;备注&quot;（&lt;i&gt;王五&lt;/i&gt;，' in page
    assert f'<form method="post" action="{reverse("households:national_discrepancy_resolve", args=[first.pk])}"' in page
