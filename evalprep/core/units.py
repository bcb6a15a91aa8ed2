"""Names of units given as (level, pk): county, department, township, village or working group.

Lists that read their rows as plain values name the rows' units here, in one query, instead of
joining every unit table into the row query (see indicators.selectors.checklist_entries and
tasks.selectors.assignment_rows).
"""

from collections.abc import Iterable

from django.db.models import F, Value

from evalprep.core.models import County, Department, Township, Village, WorkingGroup

UNIT_MODELS = {
    "county": County, "department": Department, "township": Township, "village": Village, "working_group": WorkingGroup,
}


def unit_names(units: Iterable[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
    """(level, pk) → (the township's name for a village, else "", the unit's name), in one query."""
    wanted: dict[str, set[int]] = {}
    for level, pk in units:
        wanted.setdefault(level, set()).add(pk)
    queries = [
        UNIT_MODELS[level].objects.filter(pk__in=ids).order_by()
        .annotate(unit_level=Value(level), township_name=F("township__name") if level == "village" else Value(""))
        .values_list("unit_level", "pk", "township_name", "name")
        for level, ids in wanted.items()
    ]
    if not queries:
        return {}
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return {(level, pk): (township, name) for level, pk, township, name in rows}
