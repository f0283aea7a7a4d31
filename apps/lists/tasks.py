"""Celery tasks for lists: thin wrappers around services (ids in, JSON out), acks_late and idempotent.

A worker killed mid-refresh loses nothing: the message is redelivered (acks_late + reject on worker lost),
the previous version is still active (activation is the last, atomic step), and the redelivered task, which
meets the dead worker's lease, retries when that lease ends and cleans up the LOADING leftovers.
A lost message (broker restarted empty) is re-sent by "refresh now" or the beat sweep; deliveries claim the
run under the lease, so one run never executes twice.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from .choices import RunTrigger
from .downloads import DownloadError
from .models import ListSource
from .services import (
    RunAlreadyFinished,
    RunRetryable,
    SourceBusy,
    fetch_run_claimable_statuses,
    fetch_run_for_task,
    fetch_run_give_up,
    fetch_run_wait,
    fetch_runs_queued_recover,
    list_source_busy_countdown,
    list_source_refresh,
    list_sources_refresh_due,
    list_sources_stale_alert,
)

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    base = int(getattr(settings, "LISTS_RETRY_BACKOFF_SECONDS", 60))
    return min(base * (2**retries), 3600)


@shared_task(bind=True, acks_late=True, max_retries=5, name="apps.lists.tasks.refresh_list_source")
def refresh_list_source(self, source_id: int, trigger: str = RunTrigger.SCHEDULE, run_id: int | None = None,
                        resume_failed: bool = False) -> dict:
    """Refresh one source. `run_id`: the queued "refresh now" run; a scheduled refresh records its run under
    the task id, so a redelivery or retry continues that run instead of adding one. `resume_failed`: set on
    the task's own retries after a retryable failure, so only they may take a FAILED run over again.

    Busy source: retried when the lease ends (a dead worker's lease runs out, then this run cleans up after it).
    Network and database errors: retried with exponential backoff, same run."""
    task_id = self.request.id or ""
    retries = self.request.retries
    try:
        source = ListSource.objects.filter(pk=source_id).first()
        if source is None:
            return {"status": "skipped", "reason": f"no source {source_id}"}
        run = fetch_run_for_task(source=source, run_id=run_id, task_id=task_id)
        if run is not None and run.status not in fetch_run_claimable_statuses(resume_failed=resume_failed):
            return {"status": "skipped", "reason": f"run {run.pk} already finished ({run.status})"}  # redelivery
        result = list_source_refresh(source=source, trigger=trigger, run=run, task_id=task_id,
                                     resume_failed=resume_failed)
    except RunAlreadyFinished as exc:  # another delivery of this message finished it meanwhile
        return {"status": "skipped", "reason": exc.message}
    except SourceBusy as exc:
        if retries >= self.max_retries:
            if run_id:
                fetch_run_give_up(run_id=run_id, reason=exc.message)
                return {"status": "failed", "reason": exc.message}
            return {"status": "skipped", "reason": exc.message}  # the scheduler will come back
        countdown = list_source_busy_countdown(until=exc.until)
        logger.info("source %s busy (lease until %s), retry in %ss", source_id, exc.until, countdown)
        if run_id:
            fetch_run_wait(run_id=run_id, countdown=countdown, reason=exc.message)
        raise self.retry(args=[source_id, trigger, run_id], kwargs={"resume_failed": resume_failed},
                         countdown=countdown, exc=exc) from exc
    except (DownloadError, RunRetryable, DatabaseError) as exc:  # the run (if any) already records the error
        run_id = getattr(exc, "run_id", None) or run_id
        reason = getattr(exc, "reason", None) or getattr(exc, "message", None) or f"{exc.__class__.__name__}: {exc}"
        logger.warning("refresh of source %s failed (%s), retry %s", source_id, reason, retries + 1)
        if retries >= self.max_retries:
            return {"status": "failed", "reason": reason}
        raise self.retry(args=[source_id, trigger, run_id], kwargs={"resume_failed": True},
                         countdown=_backoff(retries), exc=exc) from exc
    return result.as_dict()


@shared_task(acks_late=True, name="apps.lists.tasks.refresh_due_list_sources")
def refresh_due_list_sources() -> dict:
    """Hourly dispatcher (django-celery-beat): enqueue each source whose refresh interval has passed, and
    re-send queued runs whose message was lost."""
    return {"enqueued": list_sources_refresh_due(), **fetch_runs_queued_recover()}


@shared_task(acks_late=True, name="apps.lists.tasks.recover_queued_runs")
def recover_queued_runs() -> dict:
    """Every two minutes: re-send queued runs whose message the broker lost (LISTS_QUEUED_RESEND_SECONDS), so
    a lost "refresh now" starts within minutes without anyone clicking again. One conditional UPDATE."""
    return fetch_runs_queued_recover()


@shared_task(acks_late=True, name="apps.lists.tasks.check_list_freshness")
def check_list_freshness() -> dict:
    """Hourly: alert once per stale period for every source past its freshness limit."""
    return list_sources_stale_alert()
