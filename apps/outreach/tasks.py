"""Celery tasks of the data calls: thin, each calls one service."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, name="apps.outreach.tasks.outreach_daily_task", autoretry_for=(RuntimeError,),
             retry_backoff=300, max_retries=5)
def outreach_daily_task() -> dict:
    """Daily: overdue reminders (once per call, new link) and re-requests before a representation expires.
    Idempotent; a failed mail is retried with back-off (the calls already done are not repeated)."""
    return services.outreach_daily()
