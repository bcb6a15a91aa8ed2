from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "住户台账"

    def ready(self) -> None:
        from evalprep.core.counts import connect_counted_models
        from evalprep.core.models import Township, Village
        from households.models import (
            Household, Member, NationalCheckHit, NationalDiscrepancy, ScreeningDecision, ScreeningFlag, ScreeningRun,
            ScreeningThresholds,
        )

        # The tables the list pages' cached counts and the worklist's heading read (evalprep.core.counts).
        connect_counted_models(
            Household, Member, NationalCheckHit, NationalDiscrepancy, ScreeningFlag, ScreeningDecision, Village, Township,
            ScreeningRun, ScreeningThresholds,
            village_of={Household: lambda household: household.village_id, Member: _member_village},
        )


def _member_village(member) -> int | None:
    """The village of a member's household (the roster's counts are kept per block of villages)."""
    from households.models import Household, Member

    if Member.household.is_cached(member):
        return member.household.village_id
    return Household.objects.filter(pk=member.household_id).values_list("village_id", flat=True).first()
