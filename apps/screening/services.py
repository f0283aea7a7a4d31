"""Screening writes: runs (full, per vendor, per list version), review decisions, pre-purchase checks.

One run has four phases, each in a constant number of queries per batch:

1. **match**: every vendor's names, aliases and identifiers against the candidate index of the active list
   entries (apps.screening.matching); matches are upserted per (vendor, source, external_id), closed when
   they no longer hold, and review decisions keyed to (vendor identity, entry content hash) re-applied;
2. **propagate**: findings per vendor, direct or derived through ownership (by each source's regime) and
   OEM relations (apps.screening.engine), upserted by (vendor, key) and closed when they no longer hold;
3. **status**: Vendor.risk_status from the open findings, bulk-updated by status;
4. **equipment**: Equipment.risk_status/risk_reason, bulk-updated by (product model, category) groups and by
   the equipment with flagged components; never one save per row.

Vendor and equipment risk fields are derived data, outside simple-history on purpose: their history is the
findings (discovered_at/closed_at) and the runs (which list versions, with sha256, were used).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common import events
from apps.common.choices import RISK_ORDER, RiskStatus, risk_worst
from apps.common.exceptions import ApplicationError
from apps.inventory.models import Component, Equipment, ProductModel
from apps.inventory.services import equipment_counts_refresh, equipment_counts_touch
from apps.lists.models import ListEntry, ListSource, ListVersion
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from apps.vendors.selectors import ownership_links_above, vendor_descendant_ids

from . import matching
from .choices import (
    Decision,
    FindingKind,
    ReviewState,
    RunStatus,
    RunTrigger,
)
from .engine import (
    CONFIRMED_STATES,
    LinkView,
    Listing,
    PolicyView,
    PropagationGroup,
    RuleView,
    WantedFinding,
    finding_derived,
    finding_direct,
    finding_oem,
    policy_choose,
)
from .models import Finding, Match, PrePurchaseCheck, PropagationRule, ReviewDecision, RiskPolicy, ScreeningRun

logger = logging.getLogger(__name__)

CHUNK = 500
_LOCK_KEY = 0x5343_524E  # advisory lock serialising screening writes on PostgreSQL


def _auto_confirm_strengths() -> frozenset[str]:
    return frozenset(getattr(settings, "SCREENING_AUTO_CONFIRM_STRENGTHS", ("identifier", "strong")))


def _chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# ---------------------------------------------------------------------------------------------------------------
# Hooks: remediation (and anyone else) learns which vendors' findings or status changed


def _screening_changed(vendor_ids: set[int]) -> None:
    """Findings or the status of these vendors changed: ScreeningChanged, delivered on commit, each subscriber
    isolated (apps.common.events)."""
    if vendor_ids:
        events.publish(events.ScreeningChanged(vendor_ids=frozenset(vendor_ids)))


# ---------------------------------------------------------------------------------------------------------------
# Vendors as the matcher sees them


@dataclass
class VendorProfile:
    id: int
    name: str
    names: list[str]
    countries: list[str]
    identifiers: list[tuple[str, str]]
    identity: str


def vendor_identity_hash(names: Iterable[str], identifiers: Iterable[tuple[str, str] | tuple[str, str, str]]) -> str:
    """sha256 of a vendor's names and identifiers (case and spacing folded, order ignored). A review decision
    keyed to it stops applying when a name or an identifier is added, removed or changed."""
    norm_names = sorted({" ".join(str(n).split()).casefold() for n in names if n and str(n).strip()})
    norm_ids = sorted({":".join(str(p).strip().upper() for p in ident) for ident in identifiers})
    payload = json.dumps({"names": norm_names, "identifiers": norm_ids}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def vendor_profiles(vendor_ids: Iterable[int] | None) -> dict[int, VendorProfile]:
    """Names, countries, identifiers and identity of vendors (all when None): 3 queries per chunk."""
    profiles: dict[int, VendorProfile] = {}

    def load(ids: list[int] | None) -> None:
        vendors = Vendor.objects.all() if ids is None else Vendor.objects.filter(pk__in=ids)
        aliases = VendorAlias.objects.all() if ids is None else VendorAlias.objects.filter(vendor_id__in=ids)
        idents = VendorIdentifier.objects.all() if ids is None else VendorIdentifier.objects.filter(vendor_id__in=ids)
        rows = {}
        for pk, name, inc, hq in vendors.values_list("pk", "name", "country_of_incorporation",
                                                     "country_of_headquarters").iterator(chunk_size=2000):
            rows[pk] = ([name], [c for c in (str(inc or ""), str(hq or "")) if c], [], [])
        for vendor_id, name in aliases.values_list("vendor_id", "name").iterator(chunk_size=2000):
            if vendor_id in rows:
                rows[vendor_id][0].append(name)
        for vendor_id, scheme, value, country in idents.values_list(
            "vendor_id", "scheme", "value", "country"
        ).iterator(chunk_size=2000):
            if vendor_id in rows:
                rows[vendor_id][2].append((scheme, value))
                rows[vendor_id][3].append((scheme, value, str(country or "")))
        for pk, (names, countries, ids_, ids_full) in rows.items():
            profiles[pk] = VendorProfile(pk, names[0], names, sorted(set(countries)), ids_,
                                         vendor_identity_hash(names, ids_full))

    if vendor_ids is None:
        load(None)
    else:
        for chunk in _chunks(sorted(set(vendor_ids))):
            load(chunk)
    return profiles


# ---------------------------------------------------------------------------------------------------------------
# List entries and the candidate index


@dataclass(frozen=True)
class EntryMeta:
    id: int
    version_id: int
    source_id: int
    external_id: str
    primary_name: str
    entry_type: str
    content_hash: str
    sub_list: str
    programs: tuple
    listed_on: dt.date | None


@dataclass
class ListSnapshot:
    versions: list[ListVersion]
    index: matching.CandidateIndex
    entries: dict[int, EntryMeta]

    @property
    def versions_used(self) -> list[dict]:
        return versions_describe(self.versions)


def versions_describe(versions: Iterable[ListVersion]) -> list[dict]:
    return [
        {"version_id": v.pk, "source": v.source.code, "source_name": v.source.name, "sha256": v.sha256,
         "activated_at": v.activated_at.isoformat() if v.activated_at else None, "entry_count": v.entry_count}
        for v in sorted(versions, key=lambda v: v.source.code)
    ]


def _entry_identifiers(raw: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("value"):
            out.append((str(item.get("scheme", "")), str(item["value"])))
    return tuple(out)


def _entries_load(entry_qs) -> tuple[list[matching.IndexRecord], dict[int, EntryMeta]]:
    records: list[matching.IndexRecord] = []
    metas: dict[int, EntryMeta] = {}
    fields = ("pk", "version_id", "version__source_id", "external_id", "primary_name", "aliases", "entry_type",
              "content_hash", "sub_list", "programs", "countries", "identifiers", "listed_on")
    for (pk, version_id, source_id, ext, name, aliases, etype, chash, sub_list, programs, countries, idents,
         listed_on) in entry_qs.values_list(*fields).iterator(chunk_size=5000):
        names = tuple(n for n in [name, *[a for a in (aliases or []) if isinstance(a, str)]] if n and n.strip())
        if not names and not idents:
            continue
        records.append(matching.IndexRecord(
            key=pk, names=names, countries=tuple(c for c in (countries or []) if isinstance(c, str)),
            identifiers=_entry_identifiers(idents), entry_type=etype or "entity",
        ))
        metas[pk] = EntryMeta(pk, version_id, source_id, ext, name, etype or "", chash, sub_list or "",
                              tuple(programs or []), listed_on)
    return records, metas


def _active_versions() -> list[ListVersion]:
    from apps.lists.selectors import list_versions_active

    return [v for v in list_versions_active() if v.source.enabled]


_SNAPSHOT_CACHE: dict[tuple, ListSnapshot] = {}


def list_snapshot(*, versions: list[ListVersion] | None = None) -> ListSnapshot:
    """The candidate index over every entry of the active versions, cached per process by (version, sha256)
    so that per-vendor runs and pre-purchase checks do not rebuild it."""
    versions = _active_versions() if versions is None else versions
    key = tuple(sorted((v.pk, v.sha256) for v in versions))
    cached = _SNAPSHOT_CACHE.get(key)
    if cached is not None:
        return cached
    records, metas = _entries_load(ListEntry.objects.filter(version_id__in=[v.pk for v in versions]))
    snapshot = ListSnapshot(versions=versions, index=matching.CandidateIndex(records), entries=metas)
    _SNAPSHOT_CACHE.clear()  # keep only the newest; an index over every list is big
    _SNAPSHOT_CACHE[key] = snapshot
    return snapshot


# ---------------------------------------------------------------------------------------------------------------
# Phase 1: matching


def _decisions_for(identities: set[str]) -> dict[tuple[str, str], ReviewDecision]:
    out: dict[tuple[str, str], ReviewDecision] = {}
    for chunk in _chunks(identities):
        for d in ReviewDecision.objects.filter(vendor_identity__in=chunk, superseded_at__isnull=True):
            out[(d.vendor_identity, d.entry_content_hash)] = d
    return out


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
    "algorithm_version", "thresholds", "review_state", "decision", "last_run", "last_seen_at",
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
            decision = decisions.get((identity, meta.content_hash))
            state, decision_id = _review_state(decision, result.strength)
            values = {
                "list_version_id": meta.version_id, "entry_id": meta.id, "entry_name": meta.primary_name[:1000],
                "entry_type": meta.entry_type, "entry_content_hash": meta.content_hash, "sub_list": meta.sub_list,
                "programs": list(meta.programs), "listed_on": meta.listed_on, "vendor_identity": identity,
                "matched_name": (result.query_name or "")[:300], "entry_matched_name": (result.entry_name or "")[:1000],
                "score": round(max(0.0, min(1.0, float(result.score))), 4), "strength": result.strength,
                "features": {k: round(float(v), 4) for k, v in (result.features or {}).items()},
                "explanation": result.explanation, "algorithm_version": matching.ALGORITHM_VERSION,
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


# ---------------------------------------------------------------------------------------------------------------
# Phase 2: findings through ownership and OEM relations


def _policies() -> list[PolicyView]:
    return [
        PolicyView(p.pk, p.name, p.regime, p.source_code, p.sub_list_pattern, p.status, tuple(p.categories or ()),
                   p.other_status, p.propagation, p.priority, p.effective_from, p.effective_until)
        for p in RiskPolicy.objects.filter(enabled=True)
    ]


def _rules(day: dt.date) -> dict[str, RuleView]:
    return {
        r.propagation: RuleView(r.propagation, r.threshold_percent, r.threshold_inclusive, r.control_counts,
                                r.in_force(day))
        for r in PropagationRule.objects.all()
    }


def _links_all(day: dt.date) -> dict[int, list[LinkView]]:
    out: dict[int, list[LinkView]] = defaultdict(list)
    for owner_id, owned_id, share, kind in Ownership.objects.active_on(day).values_list(
        "owner_id", "owned_id", "share_percent", "kind"
    ).iterator(chunk_size=5000):
        out[owned_id].append(LinkView(owner_id, owned_id, share, kind))
    return out


def _links_above(vendor_ids: set[int], day: dt.date) -> dict[int, list[LinkView]]:
    out: dict[int, list[LinkView]] = defaultdict(list)
    for chunk in _chunks(sorted(vendor_ids)):
        for owned_id, links in ownership_links_above(set(chunk), as_of=day).items():
            for link in links:
                view = LinkView(link.owner_id, owned_id, link.share_percent, link.kind)
                if view not in out[owned_id]:
                    out[owned_id].append(view)
    return out


def _derive_phase(*, run: ScreeningRun, targets: set[int] | None, now: dt.datetime, day: dt.date,
                  counts: dict[str, int]) -> set[int]:
    """Recompute the open findings of `targets` (every vendor when None) and their risk_status. Returns the
    vendors whose findings or status changed."""
    if targets is None:
        oem_rels = list(OemRelation.objects.values_list("brand_id", "manufacturer_id", "category"))
        links = _links_all(day)
        target_ids = set(Vendor.objects.values_list("pk", flat=True))
    else:
        target_ids = set(targets)
        oem_rels = []
        for chunk in _chunks(sorted(target_ids)):
            oem_rels += list(OemRelation.objects.filter(brand_id__in=chunk).values_list(
                "brand_id", "manufacturer_id", "category"))
        links = _links_above(target_ids | {m for _b, m, _c in oem_rels}, day)
    manufacturers = {m for _b, m, _c in oem_rels}
    involved = target_ids | manufacturers | {lk.owner_id for ls in links.values() for lk in ls}

    names: dict[int, str] = {}
    for chunk in _chunks(sorted(involved)):
        names.update(Vendor.objects.filter(pk__in=chunk).values_list("pk", "name"))

    sources = {s.pk: s for s in ListSource.objects.all()}
    policies = _policies()
    rules = _rules(day)
    listings: dict[tuple[int, str], dict[int, list[Listing]]] = defaultdict(lambda: defaultdict(list))
    direct_by_vendor: dict[int, list[Listing]] = defaultdict(list)
    match_qs = Match.objects.filter(closed_at__isnull=True).exclude(review_state=ReviewState.DISMISSED)
    match_rows = []
    if targets is None:
        match_rows = list(match_qs.values_list("pk", "vendor_id", "source_id", "sub_list", "programs", "external_id",
                                               "entry_name", "listed_on", "review_state"))
    else:
        for chunk in _chunks(sorted(involved)):
            match_rows += list(match_qs.filter(vendor_id__in=chunk).values_list(
                "pk", "vendor_id", "source_id", "sub_list", "programs", "external_id", "entry_name", "listed_on",
                "review_state"))
    for pk, vendor_id, source_id, sub_list, programs, ext, entry_name, listed_on, state in match_rows:
        source = sources[source_id]
        policy = policy_choose(policies, regime=source.regime, source_code=source.code, sub_list=sub_list,
                               programs=programs or [], day=day)
        propagation = (policy.propagation if policy and policy.propagation else source.propagation)
        listing = Listing(pk, vendor_id, source_id, source.code, source.name, source.regime, propagation, sub_list,
                          ext, entry_name, listed_on, state in CONFIRMED_STATES, policy)
        direct_by_vendor[vendor_id].append(listing)
        listings[(source_id, propagation)][vendor_id].append(listing)

    groups = {
        key: PropagationGroup(rules.get(key[1]) or RuleView(key[1], 50, True, False, False), by_vendor, links)
        for key, by_vendor in listings.items()
    }

    def wanted_for(vendor_id: int) -> list[WantedFinding]:
        out = [finding_direct(vendor_id, names.get(vendor_id, str(vendor_id)), li)
               for li in direct_by_vendor.get(vendor_id, [])]
        for key, group in groups.items():
            node = group.node(vendor_id)
            if node.level is None or node.direct:
                continue
            out.append(finding_derived(vendor_id, node, key, names))
        return out

    wanted: dict[int, dict[str, WantedFinding]] = {v: {} for v in target_ids}
    for vendor_id in target_ids:
        for f in wanted_for(vendor_id):
            wanted[vendor_id][f.key] = f
    manufacturer_findings = {m: wanted_for(m) for m in manufacturers}
    for brand_id, manufacturer_id, category in oem_rels:
        if brand_id not in wanted:
            continue
        for inner in manufacturer_findings.get(manufacturer_id, []):
            f = finding_oem(brand_id, manufacturer_id, category, inner, names)
            if f is not None:
                wanted[brand_id].setdefault(f.key, f)

    changed = _findings_apply(run=run, wanted=wanted, now=now, counts=counts, full=targets is None)
    changed |= _vendor_statuses_apply(wanted=wanted, counts=counts, full=targets is None)
    return changed


FINDING_FIELDS = [
    "kind", "source_id", "regime", "propagation", "sub_list", "external_id", "entry_name", "listed_on", "match_id",
    "root_match_ids", "via_vendor_id", "path", "path_text", "status", "status_reason", "categories", "other_status",
    "policy_id", "aggregate_percent",
]


def _finding_comparable(f: Finding) -> tuple:
    from decimal import Decimal

    return (f.kind, f.source_id, f.regime, f.propagation, f.sub_list, f.external_id, f.entry_name, f.listed_on,
            f.match_id, sorted(f.root_match_ids or []), f.via_vendor_id, f.path_text, f.status, f.status_reason,
            sorted(f.categories or []), f.other_status, f.policy_id,
            None if f.aggregate_percent is None else Decimal(f.aggregate_percent))


def _findings_apply(*, run: ScreeningRun, wanted: dict[int, dict[str, WantedFinding]], now: dt.datetime,
                    counts: dict[str, int], full: bool = False) -> set[int]:
    changed: set[int] = set()
    if full:
        # Every vendor is a target: read the open findings once and visit only vendors that have some.
        open_by_vendor: dict[int, list[Finding]] = defaultdict(list)
        for f in Finding.objects.filter(closed_at__isnull=True):
            open_by_vendor[f.vendor_id].append(f)
        visit = sorted({v for v, fs in wanted.items() if fs} | set(open_by_vendor))
    else:
        open_by_vendor = None
        visit = sorted(wanted)
    for chunk in _chunks(visit):
        if open_by_vendor is not None:
            existing = {(f.vendor_id, f.key): f for v in chunk for f in open_by_vendor.get(v, [])}
        else:
            existing = {(f.vendor_id, f.key): f for f in Finding.objects.filter(vendor_id__in=chunk,
                                                                                closed_at__isnull=True)}
        to_create, to_update, to_close = [], [], []
        for vendor_id in chunk:
            for key, w in wanted.get(vendor_id, {}).items():
                values = {name: getattr(w, name) for name in FINDING_FIELDS}
                current = existing.pop((vendor_id, key), None)
                if current is None:
                    to_create.append(Finding(vendor_id=vendor_id, key=key, discovered_at=now, last_seen_at=now,
                                             first_run=run, last_run=run, **values))
                    changed.add(vendor_id)
                elif _finding_comparable(current) != w.comparable():
                    for name, value in values.items():
                        setattr(current, name, value)
                    current.last_seen_at, current.last_run = now, run
                    to_update.append(current)
                    changed.add(vendor_id)
        for f in existing.values():
            f.closed_at, f.close_reason = now, "no longer applies"
            to_close.append(f)
            changed.add(f.vendor_id)
        Finding.objects.bulk_create(to_create, batch_size=CHUNK)
        Finding.objects.bulk_update(to_update, [*FINDING_FIELDS, "last_seen_at", "last_run"], batch_size=CHUNK)
        Finding.objects.bulk_update(to_close, ["closed_at", "close_reason"], batch_size=CHUNK)
        counts["findings_opened"] += len(to_create)
        counts["findings_updated"] += len(to_update)
        counts["findings_closed"] += len(to_close)
    return changed


def _vendor_statuses_apply(*, wanted: dict[int, dict[str, WantedFinding]], counts: dict[str, int],
                           full: bool = False) -> set[int]:
    """Bulk-update Vendor.risk_status: one UPDATE per status value, only rows whose value changes."""
    target: dict[str, list[int]] = defaultdict(list)
    for vendor_id, findings in wanted.items():
        target[risk_worst(*(f.status for f in findings.values()))].append(vendor_id)
    changed: set[int] = set()
    if full:
        # Everyone else is clear: one query for those that are not yet.
        flagged = [v for status, ids in target.items() if status != RiskStatus.CLEAR for v in ids]
        target.pop(RiskStatus.CLEAR, None)
        becoming_clear = set(Vendor.objects.exclude(risk_status=RiskStatus.CLEAR).values_list("pk", flat=True))
        becoming_clear -= set(flagged)
        for chunk in _chunks(sorted(becoming_clear)):
            Vendor.objects.filter(pk__in=chunk).update(risk_status=RiskStatus.CLEAR)
        changed |= becoming_clear
    for status, ids in target.items():
        for chunk in _chunks(sorted(ids)):
            qs = Vendor.objects.filter(pk__in=chunk).exclude(risk_status=status)
            ids_changing = set(qs.values_list("pk", flat=True))
            if ids_changing:
                Vendor.objects.filter(pk__in=ids_changing).update(risk_status=status)
                changed |= ids_changing
    counts["vendors_status_changed"] += len(changed)
    return changed


# ---------------------------------------------------------------------------------------------------------------
# Phase 4: equipment


ROLE_LABELS = {"brand": "Brand", "manufacturer": "Manufacturer", "software_supplier": "Software supplier",
               "component": "Component"}


@dataclass
class VendorFlags:
    """A flagged vendor's open findings, reduced to what equipment needs: status per category."""

    name: str
    findings: list[tuple[str, tuple[str, ...], str, str]]  # (status, categories, other_status, short text)

    def for_category(self, category: str) -> tuple[str, str]:
        worst, text = RiskStatus.CLEAR.value, ""
        for status, categories, other, short in self.findings:
            s = status if (not categories or category in categories) else (other or RiskStatus.CLEAR)
            if RISK_ORDER.get(s, 0) > RISK_ORDER[worst]:
                worst, text = s, short
        return worst, text


def _flagged_vendors(vendor_ids: Iterable[int] | None = None) -> dict[int, VendorFlags]:
    """Open findings per flagged vendor (of `vendor_ids` only, when given)."""
    flags: dict[int, VendorFlags] = {}
    open_findings = Finding.objects.filter(closed_at__isnull=True)
    if vendor_ids is not None:
        open_findings = open_findings.filter(vendor_id__in=list(vendor_ids))
    rows = open_findings.values_list(
        "vendor_id", "vendor__name", "status", "categories", "other_status", "kind", "source__name", "status_reason"
    ).order_by("vendor_id", "id")
    for vendor_id, name, status, categories, other, kind, source_name, reason in rows:
        short = source_name if kind == FindingKind.DIRECT else f"{source_name} via {kind}"
        if status == RiskStatus.POTENTIAL_MATCH:
            short = f"{short}: {reason}" if reason else short
        flags.setdefault(vendor_id, VendorFlags(name, [])).findings.append(
            (status, tuple(categories or ()), other or "", short)
        )
    return flags


def _combine(parts: list[tuple[str, str, str, str]]) -> tuple[str, str]:
    """parts: (role, vendor name, status, short). Worst status, and a reason naming every contributor at it."""
    worst = risk_worst(*(p[2] for p in parts))
    if worst == RiskStatus.CLEAR:
        return worst, ""
    reasons = []
    for role, name, status, short in parts:
        if status == worst:
            text = f"{ROLE_LABELS[role]} {name}: {RiskStatus(status).label.lower()} ({short})"
            if text not in reasons:
                reasons.append(text)
    return worst, "; ".join(reasons[:4])


@transaction.atomic
def equipment_risk_refresh() -> int:
    """Recompute Equipment.risk_status/risk_reason from the open findings, in bulk. Returns rows written.

    Reads: the open findings (flagged vendors only), their product models, the (id, product model, category,
    current status/reason) of equipment built on those models, the equipment with flagged components. Writes:
    one UPDATE resetting equipment no flagged vendor touches any more, then UPDATEs by primary-key chunks of
    only the rows whose value changes, grouped by (status, reason). No per-row save; in a steady state (nothing
    changed) nothing is written.
    """
    flags = _flagged_vendors()
    flagged_ids = list(flags)
    written = 0
    comp_flagged = Component.objects.filter(vendor_id__in=flagged_ids).values("equipment_id")
    pm_rows = list(ProductModel.objects.filter(
        Q(brand_id__in=flagged_ids) | Q(manufacturer_id__in=flagged_ids) | Q(software_supplier_id__in=flagged_ids)
    ).values_list("pk", "brand_id", "manufacturer_id", "software_supplier_id"))
    pm_roles = {pk: [("brand", b), ("manufacturer", m), ("software_supplier", s)] for pk, b, m, s in pm_rows}
    pm_ids = list(pm_roles)

    # 1. Reset equipment that no flagged vendor touches any more (an IN on the indexed status, so only the
    #    flagged rows are visited, not the million clear ones).
    not_clear = [s for s in RiskStatus.values if s != RiskStatus.CLEAR]
    written += Equipment.objects.filter(risk_status__in=not_clear).exclude(
        product_model_id__in=pm_ids).exclude(pk__in=comp_flagged).update(risk_status=RiskStatus.CLEAR,
                                                                          risk_reason="")

    memo: dict[tuple[int, str], list] = {}

    def parts_for(pm_id: int, category: str) -> list[tuple[str, str, str, str]]:
        key = (pm_id, category)
        if key not in memo:
            parts = []
            for role, vendor_id in pm_roles.get(pm_id, []):
                if vendor_id in flags:
                    status, short = flags[vendor_id].for_category(category)
                    parts.append((role, flags[vendor_id].name, status, short))
            memo[key] = parts
        return memo[key]

    # 2. Target per equipment: its product model's vendors, plus its flagged components.
    component_parts: dict[int, list] = defaultdict(list)
    for eq_id, category, vendor_id in Component.objects.filter(vendor_id__in=flagged_ids).order_by("pk").values_list(
        "equipment_id", "equipment__category", "vendor_id"
    ).iterator(chunk_size=5000):
        status, short = flags[vendor_id].for_category(category)
        component_parts[eq_id].append(("component", flags[vendor_id].name, status, short))
    fields = ("pk", "product_model_id", "category", "risk_status", "risk_reason")
    # Two index-friendly reads (by product model; by the components' equipment ids) rather than one OR.
    by_model = Equipment.objects.filter(product_model_id__in=pm_ids).values_list(*fields)
    by_component = Equipment.objects.exclude(product_model_id__in=pm_ids).values_list(*fields)
    to_write: dict[tuple[str, str], list[int]] = defaultdict(list)
    combined: dict[tuple, tuple[str, str]] = {}
    rows = itertools.chain(by_model.iterator(chunk_size=5000),
                           *(by_component.filter(pk__in=chunk).iterator(chunk_size=5000)
                             for chunk in _chunks(list(component_parts), 5000)))
    stale_groups: dict[tuple[str, str, str], set[int]] = defaultdict(set)  # (category, status, reason) -> pms
    for pk, pm_id, category, current_status, current_reason in rows:
        comps = component_parts.get(pk)
        if comps:
            target = _combine(parts_for(pm_id, category) + comps)
            if target != (current_status, current_reason):
                to_write[target].append(pk)
            continue
        key = (pm_id, category)
        if key not in combined:
            combined[key] = _combine(parts_for(pm_id, category))
        target = combined[key]
        if target != (current_status, current_reason):
            stale_groups[(category, *target)].add(pm_id)
    # Whole (product model, category) groups at once (one indexed UPDATE per distinct result), then the
    # equipment with flagged components by primary-key chunks.
    for (category, status, reason), pms in stale_groups.items():
        for chunk in _chunks(sorted(pms), 1000):
            written += (Equipment.objects.filter(product_model_id__in=chunk, category=category)
                        .exclude(pk__in=comp_flagged).exclude(risk_status=status, risk_reason=reason)
                        .update(risk_status=status, risk_reason=reason))
    for (status, reason), ids in to_write.items():
        for chunk in _chunks(ids, 2000):
            written += Equipment.objects.filter(pk__in=chunk).update(risk_status=status, risk_reason=reason)
    if written:  # the bulk UPDATEs send no signals: recount the per-site tallies (only changed buckets written)
        equipment_counts_refresh()
    return written


def equipment_risk_refresh_units(equipment_ids: Iterable[int]) -> int:
    """Recompute the risk status of a few units at once (one recorded or changed in the UI or the API), from
    the open findings of their own vendors: the same result as equipment_risk_refresh, in a handful of queries,
    inside the caller's transaction. Returns rows written."""
    ids = sorted(set(equipment_ids))
    if not ids:
        return 0
    units = list(Equipment.objects.filter(pk__in=ids).values_list(
        "pk", "site_id", "category", "risk_status", "risk_reason", "product_model__brand_id",
        "product_model__manufacturer_id", "product_model__software_supplier_id"))
    components: dict[int, list[int]] = defaultdict(list)
    for eq_id, vendor_id in Component.objects.filter(equipment_id__in=ids).order_by("pk").values_list(
            "equipment_id", "vendor_id"):
        components[eq_id].append(vendor_id)
    vendor_ids = {v for u in units for v in u[5:] if v} | {v for vs in components.values() for v in vs}
    flags = _flagged_vendors(vendor_ids)
    to_write: dict[tuple[str, str], list[int]] = defaultdict(list)
    sites: set[int] = set()
    for pk, site_id, category, status, reason, brand, maker, software in units:
        roles = [("brand", brand), ("manufacturer", maker), ("software_supplier", software)]
        roles += [("component", v) for v in components.get(pk, [])]
        parts = [(role, flags[v].name, *flags[v].for_category(category)) for role, v in roles if v in flags]
        target = _combine(parts)
        if target != (status, reason):
            to_write[target].append(pk)
            sites.add(site_id)
    written = 0
    for (status, reason), chunk in to_write.items():
        written += Equipment.objects.filter(pk__in=chunk).update(risk_status=status, risk_reason=reason)
    equipment_counts_touch(sites)
    return written


# ---------------------------------------------------------------------------------------------------------------
# Runs


def _run_start(trigger: str, *, scope: dict, user=None, now: dt.datetime | None = None) -> ScreeningRun:
    return ScreeningRun.objects.create(
        trigger=trigger, status=RunStatus.RUNNING, started_at=now or timezone.now(), scope=scope,
        algorithm_version=matching.ALGORITHM_VERSION, thresholds=dict(matching.THRESHOLDS),
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _run_finish(run: ScreeningRun, *, counts: dict, timings: dict, error: str = "") -> ScreeningRun:
    run.finished_at = timezone.now()
    run.duration_ms = int((run.finished_at - run.started_at).total_seconds() * 1000)
    run.counts = dict(counts)
    run.timings = {k: round(v, 3) for k, v in timings.items()}
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.error = error
    run.save(update_fields=["finished_at", "duration_ms", "counts", "timings", "status", "error"])
    return run


def _new_counts() -> dict[str, int]:
    return defaultdict(int)


def _execute(run: ScreeningRun, body: Callable[[dict, dict], None], timings: dict | None = None) -> ScreeningRun:
    """Run `body(counts, timings)` in one transaction; the run row records success or the error."""
    counts, timings = _new_counts(), (timings if timings is not None else {})
    try:
        with transaction.atomic():
            _lock()
            body(counts, timings)
    except Exception as exc:
        _run_finish(run, counts=counts, timings=timings, error=f"{exc.__class__.__name__}: {exc}")
        raise
    return _run_finish(run, counts=counts, timings=timings)


def _timed(timings: dict, name: str, fn: Callable, *args, **kwargs):
    start = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _close_inactive_sources(active_source_ids: set[int], now: dt.datetime) -> set[int]:
    qs = Match.objects.filter(closed_at__isnull=True).exclude(source_id__in=active_source_ids)
    return _close_matches(qs, reason="list no longer active", now=now)


def screening_run_full(*, trigger: str = RunTrigger.MANUAL, user=None, today: dt.date | None = None,
                       now: dt.datetime | None = None) -> ScreeningRun:
    """Screen every vendor against every active list, recompute every finding and status."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    run = _run_start(trigger, scope={"all": True}, user=user, now=now)
    timings: dict[str, float] = {}
    try:  # outside the transaction: reads and CPU only
        snapshot = _timed(timings, "index", list_snapshot)
        profiles = _timed(timings, "profiles", vendor_profiles, None)
        searched = _timed(timings, "search", _search, profiles, snapshot)
    except Exception as exc:
        _run_finish(run, counts={}, timings=timings, error=f"{exc.__class__.__name__}: {exc}")
        raise

    def body(counts: dict, timings: dict) -> None:
        run.list_versions = snapshot.versions_used
        run.entry_count = len(snapshot.entries)
        run.vendor_count = len(profiles)
        run.save(update_fields=["list_versions", "entry_count", "vendor_count"])
        active_sources = {v.source_id for v in snapshot.versions}
        changed = _close_inactive_sources(active_sources, now)
        changed |= _timed(timings, "match", _match_phase, run=run, profiles=profiles, snapshot=snapshot,
                          in_scope=None, now=now, counts=counts, searched=searched)
        changed |= _timed(timings, "propagate", _derive_phase, run=run, targets=None, now=now, day=day,
                          counts=counts)
        counts["equipment_updated"] += _timed(timings, "equipment", equipment_risk_refresh)
        counts["vendors_changed"] = len(changed)
        _screening_changed(changed)

    return _execute(run, body, timings)


def screening_run_vendors(*, vendor_ids: Iterable[int], trigger: str = RunTrigger.VENDOR_CHANGE, user=None,
                          include_descendants: bool = True, today: dt.date | None = None,
                          now: dt.datetime | None = None) -> ScreeningRun:
    """Screen these vendors, and re-derive them and everything they own or brand (vendor_descendant_ids)."""
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    ids = set(Vendor.objects.filter(pk__in=list(set(vendor_ids))).values_list("pk", flat=True))
    run = _run_start(trigger, scope={"vendor_ids": sorted(ids)[:1000], "vendors": len(ids)}, user=user, now=now)

    def body(counts: dict, timings: dict) -> None:
        snapshot = _timed(timings, "index", list_snapshot)
        run.list_versions = snapshot.versions_used
        run.entry_count = len(snapshot.entries)
        profiles = _timed(timings, "profiles", vendor_profiles, ids)
        run.vendor_count = len(profiles)
        run.save(update_fields=["list_versions", "entry_count", "vendor_count"])
        active_sources = {v.source_id for v in snapshot.versions}
        stale = Match.objects.filter(vendor_id__in=list(ids), closed_at__isnull=True).exclude(
            source_id__in=active_sources)
        changed = _close_matches(stale, reason="list no longer active", now=now)
        changed |= _timed(timings, "match", _match_phase, run=run, profiles=profiles, snapshot=snapshot,
                          in_scope=lambda m: m.source_id in active_sources, now=now, counts=counts)
        targets = ids | (vendor_descendant_ids(ids) if include_descendants else set())
        changed |= _timed(timings, "propagate", _derive_phase, run=run, targets=targets, now=now, day=day,
                          counts=counts)
        if changed:  # equipment added meanwhile is picked up by the full runs and the catch-up task
            counts["equipment_updated"] += _timed(timings, "equipment", equipment_risk_refresh)
        counts["vendors_changed"] = len(changed)
        _screening_changed(changed)

    return _execute(run, body)


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
    run = _run_start(RunTrigger.LIST_ACTIVATION, scope={"list_version_id": version.pk, "source": version.source.code,
                                                        "previous_version_id": previous_id}, user=user, now=now)

    timings: dict[str, float] = {}
    try:  # outside the transaction: reads, index build and matching (CPU only)
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
            snapshot = ListSnapshot(versions=[version], index=_timed(timings, "index", matching.CandidateIndex,
                                                                     records), entries=metas)
            profiles = _timed(timings, "profiles", vendor_profiles, None)
            searched = _timed(timings, "search", _search, profiles, snapshot)
    except Exception as exc:
        _run_finish(run, counts={}, timings=timings, error=f"{exc.__class__.__name__}: {exc}")
        raise

    def body(counts: dict, timings: dict) -> None:
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
        run.list_versions = versions_describe(_active_versions())
        run.entry_count = len(metas)
        if snapshot is not None:
            run.vendor_count = len(profiles)
            source_id = version.source_id
            changed |= _timed(timings, "match", _match_phase, run=run, profiles=profiles, snapshot=snapshot,
                              in_scope=lambda m: m.source_id == source_id and m.external_id in fresh, now=now,
                              counts=counts, searched=searched)
        run.save(update_fields=["list_versions", "entry_count", "vendor_count"])
        if changed:
            targets = changed | vendor_descendant_ids(changed)
            changed |= _timed(timings, "propagate", _derive_phase, run=run, targets=targets, now=now, day=day,
                              counts=counts)
            counts["equipment_updated"] += _timed(timings, "equipment", equipment_risk_refresh)
        counts["vendors_changed"] = len(changed)
        _screening_changed(changed)

    return _execute(run, body, timings)


def screening_demo_run() -> ScreeningRun:
    """Called by load_demo after the demo lists are loaded: one full run."""
    return screening_run_full(trigger=RunTrigger.DEMO)


# ---------------------------------------------------------------------------------------------------------------
# Review


@transaction.atomic
def review_decide(*, match: Match | int, decision: str, reason: str, user, now: dt.datetime | None = None,
                  today: dt.date | None = None) -> ReviewDecision:
    """Confirm or dismiss a match, with a reason. The decision is keyed to (vendor identity, entry content
    hash): it applies to every open match with that key now and on every re-screen, until either side
    changes. Findings and statuses of the vendor and of everything it owns or brands follow at once."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if decision not in Decision.values:
        errors["decision"] = [f"Choose one of: {', '.join(Decision.values)}."]
    if not reason:
        errors["reason"] = ["Say why (it is kept as evidence)."]
    if not getattr(user, "is_authenticated", False):
        errors["user"] = ["A decision needs a signed-in reviewer."]
    if errors:
        raise ApplicationError("The decision is incomplete.", code="invalid", fields=errors)
    match_id = match if isinstance(match, int) else match.pk
    _lock()
    match = Match.objects.select_for_update().select_related("vendor", "source").filter(pk=match_id).first()
    if match is None:
        raise ApplicationError("No such match.", code="not_found", fields={"match": ["Not found."]})
    if match.closed_at is not None:
        raise ApplicationError("This match is closed; decide on an open one.", code="closed",
                               fields={"match": ["Closed."]})
    profile = vendor_profiles([match.vendor_id])[match.vendor_id]
    previous = ReviewDecision.objects.select_for_update().filter(
        vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash, superseded_at__isnull=True
    ).first()
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    record = ReviewDecision.objects.create(
        vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash, source=match.source,
        external_id=match.external_id, vendor=match.vendor, match=match, decision=decision, reason=reason,
        decided_by=user, decided_at=now, entry_name=match.entry_name[:1000],
        vendor_snapshot={"names": profile.names, "identifiers": [list(i) for i in profile.identifiers]},
    )
    if previous is not None:
        previous.superseded_by = record
        previous.save(update_fields=["superseded_by"])
    state = ReviewState.CONFIRMED if decision == Decision.CONFIRM else ReviewState.DISMISSED
    # Every open match with the same key (the same vendor identity may exist as several vendor rows).
    # (The decided match itself too: its stored identity may predate a rename not yet re-screened.)
    affected = list(Match.objects.filter(
        Q(vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash) | Q(pk=match.pk),
        closed_at__isnull=True))
    for m in affected:
        m.review_state, m.decision, m.vendor_identity = state, record, profile.identity
    Match.objects.bulk_update(affected, ["review_state", "decision", "vendor_identity"])
    audit_record(
        action=f"screening.match.{decision}", actor=user, obj=match,
        changes={"review_state": [match.review_state, state], "reason": reason,
                 "entry": match.entry_name, "source": match.source.code,
                 "entry_content_hash": match.entry_content_hash, "vendor_identity": profile.identity,
                 "superseded_decision": previous.pk if previous else None},
    )
    vendor_ids = {m.vendor_id for m in affected}
    run = _run_start(RunTrigger.REVIEW, scope={"vendor_ids": sorted(vendor_ids), "decision_id": record.pk},
                     user=user, now=now)
    counts, timings = _new_counts(), {}
    targets = vendor_ids | vendor_descendant_ids(vendor_ids)
    changed = _timed(timings, "propagate", _derive_phase, run=run, targets=targets, now=now,
                     day=today or timezone.localdate(now), counts=counts)
    if changed:
        counts["equipment_updated"] += _timed(timings, "equipment", equipment_risk_refresh)
    _screening_changed(changed | vendor_ids)
    _run_finish(run, counts=counts, timings=timings)
    return record


# ---------------------------------------------------------------------------------------------------------------
# Pre-purchase check


def _identifiers_parse(identifiers: Iterable[dict | str | tuple]) -> list[tuple[str, str]]:
    out = []
    for item in identifiers or ():
        if isinstance(item, dict):
            scheme, value = item.get("scheme", ""), item.get("value", "")
        elif isinstance(item, str):
            scheme, _, value = item.partition(":")
        else:
            scheme, value = item[0], item[1]
        scheme, value = str(scheme).strip(), str(value).strip()
        if not scheme or not value:
            raise ApplicationError(f"An identifier needs a scheme and a value (scheme:value), got {item!r}.",
                                   code="invalid", fields={"identifiers": ["Use scheme:value, e.g. lei:5299..."]})
        out.append((scheme.lower(), value))
    return out


def screen_name(*, name: str, country: str = "", identifiers: Iterable = (), user=None, organization=None,
                save: bool = False, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """May I buy from them? Screen a name (not necessarily a vendor) against the active lists.

    Returns one JSON-ready dict: query, verdict (clear|potential_match|restricted|prohibited), matches
    [{source, entry_id, entry_name, matched_name, score, explanation, ...}], versions (id + sha256),
    registry (vendors of the registry with exactly this name/alias/identifier, with their open findings,
    e.g. derived through ownership; they count in the verdict), and with save=True the id of the
    PrePurchaseCheck kept as evidence (who, when, organisation, answer).
    """
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    name = " ".join((name or "").split())
    country = (country or "").strip().upper()
    if not name:
        raise ApplicationError("Give a company name to check.", code="invalid", fields={"name": ["Required."]})
    if len(name) > 300:
        raise ApplicationError("The name is too long (300 characters at most).", code="invalid",
                               fields={"name": ["Too long."]})
    if country and (len(country) != 2 or not country.isalpha()):
        raise ApplicationError("The country must be an ISO 3166 alpha-2 code such as CN.", code="invalid",
                               fields={"country": ["Two letters, e.g. CN."]})
    idents = _identifiers_parse(identifiers)
    snapshot = list_snapshot()
    results = snapshot.index.search([name], countries=[country] if country else [], identifiers=idents,
                                    min_score=matching.THRESHOLDS.get("potential"), limit=25)
    sources = {s.pk: s for s in ListSource.objects.filter(pk__in={snapshot.entries[r.key].source_id
                                                                  for r in results if r.key in snapshot.entries})}
    policies = _policies()
    matches, statuses = [], []
    for r in results:
        meta = snapshot.entries.get(r.key)
        if meta is None:
            continue
        source = sources[meta.source_id]
        policy = policy_choose(policies, regime=source.regime, source_code=source.code, sub_list=meta.sub_list,
                               programs=meta.programs, day=day)
        confirmed = r.strength in _auto_confirm_strengths()
        status = (policy.status if policy else RiskStatus.RESTRICTED) if confirmed else RiskStatus.POTENTIAL_MATCH
        statuses.append(status)
        matches.append({
            "source": source.code, "source_name": source.name, "entry_id": meta.external_id,
            "entry_pk": meta.id, "entry_name": meta.primary_name, "matched_name": r.entry_name or r.query_name,
            "query_name": r.query_name, "score": round(float(r.score), 4), "strength": r.strength,
            "status": status, "policy": policy.name if policy else "", "sub_list": meta.sub_list,
            "listed_on": meta.listed_on.isoformat() if meta.listed_on else None,
            "list_version_id": meta.version_id, "entry_content_hash": meta.content_hash,
            "features": {k: round(float(v), 4) for k, v in (r.features or {}).items()},
            "explanation": r.explanation,
        })
    registry = _registry_vendors_for(name=name, identifiers=idents)
    statuses += [f["status"] for v in registry for f in v["findings"]]
    result = {
        "query": {"name": name, "country": country, "identifiers": [{"scheme": s, "value": v} for s, v in idents]},
        "verdict": risk_worst(*statuses),
        "matches": matches,
        "registry": registry,
        "versions": snapshot.versions_used,
        "algorithm_version": matching.ALGORITHM_VERSION,
        "thresholds": dict(matching.THRESHOLDS),
        "checked_at": now.isoformat(),
    }
    if save:
        result["check_id"] = pre_purchase_check_save(result=result, user=user, organization=organization,
                                                     now=now).pk
    return result


def _registry_vendors_for(*, name: str, identifiers: list[tuple[str, str]]) -> list[dict]:
    """Registry vendors with exactly this name or alias (case-insensitive) or one of these identifiers, with
    their open findings: the registry may know who owns them (e.g. ZPMC, controlled by a listed company) when
    no list names them. Three queries."""
    cond = Q(name__iexact=name) | Q(aliases__name__iexact=name)
    for scheme, value in identifiers:
        cond |= Q(identifiers__scheme=scheme, identifiers__value=matching.canonical_identifier_value(value, scheme))
    vendors = list(Vendor.objects.filter(cond).distinct().order_by("name")[:5])
    findings: dict[int, list[dict]] = defaultdict(list)
    for f in Finding.objects.filter(vendor__in=vendors, closed_at__isnull=True).select_related("source"):
        findings[f.vendor_id].append({"finding_id": f.pk, "kind": f.kind, "source": f.source.code,
                                      "status": f.status, "status_reason": f.status_reason,
                                      "path_text": f.path_text})
    return [{"vendor_id": v.pk, "vendor_name": v.name, "risk_status": v.risk_status,
             "findings": findings.get(v.pk, [])} for v in vendors]


@transaction.atomic
def pre_purchase_check_save(*, result: dict, user=None, organization=None,
                            now: dt.datetime | None = None) -> PrePurchaseCheck:
    """Keep a screen_name answer as evidence (append-only), with an audit event."""
    payload = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    check = PrePurchaseCheck.objects.create(
        created_at=now or timezone.now(), requested_by=user if getattr(user, "is_authenticated", False) else None,
        organization=organization, query_name=payload["query"]["name"][:300], query=payload["query"],
        verdict=payload["verdict"], list_versions=payload["versions"],
        algorithm_version=payload.get("algorithm_version", ""), result=payload, result_sha256=digest,
    )
    audit_record(action="screening.check.create", actor=user, obj=check,
                 organization_id=organization.pk if organization else None,
                 changes={"query": payload["query"], "verdict": payload["verdict"], "sha256": digest})
    return check
