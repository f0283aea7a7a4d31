"""Reads for restricted-party lists. Readers only ever see ACTIVE (or formerly active) versions, never a
LOADING one, so a half-loaded version is invisible."""
from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .choices import VersionStatus
from .defaults import BUNDLED_FILES
from .models import FetchRun, ListEntry, ListSource, ListVersion


def list_versions_active(as_of: dt.datetime | None = None) -> QuerySet[ListVersion]:
    """The version of each source that was active at `as_of` (None = now): activated_at <= t and
    (superseded_at is null or > t). Rejected/quarantined versions never had activated_at, so never appear."""
    if as_of is None:
        return ListVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("source")
    return (
        ListVersion.objects.filter(activated_at__isnull=False, activated_at__lte=as_of)
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=as_of))
        .select_related("source")
    )


def list_entries_active(as_of: dt.datetime | None = None) -> QuerySet[ListEntry]:
    """Entries of the versions active at `as_of` (see list_versions_active)."""
    return ListEntry.objects.filter(version__in=list_versions_active(as_of).values("pk"))


def list_source_freshness(source: ListSource, *, now: dt.datetime | None = None) -> str:
    """"fresh" | "stale" | "never": stale once freshness_limit_hours have passed since the last good fetch
    (a new version, or the publisher confirming the same content). A limit of 0 means never stale."""
    now = now or timezone.now()
    if source.last_success_at is None:
        return "never"
    if source.freshness_limit_hours and now - source.last_success_at > dt.timedelta(hours=source.freshness_limit_hours):
        return "stale"
    return "fresh"


def list_sources_with_freshness(*, now: dt.datetime | None = None) -> list[tuple[ListSource, str]]:
    """Every source with its freshness, for list pages, the API and the health endpoint (one query)."""
    now = now or timezone.now()
    return [(source, list_source_freshness(source, now=now)) for source in ListSource.objects.all()]


def list_sources_due(*, now: dt.datetime | None = None) -> list[ListSource]:
    """Enabled sources with something to fetch whose refresh interval has passed and that are not locked."""
    now = now or timezone.now()
    candidates = (
        ListSource.objects.filter(enabled=True)
        .filter(Q(url__gt="") | Q(code__in=list(BUNDLED_FILES)))
        .filter(Q(lock_until__isnull=True) | Q(lock_until__lt=now))
        .filter(refresh_interval_hours__gt=0)
    )
    return [
        s for s in candidates
        if s.last_attempt_at is None or now - s.last_attempt_at >= dt.timedelta(hours=s.refresh_interval_hours)
    ]


def list_version_entries(*, version: ListVersion) -> QuerySet[ListEntry]:
    return ListEntry.objects.filter(version=version).order_by("primary_name")


def list_source_runs(*, source: ListSource, limit: int = 50) -> QuerySet[FetchRun]:
    return FetchRun.objects.filter(source=source).select_related("version").order_by("-started_at")[:limit]


def list_versions_quarantined() -> QuerySet[ListVersion]:
    """Versions waiting for an admin's decision, oldest first."""
    return (ListVersion.objects.filter(status=VersionStatus.QUARANTINED).select_related("source", "diff")
            .order_by(F("fetched_at").asc()))
