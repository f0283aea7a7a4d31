"""Screening runs: every vendor, some vendors (and what they own or brand), or the entries a list version added
or changed; and the one bookkeeping all of them (and review decisions) share, screening_run_recorded.

A run has four phases, each in a constant number of queries per batch: match (.match), propagate and status
(.derive), equipment (.equipment). Reads and matching (CPU only) run before the run's transaction where they
can, so the database is not held while they work; the writes run in one transaction holding the screening
lock. Every run leaves a ScreeningRun row: trigger, scope, the list versions used (with sha256), counts, phase
timings, duration, and the error when it failed.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.lists.models import ListEntry, ListVersion
from apps.vendors.models import Vendor
from apps.vendors.selectors import vendor_descendant_ids

from .. import matching
from ..choices import RunStatus, RunTrigger
from ..models import Match, ScreeningRun
from .base import CHUNK, _chunks, _lock, _screening_changed
from .derive import _derive_phase, _view_candidates
from .equipment import equipment_risk_refresh
from .index import ListSnapshot, _active_versions, _entries_load, list_snapshot, vendor_profiles, versions_describe
from .match import _close_inactive_sources, _close_matches, _match_phase, _search

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------
# Bookkeeping


@dataclass
class RunRecorder:
    """The run being recorded: its row, its counters and its phase timings (seconds)."""

    run: ScreeningRun
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs), its duration added to the phase `name`."""
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The run's writes: one transaction holding the screening lock (a savepoint inside a caller's)."""
        with transaction.atomic():
            _lock()
            yield

    def lists_used(self, *, versions: Iterable[ListVersion], entry_count: int, vendor_count: int | None = None
                   ) -> None:
        """Record what the run screened against (the list versions, with sha256) and how much."""
        run = self.run
        run.list_versions = versions_describe(versions)
        run.entry_count = entry_count
        if vendor_count is not None:
            run.vendor_count = vendor_count
        run.save(update_fields=["list_versions", "entry_count", "vendor_count"])

    def finish(self, *, error: str = "") -> ScreeningRun:
        run = self.run
        run.finished_at = timezone.now()
        run.duration_ms = int((run.finished_at - run.started_at).total_seconds() * 1000)
        run.counts = dict(self.counts)
        run.timings = {k: round(v, 3) for k, v in self.timings.items()}
        run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
        run.error = error
        run.save(update_fields=["finished_at", "duration_ms", "counts", "timings", "status", "error"])
        return run


def _run_create(trigger: str, *, scope: dict, user=None, now: dt.datetime | None = None) -> ScreeningRun:
    return ScreeningRun.objects.create(
        trigger=trigger, status=RunStatus.RUNNING, started_at=now or timezone.now(), scope=scope,
        algorithm_version=matching.ALGORITHM_VERSION, thresholds=dict(matching.THRESHOLDS),
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )


@contextmanager
def screening_run_recorded(trigger: str, *, scope: dict, user=None, now: dt.datetime | None = None
                           ) -> Iterator[RunRecorder]:
    """A ScreeningRun row for the block: created `running` on entry (with the matching algorithm and thresholds
    in use), finished on exit with counts, timings and duration: `succeeded`, or `failed` with the error, which
    is raised again. Writes inside the block go through `recorder.writing()`, so that a failure rolls them back
    and still leaves the row saying why."""
    recorder = RunRecorder(_run_create(trigger, scope=scope, user=user, now=now))
    try:
        yield recorder
    except Exception as exc:
        recorder.finish(error=f"{exc.__class__.__name__}: {exc}")
        raise
    recorder.finish()


# ---------------------------------------------------------------------------------------------------------------
# Runs


def screening_run_full(*, trigger: str = RunTrigger.MANUAL, user=None, today: dt.date | None = None,
                       now: dt.datetime | None = None) -> ScreeningRun:
    """Screen every vendor against every active list, recompute every finding and status."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    with screening_run_recorded(trigger, scope={"all": True}, user=user, now=now) as recorder:
        run, counts, timed = recorder.run, recorder.counts, recorder.timed
        # Outside the transaction: reads and CPU only.
        snapshot = timed("index", list_snapshot, every_view=True)
        profiles = timed("profiles", vendor_profiles, None)
        searched = timed("search", _search, profiles, snapshot)
        with recorder.writing():
            recorder.lists_used(versions=snapshot.versions, entry_count=len(snapshot.entries),
                                vendor_count=len(profiles))
            active_sources = {v.source_id for v in snapshot.versions}
            changed = _close_inactive_sources(active_sources, now)
            changed |= timed("match", _match_phase, run=run, profiles=profiles, snapshot=snapshot, in_scope=None,
                             now=now, counts=counts, searched=searched)
            changed |= timed("propagate", _derive_phase, run=run, targets=None, now=now, day=day, counts=counts)
            counts["equipment_updated"] += timed("equipment", equipment_risk_refresh)
            counts["vendors_changed"] = len(changed)
            _screening_changed(changed)
    return run


# ---------------------------------------------------------------------------------------------------------------
# The full run spread over workers

FULL_RANGE_TASK = "apps.screening.tasks.screen_all_range"
FULL_FINISH_TASK = "apps.screening.tasks.screen_all_finish"
FULL_FAILED_TASK = "apps.screening.tasks.screen_all_failed"


def screening_run_full_in_workers(*, trigger: str = RunTrigger.MANUAL, user=None,
                                  now: dt.datetime | None = None) -> ScreeningRun:
    """The full run. With WORK_FANOUT: the vendors split into ranges of WORK_FANOUT_VENDORS by id; each range is
    matched by a task on whichever worker takes it (screening_run_full_range: the search, CPU only, in parallel;
    its writes under the screening lock), then screening_run_full_finish propagates, refreshes the units and
    completes the run (a Celery chord). The run row is `running` until then, `failed` with the error when a part
    fails. Without WORK_FANOUT: screening_run_full, in this process."""
    from django.conf import settings

    from apps.common.chunks import id_ranges
    from apps.security.enqueue import fan_out

    if not settings.WORK_FANOUT:
        return screening_run_full(trigger=trigger, user=user, now=now)
    now = now or timezone.now()
    ranges = id_ranges(Vendor.objects.all(), settings.WORK_FANOUT_VENDORS)
    run = _run_create(trigger, scope={"all": True, "parts": len(ranges)}, user=user, now=now)
    with transaction.atomic():  # as the single-process run does first: matches of lists no longer active
        _lock()
        changed = _close_inactive_sources({v.source_id for v in _active_versions(every_view=True)}, now)
    if not ranges:
        return screening_run_full_finish(run_id=run.pk, results=[], changed=changed)
    try:
        fan_out([(FULL_RANGE_TASK, {"run_id": run.pk, "id_from": a, "id_to": b}) for a, b in ranges],
                (FULL_FINISH_TASK, {"run_id": run.pk, "changed": sorted(changed)}),
                on_error=(FULL_FAILED_TASK, {"run_id": run.pk}))
    except Exception as exc:  # the parts were not sent (broker down): the run says so rather than "running"
        screening_run_failed(run_id=run.pk, error=f"{exc.__class__.__name__}: {exc}")
        raise
    return run


def screening_run_full_range(*, run_id: int, id_from: int, id_to: int) -> dict:
    """One part of a full run spread over workers: the vendors with id_from <= id <= id_to matched against every
    active list (the index is built once per worker process and cached), their matches upserted by natural key
    (vendor, source, external id) and the ones not found again closed, as the single-process run's match phase
    does. Run again, it writes the same rows. A run that is no longer `running` is left alone."""
    run = ScreeningRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING:
        return {"skipped": True}
    recorder = RunRecorder(run)
    timed, now = recorder.timed, run.started_at
    snapshot = timed("index", list_snapshot, every_view=True)
    ids = set(Vendor.objects.filter(pk__gte=id_from, pk__lte=id_to).values_list("pk", flat=True))
    profiles = timed("profiles", vendor_profiles, ids) if ids else {}
    searched = timed("search", _search, profiles, snapshot)
    with transaction.atomic():
        _lock()
        changed = timed("match", _match_phase, run=run, profiles=profiles, snapshot=snapshot, in_scope=None,
                        now=now, counts=recorder.counts, searched=searched)
        _run_changed_add(run_id, changed)
    return {"changed": sorted(changed), "counts": dict(recorder.counts), "timings": recorder.timings,
            "versions": sorted(v.pk for v in snapshot.versions), "entries": len(snapshot.entries),
            "vendors": len(profiles)}


def _run_changed_add(run_id: int, changed: set[int]) -> None:
    """Add a part's changed vendors to its run's row, in the part's transaction (the row locked: parts finishing
    together add both), so that the final step has them whatever the redeliveries."""
    if not changed:
        return
    known = ScreeningRun.objects.select_for_update().values_list("changed_vendor_ids", flat=True).get(pk=run_id)
    merged = sorted(set(known or ()) | set(changed))
    if merged != known:
        ScreeningRun.objects.filter(pk=run_id).update(changed_vendor_ids=merged)


def screening_run_full_finish(*, run_id: int, results: list[dict], changed: Iterable[int] = ()) -> ScreeningRun:
    """The final step of a full run spread over workers: the parts' counts and timings added up, then, as the
    single-process run ends, propagation over every vendor, the units' statuses, and the vendors whose findings
    changed announced (the union of what the parts recorded on the run row, _run_changed_add); the run completed
    (or failed with the error). A run already completed is left alone."""
    run = ScreeningRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run
    recorder = RunRecorder(run)
    counts, timed = recorder.counts, recorder.timed
    # The parts' changed vendors as each recorded them on the run (a part redelivered after its commit reports
    # none), with those in the results.
    vendors_changed = set(changed) | set(run.changed_vendor_ids or ())
    version_ids: set[int] = set()
    for part in results:
        if part.get("skipped"):
            continue
        vendors_changed.update(part["changed"])
        version_ids.update(part["versions"])
        for key, n in part["counts"].items():
            counts[key] += n
        for key, seconds in part["timings"].items():
            recorder.timings[key] = recorder.timings.get(key, 0.0) + seconds
    now = run.started_at
    try:
        with recorder.writing():
            versions = list(ListVersion.objects.filter(pk__in=version_ids).select_related("source"))
            recorder.lists_used(versions=versions, entry_count=max((p.get("entries", 0) for p in results), default=0),
                                vendor_count=sum(p.get("vendors", 0) for p in results))
            vendors_changed |= timed("propagate", _derive_phase, run=run, targets=None, now=now,
                                     day=timezone.localdate(now), counts=counts)
            counts["equipment_updated"] += timed("equipment", equipment_risk_refresh)
            counts["vendors_changed"] = len(vendors_changed)
            _screening_changed(vendors_changed)
    except Exception as exc:
        recorder.finish(error=f"{exc.__class__.__name__}: {exc}")
        raise
    return recorder.finish()


def screening_run_failed(*, run_id: int, error: str) -> None:
    """A part of a full run spread over workers failed for good: the run says so (not `running`). The parts
    done stand (each is a complete match of its vendors); the next run derives from them."""
    run = ScreeningRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).first()
    if run is not None:
        RunRecorder(run).finish(error=error)


def screening_run_vendors(*, vendor_ids: Iterable[int], trigger: str = RunTrigger.VENDOR_CHANGE, user=None,
                          include_descendants: bool = True, today: dt.date | None = None,
                          now: dt.datetime | None = None) -> ScreeningRun:
    """Screen these vendors, and re-derive them and everything they own or brand (vendor_descendant_ids)."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    ids = set(Vendor.objects.filter(pk__in=list(set(vendor_ids))).values_list("pk", flat=True))
    scope = {"vendor_ids": sorted(ids)[:1000], "vendors": len(ids)}
    with screening_run_recorded(trigger, scope=scope, user=user, now=now) as recorder, recorder.writing():
        run, counts, timed = recorder.run, recorder.counts, recorder.timed
        snapshot = timed("index", list_snapshot, every_view=True)
        profiles = timed("profiles", vendor_profiles, ids)
        recorder.lists_used(versions=snapshot.versions, entry_count=len(snapshot.entries),
                            vendor_count=len(profiles))
        active_sources = {v.source_id for v in snapshot.versions}
        stale = Match.objects.filter(vendor_id__in=list(ids), closed_at__isnull=True).exclude(
            source_id__in=active_sources)
        changed = _close_matches(stale, reason="list no longer active", now=now)
        changed |= timed("match", _match_phase, run=run, profiles=profiles, snapshot=snapshot,
                         in_scope=lambda m: m.source_id in active_sources, now=now, counts=counts)
        targets = ids | (vendor_descendant_ids(ids) if include_descendants else set())
        changed |= timed("propagate", _derive_phase, run=run, targets=targets, now=now, day=day, counts=counts)
        if changed:  # the changed vendors' units only; the catch-up task and full runs pick up the rest
            counts["equipment_updated"] += timed("equipment", equipment_risk_refresh, vendor_ids=changed)
        counts["vendors_changed"] = len(changed)
        _screening_changed(changed)
    return run


def screening_run_view(*, organization_id: int, vendor_ids: Iterable[int] = (), user=None,
                       today: dt.date | None = None, now: dt.datetime | None = None) -> ScreeningRun:
    """Re-derive one organisation's view after its overlay changed (a proposal applied to its own view was
    submitted, withdrawn, rejected or toggled: events.OwnViewChanged): its view's candidates (_view_candidates,
    which name what its overlay touches and the rows it has now, so rows that no longer differ go) with
    `vendor_ids` and what they own or brand; then its own units' statuses. The public view and every other
    organisation's are not touched. No matching: matches are shared by every view."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    ids = set(Vendor.objects.filter(pk__in=list(set(vendor_ids))).values_list("pk", flat=True))
    scope = {"organization_id": organization_id, "vendor_ids": sorted(ids)[:1000]}
    with (screening_run_recorded(RunTrigger.OWN_VIEW, scope=scope, user=user, now=now) as recorder,
          recorder.writing()):
        counts, timed = recorder.counts, recorder.timed
        targets = _view_candidates(organization_id) | ids | vendor_descendant_ids(ids)
        changed = timed("propagate", _derive_phase, run=recorder.run, targets=targets, now=now, day=day,
                        counts=counts, public=False, organizations={organization_id})
        if changed:
            counts["equipment_updated"] += timed("equipment", equipment_risk_refresh,
                                                 organization_id=organization_id)
        counts["vendors_changed"] = len(changed)
        _screening_changed(changed)
    return recorder.run


def screening_run_list_version(*, version_id: int, user=None, today: dt.date | None = None,
                               now: dt.datetime | None = None) -> ScreeningRun | None:
    """A list version was activated: screen only its added and changed entries against every vendor, move
    open matches of unchanged entries to the new version, close matches of removed entries (kept, closed_at).
    Idempotent: running it twice finds nothing new. Returns None when the version is not active any more."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    version = ListVersion.objects.select_related("source", "previous").filter(pk=version_id).first()
    if version is None or version.status != "active":
        logger.info("screening: version %s is not active; nothing to do", version_id)
        return None
    previous_id = getattr(getattr(version, "diff", None), "previous_id", None) or version.previous_id
    scope = {"list_version_id": version.pk, "source": version.source.code, "previous_version_id": previous_id}
    with screening_run_recorded(RunTrigger.LIST_ACTIVATION, scope=scope, user=user, now=now) as recorder:
        run, counts, timed = recorder.run, recorder.counts, recorder.timed
        # Outside the transaction: reads, index build and matching (CPU only).
        new_entries = dict(ListEntry.objects.filter(version=version).values_list("external_id", "content_hash"))
        old_entries = (dict(ListEntry.objects.filter(version_id=previous_id).values_list("external_id",
                                                                                          "content_hash"))
                       if previous_id else {})
        # Entries to screen: added or changed against the previous version (external id + content hash).
        fresh = {ext for ext, h in new_entries.items() if old_entries.get(ext) != h}
        records, metas = [], {}
        for chunk in _chunks(sorted(fresh), 2000):
            r, m = _entries_load(ListEntry.objects.filter(version=version, external_id__in=chunk))
            records += r
            metas.update(m)
        snapshot = profiles = searched = None
        if records:
            snapshot = ListSnapshot(versions=[version], index=timed("index", matching.CandidateIndex, records),
                                    entries=metas)
            profiles = timed("profiles", vendor_profiles, None)
            searched = timed("search", _search, profiles, snapshot)

        with recorder.writing():
            open_ext = set(Match.objects.filter(source=version.source, closed_at__isnull=True)
                           .values_list("external_id", flat=True))
            removed = set(old_entries) - set(new_entries)
            removed |= {ext for ext in open_ext if ext not in new_entries}  # also matches left from older versions
            counts["entries_added"] = len(set(new_entries) - set(old_entries))
            counts["entries_changed"] = len(fresh) - counts["entries_added"]
            counts["entries_removed"] = len(removed)
            changed: set[int] = set()
            for chunk in _chunks(sorted(removed)):
                changed |= _close_matches(Match.objects.filter(source=version.source, external_id__in=chunk,
                                                               closed_at__isnull=True),
                                          reason="entry removed from the list", now=now)
            # Unchanged entries: re-point open matches to the new version's rows (same content hash).
            unchanged_open = [ext for ext in open_ext if ext in new_entries and ext not in fresh]
            for chunk in _chunks(sorted(unchanged_open)):
                entry_ids = dict(ListEntry.objects.filter(version=version, external_id__in=chunk)
                                 .values_list("external_id", "pk"))
                matches = list(Match.objects.filter(source=version.source, external_id__in=chunk,
                                                    closed_at__isnull=True))
                for m in matches:
                    m.entry_id, m.list_version_id = entry_ids[m.external_id], version.pk
                Match.objects.bulk_update(matches, ["entry", "list_version"], batch_size=CHUNK)
            recorder.lists_used(versions=_active_versions(every_view=True), entry_count=len(metas),
                                vendor_count=len(profiles) if snapshot is not None else None)
            if snapshot is not None:
                source_id = version.source_id
                changed |= timed("match", _match_phase, run=run, profiles=profiles, snapshot=snapshot,
                                 in_scope=lambda m: m.source_id == source_id and m.external_id in fresh, now=now,
                                 counts=counts, searched=searched)
            if changed:
                targets = changed | vendor_descendant_ids(changed)
                changed |= timed("propagate", _derive_phase, run=run, targets=targets, now=now, day=day,
                                 counts=counts)
                counts["equipment_updated"] += timed("equipment", equipment_risk_refresh, vendor_ids=changed)
            counts["vendors_changed"] = len(changed)
            _screening_changed(changed)
    return run


def screening_demo_run() -> ScreeningRun:
    """Called by load_demo after the demo lists are loaded: one full run."""
    return screening_run_full(trigger=RunTrigger.DEMO)
