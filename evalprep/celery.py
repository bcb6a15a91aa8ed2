"""The Celery app. Jobs live in each app's jobs.py (the tasks app is the
department-task domain, so no module here is called tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalprep.settings")

app = Celery("evalprep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
