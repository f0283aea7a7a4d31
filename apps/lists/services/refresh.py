"""Refresh: download then the same import; "refresh now" requests; re-sending queued runs whose message was lost;
the dispatch of due sources. Everything that enqueues the refresh task lives here."""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError
from apps.security.enqueue import enqueue_now, enqueue_on_commit

from .. import downloads
from ..choices import RunStatus, RunTrigger
from ..defaults import BUNDLED_FILES
from ..models import FetchRun, ListSource
from ..selectors import list_source_downloadable, list_version_active
from .ingest import _import_db_failed, list_version_import
from .leases import _lease_keeper, _lock_release_quietly, list_source_leftovers_clean, list_source_lock_acquire
from .results import ImportResult, RunRetryable, SourceBusy
from .runs import QUEUED_RUN_MAX_AGE, _run_claim, _run_finish, _run_update
from .versions import _source_mark_good

logger = logging.getLogger(__name__)

REFRESH_TASK = "apps.lists.tasks.refresh_list_source"  # enqueued by its registered name


def list_source_refresh(
    *,
    source: ListSource,
    trigger: str = RunTrigger.SCHEDULE,
    run: FetchRun | None = None,
    user=None,
    task_id: str = "",
    now: dt.datetime | None = None,
    resume_failed: bool = False,
) -> ImportResult:
    """Download the source's files (conditional GET) and import them.

    Raises SourceBusy when another process holds the lease; RunAlreadyFinished when another delivery of the
    task finished `run`; downloads.DownloadError or RunRetryable (a database error) when the failure is
    retryable (the run, and its version, are recorded as failed first; the task retries with the same run and
    `resume_failed`). A refusal that a retry cannot fix is returned as a failed result.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    if not list_source_lock_acquire(source_id=source.pk, token=token, now=now):
        source.refresh_from_db(fields=["lock_until"])
        raise SourceBusy(source, source.lock_until)
    try:
        if run is None:
            run = FetchRun.objects.create(source=source, trigger=trigger, status=RunStatus.RUNNING, started_at=now,
                                          task_id=task_id[:64])
        else:
            _run_claim(run, now=now, task_id=task_id, resume_failed=resume_failed)
        list_source_leftovers_clean(source=source, keep_run_id=run.pk, now=now)
        ListSource.objects.filter(pk=source.pk).update(last_attempt_at=now)
        bundled = BUNDLED_FILES.get(source.code)
        if not source.url:
            if bundled is None or not bundled.is_file():
                result = ImportResult(source=source.code, status=RunStatus.FAILED,
                                      reason="The source has no URL; upload its file on the list's page, or "
                                             "import it with `import_list`.")
                return _run_finish(run, result, now=now)
            return _raise_if_retryable(list_version_import(source=source, paths=[bundled], trigger=trigger, run=run,
                                                           now=now, user=user, lock_token=token))
        with tempfile.TemporaryDirectory(prefix="vr-list-") as tmp:
            urls = [source.url, *[u for u in (source.extra_urls or []) if u]]
            active = list_version_active(source.pk)
            conditional = len(urls) == 1 and active is not None
            paths, etag, last_modified = [], "", ""
            for index, url in enumerate(urls):
                name = downloads.filename_for(url, default=f"file{index}")
                if any(p.name == name for p in paths):
                    name = f"{index}-{name}"
                _run_update(run, message=f"Downloading {url}"[:300], progress=1)

                keep_lease, shown = _lease_keeper(source.pk, token), [0]

                def on_progress(size: int, _url=url, _keep_lease=keep_lease, _shown=shown) -> None:
                    _keep_lease()  # by time (a third of the lease), so a slow download keeps it too
                    if size - _shown[0] >= 8 << 20:  # every ~8 MB: show progress
                        _shown[0] = size
                        _run_update(run, message=f"Downloading {_url}: {size // (1 << 20)} MB"[:300])

                try:
                    got = downloads.download(
                        url, Path(tmp) / name, etag=active.etag if conditional else "",
                        last_modified=active.last_modified if conditional else "", on_progress=on_progress,
                    )
                except downloads.DownloadError as exc:
                    result = ImportResult(source=source.code, status=RunStatus.FAILED, reason=exc.reason,
                                          extra={"retryable": exc.retryable})
                    _run_finish(run, result, now=now)
                    if exc.retryable:
                        raise
                    return result
                if got.not_modified:
                    _source_mark_good(source, now)
                    result = ImportResult(source=source.code, status=RunStatus.UNCHANGED, version=active.pk,
                                          entries=active.entry_count, sha256=active.sha256,
                                          reason="Not modified (HTTP 304).")
                    return _run_finish(run, result, now=now)
                paths.append(got.path)
                if len(urls) == 1:
                    etag, last_modified = got.etag, got.last_modified
            return _raise_if_retryable(list_version_import(
                source=source, paths=paths, trigger=trigger, run=run, now=now, etag=etag, last_modified=last_modified,
                user=user, lock_token=token))
    except DatabaseError as exc:  # the run's bookkeeping or the leftovers clean-up (the import handles its own)
        if run is None:
            raise
        failed = _import_db_failed(run=run, result=ImportResult(source=source.code, status=RunStatus.FAILED),
                                   exc=exc, phase="refreshing the source", clock=lambda: now)
        raise RunRetryable(failed.reason, run_id=run.pk) from exc
    finally:
        _lock_release_quietly(source.pk, token)


def _raise_if_retryable(result: ImportResult) -> ImportResult:
    """An import failed by a database error is already recorded (run and version FAILED, entries deleted): for
    a refresh, raise so the task retries the same run later."""
    if result.status == RunStatus.FAILED and result.extra.get("retryable"):
        raise RunRetryable(result.reason, run_id=result.run)
    return result


@transaction.atomic
def list_source_refresh_request(*, source: ListSource, user=None, now: dt.datetime | None = None) -> FetchRun:
    """"Refresh now": record a queued run and enqueue the task on commit. A run already queued or running
    for the source is returned instead of a second one (double clicks, impatient admins); a queued one whose
    message no worker took within LISTS_QUEUED_RESEND_SECONDS is sent again (the broker lost it)."""
    now = now or timezone.now()
    authorize(user, Action.REFRESH_LIST, source)
    if not list_source_downloadable(source):
        raise ApplicationError(f"{source.name} has no URL (no download address): upload its file on this page, "
                               "or import it with `manage.py import_list`.", code="no_url")
    lease_held = source.lock_until is not None and source.lock_until > now
    alive = Q(status=RunStatus.QUEUED, started_at__gte=now - QUEUED_RUN_MAX_AGE)
    if lease_held:
        alive |= Q(status=RunStatus.RUNNING)
    pending = FetchRun.objects.filter(source=source).filter(alive).order_by("-started_at").first()
    if pending is not None:  # a run that is really queued or running (not one left behind by a dead worker)
        if pending.status == RunStatus.QUEUED:
            fetch_run_resend(run=pending, now=now)  # its message may be lost: sent again once it is old enough
        return pending
    run = FetchRun.objects.create(source=source, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED, started_at=now,
                                  sent_at=now, message="Queued",
                                  requested_by=user if getattr(user, "is_authenticated", False) else None)
    audit_record(action="listsource.refresh_request", actor=user, obj=source, organization_id=source.organization_id,
                 changes={"run": run.pk})
    source_id, run_id = source.pk, run.pk
    # A broker outage must not fail the request: enqueue_on_commit keeps the task in the outbox instead.
    enqueue_on_commit(REFRESH_TASK, source_id, RunTrigger.MANUAL, run_id)
    return run


def _queued_resend_due(now: dt.datetime) -> Q:
    """Queued runs whose last message is older than LISTS_QUEUED_RESEND_SECONDS: no worker took it."""
    cutoff = now - dt.timedelta(seconds=max(1, int(getattr(settings, "LISTS_QUEUED_RESEND_SECONDS", 120))))
    return Q(status=RunStatus.QUEUED) & (Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, started_at__lt=cutoff))


def fetch_run_resend(*, run: FetchRun, now: dt.datetime | None = None) -> bool:
    """Send a queued run's task again when its last message is older than the resend age (the broker lost it:
    Redis restarted empty, a queue purged). One conditional UPDATE, so a click and the beat sweep send it
    once; a duplicate that arrives anyway is harmless (see `_run_claim`). Returns True when it was sent."""
    now = now or timezone.now()
    if not FetchRun.objects.filter(pk=run.pk).filter(_queued_resend_due(now)).update(
            sent_at=now, message="Queued (re-sent: no worker had started it)"):
        return False
    run.sent_at = now
    logger.warning("run %s of source %s was still queued: its task is sent again", run.pk, run.source_id)
    enqueue_on_commit(REFRESH_TASK, run.source_id, run.trigger, run.pk)
    return True


def fetch_runs_queued_recover(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """Beat sweep: re-send queued runs no worker started within the resend age, so a lost message is
    recovered without anyone clicking again; give up (FAILED) runs still queued after QUEUED_RUN_MAX_AGE."""
    now = now or timezone.now()
    expired = FetchRun.objects.filter(status=RunStatus.QUEUED, started_at__lt=now - QUEUED_RUN_MAX_AGE)
    failed = list(expired.values_list("pk", flat=True))
    FetchRun.objects.filter(pk__in=failed, status=RunStatus.QUEUED).update(
        status=RunStatus.FAILED, finished_at=now,
        error="Never started: the queued task was re-sent but no worker ran it (is a worker running?).")
    resent = [run.pk for run in FetchRun.objects.filter(_queued_resend_due(now)).order_by("started_at")
              if fetch_run_resend(run=run, now=now)]
    return {"resent": resent, "given_up": failed}


def list_sources_refresh_due(*, now: dt.datetime | None = None) -> list[int]:
    """Enqueue a scheduled refresh for each enabled source whose refresh interval has passed."""
    from ..selectors import list_sources_due
    now = now or timezone.now()
    due = [s.pk for s in list_sources_due(now=now)]
    for source_id in due:
        enqueue_now(REFRESH_TASK, source_id, RunTrigger.SCHEDULE)
    return due
