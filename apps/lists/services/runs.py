"""Fetch-run bookkeeping: progress, the final record, claiming a run for one task delivery, waiting and
giving up. Every import and refresh leaves a run row (STYLE.md 6)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..choices import RunStatus
from ..models import FetchRun, ListSource
from .results import ImportResult, RunAlreadyFinished

QUEUED_RUN_MAX_AGE = dt.timedelta(hours=6)  # a "refresh now" still queued after this was lost for good


def _run_update(run: FetchRun, **fields) -> None:
    for key, value in fields.items():
        setattr(run, key, value)
    FetchRun.objects.filter(pk=run.pk).update(**fields)


def _run_finish(run: FetchRun, result: ImportResult, *, now: dt.datetime) -> ImportResult:
    result.run = run.pk
    counts = {"entries": result.entries, "added": result.added, "removed": result.removed,
              "changed": result.changed, **{k: v for k, v in result.extra.items() if isinstance(v, int)}}
    _run_update(run, status=result.status, finished_at=timezone.now() if now is None else max(now, run.started_at),
                progress=100, counts=counts, error=result.reason if result.status == RunStatus.FAILED else "",
                message=(result.reason or result.status)[:300], version_id=result.version)
    return result


def fetch_run_give_up(*, run_id: int, reason: str, now: dt.datetime | None = None) -> None:
    """Mark a queued run failed when its task stops retrying (e.g. the source stayed locked by another run)."""
    FetchRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED]).update(
        status=RunStatus.FAILED, finished_at=now or timezone.now(), error=reason)


def fetch_run_claimable_statuses(*, resume_failed: bool = False) -> list[str]:
    """Statuses a delivery of a refresh task may take its run over from: QUEUED; RUNNING (under the lease it
    can only be a dead worker's run, e.g. a redelivered message); FAILED only for the task's own retry after a
    retryable failure (`resume_failed`). Anything else was finished by another delivery."""
    return [RunStatus.QUEUED, RunStatus.RUNNING, *([RunStatus.FAILED] if resume_failed else [])]


def fetch_run_for_task(*, source: ListSource, run_id: int | None, task_id: str) -> FetchRun | None:
    """The run a task message continues: the given one, else (a scheduled refresh redelivered or retried:
    same task id) the run an earlier delivery recorded, so a retry never adds a second row."""
    if run_id:
        return FetchRun.objects.filter(pk=run_id, source=source).first()
    if not task_id:
        return None
    return FetchRun.objects.filter(source=source, task_id=task_id[:64]).order_by("-started_at").first()


def _run_claim(run: FetchRun, *, now: dt.datetime, task_id: str, resume_failed: bool) -> None:
    """Take the run over with one conditional UPDATE, under the source's lease, so two deliveries of one
    message (re-sent, redelivered) never run it twice: the second finds it finished."""
    fields = {"status": RunStatus.RUNNING, "started_at": now, "finished_at": None, "error": "", "progress": 0,
              "message": "Starting", "task_id": task_id[:64] or run.task_id}
    claimable = fetch_run_claimable_statuses(resume_failed=resume_failed)
    if not FetchRun.objects.filter(pk=run.pk, status__in=claimable).update(**fields):
        run.refresh_from_db(fields=["status"])
        raise RunAlreadyFinished(run)
    for key, value in fields.items():
        setattr(run, key, value)


def fetch_run_wait(*, run_id: int, countdown: int, reason: str, now: dt.datetime | None = None) -> None:
    """A queued run whose task waits for the source's lease: say so, and count its message as alive until the
    retry is due (so it is not re-sent as lost meanwhile)."""
    now = now or timezone.now()
    FetchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        sent_at=now + dt.timedelta(seconds=countdown), message=f"Waiting {countdown}s: {reason}"[:300])
