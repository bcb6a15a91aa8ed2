"""The demo county's national snapshot: reconciled, checked, some hits already handled."""

import pytest

from households.models import NationalCheckHit, NationalDiscrepancy, NationalSnapshot
from households.national_demo import national_demo_seed
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_it_seeds_a_reconciled_and_checked_snapshot_once(world):
    for n in range(90):
        make_household(world.villages[n % 3], number=f"99010100{n:07d}", seq=n)
    national_demo_seed(county=world.county, campaign=world.campaign, seed=1)
    snapshot = NationalSnapshot.objects.get()
    assert snapshot.status == "ready" and snapshot.checks_run_at and snapshot.reconciled_at
    kinds = set(NationalDiscrepancy.objects.values_list("kind", flat=True))
    assert {"only_roster_household", "only_system_household", "field"} <= kinds
    assert NationalCheckHit.objects.exists()
    counts = (NationalDiscrepancy.objects.count(), NationalCheckHit.objects.count())
    national_demo_seed(county=world.county, campaign=world.campaign, seed=1)
    assert NationalSnapshot.objects.count() == 1
    assert (NationalDiscrepancy.objects.count(), NationalCheckHit.objects.count()) == counts
