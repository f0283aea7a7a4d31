"""Celery tasks of the webhooks: thin, each calls one service."""
from __future__ import annotations

from celery import shared_task

from apps.security.enqueue import enqueue_now

from . import services


@shared_task(acks_late=True, name="apps.integrations.tasks.webhook_deliver_task", time_limit=120,
             soft_time_limit=100)
def webhook_deliver_task(delivery_id: int) -> str:
    """One attempt of a delivery; a failed attempt schedules the next with exponential back-off (countdown)."""
    delay = services.webhook_delivery_attempt(delivery_id)
    if delay is None:
        return "settled"
    enqueue_now(webhook_deliver_task, delivery_id, countdown=delay)
    return f"retry in {delay:g}s"
