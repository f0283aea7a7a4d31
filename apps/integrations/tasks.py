"""Celery tasks of the webhooks: thin, each calls one service."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, name="apps.integrations.tasks.webhook_deliver_task", time_limit=120,
             soft_time_limit=100, max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """One attempt of a delivery; a failed attempt schedules the next with exponential back-off (the service
    counts the attempts and says when to stop). Retried on the queue the task came from."""
    delay = services.webhook_delivery_attempt(delivery_id)
    if delay is None:
        return "settled"
    raise self.retry(countdown=delay)


@shared_task(acks_late=True, name="apps.integrations.tasks.webhook_recover_task")
def webhook_recover_task() -> dict:
    """Every ten minutes: re-queue deliveries whose retry message the broker lost (same message id)."""
    return {"requeued": len(services.webhook_deliveries_recover())}
