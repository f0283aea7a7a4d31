"""Celery tasks for the inventory: thin wrappers around services."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from .services import equipment_counts_refresh


@shared_task(acks_late=True, name="apps.inventory.tasks.recount_equipment",
             autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def recount_equipment() -> dict:
    """Rebuild the per-site equipment tally from the equipment table (nightly repair of writes made outside
    the application, e.g. SQL). Writes only the buckets that differ."""
    return {"written": equipment_counts_refresh()}
