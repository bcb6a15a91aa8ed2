import gc
import itertools
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalprep.settings")
application = get_wsgi_application()
logger = logging.getLogger(__name__)


def warm_up() -> list[str]:
    """What the first request of each page in each web process would otherwise pay for, done before
    it takes any: every project template compiled (the cached loader keeps them; a page's first
    request parsed its templates, tens of milliseconds), the URL map and the Chinese catalogue
    loaded, and the connection to the job queue open (the first job a process queued took 160 ms).
    Returns the templates that would not compile, which are logged and left to fail as before."""
    from django.template import engines
    from django.template.autoreload import get_template_directories
    from django.urls import reverse
    from django.utils import translation

    from evalprep.celery import app as celery_app

    broken = []
    engine = engines["django"]
    own = [folder for folder in get_template_directories() if Path(folder).is_relative_to(settings.BASE_DIR)]
    for folder in own:
        for path in sorted(Path(folder).rglob("*.html")):
            name = path.relative_to(folder).as_posix()
            try:
                engine.get_template(name)
            except Exception:
                logger.warning("模板 %s 无法编译", name, exc_info=True)
                broken.append(name)
    reverse("home")
    with translation.override(settings.LANGUAGE_CODE):
        translation.gettext("首页")
    try:
        with celery_app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
    except Exception:
        logger.warning("后台任务队列暂时连不上：第一个后台任务排队时再连接", exc_info=True)
    return broken


# What a web process loads once lives as long as the process: Django, the apps and their
# models, the templates and translations (warm_up) at start, the views' own caches with its
# first requests. Frozen, they are out of the garbage collector's way: a full collection walked
# all of them (some 170,000 objects, 100–170 ms) every few hundred requests, in the middle of
# someone's page. Frozen once at start and again after the first requests, a full collection
# takes a few milliseconds.
WARM_UP_REQUESTS = 50
_served = itertools.count(1)


def _freeze_after_warm_up(**kwargs) -> None:
    if next(_served) >= WARM_UP_REQUESTS:
        request_finished.disconnect(_freeze_after_warm_up)
        gc.collect()  # after the response has gone (request_finished), so no one waits for it
        gc.freeze()


warm_up()
gc.collect()
gc.freeze()
request_finished.connect(_freeze_after_warm_up)
