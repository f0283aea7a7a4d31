"""The one ingestion engine: `list_version_import()` stores, diffs, guards and (maybe) activates a version from
files on disk; a database error in any phase fails the run and the version and is marked retryable."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common import events
from apps.common.exceptions import ApplicationError

from ..choices import RunStatus, RunTrigger, VersionStatus
from ..models import FetchRun, ListEntry, ListSource, ListVersion
from ..selectors import list_version_active
from .diff import _diff_compute
from .entries import _entries_load, _raw_store
from .guard import _guard_reason
from .leases import _lease_renew, _lock_release_quietly, list_source_leftovers_clean, list_source_lock_acquire
from .results import ImportResult, SourceBusy
from .runs import _run_finish, _run_update
from .versions import _activate, _source_mark_good, _version_fail

logger = logging.getLogger(__name__)

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


def _parser_get(fmt: str):
    from ..sources import get_parser  # parsers live in their own package, owned separately

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

    active = list_version_active(source.pk)
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
            current = list_version_active(source.pk)
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
                events.publish(events.RegistryActivity(  # webhooks; a public list: every organisation
                    type="list_version.quarantined", organization_id=source.organization_id,
                    object_kind="list_version", object_id=version.pk, status=str(VersionStatus.QUARANTINED)))
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
    from ..sources.base import ParseError

    return isinstance(exc, ParseError | ApplicationError | UnicodeDecodeError | OSError)


def _error_text(exc: Exception) -> str:
    from ..sources.base import ParseError

    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ParseError):
        return f"Parse error: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"Wrong encoding: {exc}"
    return f"{exc.__class__.__name__}: {exc}"


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
