"""The one registry of dossier builders. Add a builder class here and it can
be requested in the browser, from the command line and in a county pack."""

from evalprep.dossiers.builders.base import FORMAT_LABELS, SCOPES, Builder, DossierContext
from evalprep.dossiers.builders.binder import EvidenceBinder, PolicyCompilation
from evalprep.dossiers.builders.cards import HouseholdCards
from evalprep.dossiers.builders.dossiers import CountyBriefing, DepartmentDossier, VillageDossier
from evalprep.dossiers.builders.pack import CountyPack

REGISTRY: dict[str, Builder] = {
    builder.identifier: builder
    for builder in (
        VillageDossier(), HouseholdCards(), DepartmentDossier(), CountyBriefing(), CountyPack(),
        EvidenceBinder(), PolicyCompilation(),
    )
}

#: the command line's and the URLs' short names
KIND_ALIASES = {
    "village": "village_dossier", "cards": "household_cards", "department": "department_dossier",
    "county": "county_briefing", "pack": "county_pack", "binder": "evidence_binder", "policy": "policy_compilation",
}


def builder_for(identifier: str) -> Builder | None:
    return REGISTRY.get(KIND_ALIASES.get(identifier, identifier))


def builders_for_scope(scope: str) -> list[Builder]:
    return [b for b in REGISTRY.values() if b.scope in (scope, "any")]


__all__ = ["REGISTRY", "KIND_ALIASES", "FORMAT_LABELS", "SCOPES", "Builder", "DossierContext", "builder_for", "builders_for_scope"]
