from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "住户台账"

    def ready(self) -> None:
        from evalprep.core.counts import connect_counted_models
        from evalprep.core.models import Township, Village
        from households.models import Household, Member, NationalCheckHit, NationalDiscrepancy, ScreeningDecision, ScreeningFlag

        # The tables the list pages' cached counts read (evalprep.core.counts).
        connect_counted_models(
            Household, Member, NationalCheckHit, NationalDiscrepancy, ScreeningFlag, ScreeningDecision, Village, Township,
        )
