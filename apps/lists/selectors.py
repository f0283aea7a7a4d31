"""Reads for restricted-party lists. Readers only ever see ACTIVE (or formerly active) versions, never a
LOADING one, so a half-loaded version is invisible."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .choices import RunStatus, VersionStatus
from .defaults import BUNDLED_FILES
from .models import FetchRun, ListEntry, ListSource, ListVersion, SourceRequirement


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


def list_version_active(source_id: int) -> ListVersion | None:
    """The source's version in use now (None: never loaded or all rejected)."""
    return list_versions_active().filter(source_id=source_id).first()


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


def list_source_downloadable(source: ListSource) -> bool:
    """Whether "Refresh now" has something to fetch: a URL, or a file bundled with the app. Otherwise the list
    is loaded by uploading its file (or `import_list`)."""
    return bool(source.url) or source.code in BUNDLED_FILES


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


def list_sources_required(*, organization_id: int | None, sources: Iterable[ListSource]) -> set[int]:
    """Ids of the given sources that must be loaded and fresh before a check in `organization_id`'s view may
    say clear: the source's own `required` flag, unless the organisation decided otherwise (SourceRequirement).
    One query with an organisation, none without."""
    overrides: dict[int, bool] = {}
    if organization_id is not None:
        overrides = dict(SourceRequirement.objects.filter(organization_id=organization_id)
                         .values_list("source_id", "required"))
    return {s.pk for s in sources if overrides.get(s.pk, s.required)}


def list_coverage(*, versions: Iterable[ListVersion], organization_id: int | None,
                  now: dt.datetime | None = None) -> dict:
    """What a check searched, in `organization_id`'s view (public lists and its own in-house lists): every
    searched version (source, version id, sha256, activated at, freshness, required) and every enabled source
    without an active version, with the required ones that are missing or stale. `complete` is False when a
    required source is missing or stale: such a check may never say clear. Two queries.

    Freshness is list_source_freshness's, counting the version's activation as a good fetch (a version imported
    offline, or a source row that predates `last_success_at`, is as fresh as its activation)."""
    now = now or timezone.now()
    versions = list(versions)
    # Fresh rows (the versions may come from a cached snapshot, whose source rows can be hours old).
    sources = list(ListSource.objects.filter(enabled=True).filter(
        Q(organization__isnull=True) | Q(organization_id=organization_id)).order_by("code"))
    by_id = {s.pk: s for s in sources}
    required = list_sources_required(organization_id=organization_id, sources=sources)
    searched, loaded_ids = [], set()
    for version in sorted(versions, key=lambda v: v.source.code):
        source = by_id.get(version.source_id, version.source)
        loaded_ids.add(source.pk)
        goods = [t for t in (source.last_success_at, version.activated_at) if t is not None]
        last_good = max(goods) if goods else None
        stale = bool(last_good is None or (source.freshness_limit_hours and now - last_good > dt.timedelta(
            hours=source.freshness_limit_hours)))
        searched.append({
            "source": source.code, "source_name": source.name, "version_id": version.pk, "sha256": version.sha256,
            "activated_at": version.activated_at.isoformat() if version.activated_at else None,
            "entry_count": version.entry_count, "last_success_at": last_good.isoformat() if last_good else None,
            "freshness_limit_hours": source.freshness_limit_hours, "stale": stale,
            "required": source.pk in required, "in_house": source.organization_id is not None,
        })
    missing = [{"source": s.code, "source_name": s.name, "required": s.pk in required,
                "in_house": s.organization_id is not None}
               for s in sources if s.pk not in loaded_ids]
    required_missing = [m["source"] for m in missing if m["required"]]
    required_stale = [v["source"] for v in searched if v["required"] and v["stale"]]
    enabled = len({*by_id, *loaded_ids})
    summary = f"{len(searched)} of {enabled} lists loaded"
    if required_missing or required_stale:
        parts = []
        if required_missing:
            parts.append(f"required but not loaded: {', '.join(required_missing)}")
        if required_stale:
            parts.append(f"required but stale: {', '.join(required_stale)}")
        summary += "; " + "; ".join(parts)
    return {"searched": searched, "missing": missing, "loaded": len(searched), "enabled": enabled,
            "required_missing": required_missing, "required_stale": required_stale,
            "complete": not required_missing and not required_stale and bool(searched), "summary": summary}


# --- coverage panel: the state of every list in one organisation's view -------------------------------------

COVERAGE_STATES = ("quarantined", "failed", "missing", "stale", "current", "loaded")  # worst first


def list_coverage_states(*, organization_id: int, now: dt.datetime | None = None) -> list[dict]:
    """Every enabled list source in `organization_id`'s view (public lists and its own in-house lists; never
    another organisation's) with its state, the active version's dates, and what to do about it, worst first.

    Loaded, missing, stale and required come from `list_coverage` (the one notion of coverage, which screening
    verdicts use); on top of it: a version waiting in quarantine, and a last fetch or import that failed.
    States: quarantined (a new version waits for a decision), failed (the last fetch or import failed), missing
    (never loaded), stale (older than its freshness limit), current (within it), loaded (no freshness limit set:
    never marked stale). Four queries whatever the number of sources and versions."""
    from django.db.models import Count, OuterRef, Subquery

    now = now or timezone.now()
    versions = list(list_versions_active().filter(source__enabled=True).visible_to([organization_id]))
    coverage = list_coverage(versions=versions, organization_id=organization_id, now=now)
    by_code = {v.source.code: v for v in versions}
    last_run = FetchRun.objects.filter(source=OuterRef("pk")).order_by("-started_at")
    quarantined = ListVersion.objects.filter(source=OuterRef("pk"), status=VersionStatus.QUARANTINED)
    sources = {s.code: s for s in ListSource.objects.filter(enabled=True).visible_to([organization_id]).annotate(
        n_quarantined=Count("versions", filter=Q(versions__status=VersionStatus.QUARANTINED)),
        quarantined_id=Subquery(quarantined.order_by("fetched_at").values("pk")[:1]),
        last_run_status=Subquery(last_run.values("status")[:1]),
        last_run_error=Subquery(last_run.values("error")[:1]),
    ).order_by()}
    rows = [(r, True) for r in coverage["searched"]] + [(r, False) for r in coverage["missing"]]
    out = []
    for row, loaded in rows:
        source = sources.get(row["source"])
        if source is None:  # disabled or created between the two reads
            continue
        version = by_code.get(source.code) if loaded else None
        last_good = dt.datetime.fromisoformat(row["last_success_at"]) if loaded and row["last_success_at"] else None
        if source.n_quarantined:
            state = "quarantined"
        elif source.last_run_status == RunStatus.FAILED:
            state = "failed"
        elif not loaded:
            state = "missing"
        elif row["stale"]:
            state = "stale"
        else:
            state = "current" if source.freshness_limit_hours else "loaded"
        out.append({
            "source": source, "code": source.code, "name": source.name, "state": state, "loaded": loaded,
            "required": row["required"], "in_house": row["in_house"],
            "version_id": version.pk if version else None,
            "activated_at": version.activated_at if version else None,
            "entry_count": version.entry_count if version else None,
            "last_good_at": last_good, "age": (now - last_good) if last_good else None,
            "quarantined": source.n_quarantined, "quarantined_id": source.quarantined_id,
            "error": (source.last_run_error or "").strip().splitlines()[0][:200] if state == "failed"
            and (source.last_run_error or "").strip() else "",
            "todo": _coverage_todo(source, state, blocks_clear=row["required"] and (not loaded or row["stale"])),
        })
    rank = {s: i for i, s in enumerate(COVERAGE_STATES)}
    return sorted(out, key=lambda r: (rank[r["state"]], not r["required"], r["name"]))


def _coverage_todo(source: ListSource, state: str, *, blocks_clear: bool) -> str:
    """What to do about a source in `state`, and who may do it (apps.accounts.policies: public lists are refreshed
    by any organisation's administrators and decided by curators; in-house lists by their organisation's
    administrators). `blocks_clear`: the list is required and missing or stale, so checks cannot say clear."""
    fetchable = bool(source.url) or source.code in BUNDLED_FILES
    in_house = source.organization_id is not None
    refresher = "an administrator of your organisation" if in_house else "an organisation administrator or a curator"
    uploader = "an administrator of your organisation" if in_house else "a registry curator"
    offline = (f"{uploader} uploads the publisher's file on the list page (or an operator runs "
               f"manage.py import_list {source.code} FILE)")
    if state == "quarantined":
        todo = ("An administrator of your organisation" if in_house else "A registry curator (with a verified "
                "second factor)") + " reviews the waiting version's changes and approves or rejects it."
    elif state == "failed":
        todo = (f"The last fetch failed: {refresher} reads the run's error on the list page and presses "
                f"Refresh now" + (f", or {offline}." if source.url else ".") if fetchable
                else f"The last import failed: {offline} again once the file is fixed.")
    elif state == "missing":
        todo = (f"Never loaded: {refresher} presses Refresh now on the list page (the schedule fetches it every "
                f"{source.refresh_interval_hours} h); without internet access, {offline}." if fetchable
                else f"Never loaded and nothing to download: {offline}.")
    elif state == "stale":
        todo = (f"Older than its {source.freshness_limit_hours} h freshness limit: {refresher} presses Refresh now "
                "on the list page." if fetchable else f"Older than its freshness limit: {offline}.")
    elif state == "current":
        return ""
    else:
        return "No freshness limit is set for this list, so it is never marked stale."
    if blocks_clear:  # a required list missing or stale (list_coverage's `complete`)
        todo += " Until then pre-purchase checks cannot say clear."
    return todo


def _day(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y}"


def _age(value: dt.datetime, now: dt.datetime) -> str:
    days = max(0, (now - value).days)
    if days == 0:
        return "fetched today"
    return "1 day old" if days == 1 else f"{days} days old"


def list_version_in_use_text(*, active: ListVersion | None, now: dt.datetime | None = None,
                             prefix: str = "The list in use is still ") -> str:
    """"The list in use is still version #12 of 3 Nov 2026, 32 days old (1,204 entries)." or that none is
    loaded. `prefix=""` gives the bare "Version #12 of ..." for a label."""
    now = now or timezone.now()
    if active is None:
        return ("No version of this list is loaded yet, so checks cannot search it (a check that requires it "
                "is never clear).")
    text = (f"version #{active.pk} of {_day(active.fetched_at)}, {_age(active.fetched_at, now)} "
            f"({active.entry_count:,} entries).")
    return f"{prefix}{text}" if prefix else text[:1].upper() + text[1:]


def list_version_decider_text(source: ListSource) -> str:
    """Who decides on a quarantined version (apps.accounts.policies ADMINISTER), in words."""
    if source.organization_id is None:
        return "a registry curator (public lists are shared by every organisation)"
    return f"an administrator of {source.organization.name}" if source.organization else "an administrator"


def list_versions_quarantined_explained(*, source_ids: Iterable[int], version_ids: Iterable[int] | None = None,
                                        now: dt.datetime | None = None) -> list[dict]:
    """Quarantined versions of the given sources (oldest first), each with what it means for the people who
    screen: the version still in use (named, dated), that the quarantined one is not used until someone who
    may decide approves it, what changed (+added -removed ~changed, when the diff is recorded) and who
    decides. Two queries, whatever the number of versions."""
    now = now or timezone.now()
    source_ids = list(source_ids)
    quarantined = list_versions_quarantined().filter(source_id__in=source_ids).select_related("source__organization")
    if version_ids is not None:
        quarantined = quarantined.filter(pk__in=list(version_ids))
    quarantined = list(quarantined)
    active = {v.source_id: v for v in ListVersion.objects.filter(
        status=VersionStatus.ACTIVE, source_id__in={v.source_id for v in quarantined})} if quarantined else {}
    rows = []
    for version in quarantined:
        in_use = active.get(version.source_id)
        diff = getattr(version, "diff", None)
        rows.append({
            "version": version, "source": version.source, "in_use": in_use,
            "in_use_text": list_version_in_use_text(active=in_use, now=now),
            "added": diff.added if diff else None, "removed": diff.removed if diff else None,
            "changed": diff.changed if diff else None,
            "decider": list_version_decider_text(version.source),
        })
    return rows
