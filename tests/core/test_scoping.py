"""The scope and the current campaign: read once per request, read afresh by the next."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evalprep.core.models import Campaign
from evalprep.core.scoping import current_campaign_for
from tests.factories import make_campaign


@pytest.mark.django_db
def test_the_current_campaign_is_read_once_per_request_and_afresh_by_the_next(world):
    user = get_user_model().objects.get(username="village_cadre")
    with CaptureQueriesContext(connection) as queries:
        first = current_campaign_for(user)
        assert current_campaign_for(user) is first
    assert first == world.campaign
    assert len([q for q in queries if "core_campaign" in q["sql"]]) == 1

    Campaign.objects.filter(pk=world.campaign.pk).update(is_current=False, year=2025)
    next_year = make_campaign(world.county)
    next_request = get_user_model().objects.get(pk=user.pk)  # each request loads its own user
    assert current_campaign_for(next_request) == next_year
    assert current_campaign_for(user) == world.campaign


@pytest.mark.django_db
def test_a_user_without_a_role_has_no_campaign(world):
    assert current_campaign_for(get_user_model().objects.get(username="no_role")) is None


@pytest.mark.django_db
def test_a_page_reads_the_user_with_their_roles_in_one_query(world, client):
    client.force_login(get_user_model().objects.get(username="village_cadre"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/tasks/notifications/").status_code == 200
    reads = [q["sql"] for q in queries if "core_roleassignment" in q["sql"] or '"auth_user"' in q["sql"]]
    assert len(reads) == 1
    assert "core_roleassignment" in reads[0] and '"auth_user"' in reads[0]


@pytest.mark.django_db
def test_a_deactivated_user_is_signed_out_and_one_without_a_role_is_not(world, client):
    users = get_user_model().objects
    client.force_login(users.get(username="no_role"))
    assert client.get("/").status_code == 200
    cadre = users.get(username="village_cadre")
    client.force_login(cadre)
    users.filter(pk=cadre.pk).update(is_active=False)
    assert client.get("/").status_code == 302
