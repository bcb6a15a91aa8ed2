import gc
import itertools
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalprep.settings")
application = get_wsgi_application()

# What a web process loads once lives as long as the process: Django, the apps and their
# models now, the views, forms, compiled templates and translations with its first requests.
# Frozen, they are out of the garbage collector's way: a full collection walked all of them
# (some 170,000 objects, 100–170 ms) every few hundred requests, in the middle of someone's
# page. Frozen once at start and again after the first requests, a full collection takes a
# few milliseconds.
WARM_UP_REQUESTS = 50
_served = itertools.count(1)


def _freeze_after_warm_up(**kwargs) -> None:
    if next(_served) >= WARM_UP_REQUESTS:
        request_finished.disconnect(_freeze_after_warm_up)
        gc.collect()  # after the response has gone (request_finished), so no one waits for it
        gc.freeze()


gc.collect()
gc.freeze()
request_finished.connect(_freeze_after_warm_up)
