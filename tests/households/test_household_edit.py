"""Two people edit the same household at once: the second is told, and nothing
the first saved is lost (optimistic locking on Household.version)."""

import re

import pytest
from django.test import Client

from households import services
from households.models import Household
from tests.factories import PASSWORD, make_household
from tests.households.builders import family, header_for, write_xlsx


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _open_form(client: Client, household: Household) -> dict:
    """The form as the browser has it: every field's current value and the hidden version."""
    html = client.get(f"/households/{household.pk}/edit/").content.decode()
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return {
        "version": version, "address": household.address, "phone": household.phone,
        "helper_name": household.helper_name, "helper_phone": household.helper_phone,
        "housing_grade": household.housing_grade, "water_source": household.water_source,
        "group": household.group_id or "", "water_safe": "unknown",
        "water_quality_report": "unknown", "water_seasonal_shortage": "unknown",
    }


@pytest.mark.django_db
def test_it_refuses_the_second_of_two_simultaneous_edits_and_keeps_the_first(world):
    household = make_household(world.villages[0], number="0001", seq=1)
    cadre, township = _client("village_cadre"), _client("township_staff")
    cadre_form, township_form = _open_form(cadre, household), _open_form(township, household)

    saved = cadre.post(f"/households/{household.pk}/edit/", {**cadre_form, "phone": "13900000001"})
    assert saved.status_code == 302
    refused = township.post(f"/households/{household.pk}/edit/", {**township_form, "helper_name": "帮扶人甲"})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "您这次的修改没有保存" in text and "village_cadre" in text
    assert "帮扶责任人：帮扶人甲" in text
    assert 'value="13900000001"' in text  # the form now shows what the cadre saved

    household.refresh_from_db()
    assert household.phone == "13900000001" and household.helper_name == ""
    again = township.post(f"/households/{household.pk}/edit/", {**_open_form(township, household), "helper_name": "帮扶人甲"})
    assert again.status_code == 302
    household.refresh_from_db()
    assert (household.phone, household.helper_name, household.version) == ("13900000001", "帮扶人甲", 3)
    assert household.history.count() == 3


@pytest.mark.django_db
def test_it_refuses_an_edit_opened_before_a_roster_import_changed_the_household(world, tmp_path):
    rows = family("0001", head="王大")
    path = write_xlsx(tmp_path / "花名册.xlsx", header_for(rows), rows)
    first = services.roster_import_preview(village=world.villages[0], content=path.read_bytes(), filename=path.name,
                                           user=world.users["village_cadre"], income_year=2025)
    services.roster_import_apply(record=first, user=world.users["village_cadre"], accept_valid=False)
    household = Household.objects.get(number="0001")
    cadre = _client("village_cadre")
    form = _open_form(cadre, household)

    rows = family("0001", head="王大", 户联系电话="13900000009")
    path = write_xlsx(tmp_path / "第二次.xlsx", header_for(rows), rows)
    second = services.roster_import_preview(village=world.villages[0], content=path.read_bytes(), filename=path.name,
                                            user=world.users["coordinator"], income_year=2025)
    services.roster_import_apply(record=second, user=world.users["coordinator"], accept_valid=False)

    response = cadre.post(f"/households/{household.pk}/edit/", {**form, "address": "新地址"})
    assert response.status_code == 409
    household.refresh_from_db()
    assert household.phone == "13900000009" and household.address != "新地址"


@pytest.mark.django_db
def test_it_saves_nothing_when_nothing_changed(world):
    household = make_household(world.villages[0], number="0001", seq=1)
    cadre = _client("village_cadre")
    response = cadre.post(f"/households/{household.pk}/edit/", _open_form(cadre, household), follow=True)
    assert "没有修改任何内容" in response.content.decode()
    household.refresh_from_db()
    assert household.version == 1


@pytest.mark.django_db
def test_the_change_list_says_who_changed_what_and_masks_phone_numbers_and_the_page_fetches_it_when_shown(world):
    household = make_household(world.villages[0], number="0001", seq=1)
    cadre = _client("village_cadre")
    assert cadre.post(
        f"/households/{household.pk}/edit/", {**_open_form(cadre, household), "phone": "13900000001", "helper_name": "帮扶人甲"},
    ).status_code == 302

    page = cadre.get(f"/households/{household.pk}/").content.decode()
    assert f'hx-get="/households/{household.pk}/history/" hx-trigger="revealed"' in page
    part = cadre.get(f"/households/{household.pk}/history/", headers={"HX-Request": "true"})
    assert "帮扶责任人：空 → 帮扶人甲" in part.content.decode() and "13900000001" not in part.content.decode()
    history = part.context["history"]
    change = history[0]
    assert (change.user, change.subject, change.action) == ("village_cadre", "户信息", "修改")
    assert sorted(change.changes) == ["帮扶责任人：空 → 帮扶人甲", "联系电话：138****1234 → 139****0001"]
    assert [entry.action for entry in history if entry.subject == "户信息"] == ["修改", "新建"]
    assert any(entry.subject.startswith("成员 ") for entry in history)
