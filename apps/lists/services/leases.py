"""The per-source lease that serialises refreshes across processes (works on SQLite and PostgreSQL; not a
cache lock): acquire, renew, keep during long steps, release; and the clean-up of what a dead holder left."""
from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from ..choices import RunStatus, VersionStatus
from ..models import FetchRun, ListSource, ListVersion
from .runs import QUEUED_RUN_MAX_AGE
from .versions import _entries_delete

logger = logging.getLogger(__name__)

LEASE_MIN_SECONDS = 5  # a zero or negative LISTS_LOCK_LEASE_SECONDS would let two runs of a source overlap
BUSY_RETRY_MARGIN_SECONDS = 2  # a busy task retries this long after the lease it met ends


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
