"""Writes for restricted-party lists: the one ingestion engine and everything around it.

Every entry point (the beat task, "refresh now", `import_list` for air-gapped sites, the demo loader) calls
`list_version_import()` (files already on disk) or `list_source_refresh()` (download, then import):

1. sha256 of the raw bytes; equal to the active version -> the run is recorded `unchanged`, nothing else.
2. A LOADING version is created; the parser streams entries, which are inserted in batches (PostgreSQL
   COPY, bulk_create elsewhere). Batches commit one by one so that memory and transactions stay bounded and
   the run's progress is visible to other processes; readers never see LOADING versions (selectors read
   ACTIVE ones only).
3. The raw files are stored gzip-compressed as evidence; the diff against the active version is computed
   in SQL (external_id + content_hash).
4. The guard: an empty parse, or a drop beyond the allowed share, quarantines the version and the previous
   one stays active. Otherwise one transaction supersedes the previous version and activates the new one;
   activation hooks run on commit with the new version's id.

A worker killed during step 2 leaves a LOADING version and a RUNNING run behind; the next refresh of the
source (which holds the source's lease) marks them FAILED and deletes the partial entries.

A database error in any step (entry load, diff, guard, activation) fails the run and the version with the
reason, deletes the version's entries and releases the lease at once; the active version is untouched
(activation is one transaction). The failure is marked retryable (`RunRetryable` out of a refresh) so the task
retries the same run with backoff. If the database is gone even for that clean-up, the next run's
`list_source_leftovers_clean` does it.

A queued "refresh now" whose message was lost (broker restarted empty) is re-sent after
LISTS_QUEUED_RESEND_SECONDS, by the next click or by the beat sweep; a run is claimed under the source's lease,
so a message delivered twice runs it once.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import math
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.choices import Role
from apps.accounts.models import Membership, Organization
from apps.audit.services import audit_record
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.security.enqueue import enqueue_now, enqueue_on_commit

from . import downloads
from .choices import EntryType, Propagation, Regime, RunStatus, RunTrigger, VersionStatus
from .defaults import BUNDLED_FILES, CUSTOM_FORMAT, DEFAULT_SOURCES
from .models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from .selectors import list_source_freshness

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
DIFF_FIELDS = (
    "entry_type", "primary_name", "aliases", "sub_list", "programs", "countries", "addresses", "identifiers",
    "listed_on", "end_date", "remarks", "source_url", "parent_name", "scope", "extra",
)
_ENTRY_TYPES = set(EntryType.values)
DAY_HOURS = 24
REFRESH_TASK = "apps.lists.tasks.refresh_list_source"  # enqueued by its registered name
QUEUED_RUN_MAX_AGE = dt.timedelta(hours=6)  # a "refresh now" still queued after this was lost for good
LEASE_MIN_SECONDS = 5  # a zero or negative LISTS_LOCK_LEASE_SECONDS would let two runs of a source overlap
BUSY_RETRY_MARGIN_SECONDS = 2  # a busy task retries this long after the lease it met ends

# ---------------------------------------------------------------------------------------------------------
# Results


@dataclass
class ImportResult:
    """What one import or refresh did; `as_dict()` is the JSON printed by `import_list --json`."""

    source: str
    status: str  # active | unchanged | quarantined | failed
    version: int | None = None
    run: int | None = None
    entries: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    sha256: str = ""
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


class SourceBusy(ApplicationError):
    """Another process holds the source's refresh lease."""

    def __init__(self, source: ListSource, until: dt.datetime | None):
        super().__init__(f"Another refresh of {source.code} is running (lease until {until}).", code="busy")
        self.until = until


class RunAlreadyFinished(ApplicationError):
    """Another delivery of the same task (a re-sent or redelivered message) finished the run already: this
    one skips it instead of refreshing twice."""

    def __init__(self, run: FetchRun):
        super().__init__(f"Run {run.pk} already finished ({run.status}).", code="finished")
        self.run_id = run.pk


class RunRetryable(ApplicationError):
    """A transient failure (a database error) after which the run and its version were recorded FAILED and
    the partial entries deleted: the task retries the same run with backoff."""

    def __init__(self, message: str, *, run_id: int | None):
        super().__init__(message, code="retryable")
        self.run_id = run_id


# ---------------------------------------------------------------------------------------------------------
# Default sources and in-house lists


@transaction.atomic
def list_sources_setup() -> dict[str, int]:
    """Create the default public sources that are missing. Never overwrites an existing source's fields."""
    created = 0
    for spec in DEFAULT_SOURCES:
        _, was_created = ListSource.objects.get_or_create(code=spec["code"], defaults=dict(spec))
        created += int(was_created)
    return {"created": created, "present": len(DEFAULT_SOURCES) - created}


@transaction.atomic
def list_source_custom_create(*, organization: Organization, name: str, user=None) -> ListSource:
    """An organisation's own blocklist (custom CSV: name, aliases, country, identifiers, reason)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("A name is required.", fields={"name": ["Required."]})
    code = slugify(f"custom-{organization.slug}-{name}")[:64]
    if ListSource.objects.filter(code=code).exists():
        raise ApplicationError(f"A list with code {code} already exists.", code="duplicate")
    source = ListSource(
        code=code, name=name, publisher=organization.name, regime=Regime.CUSTOM, propagation=Propagation.NAMED_ONLY,
        format=CUSTOM_FORMAT, url="", refresh_interval_hours=DAY_HOURS, freshness_limit_hours=0,
        organization=organization,
    )
    source.full_clean()
    source.save()
    audit_record(action="listsource.create", actor=user, obj=source, organization_id=organization.pk,
                 changes={"code": [None, code], "format": [None, CUSTOM_FORMAT]})
    return source


def lists_demo_load(*, now: dt.datetime | None = None) -> dict[str, str]:
    """Create the default sources and import the bundled statutory lists offline (idempotent: same bytes ->
    unchanged). Called by the demo loader so a fresh demo has active lists without network access."""
    list_sources_setup()
    statuses = {}
    for code, path in BUNDLED_FILES.items():
        source = ListSource.objects.get(code=code)
        result = list_version_import(source=source, paths=[path], trigger=RunTrigger.IMPORT, now=now)
        statuses[code] = result.status
    return statuses


# ---------------------------------------------------------------------------------------------------------
# The per-source lease (works across processes on SQLite and PostgreSQL; not a cache lock)


def _lease_seconds() -> int:
    return max(LEASE_MIN_SECONDS, int(getattr(settings, "LISTS_LOCK_LEASE_SECONDS", 300)))


def list_source_busy_countdown(*, until: dt.datetime | None, now: dt.datetime | None = None) -> int:
    """Seconds a task that met a held lease waits before it tries again: until the lease ends, plus a margin.

    A holder that died (a SIGKILLed child whose message was redelivered) renews no more, so the retry runs as
    soon as its lease expires and cleans up what it left; a live holder keeps renewing and is met again.
    Bounded by one lease length: a lease is never set further ahead than that."""
    now = now or timezone.now()
    if until is None:  # released meanwhile
        return BUSY_RETRY_MARGIN_SECONDS
    remaining = math.ceil((until - now).total_seconds())
    return max(1, min(_lease_seconds(), remaining) + BUSY_RETRY_MARGIN_SECONDS)


def list_source_lock_acquire(*, source_id: int, token: str, now: dt.datetime | None = None) -> bool:
    """Take (or renew, for the same token) the source's lease with one conditional UPDATE."""
    now = now or timezone.now()
    taken = (
        ListSource.objects.filter(pk=source_id)
        .filter(Q(lock_until__isnull=True) | Q(lock_until__lt=now) | Q(lock_token=token))
        .update(lock_until=now + dt.timedelta(seconds=_lease_seconds()), lock_token=token)
    )
    return taken == 1


def list_source_lock_release(*, source_id: int, token: str) -> None:
    ListSource.objects.filter(pk=source_id, lock_token=token).update(lock_until=None, lock_token="")


def _lock_release_quietly(source_id: int, token: str) -> None:
    """Release in a `finally`: with the database gone, the lease simply expires (LISTS_LOCK_LEASE_SECONDS)
    and the original error, not this one, reaches the caller."""
    try:
        list_source_lock_release(source_id=source_id, token=token)
    except DatabaseError as exc:
        logger.warning("could not release the lease of source %s (it expires on its own): %s", source_id, exc)


def _lease_renew(source_id: int, token: str | None) -> None:
    if token:
        ListSource.objects.filter(pk=source_id, lock_token=token).update(
            lock_until=timezone.now() + dt.timedelta(seconds=_lease_seconds())
        )


def _lease_keeper(source_id: int, token: str | None) -> Callable[[], None]:
    """A function to call often during a long step: it renews the lease once a third of the lease has passed
    since the last renewal. Renewing by elapsed time, not by bytes, keeps the lease through a slow download
    (a server trickling bytes would otherwise let it lapse, and a second refresh could start meanwhile)."""
    every = _lease_seconds() / 3
    last = [time.monotonic()]

    def keep() -> None:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            _lease_renew(source_id, token)

    return keep


def list_source_leftovers_clean(*, source: ListSource, keep_run_id: int | None = None,
                                now: dt.datetime | None = None) -> int:
    """Mark LOADING versions and RUNNING runs of a source FAILED (their worker died) and delete partial
    entries. Call only while holding the source's lease, so nothing live is touched."""
    now = now or timezone.now()
    cleaned = 0
    for version in ListVersion.objects.filter(source=source, status=VersionStatus.LOADING):
        _entries_delete(version.pk)
        ListVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.FAILED, entry_count=0,
            status_reason=f"Interrupted while loading (worker stopped); cleaned up at {now:%Y-%m-%d %H:%M:%S %Z}.",
        )
        cleaned += 1
    FetchRun.objects.filter(source=source, status=RunStatus.RUNNING).exclude(pk=keep_run_id).update(
        status=RunStatus.FAILED, finished_at=now, error="Interrupted: the worker stopped before the run finished."
    )
    FetchRun.objects.filter(source=source, status=RunStatus.QUEUED, started_at__lt=now - QUEUED_RUN_MAX_AGE).exclude(
        pk=keep_run_id).update(status=RunStatus.FAILED, finished_at=now,
                               error="Never started: the queued task was lost (broker or worker restart).")
    return cleaned


def _entries_delete(version_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {ListEntry._meta.db_table} WHERE version_id = %s", [version_id])


def _version_fail(version_id: int, reason: str) -> str:
    """Fail a version that never became usable and delete its entries, in one transaction (so a crash cannot
    leave a FAILED version with rows that no clean-up looks for). A version that is ACTIVE, QUARANTINED...
    (its transaction committed before the error surfaced) is left alone. Returns its status afterwards."""
    with transaction.atomic():
        status = (ListVersion.objects.select_for_update().filter(pk=version_id)
                  .values_list("status", flat=True).first())
        if status not in (VersionStatus.LOADING, VersionStatus.FAILED):
            return status or ""
        _entries_delete(version_id)
        ListVersion.objects.filter(pk=version_id).update(status=VersionStatus.FAILED, status_reason=reason[:2000],
                                                          entry_count=0)
    return VersionStatus.FAILED


def _db_connection_recover() -> None:
    """After a failed statement, make the connection usable for the clean-up. Outside a transaction a broken
    connection (server restarted, backend terminated) is closed and the next query reconnects; inside one (a
    caller's atomic block, tests) atomic() already rolled the failed savepoint back, and closing would break
    the caller's transaction."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _db_error_retryable(exc: Exception) -> bool:
    """Connection losses, restarts, failovers, lock and statement timeouts, serialisation failures, a refusing
    trigger: worth retrying with backoff. Bad data and constraint violations fail the same way every time."""
    return isinstance(exc, DatabaseError) and not isinstance(exc, DataError | IntegrityError)


def _db_error_text(exc: Exception, phase: str) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"Database error while {phase}: {exc.__class__.__name__}: {detail}".rstrip(": ")[:2000]


# ---------------------------------------------------------------------------------------------------------
# The ingestion engine


def files_sha256(paths: Sequence[Path]) -> str:
    """sha256 of the raw bytes. One file: the file's own sha256. Several: sha256 over "name sha256" lines in
    name order, so the same set of files hashes the same whatever order they are given in."""
    digests = []
    for path in paths:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digests.append((Path(path).name, h.hexdigest()))
    if len(digests) == 1:
        return digests[0][1]
    lines = "".join(f"{name} {digest}\n" for name, digest in sorted(digests))
    return hashlib.sha256(lines.encode()).hexdigest()


def _run_update(run: FetchRun, **fields) -> None:
    for key, value in fields.items():
        setattr(run, key, value)
    FetchRun.objects.filter(pk=run.pk).update(**fields)


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


def _run_finish(run: FetchRun, result: ImportResult, *, now: dt.datetime) -> ImportResult:
    result.run = run.pk
    counts = {"entries": result.entries, "added": result.added, "removed": result.removed,
              "changed": result.changed, **{k: v for k, v in result.extra.items() if isinstance(v, int)}}
    _run_update(run, status=result.status, finished_at=timezone.now() if now is None else max(now, run.started_at),
                progress=100, counts=counts, error=result.reason if result.status == RunStatus.FAILED else "",
                message=(result.reason or result.status)[:300], version_id=result.version)
    return result


def _source_mark_good(source: ListSource, now: dt.datetime) -> None:
    """A good fetch (new version activated, or unchanged content confirmed) makes the source fresh again."""
    ListSource.objects.filter(pk=source.pk).update(last_success_at=now, stale_alerted_at=None)
    source.last_success_at, source.stale_alerted_at = now, None


def _parser_get(fmt: str):
    from .sources import get_parser  # parsers live in their own package, owned separately

    try:
        return get_parser(fmt)
    except KeyError as exc:
        raise ApplicationError(f"Unknown list format {fmt!r}: {exc}", code="unknown_format") from exc


def list_version_import(
    *,
    source: ListSource,
    paths: Sequence[Path],
    trigger: str = RunTrigger.IMPORT,
    run: FetchRun | None = None,
    now: dt.datetime | None = None,
    etag: str = "",
    last_modified: str = "",
    published_at: dt.datetime | None = None,
    fmt: str | None = None,
    delta: bool | None = None,
    user=None,
    lock_token: str | None = None,
) -> ImportResult:
    """Store, diff, guard and (maybe) activate a version of `source` from files on disk.

    Not one transaction on purpose (see the module docstring); every step is safe to repeat. Returns the
    result; failures (bad files, unknown format, busy source, a database error in any step) are recorded on
    the run and returned with status `failed`, never raised, and never change the active version. A database
    error is returned with `extra["retryable"]`; only when the database is unreachable even for recording the
    failure does the error propagate (the next run's leftovers clean-up finishes the job).
    """
    clock = (lambda: now) if now is not None else timezone.now
    start = clock()
    paths = [Path(p) for p in paths]
    if run is None:
        run = FetchRun.objects.create(source=source, trigger=trigger, status=RunStatus.RUNNING, started_at=start,
                                      requested_by=user if getattr(user, "is_authenticated", False) else None)
    else:
        _run_update(run, status=RunStatus.RUNNING, started_at=start)
    result = ImportResult(source=source.code, status=RunStatus.FAILED)

    own_token = None
    try:
        if lock_token is None:
            own_token = uuid.uuid4().hex
            if not list_source_lock_acquire(source_id=source.pk, token=own_token, now=start):
                own_token = None
                source.refresh_from_db(fields=["lock_until"])
                result.reason = str(SourceBusy(source, source.lock_until))
                return _run_finish(run, result, now=clock())
            list_source_leftovers_clean(source=source, keep_run_id=run.pk, now=start)
            lock_token = own_token
        return _import_locked(source=source, paths=paths, run=run, clock=clock, etag=etag,
                              last_modified=last_modified, published_at=published_at, fmt=fmt, delta=delta,
                              user=user, lock_token=lock_token, result=result)
    except DatabaseError as exc:  # the lease, leftovers, the first checks; or a clean-up that failed once already
        phase = "preparing the import" if result.version is None else "importing"
        return _import_db_failed(run=run, result=result, exc=exc, phase=phase, clock=clock)
    finally:
        if own_token:
            _lock_release_quietly(source.pk, own_token)


def _import_db_failed(*, run: FetchRun, result: ImportResult, exc: DatabaseError, phase: str,
                      clock: Callable[[], dt.datetime]) -> ImportResult:
    """A database error in one phase of an import: the version (if any) FAILED with its entries deleted, the
    run FAILED with the reason, the result marked retryable or not. Raises the original error when even this
    cannot be written (database unreachable): the next run's leftovers clean-up does it then."""
    logger.warning("list import of %s: %s (run %s, version %s)", result.source, exc, run.pk, result.version)
    reason = _db_error_text(exc, phase)
    try:
        _db_connection_recover()
        if result.version is not None:
            status = _version_fail(result.version, reason)
            if status not in (VersionStatus.FAILED, ""):  # committed after all (the error came after COMMIT)
                run.refresh_from_db()
                result.status, result.reason = run.status, run.message
                return result
        result.status, result.reason = RunStatus.FAILED, reason
        result.entries = result.added = result.removed = result.changed = 0
        result.extra = {**result.extra, "retryable": _db_error_retryable(exc)}
        return _run_finish(run, result, now=clock())
    except DatabaseError as again:
        logger.error("could not record the failure of run %s (%s); the next run cleans up", run.pk, again)
        raise exc from again


def _import_locked(*, source, paths, run, clock, etag, last_modified, published_at, fmt, delta, user, lock_token,
                   result: ImportResult) -> ImportResult:
    start = run.started_at
    ListSource.objects.filter(pk=source.pk).update(last_attempt_at=start)
    try:
        for path in paths:
            if not path.is_file():
                raise ApplicationError(f"No such file: {path}", code="missing_file")
        if not paths:
            raise ApplicationError("No file given.", code="missing_file")
        parser = _parser_get(fmt or source.format)
        sha = files_sha256(paths)
    except (ApplicationError, OSError) as exc:
        result.reason = getattr(exc, "message", None) or str(exc)
        return _run_finish(run, result, now=clock())
    result.sha256 = sha

    active = ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).first()
    if active is not None and active.sha256 == sha:
        _source_mark_good(source, start)
        result.status, result.version, result.entries = RunStatus.UNCHANGED, active.pk, active.entry_count
        result.reason = "Same content (sha256) as the active version."
        return _run_finish(run, result, now=clock())
    seen = (ListVersion.objects.filter(source=source, sha256=sha,
                                       status__in=[VersionStatus.QUARANTINED, VersionStatus.REJECTED])
            .order_by("-fetched_at").first())
    if seen is not None:
        # The publisher still serves content an admin must decide on (or already rejected): do not store it again.
        result.version, result.entries = seen.pk, seen.entry_count
        if seen.status == VersionStatus.QUARANTINED:
            result.status = RunStatus.QUARANTINED
            result.reason = (f"Same content as version #{seen.pk}, quarantined and awaiting a decision: "
                             f"{seen.status_reason}")
        else:
            result.status = RunStatus.UNCHANGED
            result.reason = f"Same content as version #{seen.pk}, rejected by an admin; the active version stays."
        return _run_finish(run, result, now=clock())

    is_delta = delta if delta is not None else (
        bool(getattr(parser, "IS_DELTA_CAPABLE", False)) and any("delta" in p.name.lower() for p in paths)
    )
    version = ListVersion.objects.create(
        source=source, status=VersionStatus.LOADING, fetched_at=start, published_at=published_at, sha256=sha,
        etag=etag[:300], last_modified=last_modified[:100], raw_filenames=[p.name for p in paths], previous=active,
    )
    result.version = version.pk
    phase = "loading the entries"
    try:
        _run_update(run, version_id=version.pk, message="Parsing", progress=1)
        try:
            parsed, duplicates = _entries_load(version=version, source=source, parser=parser, paths=paths, run=run,
                                               previous=active, delta=is_delta, lock_token=lock_token)
            entry_count = ListEntry.objects.filter(version=version).count()
            phase = "storing the raw files"
            _run_update(run, message="Storing the raw files", progress=92)
            _lease_renew(source.pk, lock_token)
            _raw_store(version, paths)
        except DatabaseError:
            raise
        except Exception as exc:  # bad content, or a bug: the version fails, the active one stays
            if not _is_expected_error(exc):
                logger.exception("import of %s failed", source.code)
            reason = _error_text(exc)
            _version_fail(version.pk, reason)
            result.reason = reason
            return _run_finish(run, result, now=clock())

        phase = "comparing with the active version"
        version.entry_count = entry_count
        ListVersion.objects.filter(pk=version.pk).update(entry_count=entry_count)
        result.entries = entry_count
        result.extra = {"parsed": parsed, "duplicates": duplicates, "delta": is_delta}
        _run_update(run, message="Comparing with the active version", progress=95)
        _lease_renew(source.pk, lock_token)
        with transaction.atomic():
            holder = (ListSource.objects.select_for_update().filter(pk=source.pk)  # serialise activations per source
                      .values_list("lock_token", flat=True).first())
            if holder != lock_token or not ListVersion.objects.filter(pk=version.pk,
                                                                       status=VersionStatus.LOADING).exists():
                # This run stalled past its lease and another one took the source over (and cleaned up): fail
                # closed, never activate a version that run may have emptied.
                reason = "The source's lease ran out before activation and another run took over; version dropped."
                _version_fail(version.pk, reason)
                result.reason = reason
                return _run_finish(run, result, now=clock())
            current = ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).first()
            phase = "computing the diff"
            diff = _diff_compute(version, current)
            result.added, result.removed, result.changed = diff.added, diff.removed, diff.changed
            phase = "checking the guard"
            reason = _guard_reason(source, version, current, diff)
            if reason:
                phase = "quarantining the version"
                version.status, version.status_reason = VersionStatus.QUARANTINED, reason
                version.save(update_fields=["status", "status_reason", "updated_at"])
                audit_record(action="listversion.quarantine", obj=version, changes={"reason": reason},
                             organization_id=source.organization_id)
                result.status, result.reason = RunStatus.QUARANTINED, reason
            else:
                phase = "activating the version"
                _activate(version, current, when=clock())
                _source_mark_good(source, start)
                result.status = RunStatus.ACTIVE
            phase = "recording the run"
            return _run_finish(run, result, now=clock())
    except DatabaseError as exc:
        return _import_db_failed(run=run, result=result, exc=exc, phase=phase, clock=clock)


def _is_expected_error(exc: Exception) -> bool:
    from .sources.base import ParseError

    return isinstance(exc, ParseError | ApplicationError | UnicodeDecodeError | OSError)


def _error_text(exc: Exception) -> str:
    from .sources.base import ParseError

    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ParseError):
        return f"Parse error: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"Wrong encoding: {exc}"
    return f"{exc.__class__.__name__}: {exc}"


def _activate(version: ListVersion, current: ListVersion | None, *, when: dt.datetime) -> None:
    """Supersede then activate in the caller's transaction (the partial unique index allows one ACTIVE)."""
    if current is not None:
        ListVersion.objects.filter(pk=current.pk).update(status=VersionStatus.SUPERSEDED, superseded_at=when)
        current.status, current.superseded_at = VersionStatus.SUPERSEDED, when
    version.status, version.activated_at = VersionStatus.ACTIVE, when
    version.save(update_fields=["status", "activated_at", "updated_at"])
    # Screening subscribes (apps.common.events): delivered on commit, each subscriber isolated.
    events.publish(events.ListVersionActivated(version_id=version.pk))


def _guard_reason(source: ListSource, version: ListVersion, current: ListVersion | None, diff: ListDiff) -> str:
    limit = source.max_drop_share if source.max_drop_share is not None else settings.LISTS_MAX_DROP_SHARE
    if version.entry_count == 0:
        return "The parse produced no entries; the previous version stays active."
    if current is None or not current.entry_count:
        return ""
    before = current.entry_count
    drop = (before - version.entry_count) / before
    if drop > limit:
        return (f"Entries fell from {before} to {version.entry_count} ({drop:.1%}), more than the allowed "
                f"{limit:.0%}; the previous version stays active until an admin decides.")
    removed_share = diff.removed / before
    if removed_share > limit:
        return (f"{diff.removed} of {before} entries ({removed_share:.1%}) disappeared, more than the allowed "
                f"{limit:.0%}; the previous version stays active until an admin decides.")
    return _loss_shape_reason(source, version, current, diff)


def _loss_shape_setting(source: ListSource, key: str):
    overrides = getattr(settings, "LISTS_LOSS_SHAPE_OVERRIDES", {}).get(source.code, {})
    return overrides[key] if key in overrides else getattr(settings, f"LISTS_{key.upper()}")


def _loss_shape_reason(source: ListSource, version: ListVersion, current: ListVersion, diff: ListDiff) -> str:
    """Quarantine a *small* loss whose shape says the file is broken, which the share limit lets through.

    - Tail cut: entries are stored in file order (the writer inserts them in parse order, so ids follow the
      file). If the removed entries are the last N of the previous version and nothing after them survived,
      the new file most likely stops early: a download cut at 97 % loses 3 %, under any share limit.
    - Group loss: most of one sub-list or program gone at once (a publisher's export that dropped a
      program) rather than a few delistings scattered over the list.

    Computed in SQL (counts and group-bys over the two versions), never by loading the entries. Thresholds:
    LISTS_TAIL_CUT_MIN_ENTRIES, LISTS_GROUP_DROP_SHARE, LISTS_GROUP_DROP_MIN_ENTRIES, per source
    LISTS_LOSS_SHAPE_OVERRIDES; 0 disables a check.
    """
    if not diff.removed:
        return ""
    old = ListEntry.objects.filter(version=current)
    in_new = ListEntry.objects.filter(version=version, external_id=OuterRef("external_id"))
    stay = " The previous version stays active until an admin decides."

    tail_min = int(_loss_shape_setting(source, "tail_cut_min_entries"))
    if tail_min and diff.removed >= tail_min:
        last_kept = old.filter(Exists(in_new)).aggregate(last=Max("id"))["last"] or 0
        tail = old.filter(id__gt=last_kept)
        tail_count = tail.count()
        if tail_count >= tail_min:
            first = tail.order_by("id").values("external_id", "primary_name").first()
            return (f"The new file looks cut off: the last {tail_count} entries of the previous version's file, "
                    f"from {first['primary_name']!r} ({first['external_id']}) to the end, are all missing and "
                    f"nothing after them survived ({diff.removed} removed in total, under the size limit). "
                    f"A truncated download or export is the likely cause.{stay}")

    group_min = int(_loss_shape_setting(source, "group_drop_min_entries"))
    group_share = float(_loss_shape_setting(source, "group_drop_share"))
    if not group_min or not group_share or diff.removed < group_min:
        return ""
    removed = old.filter(~Exists(in_new))
    for kind, lost, totals in (("sub-list", *_sub_list_losses(old, removed, group_min)),
                               ("program", *_program_losses(current.pk, version.pk, group_min))):
        for name, count in lost:
            total = totals.get(name, 0)
            # unnamed, or the whole list: not a group, the size limit (and the source's override) decides
            if not name or total >= current.entry_count:
                continue
            if count / total >= group_share:
                return (f"{count} of the {total} entries of {kind} {name!r} ({count / total:.0%}) disappeared at "
                        f"once ({diff.removed} removed in total): a whole {kind} dropping out usually means a "
                        f"broken publisher file rather than separate delistings; approve if the {kind} really "
                        f"was lifted.{stay}")
    return ""


def _sub_list_losses(old, removed, minimum: int) -> tuple[list[tuple[str, int]], dict[str, int]]:
    lost = [(r["sub_list"], r["n"]) for r in removed.values("sub_list").annotate(n=Count("id"))
            .filter(n__gte=minimum).order_by("-n", "sub_list")]
    totals = {r["sub_list"]: r["n"] for r in old.filter(sub_list__in=[name for name, _n in lost])
              .values("sub_list").annotate(n=Count("id"))}
    return lost, totals


def _program_losses(old_id: int, new_id: int, minimum: int) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """Per program (an entry may have several, in a JSON array): entries removed, and entries before."""
    table = ListEntry._meta.db_table
    if connection.vendor == "postgresql":
        expand, value = "CROSS JOIN LATERAL jsonb_array_elements_text(o.programs) AS p(program)", "p.program"
    else:  # SQLite, the other supported database
        expand, value = ", json_each(o.programs) AS p", "p.value"
    sql = (f"SELECT {value}, COUNT(*) FROM {table} o {expand} WHERE o.version_id = %s "  # noqa: S608 - fixed names
           f"{{cond}} GROUP BY {value}")
    with connection.cursor() as cur:
        cur.execute(sql.format(cond=f"AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.version_id = %s "
                                    f"AND n.external_id = o.external_id)") + " HAVING COUNT(*) >= %s",
                    [old_id, new_id, minimum])
        lost = sorted(((str(name), n) for name, n in cur.fetchall()), key=lambda r: (-r[1], r[0]))
        totals: dict[str, int] = {}
        if lost:
            placeholders = ", ".join(["%s"] * len(lost))
            cur.execute(sql.format(cond=f"AND {value} IN ({placeholders})"), [old_id, *[name for name, _n in lost]])
            totals = {str(name): n for name, n in cur.fetchall()}
    return lost, totals


# ---------------------------------------------------------------------------------------------------------
# Loading entries


_COLUMNS = ("version_id", "external_id", "entry_type", "primary_name", "aliases", "sub_list", "programs",
            "countries", "addresses", "identifiers", "listed_on", "end_date", "remarks", "source_url",
            "parent_name", "scope", "extra", "content_hash")
_TEXT_COLUMNS = ("external_id", "entry_type", "primary_name", "aliases", "sub_list", "programs", "countries",
                 "addresses", "identifiers", "remarks", "source_url", "parent_name", "scope", "extra",
                 "content_hash")


def _clean(value: str, limit: int | None = None) -> str:
    value = (value or "").replace("\x00", "")
    return value[:limit] if limit else value


def _entry_row(entry) -> tuple:
    """ParsedEntry -> column values after version_id, in _COLUMNS order: text cut to the column sizes, JSON
    as text, dates as ISO strings (the hash is over the parser's full content)."""
    external_id = _clean(str(entry.external_id), 128)
    if not external_id:
        from .sources.base import ParseError

        raise ParseError(f"An entry has no external id (name {entry.primary_name!r}).")
    dumps = json.dumps
    return (
        external_id,
        entry.entry_type if entry.entry_type in _ENTRY_TYPES else EntryType.OTHER,
        _clean(entry.primary_name, 1000),
        dumps(list(entry.aliases or []), ensure_ascii=False),
        _clean(entry.sub_list, 120),
        dumps(list(entry.programs or []), ensure_ascii=False),
        dumps(list(entry.countries or []), ensure_ascii=False),
        dumps(list(entry.addresses or []), ensure_ascii=False),
        dumps(list(entry.identifiers or []), ensure_ascii=False, default=str),
        entry.listed_on.isoformat() if entry.listed_on else None,
        entry.end_date.isoformat() if entry.end_date else None,
        _clean(entry.remarks),
        _clean(entry.source_url, 1000),
        _clean(entry.parent_name, 500),
        _clean(entry.scope),
        dumps(dict(entry.extra or {}), ensure_ascii=False, default=str),
        entry.content_hash(),
    )


class _EntryWriter:
    """Buffers entries and writes them in batches: COPY on PostgreSQL, executemany on SQLite (the ORM's
    bulk_create costs more than the parse).

    A batch with a duplicate external id is re-inserted with ON CONFLICT DO NOTHING (first one wins) and the
    number skipped is counted, so one publisher glitch does not make the whole list unusable.
    """

    def __init__(self, version_id: int, on_batch: Callable[[int], None] | None = None):
        self.version_id = version_id
        self.on_batch = on_batch
        self.buffer: list[tuple] = []
        self.written = 0
        self.use_copy = connection.vendor == "postgresql"
        table = ListEntry._meta.db_table
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        self.insert_sql = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        self.copy_sql = (f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
                         f"FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))")

    def add(self, entry) -> None:
        self.buffer.append(_entry_row(entry))
        if len(self.buffer) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        try:
            with transaction.atomic():
                self._write(rows)
        except (IntegrityError, connection.Database.IntegrityError):  # COPY raises the driver's error
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(f"{self.insert_sql} ON CONFLICT (version_id, external_id) DO NOTHING",
                                [(self.version_id, *row) for row in rows])
        self.written += len(rows)
        if self.on_batch:
            self.on_batch(self.written)

    def _write(self, rows: list[tuple]) -> None:
        vid = self.version_id
        if not self.use_copy:
            with connection.cursor() as cur:
                cur.executemany(self.insert_sql, [(vid, *row) for row in rows])
            return
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows((vid, *row) for row in rows)
        buf.seek(0)
        # The driver's own cursor raises the driver's errors: wrap them into django.db's, so a lost connection
        # during COPY is a DatabaseError (failed and retried) like in every other phase.
        with connection.cursor() as cur, connection.wrap_database_errors:
            cur.cursor.copy_expert(self.copy_sql, buf)


def _entries_load(*, version: ListVersion, source: ListSource, parser, paths: list[Path], run: FetchRun,
                  previous: ListVersion | None, delta: bool, lock_token: str | None) -> tuple[int, int]:
    expected = previous.entry_count if previous is not None and previous.entry_count else 0

    def on_batch(written: int) -> None:
        progress = min(90, 2 + int(88 * written / expected)) if expected else min(90, 2 + written // 2000)
        _run_update(run, progress=progress, message=f"{written} entries parsed", counts={"parsed": written})
        _lease_renew(source.pk, lock_token)

    writer = _EntryWriter(version.pk, on_batch)
    if not delta:
        parsed = 0
        for entry in parser.parse(paths):
            writer.add(entry)
            parsed += 1
        writer.flush()
        return parsed, parsed - ListEntry.objects.filter(version=version).count()

    if previous is None:
        raise ApplicationError("A delta file needs a previous active version to apply to; import a full file first.",
                               code="delta_without_base")
    if not hasattr(parser, "parse_delta"):
        raise ApplicationError(f"Format {parser.FORMAT} has no delta support.", code="no_delta")
    state: dict[str, object | None] = {}  # external id -> entry (ADD/MOD) or None (DEL); the last op wins
    for op, item in parser.parse_delta(paths):
        if op == "DEL":
            state[str(item)] = None
        elif op in ("ADD", "MOD"):
            state[str(item.external_id)] = item
        else:
            raise ApplicationError(f"Unknown delta operation {op!r}.", code="bad_delta")
    for entry in state.values():
        if entry is not None:
            writer.add(entry)
    writer.flush()
    table = ListEntry._meta.db_table
    cols = ", ".join(c for c in _COLUMNS if c != "version_id")
    deleted = [key[:128] for key, value in state.items() if value is None]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (version_id, {cols}) SELECT %s, {cols} FROM {table} p "  # noqa: S608 - fixed names
            f"WHERE p.version_id = %s AND NOT EXISTS (SELECT 1 FROM {table} n "
            f"WHERE n.version_id = %s AND n.external_id = p.external_id)",
            [version.pk, previous.pk, version.pk],
        )
        for i in range(0, len(deleted), 500):
            ListEntry.objects.filter(version=version, external_id__in=deleted[i:i + 500]).delete()
    return len(state), 0


def _raw_store(version: ListVersion, paths: list[Path]) -> None:
    """Keep the original bytes as evidence: file.gz for one file, raw.tar.gz for a set."""
    with tempfile.TemporaryDirectory() as tmp:
        if len(paths) == 1:
            name = f"{version.source.code}-{version.pk}-{paths[0].name}.gz"
            target = Path(tmp) / name
            with open(paths[0], "rb") as src, gzip.open(target, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        else:
            name = f"{version.source.code}-{version.pk}-raw.tar.gz"
            target = Path(tmp) / name
            with tarfile.open(target, "w:gz", compresslevel=6) as tar:
                for path in paths:
                    tar.add(path, arcname=path.name)
        with open(target, "rb") as fh:
            version.raw_file.save(name, File(fh), save=False)
    ListVersion.objects.filter(pk=version.pk).update(raw_file=version.raw_file.name)


# ---------------------------------------------------------------------------------------------------------
# Diffs


def _diff_compute(version: ListVersion, previous: ListVersion | None) -> ListDiff:
    """Added / removed / changed by external_id + content_hash, in SQL; details capped at
    LISTS_DIFF_DETAIL_LIMIT per kind (counts are exact), changed entries name their changed fields."""
    limit = int(getattr(settings, "LISTS_DIFF_DETAIL_LIMIT", 1000))
    new = ListEntry.objects.filter(version=version)
    if previous is None:
        added_count = new.count()
        details = {"added": [{"external_id": r["external_id"], "name": r["primary_name"]}
                             for r in new.order_by("external_id").values("external_id", "primary_name")[:limit]],
                   "removed": [], "changed": []}
        diff = ListDiff(version=version, previous=None, added=added_count, removed=0, changed=0)
    else:
        old = ListEntry.objects.filter(version=previous)
        in_old = old.filter(external_id=OuterRef("external_id"))
        in_new = new.filter(external_id=OuterRef("external_id"))
        added = new.filter(~Exists(in_old))
        removed = old.filter(~Exists(in_new))
        changed = new.filter(Exists(in_old.exclude(content_hash=OuterRef("content_hash"))))
        changed_rows = list(changed.order_by("external_id").values("external_id", *DIFF_FIELDS)[:limit])
        before = {
            row["external_id"]: row
            for row in old.filter(external_id__in=[r["external_id"] for r in changed_rows]).values(
                "external_id", *DIFF_FIELDS)
        }
        changed_details = []
        for row in changed_rows:
            prior = before.get(row["external_id"], {})
            fields = [f for f in DIFF_FIELDS if row[f] != prior.get(f)]
            changed_details.append({"external_id": row["external_id"], "name": row["primary_name"], "fields": fields})
        details = {
            "added": [{"external_id": r["external_id"], "name": r["primary_name"]}
                      for r in added.order_by("external_id").values("external_id", "primary_name")[:limit]],
            "removed": [{"external_id": r["external_id"], "name": r["primary_name"]}
                        for r in removed.order_by("external_id").values("external_id", "primary_name")[:limit]],
            "changed": changed_details,
        }
        diff = ListDiff(version=version, previous=previous, added=added.count(), removed=removed.count(),
                        changed=changed.count())
    details["truncated"] = any(len(details[k]) >= limit for k in ("added", "removed", "changed"))
    diff.details = details
    ListDiff.objects.filter(version=version).delete()
    diff.save()
    return diff


# ---------------------------------------------------------------------------------------------------------
# Admin decisions on quarantined versions


@transaction.atomic
def list_version_approve(*, version: ListVersion, user, reason: str, now: dt.datetime | None = None) -> ListVersion:
    """Activate a quarantined version (the admin checked it is right, e.g. a program really was lifted)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the version is approved.", fields={"reason": ["Required."]})
    version = ListVersion.objects.select_for_update().select_related("source").get(pk=version.pk)
    if version.status != VersionStatus.QUARANTINED:
        raise ApplicationError(f"Only a quarantined version can be approved (this one is {version.status}).",
                               code="invalid_status")
    ListSource.objects.select_for_update().filter(pk=version.source_id).first()
    current = ListVersion.objects.filter(source_id=version.source_id, status=VersionStatus.ACTIVE).first()
    diff_previous = ListDiff.objects.filter(version=version).values_list("previous_id", flat=True).first()
    if current is not None and current.pk != diff_previous:
        raise ApplicationError(
            f"Version #{current.pk} became active after this one was quarantined; approving would roll the list "
            "back. Reject this version instead.", code="stale_version")
    _activate(version, current, when=now)
    version.decided_by = user if getattr(user, "is_authenticated", False) else None
    version.status_reason = f"{version.status_reason}\nApproved: {reason}".strip()
    version.save(update_fields=["decided_by", "status_reason", "updated_at"])
    _source_mark_good(version.source, now)
    audit_record(action="listversion.approve", actor=user, obj=version, organization_id=version.source.organization_id,
                 changes={"status": [VersionStatus.QUARANTINED, VersionStatus.ACTIVE], "reason": reason,
                          "superseded": current.pk if current else None})
    return version


@transaction.atomic
def list_version_reject(*, version: ListVersion, user, reason: str, now: dt.datetime | None = None) -> ListVersion:
    """Refuse a quarantined version for good; the active version stays. The same bytes are not stored again."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the version is rejected.", fields={"reason": ["Required."]})
    version = ListVersion.objects.select_for_update().select_related("source").get(pk=version.pk)
    if version.status != VersionStatus.QUARANTINED:
        raise ApplicationError(f"Only a quarantined version can be rejected (this one is {version.status}).",
                               code="invalid_status")
    version.status = VersionStatus.REJECTED
    version.decided_by = user if getattr(user, "is_authenticated", False) else None
    version.status_reason = f"{version.status_reason}\nRejected: {reason}".strip()
    version.save(update_fields=["status", "decided_by", "status_reason", "updated_at"])
    audit_record(action="listversion.reject", actor=user, obj=version, organization_id=version.source.organization_id,
                 changes={"status": [VersionStatus.QUARANTINED, VersionStatus.REJECTED], "reason": reason})
    return version


# ---------------------------------------------------------------------------------------------------------
# Refresh: download, then the same import


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
                                      reason="The source has no URL; import its files with `import_list`.")
                return _run_finish(run, result, now=now)
            return _raise_if_retryable(list_version_import(source=source, paths=[bundled], trigger=trigger, run=run,
                                                           now=now, user=user, lock_token=token))
        with tempfile.TemporaryDirectory(prefix="vr-list-") as tmp:
            urls = [source.url, *[u for u in (source.extra_urls or []) if u]]
            active = ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).first()
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
    if not source.url and source.code not in BUNDLED_FILES:
        raise ApplicationError(f"{source.code} has no URL; import its files with `import_list`.", code="no_url")
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


def list_sources_refresh_due(*, now: dt.datetime | None = None) -> list[int]:
    """Enqueue a scheduled refresh for each enabled source whose refresh interval has passed."""
    from .selectors import list_sources_due
    now = now or timezone.now()
    due = [s.pk for s in list_sources_due(now=now)]
    for source_id in due:
        enqueue_now(REFRESH_TASK, source_id, RunTrigger.SCHEDULE)
    return due


# ---------------------------------------------------------------------------------------------------------
# Freshness alerts


def list_sources_stale_alert(*, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Alert ONCE per stale period: set stale_alerted_at, record an audit event and e-mail the admins of the
    organisations concerned (all organisations for a public list, the owner for an in-house one). A source
    that is fresh again has its flag reset (also done by every good fetch)."""
    now = now or timezone.now()
    alerted, reset = [], []
    for source in ListSource.objects.filter(enabled=True).select_related("organization"):
        state = list_source_freshness(source, now=now)
        never_but_due = state == "never" and source.freshness_limit_hours and (
            now - source.created_at > dt.timedelta(hours=source.freshness_limit_hours))
        if state == "fresh" and source.stale_alerted_at is not None:
            ListSource.objects.filter(pk=source.pk).update(stale_alerted_at=None)
            reset.append(source.code)
            continue
        if (state == "stale" or never_but_due) and source.stale_alerted_at is None:
            with transaction.atomic():
                if not ListSource.objects.filter(pk=source.pk, stale_alerted_at__isnull=True).update(
                        stale_alerted_at=now):
                    continue  # another process alerted meanwhile
                audit_record(action="listsource.stale", obj=source, organization_id=source.organization_id,
                             changes={"last_success_at": source.last_success_at,
                                      "freshness_limit_hours": source.freshness_limit_hours})
            _stale_mail(source, now)
            alerted.append(source.code)
    return {"alerted": alerted, "reset": reset}


def _stale_mail(source: ListSource, now: dt.datetime) -> None:
    members = Membership.objects.filter(role=Role.ADMIN, user__is_active=True).exclude(user__email="")
    if source.organization_id:
        members = members.filter(organization_id=source.organization_id)
    recipients = sorted(set(members.values_list("user__email", flat=True)))
    if not recipients:
        return
    last = f"{source.last_success_at:%Y-%m-%d %H:%M %Z}" if source.last_success_at else "never"
    send_mail(
        subject=f"[vendorrisk] List {source.code} is stale",
        message=(f"The list {source.name} ({source.code}) was last fetched successfully: {last}.\n"
                 f"Its freshness limit is {source.freshness_limit_hours} hours (checked {now:%Y-%m-%d %H:%M %Z}).\n"
                 "Screening results that depend on it may be out of date. See the list's runs in the admin."),
        from_email=None, recipient_list=recipients, fail_silently=True,
    )

