import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalprep.settings")
application = get_wsgi_application()

# Django, the apps and their models, loaded by now, live as long as the web process.
# Frozen, they are out of the garbage collector's way: a full collection walked all of
# them (some 150,000 objects, about 80 ms) every few hundred requests, in the middle of
# someone's page.
gc.collect()
gc.freeze()
