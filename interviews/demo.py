"""Demo data: interview outlines, answers and rehearsal visits (#8)."""

from evalprep.core.models import Campaign, County


def interviews_demo_seed(*, county: County, campaign: Campaign, seed: int) -> None:
    """Fill the demo county's campaign; the same seed always gives the same rows."""
