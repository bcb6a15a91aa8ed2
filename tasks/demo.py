"""Demo data: department tasks, assignments, findings and guides (#7)."""

from evalprep.core.models import Campaign, County


def tasks_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
