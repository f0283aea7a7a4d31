"""State changes of a version and its source shared by the engine and the admin decisions: activate (one
transaction, event on commit), fail with its entries deleted, mark the source fresh."""
from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from apps.common import events

from ..choices import VersionStatus
from ..models import ListEntry, ListSource, ListVersion


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


def _activate(version: ListVersion, current: ListVersion | None, *, when: dt.datetime) -> None:
    """Supersede then activate in the caller's transaction (the partial unique index allows one ACTIVE)."""
    if current is not None:
        ListVersion.objects.filter(pk=current.pk).update(status=VersionStatus.SUPERSEDED, superseded_at=when)
        current.status, current.superseded_at = VersionStatus.SUPERSEDED, when
    version.status, version.activated_at = VersionStatus.ACTIVE, when
    version.save(update_fields=["status", "activated_at", "updated_at"])
    # Screening subscribes (apps.common.events): delivered on commit, each subscriber isolated.
    events.publish(events.ListVersionActivated(version_id=version.pk))


def _source_mark_good(source: ListSource, now: dt.datetime) -> None:
    """A good fetch (new version activated, or unchanged content confirmed) makes the source fresh again."""
    ListSource.objects.filter(pk=source.pk).update(last_success_at=now, stale_alerted_at=None)
    source.last_success_at, source.stale_alerted_at = now, None
