"""The signed-in user kept in the shared cache: the user with their role
assignments (evalprep.core.auth), their newest unread notifications (the navbar's
bell, evalprep.core.context_processors), their county's current campaign
(evalprep.core.scoping.current_campaign_for), their working groups
(tasks.selectors) and the villages whose roster they see (households.selectors).

Most pages read three to five of them. From the database that is a query each
and the ORM's work on it, some 5 ms of every page on a busy server; from the
cache it is two reads: the user's version, then every entry kept under it.

Any change to the user or one of their notifications forgets the user's version
once the transaction commits: model saves and deletes through the signals
connected in CoreConfig.ready, and the bulk writes of notifications, which call
user_changed themselves. A change to a role assignment, a working group's member,
a campaign, a county, a township or a village forgets every user's (an
assignment or a membership may have moved from one user to another; all are
rare). A role taken away takes effect on the user's next page, and what a page
read from the database before a change and cached after it is kept under a
version nobody reads any more (evalprep.core.cache.versions). Writes past the models (seeding the demo county,
restoring a backup) call all_users_changed. Entries expire after
USER_CACHE_SECONDS in any case; 0 reads the database on every page (the test
settings, so that a test sees its own changes at once). While the cache cannot
be reached, the database is read.

The cached user carries its password hash, which Django checks the session
against; the sessions beside it in Redis are worth as much to whoever could
read them, and only the app's own processes reach Redis (docs/deployment.md).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from evalprep.core.cache import versions, versions_forget

logger = logging.getLogger(__name__)

ALL_USERS_VERSION = "user:version"


def _version_key(user_id: int) -> str:
    return f"user:version:{user_id}"


def _entry_key(part: str, user_id: int, version: str) -> str:
    return f"user:{part}:{user_id}:{version}"


def user_changed(*user_ids: int) -> None:
    """These users are read afresh from the database once the current transaction commits."""
    versions_forget([_version_key(pk) for pk in set(user_ids)], "用户")


def all_users_changed() -> None:
    versions_forget([ALL_USERS_VERSION], "用户")


# What is kept with the user, read with them in one get_many (kept_with_user).
PARTS = ("unread", "campaign", "groups", "villages")


def user_cached(user_id: int, read: Callable[[int], object | None]):
    """The user from the cache, else `read(user_id)` (None: no such user) kept there. What is kept
    with the user (PARTS) comes along, for kept_with_user."""
    seconds = settings.USER_CACHE_SECONDS
    if seconds <= 0:
        return read(user_id)
    try:
        version = "-".join(versions([ALL_USERS_VERSION, _version_key(user_id)]))
        found = cache.get_many([_entry_key(part, user_id, version) for part in ("user", *PARTS)])
    except Exception:
        logger.warning("用户缓存不可用，改从数据库读取", exc_info=True)
        return read(user_id)
    user = found.get(_entry_key("user", user_id, version))
    if user is None:
        user = read(user_id)
        if user is None:
            return None
        _keep(_entry_key("user", user_id, version), user, seconds)
    # Set after pickling, so not kept with the user.
    user._evalprep_cache_version = version
    user._evalprep_kept = {part: found[key] for part in PARTS if (key := _entry_key(part, user_id, version)) in found}
    return user


def kept_with_user(user, part: str, read: Callable[[], object]):
    """`part` (one of PARTS) of what pages show the user: read once per user object (a request's),
    from what came with the user (user_cached), else by `read()` and kept in the cache with them."""
    if not hasattr(user, "_evalprep_kept"):
        user._evalprep_kept = {}
    kept = user._evalprep_kept
    if part not in kept:
        kept[part] = read()
        version = getattr(user, "_evalprep_cache_version", None)
        if version is not None:
            _keep(_entry_key(part, user.pk, version), kept[part], settings.USER_CACHE_SECONDS)
    return kept[part]


def _keep(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("用户缓存不可用，未保存", exc_info=True)


def connect_user_models() -> None:
    """Saving or deleting a user or a notification forgets its user; a role assignment, a
    working group's member, a campaign, a county, a township or a village, every user."""
    from evalprep.core.models import Campaign, County, RoleAssignment, Township, Village, WorkingGroupMember
    from tasks.models import Notification

    shared = (RoleAssignment, WorkingGroupMember, Campaign, County, Township, Village)
    receivers = [(get_user_model(), _user_saved), (Notification, _row_saved), *((model, _shared_saved) for model in shared)]
    for model, receiver in receivers:
        label = model._meta.label_lower
        post_save.connect(receiver, sender=model, dispatch_uid=f"usercache-save-{label}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"usercache-delete-{label}")


def _user_saved(sender, instance, **kwargs) -> None:
    user_changed(instance.pk)


def _row_saved(sender, instance, **kwargs) -> None:
    user_changed(instance.user_id)


def _shared_saved(sender, instance, **kwargs) -> None:
    all_users_changed()
