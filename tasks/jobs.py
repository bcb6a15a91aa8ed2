"""Celery jobs of the department-task domain."""

import logging

from celery import shared_task

from tasks.services import reminders_send

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def task_reminders_job() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): the reminder digests for due-in-3-days, due-tomorrow and overdue."""
    run = reminders_send()
    logger.info("task reminders: %s digests, %s reminders, %s e-mails", run.digests, run.reminders, run.emails)
    return {"digests": run.digests, "reminders": run.reminders, "emails": run.emails}
