"""Celery tasks for the inventory: thin wrappers around services."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from apps.common.exceptions import ApplicationError

from .services import equipment_counts_refresh


@shared_task(acks_late=True, name="apps.inventory.tasks.recount_equipment",
             autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def recount_equipment() -> dict:
    """Rebuild the per-site equipment tally from the equipment table (nightly repair of writes made outside
    the application, e.g. SQL). Writes only the buckets that differ."""
    return {"written": equipment_counts_refresh()}


@shared_task(acks_late=True, name="apps.inventory.tasks.import_job_run")
def import_job_run(job_id: int, commit: bool, actor_id: int | None = None) -> str:
    from apps.accounts.models import User

    from .import_jobs import import_job_commit, import_job_validate
    from .models import ImportJob

    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if commit:
        if job.status == ImportJob.Status.COMMITTED:
            return "already committed"
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        try:
            import_job_commit(job=job, actor=actor)
        except ApplicationError as exc:
            return f"failed: {exc.message}"
        return "committed"
    if job.status != ImportJob.Status.VALIDATING:
        return job.status
    return import_job_validate(job=job).status


@shared_task(acks_late=True, name="apps.inventory.tasks.bom_upload_read",
             autoretry_for=(OperationalError,), retry_backoff=30, max_retries=5)
def bom_upload_read(job_id: int) -> str:
    """Read a large web BOM upload once (the preview page polls until it is ready)."""
    from .bom import bom_upload_read as read
    from .models import ImportJob

    job = ImportJob.objects.select_related("organization").filter(pk=job_id, kind="bom").first()
    if job is None:
        return "missing"
    return read(job=job).status
