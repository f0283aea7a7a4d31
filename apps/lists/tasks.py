"""Celery tasks for lists: thin wrappers around services (ids in, JSON out), acks_late and idempotent.

A worker killed mid-refresh loses nothing: the message is redelivered (acks_late + reject on worker lost),
the previous version is still active (activation is the last, atomic step), and the next run cleans up the
LOADING leftovers once the dead worker's lease has expired.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from .choices import RunStatus, RunTrigger
from .downloads import DownloadError
from .models import FetchRun, ListSource
from .services import (
    SourceBusy,
    fetch_run_give_up,
    list_source_refresh,
    list_sources_refresh_due,
    list_sources_stale_alert,
)

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    base = int(getattr(settings, "LISTS_RETRY_BACKOFF_SECONDS", 60))
    return min(base * (2**retries), 3600)


@shared_task(bind=True, acks_late=True, max_retries=5, name="apps.lists.tasks.refresh_list_source")
def refresh_list_source(self, source_id: int, trigger: str = RunTrigger.SCHEDULE, run_id: int | None = None) -> dict:
    source = ListSource.objects.filter(pk=source_id).first()
    if source is None:
        return {"status": "skipped", "reason": f"no source {source_id}"}
    run = FetchRun.objects.filter(pk=run_id, source=source).first() if run_id else None
    if run is not None and run.status not in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED):
        return {"status": "skipped", "reason": f"run {run_id} already finished ({run.status})"}  # redelivery
    try:
        result = list_source_refresh(source=source, trigger=trigger, run=run, task_id=self.request.id or "")
    except SourceBusy as exc:
        if run is None:
            return {"status": "skipped", "reason": exc.message}  # the scheduler will come back
        if self.request.retries >= self.max_retries:
            fetch_run_give_up(run_id=run.pk, reason=exc.message)
            return {"status": "failed", "reason": exc.message}
        raise self.retry(countdown=_backoff(self.request.retries), exc=exc) from exc
    except DownloadError as exc:  # retryable network trouble; the run already records the error
        if run is None:
            run = FetchRun.objects.filter(source=source).order_by("-started_at").first()
            run_id = run.pk if run else None
        logger.warning("refresh of %s failed (%s), retry %s", source.code, exc.reason, self.request.retries + 1)
        if self.request.retries >= self.max_retries:
            return {"status": "failed", "reason": exc.reason}
        raise self.retry(args=[source_id, trigger, run_id], countdown=_backoff(self.request.retries), exc=exc) from exc
    return result.as_dict()


@shared_task(acks_late=True, name="apps.lists.tasks.refresh_due_list_sources")
def refresh_due_list_sources() -> dict:
    """Hourly dispatcher (django-celery-beat): enqueue each source whose refresh interval has passed."""
    return {"enqueued": list_sources_refresh_due()}


@shared_task(acks_late=True, name="apps.lists.tasks.check_list_freshness")
def check_list_freshness() -> dict:
    """Hourly: alert once per stale period for every source past its freshness limit."""
    return list_sources_stale_alert()
