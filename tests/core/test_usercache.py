"""The signed-in user, their roles, bell, campaign and villages kept in the shared cache until one of them changes
(evalprep/core/usercache.py): on the real Redis in the Redis pass, the file cache otherwise."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evalprep.core.auth import ScopedModelBackend
from evalprep.core.models import RoleAssignment
from evalprep.core.usercache import user_cached
from tasks.models import Notification, NotificationKind
from tasks.services import notifications_read_all
from tests.factories import REDIS_DOWN, bell

PAGE = "/"  # the home page reads the user, their roles, bell and campaign


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user_queries(client: Client, url: str = PAGE) -> list[str]:
    """The queries for the user, their roles, their bell and their campaign while the page is served."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        query["sql"] for query in queries
        if "core_roleassignment" in query["sql"] or '"auth_user"' in query["sql"]
        or ("tasks_notification" in query["sql"] and "read_at" in query["sql"] and "IS NULL" in query["sql"])
        or ('"core_campaign"."is_current"' in query["sql"])
    ]


def _notify(world, user, title: str) -> Notification:
    return Notification.objects.create(
        user=user, county=world.county, kind=NotificationKind.EVENT, day=timezone.localdate(), title=title,
    )


@pytest.mark.django_db
def test_a_page_reads_the_user_roles_bell_and_campaign_once_then_from_the_cache(world, users_kept):
    client = _client(world.users["village_cadre"])
    assert len(_user_queries(client)) == 3  # the user with their roles; the bell; the campaign
    assert _user_queries(client) == []
    assert client.get(f"/households/?village={world.villages[0].pk}").status_code == 200  # the cached scope still works


@pytest.mark.django_db
def test_without_the_cache_every_page_reads_them(world, settings):
    settings.USER_CACHE_SECONDS = 0
    client = _client(world.users["village_cadre"])
    assert len(_user_queries(client)) == 3
    assert len(_user_queries(client)) == 3


def _role_taken_away(world, user) -> None:
    RoleAssignment.objects.filter(user=user).delete()


def _role_given(world, user) -> None:
    RoleAssignment.objects.create(user=user, role="village_cadre", county=world.county, village=world.villages[1], post="secretary")


def _deactivated(world, user) -> None:
    user.is_active = False
    user.save()


def _new_password(world, user) -> None:  # logs out the user's other sessions
    user.set_password("another-pass-456")
    user.save()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "change", "url", "before", "after"), [
    ("village_cadre", _role_taken_away, "/households/", 200, 404),
    ("no_role", _role_given, "/households/", 404, 200),
    ("village_cadre", _deactivated, PAGE, 200, 302),
    ("village_cadre", _new_password, PAGE, 200, 302),
], ids=["role taken away", "role given", "deactivated", "new password"])
def test_a_change_to_the_user_takes_effect_on_their_next_page(
    world, users_kept, django_capture_on_commit_callbacks, who, change, url, before, after,
):
    user = world.users[who]
    client = _client(user)
    assert client.get(url).status_code == before
    with django_capture_on_commit_callbacks(execute=True):
        change(world, user)
    assert client.get(url).status_code == after


@pytest.mark.django_db
def test_a_campaign_changed_shows_on_every_users_next_page(world, users_kept, django_capture_on_commit_callbacks):
    clients = [_client(world.users[who]) for who in ("village_cadre", "coordinator")]
    assert all(world.campaign.name in client.get("/").content.decode() for client in clients)
    with django_capture_on_commit_callbacks(execute=True):
        world.campaign.name = "甲县2026年度巩固成果后评估（调整）"
        world.campaign.save()
    assert all("（调整）" in client.get("/").content.decode() for client in clients)


@pytest.mark.django_db
def test_a_village_renamed_shows_in_the_next_roster_filter(world, users_kept, django_capture_on_commit_callbacks):
    client = _client(world.users["coordinator"])
    village = world.villages[0]
    assert f">{village.name}</option>" in client.get("/households/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        village.name = "新合并村"
        village.save()
    assert ">新合并村</option>" in client.get("/households/").content.decode()


@pytest.mark.django_db
def test_the_bell_shows_a_new_notification_and_forgets_those_read(world, users_kept, django_capture_on_commit_callbacks):
    cadre = world.users["village_cadre"]
    client = _client(cadre)
    assert "没有未读通知" in bell(client)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world, cadre, "请补充危房改造资料")
    assert "请补充危房改造资料" in bell(client)
    with django_capture_on_commit_callbacks(execute=True):
        notifications_read_all(user=cadre)  # one update, past the model's signals
    assert "没有未读通知" in bell(client)


@pytest.mark.django_db
def test_a_user_read_before_a_change_and_kept_after_it_is_not_served(world, users_kept, django_capture_on_commit_callbacks):
    cadre = world.users["village_cadre"]
    backend = ScopedModelBackend()

    def read_then_lose_the_role(user_id: int):
        user = backend._user_read(user_id)  # still with the role
        with django_capture_on_commit_callbacks(execute=True):
            RoleAssignment.objects.filter(user=cadre).delete()  # committed before the stale read is kept
        return user

    assert len(user_cached(cadre.pk, read_then_lose_the_role)._evalprep_assignments) == 1
    assert backend.get_user(cadre.pk)._evalprep_assignments == ()


@pytest.mark.django_db
def test_with_the_cache_down_people_work_from_the_database(world, users_kept, django_capture_on_commit_callbacks):
    cadre = world.users["village_cadre"]
    client = _client(cadre)
    users_kept.CACHES = REDIS_DOWN
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world, cadre, "请补充危房改造资料")
    assert len(_user_queries(client)) == 3
    assert "请补充危房改造资料" in bell(client)
