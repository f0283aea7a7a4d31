"""Phases 2 and 3 of a run: findings per vendor, direct or derived through ownership (by each source's regime)
and OEM relations (apps.screening.engine), upserted by (vendor, key) and closed when they no longer hold; then
Vendor.risk_status from the open findings, bulk-updated by status.

Per view: the public derivation (public lists, registry-wide decisions) runs once and writes the public findings
and Vendor.risk_status; each organisation with private lists or decisions of its own gets a second derivation
(`derive_facts(organization_id=...)`) for the vendors whose findings may differ there (`_view_candidates`); for
those that do differ (`_differing_vendors`) it writes the view's findings (Finding.organization) and an overlay
row with the view's status (VendorOrgStatus), and closes both where the views agree again (kept, so that
`as_of` answers read the view as it was then).

An organisation's view also counts the ownership and OEM changes it has proposed and applies to its own view
while a curator has not decided them (apps.vendors.overlay: one query per derivation): added, changed and removed
links and added and removed OEM relations replace the shared facts there, before propagation."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest

from apps.common import events
from apps.common.choices import RiskStatus, risk_worst
from apps.lists.models import ListSource
from apps.vendors.models import OemRelation, Ownership, Vendor
from apps.vendors.overlay import Overlay, organization_overlay, overlay_organization_ids, overlay_ownership_links
from apps.vendors.selectors import oem_rows_in_view, ownership_links_above, vendor_descendant_ids

from ..choices import ReviewState
from ..engine import (
    MATCH_ROW_FIELDS,
    LinkView,
    PolicyView,
    RuleView,
    WantedFinding,
    finding_derived,
    finding_direct,
    finding_oem,
    listings_from_rows,
    propagation_groups,
)
from ..in_view import matches_in_view
from ..models import Finding, Match, PropagationRule, ReviewDecision, RiskPolicy, ScreeningRun, VendorOrgStatus
from .base import CHUNK, _chunks


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


def _links_all(day: dt.date, exclude: frozenset[int] = frozenset()) -> dict[int, list[LinkView]]:
    out: dict[int, list[LinkView]] = defaultdict(list)
    for pk, owner_id, owned_id, share, kind in Ownership.objects.active_on(day).values_list(
        "pk", "owner_id", "owned_id", "share_percent", "kind"
    ).iterator(chunk_size=5000):
        if pk not in exclude:
            out[owned_id].append(LinkView(owner_id, owned_id, share, kind))
    return out


def _link_view(link: Ownership, owned_id: int) -> LinkView:
    return LinkView(link.owner_id, owned_id, link.share_percent, link.kind)


def _links_above(vendor_ids: set[int], day: dt.date, overlay: Overlay | None = None) -> dict[int, list[LinkView]]:
    """The links above `vendor_ids` in force on `day`, in the view `overlay` applies (the one merge:
    apps.vendors.selectors.ownership_links_above)."""
    out: dict[int, list[LinkView]] = defaultdict(list)
    for chunk in _chunks(sorted(vendor_ids)):
        _link_views_add(out, ownership_links_above(set(chunk), as_of=day, overlay=overlay))
    return out


def _link_views(links_by_owned: dict[int, list[Ownership]]) -> dict[int, list[LinkView]]:
    """The engine's links of links already read (an OwnershipChain's `links_by_owned`, in the view it was read
    in): no query."""
    out: dict[int, list[LinkView]] = defaultdict(list)
    _link_views_add(out, links_by_owned)
    return out


def _link_views_add(out: dict[int, list[LinkView]], links_by_owned: dict[int, list[Ownership]]) -> None:
    for owned_id, links in links_by_owned.items():
        for link in links:
            view = _link_view(link, owned_id)
            if view not in out[owned_id]:
                out[owned_id].append(view)


def _overlay_touched(overlay: Overlay) -> set[int]:
    """Every vendor an overlay's facts name: the owned vendors and brands, the owners and manufacturers (of
    changed and removed facts too: two queries, whatever their number)."""
    touched = overlay.vendor_ids() | overlay.counterpart_ids()
    link_ids = overlay.ownership_removed | set(overlay.ownership_changed)
    if link_ids:
        for owner_id, owned_id in Ownership.objects.filter(pk__in=list(link_ids)).values_list("owner_id",
                                                                                            "owned_id"):
            touched |= {owner_id, owned_id}
    if overlay.oem_removed:
        for brand_id, manufacturer_id in OemRelation.objects.filter(pk__in=list(overlay.oem_removed)).values_list(
                "brand_id", "manufacturer_id"):
            touched |= {brand_id, manufacturer_id}
    return touched


def _match_rows(organization_id: int | None, vendor_ids: list[int] | None) -> list[tuple]:
    """The open matches in one view, in MATCH_ROW_FIELDS order, with the review state in force there (the one
    rule: apps.screening.in_view.matches_in_view, also behind the review queue and the match API).

    Public view (None): matches of public lists, with the registry-wide decision (Match.review_state).
    An organisation's view: the same plus the matches of its own private lists, with its own decisions before
    the registry-wide ones. Dismissed matches are left out."""
    qs = matches_in_view(organization_id).filter(closed_at__isnull=True).exclude(
        view_review_state=ReviewState.DISMISSED)
    if vendor_ids is not None:
        qs = qs.filter(vendor_id__in=vendor_ids)
    fields = tuple("view_review_state" if f == "review_state" else f for f in MATCH_ROW_FIELDS)
    return list(qs.values_list(*fields))


def decisions_of(organization_id: int, identities: set[str] | None = None) -> dict[tuple[str, str], str]:
    """An organisation's own current decisions, {(vendor identity, entry content hash): decision}."""
    qs = ReviewDecision.objects.filter(organization_id=organization_id, superseded_at__isnull=True)
    if identities is None:
        return {(i, h): d for i, h, d in qs.values_list("vendor_identity", "entry_content_hash", "decision")}
    out: dict[tuple[str, str], str] = {}
    for chunk in _chunks(sorted(identities)):
        out.update({(i, h): d for i, h, d in qs.filter(vendor_identity__in=chunk).values_list(
            "vendor_identity", "entry_content_hash", "decision")})
    return out


def view_organizations() -> set[int]:
    """Organisations whose view may differ from the public one: with open matches on their private lists, own
    current decisions, pending proposals applied to their own view (apps.vendors.overlay), or rows left from
    before (overlay statuses, private findings) that may need closing."""
    orgs = set(Match.objects.filter(closed_at__isnull=True, source__organization__isnull=False)
               .values_list("source__organization_id", flat=True).distinct())
    orgs |= set(ReviewDecision.objects.filter(organization__isnull=False, superseded_at__isnull=True)
                .values_list("organization_id", flat=True).distinct())
    orgs |= set(VendorOrgStatus.objects.values_list("organization_id", flat=True).distinct())
    orgs |= set(Finding.objects.filter(closed_at__isnull=True, organization__isnull=False)
                .values_list("organization_id", flat=True).distinct())
    orgs |= overlay_organization_ids()
    return orgs


def _view_candidates(organization_id: int) -> set[int]:
    """Vendors whose findings in the organisation's view may differ from the public view (full runs): those with
    matches on its private lists or with its own decisions, those its pending proposals applied to its own view
    name (apps.vendors.overlay), what they own or brand, and those with an overlay row or findings of the view
    now (so that rows which no longer differ are removed)."""
    seeds = set(Match.objects.filter(closed_at__isnull=True, source__organization_id=organization_id)
                .values_list("vendor_id", flat=True))
    identities = {i for i, _h in decisions_of(organization_id)}
    for chunk in _chunks(sorted(identities)):
        seeds |= set(Match.objects.filter(closed_at__isnull=True, vendor_identity__in=chunk)
                     .values_list("vendor_id", flat=True))
    overlay = organization_overlay(organization_id)
    if not overlay.empty:
        seeds |= _overlay_touched(overlay)
    seeds |= vendor_descendant_ids(seeds)
    seeds |= set(VendorOrgStatus.objects.filter(organization_id=organization_id).values_list("vendor_id", flat=True))
    seeds |= set(Finding.objects.filter(closed_at__isnull=True, organization_id=organization_id)
                 .values_list("vendor_id", flat=True))
    return seeds


def derive_facts(*, targets: set[int] | None, day: dt.date, organization_id: int | None = None
                 ) -> dict[int, dict[str, WantedFinding]]:
    """The findings `targets` (every vendor when None) should have in one view (public when organization_id is
    None), from the open matches in that view, the ownership links and OEM relations in force on `day`; in an
    organisation's view, with the changes it applies to its own view (apps.vendors.overlay). Reads only; the
    callers write."""
    overlay = organization_overlay(organization_id) if organization_id is not None else None
    if overlay is not None and overlay.empty:
        overlay = None
    if targets is None:
        target_ids = set(Vendor.objects.values_list("pk", flat=True))
        oem_rels = [(r.brand_id, r.manufacturer_id, r.category) for r in oem_rows_in_view(overlay=overlay)
                    if r.brand_id in target_ids]
        links = _links_all(day, frozenset(overlay.ownership_dropped) if overlay else frozenset())
        for link in overlay_ownership_links(overlay, day) if overlay else ():
            if _link_view(link, link.owned_id) not in links[link.owned_id]:
                links[link.owned_id].append(_link_view(link, link.owned_id))
    else:
        target_ids = set(targets)
        oem_rels = []
        for chunk in _chunks(sorted(target_ids)):
            oem_rels += [(r.brand_id, r.manufacturer_id, r.category)
                         for r in oem_rows_in_view(set(chunk), overlay=overlay)]
        # In the view: the links the overlay adds or changes are walked up too (their owners' owners).
        links = _links_above(target_ids | {m for _b, m, _c in oem_rels}, day, overlay)
    manufacturers = {m for _b, m, _c in oem_rels}
    involved = target_ids | manufacturers | {lk.owner_id for ls in links.values() for lk in ls}

    names: dict[int, str] = {}
    for chunk in _chunks(sorted(involved)):
        names.update(Vendor.objects.filter(pk__in=chunk).values_list("pk", "name"))

    sources = {s.pk: s for s in ListSource.objects.all()}
    policies = _policies()
    rules = _rules(day)
    match_rows = []
    if targets is None:
        match_rows = _match_rows(organization_id, None)
    else:
        for chunk in _chunks(sorted(involved)):
            match_rows += _match_rows(organization_id, chunk)
    direct_by_vendor, listings = listings_from_rows(match_rows, sources=sources, policies=policies, day=day)
    groups = propagation_groups(listings, rules, links)

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
    return wanted


def _derive_phase(*, run: ScreeningRun, targets: set[int] | None, now: dt.datetime, day: dt.date,
                  counts: dict[str, int], public: bool = True, organizations: set[int] | None = None) -> set[int]:
    """Recompute the open findings of `targets` (every vendor when None) and their statuses: the public view
    (public-list findings, Vendor.risk_status) once, then, for each organisation whose view may differ
    (`organizations`, default view_organizations()), the findings and overlay status (VendorOrgStatus) of the
    vendors it sees differently. Returns the vendors whose findings or status changed."""
    changed: set[int] = set()
    if public:
        wanted = derive_facts(targets=targets, day=day)
        changed |= _findings_apply(run=run, wanted=wanted, now=now, counts=counts, full=targets is None)
        changed |= _vendor_statuses_apply(wanted=wanted, counts=counts, full=targets is None)
    for organization_id in sorted(view_organizations() if organizations is None else organizations):
        org_targets = _view_candidates(organization_id) if targets is None else set(targets)
        wanted = derive_facts(targets=org_targets, day=day, organization_id=organization_id)
        differing = _differing_vendors(wanted)
        own = {v: (fs if v in differing else {}) for v, fs in wanted.items()}
        changed |= _findings_apply(run=run, wanted=own, now=now, counts=counts, organization_id=organization_id)
        changed |= _org_statuses_apply(organization_id=organization_id, wanted=wanted, differing=differing,
                                       full=targets is None, now=now, counts=counts)
    return changed


def _differing_vendors(wanted: dict[int, dict[str, WantedFinding]]) -> set[int]:
    """The vendors of `wanted` (one organisation's view) whose findings there differ from their open public
    findings (written just before by the public derivation)."""
    differing: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        public: dict[int, dict[str, tuple]] = defaultdict(dict)
        for f in Finding.objects.filter(closed_at__isnull=True, organization__isnull=True, vendor_id__in=chunk):
            public[f.vendor_id][f.key] = _finding_comparable(f)
        for vendor_id in chunk:
            view = {key: w.comparable() for key, w in wanted[vendor_id].items()}
            if view != public.get(vendor_id, {}):
                differing.add(vendor_id)
    return differing


def _org_statuses_apply(*, organization_id: int, wanted: dict[int, dict[str, WantedFinding]], differing: set[int],
                        full: bool, now: dt.datetime, counts: dict[str, int]) -> set[int]:
    """VendorOrgStatus rows of one organisation for the vendors of `wanted`: a current row (with the view's
    status) where the view's findings differ from the public ones, opened at `now` (`since`) when there was
    none; the current row closed at `now` (`until`, kept for as_of answers) where they agree (and, on a full
    run, for every vendor not looked at). A changed status of a current row is updated in place: the status
    at a past moment is read from the findings open then. Four queries per chunk, as with deletes."""
    changed: set[int] = set()
    for chunk in _chunks(sorted(wanted)):
        public = dict(Vendor.objects.filter(pk__in=chunk).values_list("pk", "risk_status"))
        current = {row.vendor_id: row for row in VendorOrgStatus.objects.filter(
            organization_id=organization_id, vendor_id__in=chunk)}
        to_create, to_update, to_close = [], [], []
        for vendor_id in chunk:
            if vendor_id not in public:
                continue
            status = risk_worst(*(f.status for f in wanted[vendor_id].values()))
            row = current.get(vendor_id)
            if vendor_id not in differing:
                if row is not None:
                    to_close.append(row.pk)
                    changed.add(vendor_id)
            elif row is None:
                to_create.append(VendorOrgStatus(vendor_id=vendor_id, organization_id=organization_id,
                                                 risk_status=status, since=now))
                changed.add(vendor_id)
            elif row.risk_status != status:
                row.risk_status = status
                to_update.append(row)
                changed.add(vendor_id)
        VendorOrgStatus.objects.bulk_create(to_create)
        VendorOrgStatus.objects.bulk_update(to_update, ["risk_status"])
        VendorOrgStatus.objects.filter(pk__in=to_close).update(until=_period_end(now))
    if full:
        stale = VendorOrgStatus.objects.filter(organization_id=organization_id).exclude(vendor_id__in=list(wanted))
        stale_ids = set(stale.values_list("vendor_id", flat=True))
        if stale_ids:
            stale.update(until=_period_end(now))
        changed |= stale_ids
    counts["view_statuses_changed"] += len(changed)
    return changed


def _period_end(now: dt.datetime) -> Greatest:
    """`now`, or the period's own start if that is later (a clock a little behind the one that opened it): a
    period never ends before it starts (vendororgstatus_period_ordered)."""
    return Greatest(F("since"), Value(now, output_field=DateTimeField()))


FINDING_FIELDS = [
    "kind", "source_id", "regime", "propagation", "sub_list", "external_id", "entry_name", "listed_on",
    "entry_scope", "entry_scope_categories", "match_id",
    "root_match_ids", "via_vendor_id", "path", "path_text", "status", "status_reason", "categories", "other_status",
    "policy_id", "aggregate_percent",
]


def _finding_comparable(f: Finding) -> tuple:
    from decimal import Decimal

    return (f.kind, f.source_id, f.regime, f.propagation, f.sub_list, f.external_id, f.entry_name, f.listed_on,
            f.entry_scope, f.entry_scope_categories,
            f.match_id, sorted(f.root_match_ids or []), f.via_vendor_id, f.path_text, f.status, f.status_reason,
            sorted(f.categories or []), f.other_status, f.policy_id,
            None if f.aggregate_percent is None else Decimal(f.aggregate_percent))


def _findings_apply(*, run: ScreeningRun, wanted: dict[int, dict[str, WantedFinding]], now: dt.datetime,
                    counts: dict[str, int], full: bool = False, organization_id: int | None = None) -> set[int]:
    """Upsert the open findings of one view (public: organization_id None; else that organisation's private-list
    findings) for the vendors of `wanted`, and close the others of that view."""
    changed: set[int] = set()
    announced: dict[str, list[int]] = {"finding.opened": [], "finding.closed": [], "finding.status_changed": []}
    in_view = Finding.objects.filter(closed_at__isnull=True, organization_id=organization_id)
    if full:
        # Every vendor is a target: read the open findings once and visit only vendors that have some.
        open_by_vendor: dict[int, list[Finding]] = defaultdict(list)
        for f in in_view:
            open_by_vendor[f.vendor_id].append(f)
        visit = sorted({v for v, fs in wanted.items() if fs} | set(open_by_vendor))
    else:
        open_by_vendor = None
        visit = sorted(wanted)
    for chunk in _chunks(visit):
        if open_by_vendor is not None:
            existing = {(f.vendor_id, f.key): f for v in chunk for f in open_by_vendor.get(v, [])}
        else:
            existing = {(f.vendor_id, f.key): f for f in in_view.filter(vendor_id__in=chunk)}
        to_create, to_update, to_close = [], [], []
        for vendor_id in chunk:
            for key, w in wanted.get(vendor_id, {}).items():
                values = {name: getattr(w, name) for name in FINDING_FIELDS}
                current = existing.pop((vendor_id, key), None)
                if current is None:
                    to_create.append(Finding(vendor_id=vendor_id, organization_id=organization_id, key=key,
                                             discovered_at=now, last_seen_at=now,
                                             first_run=run, last_run=run, **values))
                    changed.add(vendor_id)
                elif _finding_comparable(current) != w.comparable():
                    if current.status != values.get("status", current.status):
                        announced["finding.status_changed"].append(current.pk)
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
        announced["finding.opened"].extend(f.pk for f in to_create if f.pk is not None)
        announced["finding.closed"].extend(f.pk for f in to_close)
        counts["findings_opened"] += len(to_create)
        counts["findings_updated"] += len(to_update)
        counts["findings_closed"] += len(to_close)
    # Webhooks: one event per type for this view and run, carrying the finding ids (a public finding, view
    # None: every organisation's endpoints, each its own delivery; a private list's: its organisation's).
    events.publish_activities([
        events.RegistryActivity(type=kind, organization_id=organization_id, object_kind="finding",
                                object_ids=tuple(ids)) for kind, ids in announced.items() if ids])
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
