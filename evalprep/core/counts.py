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
"""

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

from evalprep.core.cache import versions, versions_forget

logger = logging.getLogger(__name__)


def _version_key(model: type[Model]) -> str:
    return f"counts:version:{model._meta.label_lower}"


def rows_changed(*models: type[Model]) -> None:
    """Counts over these models are counted afresh once the current transaction commits."""
    versions_forget([_version_key(model) for model in models], "计数")


def counted(rows: QuerySet, *models: type[Model], run: Callable[[], list] | None = None) -> list:
    """The rows of a grouped count (a values_list queryset with a Count), from the cache while
    none of `models` (every model the query reads) has changed. `run` reads them when not
    cached (default: list(rows))."""
    run = run or (lambda: list(rows))
    seconds = settings.COUNTS_CACHE_SECONDS
    if seconds <= 0:
        return run()
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # e.g. village_id__in=[]: nothing to count, as list(rows) would find
        return []
    try:
        kept_under = versions([_version_key(model) for model in models])
        key = "counts:" + hashlib.sha256(repr((rows.db, sql, params, kept_under)).encode()).hexdigest()
        found = cache.get(key)
    except Exception:
        logger.warning("计数缓存不可用，直接计数", exc_info=True)
        return run()
    if found is None:
        found = run()
        try:
            cache.set(key, found, seconds)
        except Exception:
            logger.warning("计数缓存不可用，未保存", exc_info=True)
    return found


_COUNTED: list[type[Model]] = []


def connect_counted_models(*models: type[Model]) -> None:
    """Saving or deleting one row of these models forgets the counts over them."""
    for model in models:
        _COUNTED.append(model)
        post_save.connect(_changed, sender=model, dispatch_uid=f"counts-save-{model._meta.label_lower}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"counts-delete-{model._meta.label_lower}")


def all_rows_changed() -> None:
    """After writes that bypass the models (seeding the demo county, restoring a backup)."""
    rows_changed(*_COUNTED)


def _changed(sender: type[Model], **kwargs) -> None:
    rows_changed(sender)
