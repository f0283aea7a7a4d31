"""Phase 1 of a run: every vendor's names, aliases and identifiers against the candidate index; matches upserted
per (vendor, source, external_id), closed when they no longer hold, and review decisions keyed to (vendor
identity, entry content hash) re-applied."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from apps.lists.models import ListSource
from apps.vendors.models import Vendor

from .. import matching
from ..choices import Decision, ReviewState
from ..models import Match, ReviewDecision, ScreeningRun
from .base import CHUNK, _auto_confirm_strengths, _chunks
from .index import EntryMeta, ListSnapshot, VendorProfile


def _decisions_for(identities: set[str]) -> dict[tuple[str, str, int | None], ReviewDecision]:
    """Current decisions by (vendor identity, entry content hash, organisation or None for registry-wide)."""
    out: dict[tuple[str, str, int | None], ReviewDecision] = {}
    for chunk in _chunks(identities):
        for d in ReviewDecision.objects.filter(vendor_identity__in=chunk, superseded_at__isnull=True):
            out[(d.vendor_identity, d.entry_content_hash, d.organization_id)] = d
    return out


def source_organizations() -> dict[int, int | None]:
    """{list source id: its organisation (private list) or None (public)}."""
    return dict(ListSource.objects.values_list("pk", "organization_id"))


def _review_state(decision: ReviewDecision | None, strength: str) -> tuple[str, int | None]:
    if decision is not None:
        state = ReviewState.CONFIRMED if decision.decision == Decision.CONFIRM else ReviewState.DISMISSED
        return state, decision.pk
    if strength in _auto_confirm_strengths():
        return ReviewState.AUTO_CONFIRMED, None
    return ReviewState.UNREVIEWED, None


MATCH_UPDATE_FIELDS = [
    "list_version", "entry", "entry_name", "entry_type", "entry_content_hash", "sub_list", "programs", "listed_on",
    "vendor_identity", "matched_name", "entry_matched_name", "score", "strength", "features", "explanation",
    "why", "reasons", "algorithm_version", "thresholds", "review_state", "decision", "last_run", "last_seen_at",
]


Found = dict[tuple[int, int, str], tuple[matching.MatchResult, EntryMeta]]


def _search(profiles: dict[int, VendorProfile], snapshot: ListSnapshot) -> Found:
    """Pure CPU, no writes: run before the run's transaction so the database is not held while it works."""
    found: Found = {}
    min_score = matching.THRESHOLDS.get("potential")
    for vendor_id, p in profiles.items():
        results = snapshot.index.search(p.names, countries=p.countries, identifiers=p.identifiers,
                                        min_score=min_score, limit=50)
        for result in results:
            meta = snapshot.entries.get(result.key)
            if meta is None:
                continue
            key = (vendor_id, meta.source_id, meta.external_id)
            if key not in found or found[key][0].score < result.score:
                found[key] = (result, meta)
    return found


def _match_phase(*, run: ScreeningRun, profiles: dict[int, VendorProfile], snapshot: ListSnapshot,
                 in_scope: Callable[[Match], bool] | None, now: dt.datetime, counts: dict[str, int],
                 searched: Found | None = None) -> set[int]:
    """Upsert matches of `profiles` against `snapshot` (or the `searched` results computed beforehand); close
    the open matches for which `in_scope` is true (the sources/entries this run looked at; None: all) that
    were not found again. Returns vendors whose matches or review states changed."""
    changed: set[int] = set()
    if searched is None:
        searched = _search(profiles, snapshot)
    by_vendor: dict[int, Found] = defaultdict(dict)
    # Match.review_state is the decision in force in the list's own view: registry-wide for a public list,
    # the owning organisation's for a private one (organisations' own decisions on public lists are read per
    # view by derive._match_rows and the selectors).
    source_orgs = source_organizations()
    for key, value in searched.items():
        by_vendor[key[0]][key] = value
    for chunk in _chunks(sorted(profiles)):
        # Vendors deleted since the (out-of-transaction) search are skipped.
        chunk = list(Vendor.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        found: Found = {k: v for vendor_id in chunk for k, v in by_vendor.get(vendor_id, {}).items()}
        existing_qs = Match.objects.filter(vendor_id__in=chunk, closed_at__isnull=True)
        existing = {(m.vendor_id, m.source_id, m.external_id): m for m in existing_qs}
        decisions = _decisions_for({profiles[v].identity for v in chunk})
        to_create, to_update, to_close = [], [], []
        for key, (result, meta) in found.items():
            vendor_id = key[0]
            identity = profiles[vendor_id].identity
            decision = decisions.get((identity, meta.content_hash, source_orgs.get(meta.source_id)))
            state, decision_id = _review_state(decision, result.strength)
            values = {
                "list_version_id": meta.version_id, "entry_id": meta.id, "entry_name": meta.primary_name[:1000],
                "entry_type": meta.entry_type, "entry_content_hash": meta.content_hash, "sub_list": meta.sub_list,
                "programs": list(meta.programs), "listed_on": meta.listed_on, "vendor_identity": identity,
                "matched_name": (result.query_name or "")[:300], "entry_matched_name": (result.entry_name or "")[:1000],
                "score": round(max(0.0, min(1.0, float(result.score))), 4), "strength": result.strength,
                "features": {k: round(float(v), 4) for k, v in (result.features or {}).items()},
                "explanation": result.explanation, "why": result.why, "reasons": result.reasons,
                "algorithm_version": matching.ALGORITHM_VERSION,
                "thresholds": dict(matching.THRESHOLDS), "review_state": state, "decision_id": decision_id,
            }
            match = existing.pop(key, None)
            if match is None:
                to_create.append(Match(vendor_id=vendor_id, source_id=meta.source_id, external_id=meta.external_id,
                                       first_run=run, last_run=run, first_seen_at=now, last_seen_at=now, **values))
                changed.add(vendor_id)
                continue
            if match.review_state in (ReviewState.CONFIRMED, ReviewState.DISMISSED) and state != match.review_state:
                counts["matches_reopened"] += 1
            material = ("entry_content_hash", "review_state", "strength", "list_version_id", "vendor_identity")
            if any(getattr(match, f) != values[f] for f in material):
                changed.add(vendor_id)
            if any(getattr(match, f) != v for f, v in values.items()):
                counts["matches_updated"] += 1
            for field_name, value in values.items():
                setattr(match, field_name, value)
            match.last_run, match.last_seen_at = run, now
            to_update.append(match)
        # Open matches of these vendors that this run looked at but did not find again.
        leftover = [m for m in existing.values() if in_scope is None or in_scope(m)]
        for match in leftover:
            match.closed_at, match.close_reason = now, "no longer matches"
            to_close.append(match)
            changed.add(match.vendor_id)
        Match.objects.bulk_create(to_create, batch_size=CHUNK)
        Match.objects.bulk_update(to_update, MATCH_UPDATE_FIELDS, batch_size=CHUNK)
        Match.objects.bulk_update(to_close, ["closed_at", "close_reason"], batch_size=CHUNK)
        counts["matches_new"] += len(to_create)
        counts["matches_seen"] += len(to_update)
        counts["matches_closed"] += len(to_close)
    return changed


def _close_matches(qs, *, reason: str, now: dt.datetime) -> set[int]:
    vendor_ids = set(qs.values_list("vendor_id", flat=True))
    qs.update(closed_at=now, close_reason=reason)
    return vendor_ids


def _close_inactive_sources(active_source_ids: set[int], now: dt.datetime) -> set[int]:
    qs = Match.objects.filter(closed_at__isnull=True).exclude(source_id__in=active_source_ids)
    return _close_matches(qs, reason="list no longer active", now=now)
