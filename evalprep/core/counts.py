"""Grouped counts kept in the shared cache until a table they count changes.

A list page over many villages (the county's roster, its suspect-data hits,
discrepancies, the screening worklist) first counts its rows per village, rule
or due date: its paging and its filter buttons need the counts before it reads
a page. Over 100,000 households or 90,000 hits that count is most of the page's
time, and it is the same for every reader until someone changes a counted row.

So the rows of a grouped count are kept in the cache under their SQL and the
version of each counted model. Any change to one of those models moves its
version on once the transaction commits: a model save or delete through the
signals connected in HouseholdsConfig.ready, and the bulk writes (imports, check
runs, screening runs), which call rows_changed themselves. The next reader
counts afresh. A version is a random token rather than a number, so a version
lost from the cache can never come back as one already used. Entries expire
after COUNTS_CACHE_SECONDS in any case; 0 counts for every reader (the test
settings, so that a test sees its own changes at once). Without the cache
(Redis down) the page counts for itself.

A count grouped by village can be kept per block of villages instead
(counted_per_village): the week before an inspection some village imports its
roster every few seconds, and the county's roster should then count that
village's block again, not 100,000 households. A change known to be in some
villages (rows_changed(..., village_ids=…), or a saved row whose village the
model's signal can tell) forgets those villages' blocks' versions, and the
whole-table version of its models, which only counts kept whole read; a change in
villages unknown forgets every count over the model.

Anything else read on every view of a page and seldom changed (the screening
worklist's heading: its thresholds and last run) can be kept the same way (kept).
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

from evalprep.core.cache import versions, versions_forget

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _version_key(model: type[Model]) -> str:
    """Read by every count over the model."""
    return f"counts:version:{model._meta.label_lower}"


def _whole_key(model: type[Model]) -> str:
    """Read by the counts kept whole (counted), not per village."""
    return f"counts:whole:{model._meta.label_lower}"


# Villages are kept in blocks of consecutive ids: a county page reads some 13 blocks' versions and
# counts rather than 200 villages' (each cache key costs the page about 10 µs), and an import counts
# its block again (some 8,000 households), not the county.
VILLAGE_BLOCK = 16


def _block_key(block: int) -> str:
    return f"counts:villages:{block}"


def rows_changed(*models: type[Model], village_ids: Iterable[int] | None = None) -> None:
    """Counts over these models are counted afresh once the current transaction commits: of
    these villages only, where the counts are kept per village, if `village_ids` are given."""
    if village_ids is None:
        keys = [_version_key(model) for model in models]
    else:
        blocks = {pk // VILLAGE_BLOCK for pk in village_ids}
        keys = [_whole_key(model) for model in models] + [_block_key(block) for block in blocks]
    versions_forget(keys, "计数")


def counted(rows: QuerySet, *models: type[Model], run: Callable[[], list] | None = None) -> list:
    """The rows of a grouped count (a values_list queryset with a Count), from the cache while
    none of `models` (every model the query reads) has changed. `run` reads them when not
    cached (default: list(rows))."""
    run = run or (lambda: list(rows))
    if settings.COUNTS_CACHE_SECONDS <= 0:
        return run()
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # e.g. village_id__in=[]: nothing to count, as list(rows) would find
        return []
    return kept(repr((rows.db, sql, params)), *models, make=run)


def kept(name: str, *models: type[Model], make: Callable[[], T]) -> T:
    """What `make` reads from `models` (every model it reads), kept in the cache under `name` as the
    counts are: until one of the models changes, or COUNTS_CACHE_SECONDS pass. `name` says what
    else it depends on (a campaign, a filter)."""
    if settings.COUNTS_CACHE_SECONDS <= 0:
        return make()
    try:
        kept_under = versions([_version_key(model) for model in models] + [_whole_key(model) for model in models])
        key = "counts:" + hashlib.sha256(repr((name, kept_under)).encode()).hexdigest()
        found = cache.get(key)
    except Exception:
        logger.warning("计数缓存不可用，直接读取", exc_info=True)
        return make()
    if found is None:
        found = (make(),)  # in a tuple: what make returns may be None
        _keep({key: found})
    return found[0]


def counted_per_village(rows_of: Callable[[list[int]], QuerySet], village_ids: list[int], *models: type[Model]) -> list:
    """The rows of a count grouped by village first (`rows_of(ids)`: a values_list queryset of those
    villages, its first value the village id, with a Count), kept per block of villages
    (VILLAGE_BLOCK): a block's rows from the cache while nothing counted in its villages, and none
    of `models` as a whole, has changed. The blocks counted afresh are counted in one query; the
    rows come in `village_ids`' order."""
    if not village_ids:
        return []
    if settings.COUNTS_CACHE_SECONDS <= 0:
        return list(rows_of(village_ids))
    sample = rows_of([0])  # the query's shape: the same SQL for any villages, but their ids
    try:
        sql, params = sample.query.get_compiler(using=sample.db).as_sql()
    except EmptyResultSet:  # a filter that matches nothing, as list(rows_of(...)) would find
        return []
    blocks: dict[int, list[int]] = defaultdict(list)
    for pk in village_ids:
        blocks[pk // VILLAGE_BLOCK].append(pk)
    try:
        found_versions = versions([_version_key(model) for model in models] + [_block_key(block) for block in blocks])
        shape = (sample.db, sql, params, found_versions[:len(models)])
        keys = {
            block: "counts:" + hashlib.sha256(repr((shape, ids, version)).encode()).hexdigest()
            for (block, ids), version in zip(blocks.items(), found_versions[len(models):])
        }
        found = cache.get_many(list(keys.values()))
    except Exception:
        logger.warning("计数缓存不可用，直接计数", exc_info=True)
        return list(rows_of(village_ids))
    missing = [block for block, key in keys.items() if key not in found]
    if missing:
        fresh: dict[int, list] = {block: [] for block in missing}
        for row in rows_of([pk for block in missing for pk in blocks[block]]):
            fresh[row[0] // VILLAGE_BLOCK].append(row)
        _keep({keys[block]: fresh[block] for block in missing})
        found.update({keys[block]: fresh[block] for block in missing})
    per_village: dict[int, list] = defaultdict(list)
    for key in keys.values():
        for row in found[key]:
            per_village[row[0]].append(row)
    return [row for pk in village_ids for row in per_village[pk]]


def _keep(entries: dict[str, object]) -> None:
    try:
        cache.set_many(entries, settings.COUNTS_CACHE_SECONDS)
    except Exception:
        logger.warning("计数缓存不可用，未保存", exc_info=True)


_COUNTED: list[type[Model]] = []
VillageOf = Callable[[Model], int | None]
_VILLAGE_OF: dict[type[Model], VillageOf] = {}


def connect_counted_models(*models: type[Model], village_of: dict[type[Model], VillageOf] | None = None) -> None:
    """Saving or deleting one row of these models forgets the counts over them: those of its
    village only where `village_of` tells a row's village (which must not change once saved)."""
    _VILLAGE_OF.update(village_of or {})
    for model in models:
        _COUNTED.append(model)
        post_save.connect(_changed, sender=model, dispatch_uid=f"counts-save-{model._meta.label_lower}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"counts-delete-{model._meta.label_lower}")


def all_rows_changed() -> None:
    """After writes that bypass the models (seeding the demo county, restoring a backup)."""
    rows_changed(*_COUNTED)


def _changed(sender: type[Model], instance: Model, **kwargs) -> None:
    village_of = _VILLAGE_OF.get(sender)
    village_id = village_of(instance) if village_of else None
    rows_changed(sender, village_ids=None if village_id is None else [village_id])
