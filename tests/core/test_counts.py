"""The list pages' counts come from the cache until a counted row changes (evalprep/core/counts.py)."""

from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from evalprep.core.counts import all_rows_changed, counted, rows_changed
from households import services
from households.models import Household, Member, ScreeningThresholds
from households.national_selectors import county_village_list
from households.screening import screening_run, screening_thresholds_for, worklist_heading
from households.selectors import RosterFilter, roster_listed
from tests.factories import REDIS_DOWN, make_household
from tests.households.builders import family, header_for, write_xlsx


@pytest.fixture
def cached(settings, django_capture_on_commit_callbacks):
    """Counts kept (the test settings count for every reader), none left from an earlier test's database."""
    settings.COUNTS_CACHE_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=True):
        all_rows_changed()
    return settings


def _counts(world) -> tuple[list, int]:
    """The county's roster counts per village, and how many queries reading them took."""
    with CaptureQueriesContext(connection) as queries:
        rows = roster_listed([village.pk for village in world.villages], RosterFilter())
    return rows.counts, len(queries)


@pytest.mark.django_db
def test_counts_are_read_once_then_from_the_cache(world, cached):
    make_household(world.villages[0], number="0001")
    first, queries = _counts(world)
    assert first == [(world.villages[0].pk, 1)] and queries == 1
    assert _counts(world) == (first, 0)


@pytest.mark.django_db
def test_a_saved_household_is_counted_once_the_change_commits(world, cached, django_capture_on_commit_callbacks):
    make_household(world.villages[0], number="0001")
    _counts(world)
    with django_capture_on_commit_callbacks(execute=True):
        make_household(world.villages[1], number="0002", seq=1)
    counts, queries = _counts(world)
    assert counts == [(world.villages[0].pk, 1), (world.villages[1].pk, 1)] and queries == 1
    with django_capture_on_commit_callbacks(execute=True):
        Household.objects.get(number="0002").delete()
    assert _counts(world)[0] == [(world.villages[0].pk, 1)]


@pytest.mark.django_db
def test_a_roster_import_written_in_bulk_is_counted(world, cached, tmp_path: Path, django_capture_on_commit_callbacks):
    assert _counts(world)[0] == []
    with django_capture_on_commit_callbacks(execute=True):
        _imported(world, tmp_path, family("0001") + family("0002", head="赵一", spouse="钱二", child="赵三"))
    assert _counts(world)[0] == [(world.villages[0].pk, 2)]


def _imported(world, tmp_path: Path, rows: list) -> None:
    """The rows imported into the first village's roster by its cadre, in bulk (past the models' signals)."""
    path = write_xlsx(tmp_path / "花名册.xlsx", header_for(rows), rows)
    cadre = world.users["village_cadre"]
    record = services.roster_import_preview(
        village=world.villages[0], content=path.read_bytes(), filename=path.name, user=cadre, income_year=2025,
    )
    services.roster_import_apply(record=record, user=cadre, accept_valid=False)


@pytest.fixture
def villages_apart(monkeypatch):
    """One village a block: the test's villages (consecutive ids) are kept apart."""
    monkeypatch.setattr("evalprep.core.counts.VILLAGE_BLOCK", 1)


def _written_past_the_signals(village, number: str) -> None:
    """A household no signal reports: only a count made afresh finds it."""
    Household.objects.bulk_create([Household(village=village, number=number, head_name="钱四", category="lifted")])


@pytest.mark.django_db
def test_an_import_counts_its_own_village_again_and_no_other(
    world, cached, villages_apart, tmp_path: Path, django_capture_on_commit_callbacks,
):
    make_household(world.villages[0], number="0001")
    make_household(world.villages[1], number="0002", seq=1)
    _counts(world)
    _written_past_the_signals(world.villages[1], "0003")
    with django_capture_on_commit_callbacks(execute=True):
        _imported(world, tmp_path, family("0004"))
    counts, queries = _counts(world)
    # The first village counted again (its import added a household), the second still as kept.
    assert counts == [(world.villages[0].pk, 2), (world.villages[1].pk, 1)] and queries == 1
    with django_capture_on_commit_callbacks(execute=True):
        rows_changed(Household)  # a change in villages unknown: every village counted again
    assert _counts(world) == ([(world.villages[0].pk, 2), (world.villages[1].pk, 2)], 1)


@pytest.mark.django_db
def test_a_saved_member_counts_its_household_village_again(world, cached, villages_apart, django_capture_on_commit_callbacks):
    household = make_household(world.villages[0], number="0001")
    make_household(world.villages[1], number="0002", seq=1)
    searched = RosterFilter(query="改名")
    assert roster_listed([village.pk for village in world.villages], searched).counts == []
    _counts(world)
    _written_past_the_signals(world.villages[1], "0003")
    member = Member.objects.get(pk=household.members.order_by("pk").values_list("pk", flat=True)[0])  # household not cached
    member.name = "改名"
    with django_capture_on_commit_callbacks(execute=True):
        member.save()
    assert roster_listed([village.pk for village in world.villages], searched).counts == [(world.villages[0].pk, 1)]
    assert _counts(world)[0] == [(world.villages[0].pk, 1), (world.villages[1].pk, 1)]  # the second: as kept


@pytest.mark.django_db
def test_a_change_in_one_village_forgets_the_counts_kept_whole(world, cached, django_capture_on_commit_callbacks):
    def whole() -> list:
        return counted(Household.objects.values_list("category").annotate(n=Count("*")).order_by(), Household)

    make_household(world.villages[0], number="0001")
    assert whole() == [("lifted", 1)]
    with django_capture_on_commit_callbacks(execute=True):
        make_household(world.villages[1], number="0002", seq=1, category="monitored")
    assert sorted(whole()) == [("lifted", 1), ("monitored", 1)]


@pytest.mark.django_db
def test_a_change_not_yet_committed_leaves_the_counts_alone(world, cached, django_capture_on_commit_callbacks):
    before, _ = _counts(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows_changed(Household)
    assert _counts(world) == (before, 0)  # other readers still see the committed rows
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_no_village_to_count_is_no_count(world, cached):
    assert roster_listed([], RosterFilter()).counts == []


@pytest.mark.django_db
def test_the_worklist_heading_is_kept_until_a_run_or_the_thresholds_change(world, cached, django_capture_on_commit_callbacks):
    def heading():
        with CaptureQueriesContext(connection) as queries:
            found = worklist_heading(world.campaign)
        return found, len(queries)

    first, queries = heading()
    assert first.last_run_at is None and "21 天内作出决定" not in first.thresholds and queries > 0
    assert heading() == (first, 0)
    with django_capture_on_commit_callbacks(execute=True):
        screening_run(campaign=world.campaign, user=world.users["coordinator"])
    assert heading()[0].last_run_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        thresholds = screening_thresholds_for(world.campaign)
        thresholds.decision_days = 21
        thresholds.save()
    assert "21 天内作出决定" in heading()[0].thresholds
    with django_capture_on_commit_callbacks(execute=True):
        ScreeningThresholds.objects.filter(campaign=world.campaign).delete()
    assert "21 天内作出决定" not in heading()[0].thresholds  # made again from the framework's figures


@pytest.mark.django_db
def test_the_villages_a_user_sees_are_kept_until_a_village_changes(world, cached, django_capture_on_commit_callbacks):
    coordinator = world.users["coordinator"]
    names = [village.name for village in county_village_list(coordinator, world.campaign)]
    with CaptureQueriesContext(connection) as queries:
        assert [village.name for village in county_village_list(coordinator, world.campaign)] == names
    assert len(queries) == 0
    with django_capture_on_commit_callbacks(execute=True):
        village = world.villages[0]
        village.name = "新改的村名"
        village.save()
    assert "新改的村名" in [village.name for village in county_village_list(coordinator, world.campaign)]
    cadre_sees = county_village_list(world.users["village_cadre"], world.campaign)
    assert [village.pk for village in cadre_sees] == [world.villages[0].pk]  # kept per scope, not per county


@pytest.mark.django_db
def test_without_the_cache_a_page_counts_for_itself(world, cached):
    cached.CACHES = REDIS_DOWN
    make_household(world.villages[0], number="0001")
    assert _counts(world) == ([(world.villages[0].pk, 1)], 1)
