"""The demo seeder for tasks: fills the campaign and adds nothing on a second run."""

from collections import Counter

import pytest

from tasks.demo import tasks_demo_seed
from tasks.models import Assignment, Deliverable, Finding, Guide, Notification


def _snapshot(campaign) -> tuple:
    assignments = Assignment.objects.filter(campaign=campaign)
    return (
        Counter(assignments.values_list("status", flat=True)),
        sorted(assignments.values_list("template__code", "status", "due_date")),
        Deliverable.objects.filter(assignment__campaign=campaign).count(),
        sorted(Finding.objects.filter(campaign=campaign).values_list("number", "status", "description")),
        Guide.objects.filter(campaign=campaign).count(),
        Notification.objects.count(),
    )


@pytest.mark.django_db
def test_it_seeds_the_campaign_once_and_leaves_it_alone_on_a_second_run(world):
    tasks_demo_seed(county=world.county, campaign=world.campaign, seed=1)
    first = _snapshot(world.campaign)
    statuses, _, deliverables, findings, _, _ = first
    assert sum(statuses.values()) == 92 and len(statuses) == 6
    assert deliverables > 0 and len(findings) == 36
    tasks_demo_seed(county=world.county, campaign=world.campaign, seed=1)
    assert _snapshot(world.campaign) == first
