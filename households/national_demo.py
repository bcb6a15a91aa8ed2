"""Demo data: a national-system snapshot with reconciliation and check results (#6)."""

from evalprep.core.models import Campaign, County


def national_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
