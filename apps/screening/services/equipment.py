"""Phase 4 of a run, and the refresh of single units: Equipment.risk_status/risk_reason from the open findings
of the vendors behind each unit (brand, real maker, software supplier, components), bulk-updated by (product
model, category) groups and by the equipment with flagged components; never one save per row."""
from __future__ import annotations

import itertools
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import reduce

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from apps.common import events
from apps.common.choices import RISK_ORDER, RiskStatus, risk_worst
from apps.inventory.models import BomComponent, Component, Equipment, ProductModel, Site
from apps.inventory.services import equipment_counts_refresh, equipment_counts_touch

from ..choices import FindingKind
from ..models import Finding, UnitDeclaration, VendorOrgStatus
from .base import _chunks

ROLE_LABELS = {"brand": "Brand", "manufacturer": "Manufacturer", "software_supplier": "Software supplier",
               "component": "Component", "bom": "Component", "declared": "Declared"}


@dataclass
class VendorFlags:
    """A flagged vendor's open findings, reduced to what equipment needs: status per category."""

    name: str
    # (status, categories, other_status, short text, path: "X <- controlled by Y <- listed: ...")
    findings: list[tuple[str, tuple[str, ...], str, str, str]]

    def for_category(self, category: str, *, path: bool = False) -> tuple[str, str]:
        """The worst status for `category`, with the short reason (with `path`, the finding's whole path)."""
        worst, text = RiskStatus.CLEAR.value, ""
        for status, categories, other, short, path_text in self.findings:
            s = status if (not categories or category in categories) else (other or RiskStatus.CLEAR)
            if RISK_ORDER.get(s, 0) > RISK_ORDER[worst]:
                worst, text = s, (path_text or short) if path else short
        return worst, text


def _flagged_vendors(vendor_ids: Iterable[int] | None = None, *, organization_id: int | None = None
                     ) -> dict[int, VendorFlags]:
    """Open findings per flagged vendor (of `vendor_ids` only, when given) in one view (Finding.objects.in_view:
    the public one when `organization_id` is None)."""
    flags: dict[int, VendorFlags] = {}
    open_findings = Finding.objects.in_view(organization_id).filter(closed_at__isnull=True)
    if vendor_ids is not None:
        open_findings = open_findings.filter(vendor_id__in=list(vendor_ids))
    rows = open_findings.values_list(
        "vendor_id", "vendor__name", "status", "categories", "other_status", "kind", "source__name", "status_reason",
        "path_text").order_by("vendor_id", "id")
    for vendor_id, name, status, categories, other, kind, source_name, reason, path_text in rows:
        short = source_name if kind == FindingKind.DIRECT else f"{source_name} via {kind}"
        if status == RiskStatus.POTENTIAL_MATCH:
            short = f"{short}: {reason}" if reason else short
        flags.setdefault(vendor_id, VendorFlags(name, [])).findings.append(
            (status, tuple(categories or ()), other or "", short, path_text or "")
        )
    return flags


def _bom_part_label(name: str, parent_name: str | None) -> str:
    return f"{name} (in {parent_name})" if parent_name else name


def _bom_part(flags: VendorFlags, category: str, name: str, parent_name: str | None) -> tuple[str, str, str, str]:
    """A part of a unit's bill of materials as a contributor: "Component <part> by <vendor>", with the finding's
    path as the reason ("<vendor> <- controlled by <owner> <- listed: ...")."""
    status, path = flags.for_category(category, path=True)
    return ("bom", f"{_bom_part_label(name, parent_name)} by {flags.name}", status, path)


def _bom_current(flagged_ids: list[int]):
    """Parts of the BOM versions in force whose vendor is one of `flagged_ids`."""
    return BomComponent.objects.filter(document__is_current=True, supplier_id__in=flagged_ids)


def _bom_flagged_units(flagged_ids: list[int]) -> Q:
    """Units that a flagged vendor reaches through a BOM in force: the unit's own, or its organisation's BOM of its
    product model."""
    current = _bom_current(flagged_ids)
    return (Q(Exists(current.filter(document__equipment_id=OuterRef("pk"))))
            | Q(Exists(current.filter(document__product_model_id=OuterRef("product_model_id"),
                                      document__organization_id=OuterRef("site__organization_id")))))


def _bom_parts_for(units, flags: dict[int, VendorFlags]) -> dict[int, list[tuple[str, str, str, str]]]:
    """{unit id: its BOM parts from flagged vendors, as contributors}, for the units of `units` (a queryset)."""
    parts: dict[int, list] = defaultdict(list)
    rows = list(_bom_current(list(flags)).values_list(
        "document__equipment_id", "document__product_model_id", "document__organization_id", "name", "parent__name",
        "supplier_id").order_by("document_id", "pk"))
    if not rows:
        return parts
    by_unit: dict[int, list] = defaultdict(list)
    by_model: dict[tuple[int, int], list] = defaultdict(list)
    for eq_id, pm_id, org_id, name, parent_name, vendor_id in rows:
        if eq_id:
            by_unit[eq_id].append((name, parent_name, vendor_id))
        else:
            by_model[(pm_id, org_id)].append((name, parent_name, vendor_id))
    targets: list[tuple[int, str, list]] = []
    for chunk in _chunks(sorted(by_unit), 5000):
        targets += [(pk, cat, by_unit[pk]) for pk, cat in units.filter(pk__in=chunk).values_list("pk", "category")]
    for (pm_id, org_id), listed in by_model.items():
        targets += [(pk, cat, listed) for pk, cat in units.filter(
            product_model_id=pm_id, site__organization_id=org_id).values_list("pk", "category").iterator(
            chunk_size=5000)]
    for pk, category, listed in targets:
        for name, parent_name, vendor_id in listed:
            parts[pk].append(_bom_part(flags[vendor_id], category, name, parent_name))
    return parts


def _combine(parts: list[tuple[str, str, str, str]]) -> tuple[str, str]:
    """parts: (role, vendor name, status, short). Worst status, and a reason naming every contributor at it. A
    declaration (role "declared", UnitDeclaration) carries its whole reason in `short` and no vendor name."""
    worst = risk_worst(*(p[2] for p in parts))
    if worst == RiskStatus.CLEAR:
        return worst, ""
    reasons = []
    for role, name, status, short in parts:
        if status == worst:
            label = RiskStatus(status).label.lower()
            text = f"{short} ({label})" if role == "declared" else f"{ROLE_LABELS[role]} {name}: {label} ({short})"
            if text not in reasons:
                reasons.append(text)
    return worst, "; ".join(reasons[:4])


def _declared_parts(rows) -> dict[int, list[tuple[str, str, str, str]]]:
    """{unit id: its open declarations as contributors}, from (equipment id, status, reason) rows."""
    parts: dict[int, list] = defaultdict(list)
    for eq_id, status, reason in rows:
        parts[eq_id].append(("declared", "", status, reason))
    return parts


def _private_views() -> dict[int, list[int]]:
    """{organisation that sees some vendor differently (VendorOrgStatus): its site ids}: their units are
    refreshed in their own view."""
    orgs = set(VendorOrgStatus.objects.values_list("organization_id", flat=True).distinct())
    sites: dict[int, list[int]] = {o: [] for o in orgs}
    for site_id, org_id in Site.objects.filter(organization_id__in=orgs).values_list("pk", "organization_id"):
        sites[org_id].append(site_id)
    return sites


def equipment_ids_for_vendors(vendor_ids: Iterable[int], *, organization_id: int | None = None) -> Iterator[int]:
    """The units a vendor reaches (brand, real maker or software supplier of their product model, a recorded
    component, a part of a BOM in force), of one organisation when given; ascending, streamed (never the whole
    table in memory: a vendor reaches at most its own units)."""
    ids = sorted({int(v) for v in vendor_ids})
    if not ids:
        return iter(())
    units = Equipment.objects.all()
    if organization_id is not None:
        units = units.filter(site__organization_id=organization_id)
    models = ProductModel.objects.filter(Q(brand_id__in=ids) | Q(manufacturer_id__in=ids)
                                         | Q(software_supplier_id__in=ids)).values("pk")
    parts = Component.objects.filter(vendor_id__in=ids).values("equipment_id")
    bom = _bom_current(ids)
    # One UNION of index-driven branches, not one WHERE with ORs: an OR of the three conditions (and the BOM's
    # correlated EXISTS) reads every unit of the registry (0.7 s at 1,000,000 units for a vendor of 600 units).
    branches = [units.filter(product_model_id__in=models), units.filter(pk__in=parts),
                units.filter(pk__in=bom.filter(document__equipment_id__isnull=False).values("document__equipment_id"))]
    by_model = set(bom.filter(document__equipment_id__isnull=True).order_by()
                   .values_list("document__product_model_id", "document__organization_id").distinct())
    if by_model:  # the organisations' BOMs of a product model: a few (model, organisation) pairs
        branches.append(units.filter(reduce(operator.or_, (Q(product_model_id=pm, site__organization_id=org)
                                                            for pm, org in sorted(by_model)))))
    first, *rest = (branch.order_by().values_list("pk", flat=True) for branch in branches)
    return first.union(*rest).order_by("pk").iterator(chunk_size=5000)


@transaction.atomic
def equipment_risk_refresh(*, organization_id: int | None = None, vendor_ids: Iterable[int] | None = None) -> int:
    """Recompute Equipment.risk_status/risk_reason from the open findings, in bulk, each unit in its own
    organisation's view (Finding.objects.in_view): one pass over the units of organisations that see every vendor
    as the public does, one per organisation that sees some vendor differently, over its own sites. With
    `organization_id`, only that organisation's units (a change to its view alone, e.g. its own review decision).

    With `vendor_ids` (the vendors whose findings or status a run changed), only the units those vendors reach,
    chunk by chunk through equipment_risk_refresh_units: the work is proportional to those units, not to the
    registry. Either way only the sites whose units changed are recounted (SiteEquipmentCount).
    Returns rows written."""
    if vendor_ids is not None:
        written = 0
        for chunk in _chunks(equipment_ids_for_vendors(vendor_ids, organization_id=organization_id), 2000):
            written += equipment_risk_refresh_units(chunk)
        return written
    changed: list[int] = []
    if organization_id is not None:
        sites = list(Site.objects.filter(organization_id=organization_id).values_list("pk", flat=True))
        flags = _flagged_vendors(organization_id=organization_id)  # its view (the public one without overlays)
        written = _refresh_view(flags, only_sites=sites, changed=changed)
    else:
        views = _private_views()
        private_sites = [s for sites in views.values() for s in sites]
        written = _refresh_view(_flagged_vendors(), exclude_sites=private_sites, changed=changed)
        for view_id, sites in sorted(views.items()):
            written += _refresh_view(_flagged_vendors(organization_id=view_id), only_sites=sites, changed=changed)
    known = _changed_units(changed)  # one read of the written units: their sites' tallies and the webhooks
    if written:  # the bulk UPDATEs send no signals: recount the tallies of the sites whose units changed
        equipment_counts_refresh(site_ids={facet[0] for _org, facet in known.values()})
    _announce_units(known, known)
    return written


def _changed_units(equipment_ids: list[int]) -> dict[int, tuple[int, tuple[int, str, str]]]:
    """id -> (organisation, (site, category, risk status)) of the given units as written, by chunks of ids."""
    known: dict[int, tuple[int, tuple[int, str, str]]] = {}
    for chunk in _chunks(sorted(set(equipment_ids)), 5000):
        for pk, org_id, site_id, category, status in Equipment.objects.filter(pk__in_ids=set(chunk)).order_by(
                ).values_list("pk", "site__organization_id", "site_id", "category", "risk_status"):
            known[pk] = (org_id, (site_id, category, status))
    return known


def _announce_units(equipment_ids: Iterable[int], known: dict[int, tuple[int, tuple[int, str, str]]]) -> None:
    """One `unit.status_changed` per organisation for the whole refresh, carrying the ids of its units whose
    risk status changed, each with its (site, category, new risk status) so the webhooks' filters narrow it
    unit by unit and split it into bounded deliveries. Never one event per unit. `known`: id -> (organisation,
    facet), read by the caller after its writes (_changed_units, or the rows it has just written)."""
    by_org: dict[int, list[tuple[int, tuple[int, str, str]]]] = defaultdict(list)
    for pk in sorted(set(equipment_ids)):
        org_id, facet = known[pk]
        by_org[org_id].append((pk, facet))
    events.publish_activities([
        events.RegistryActivity(type="unit.status_changed", organization_id=org_id, object_kind="equipment",
                                object_ids=tuple(pk for pk, _ in rows), object_facets=tuple(f for _, f in rows))
        for org_id, rows in sorted(by_org.items())])


def _update_collecting(qs, changed: list[int] | None, **values) -> int:
    """qs.update(**values), adding the ids written to `changed` (read first, then updated by primary key in
    chunks: the ids feed the batched unit.status_changed event)."""
    if changed is None:
        return qs.update(**values)
    ids = list(qs.values_list("pk", flat=True))
    written = 0
    for chunk in _chunks(ids, 2000):
        written += Equipment.objects.filter(pk__in=chunk).update(**values)
    changed.extend(ids)
    return written


def _refresh_view(flags: dict[int, VendorFlags], *, exclude_sites: list[int] | None = None,
                  only_sites: list[int] | None = None, changed: list[int] | None = None) -> int:
    """Recompute Equipment.risk_status/risk_reason from `flags`, for the units of `only_sites` (when given) or of
    every site but `exclude_sites`. Returns rows written.

    Reads: the open findings (flagged vendors only), their product models, the (id, product model, category,
    current status/reason) of equipment built on those models, the equipment with flagged components. Writes:
    one UPDATE resetting equipment no flagged vendor touches any more, then UPDATEs by primary-key chunks of
    only the rows whose value changes, grouped by (status, reason). No per-row save; in a steady state (nothing
    changed) nothing is written.
    """
    units = Equipment.objects.all()
    comps = Component.objects.all()
    if only_sites is not None:
        units, comps = units.filter(site_id__in=only_sites), comps.filter(equipment__site_id__in=only_sites)
    elif exclude_sites:
        units, comps = units.exclude(site_id__in=exclude_sites), comps.exclude(equipment__site_id__in=exclude_sites)
    flagged_ids = list(flags)
    written = 0
    comp_flagged = comps.filter(vendor_id__in=flagged_ids).values("equipment_id")
    # Units reached by a flagged vendor through a part: a recorded component, or a part of a BOM in force.
    # ... or an open declaration (UnitDeclaration), which counts like a flagged part.
    declared = UnitDeclaration.objects.filter(closed_at__isnull=True)
    part_flagged = (Q(pk__in=comp_flagged) | _bom_flagged_units(flagged_ids)
                    | Q(pk__in=declared.values("equipment_id")))
    pm_rows = list(ProductModel.objects.filter(
        Q(brand_id__in=flagged_ids) | Q(manufacturer_id__in=flagged_ids) | Q(software_supplier_id__in=flagged_ids)
    ).values_list("pk", "brand_id", "manufacturer_id", "software_supplier_id"))
    pm_roles = {pk: [("brand", b), ("manufacturer", m), ("software_supplier", s)] for pk, b, m, s in pm_rows}
    pm_ids = list(pm_roles)

    # 1. Reset equipment that no flagged vendor touches any more (an IN on the indexed status, so only the
    #    flagged rows are visited, not the million clear ones).
    not_clear = [s for s in RiskStatus.values if s != RiskStatus.CLEAR]
    written += _update_collecting(units.filter(risk_status__in=not_clear).exclude(
        product_model_id__in=pm_ids).exclude(part_flagged), changed, risk_status=RiskStatus.CLEAR, risk_reason="")

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
    for eq_id, category, vendor_id in comps.filter(vendor_id__in=flagged_ids).order_by("pk").values_list(
        "equipment_id", "equipment__category", "vendor_id"
    ).iterator(chunk_size=5000):
        status, short = flags[vendor_id].for_category(category)
        component_parts[eq_id].append(("component", flags[vendor_id].name, status, short))
    for eq_id, parts in _bom_parts_for(units, flags).items():
        component_parts[eq_id].extend(parts)
    for eq_id, parts in _declared_parts(declared.filter(equipment_id__in=units.values("pk")).order_by(
            "equipment_id", "pk").values_list("equipment_id", "status", "reason")).items():
        component_parts[eq_id].extend(parts)
    fields = ("pk", "product_model_id", "category", "risk_status", "risk_reason")
    # Two index-friendly reads (by product model; by the components' equipment ids) rather than one OR.
    by_model = units.filter(product_model_id__in=pm_ids).values_list(*fields)
    by_component = units.exclude(product_model_id__in=pm_ids).values_list(*fields)
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
            written += _update_collecting(
                units.filter(product_model_id__in=chunk, category=category)
                .exclude(part_flagged).exclude(risk_status=status, risk_reason=reason),
                changed, risk_status=status, risk_reason=reason)
    for (status, reason), ids in to_write.items():
        for chunk in _chunks(ids, 2000):
            written += Equipment.objects.filter(pk__in=chunk).update(risk_status=status, risk_reason=reason)
        if changed is not None:
            changed.extend(ids)
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
        "product_model__manufacturer_id", "product_model__software_supplier_id", "site__organization_id",
        "product_model_id"))
    components: dict[int, list[int]] = defaultdict(list)
    for eq_id, vendor_id in Component.objects.filter(equipment_id__in=ids).order_by("pk").values_list(
            "equipment_id", "vendor_id"):
        components[eq_id].append(vendor_id)
    # Parts of the BOMs in force for these units (their own, or their organisation's of their product model).
    bom_scope = Q(document__equipment_id__in=ids)
    for pm_id, org_id in {(u[9], u[8]) for u in units}:
        bom_scope |= Q(document__product_model_id=pm_id, document__organization_id=org_id)
    bom_parts = BomComponent.objects.filter(bom_scope, document__is_current=True, supplier__isnull=False)
    bom_vendors = set(bom_parts.order_by().values_list("supplier_id", flat=True).distinct()) if units else set()
    vendor_ids = {v for u in units for v in u[5:8] if v} | {v for vs in components.values() for v in vs}
    vendor_ids |= bom_vendors
    declared = _declared_parts(UnitDeclaration.objects.filter(equipment_id__in=ids, closed_at__isnull=True)
                               .order_by("equipment_id", "pk").values_list("equipment_id", "status", "reason"))
    views: dict[int, dict[int, VendorFlags]] = {}  # each unit in its own organisation's view
    to_write: dict[tuple[str, str], list[int]] = defaultdict(list)
    sites: set[int] = set()
    known: dict[int, tuple[int, tuple[int, str, str]]] = {}  # written units: organisation, (site, category, status)
    flagged_bom: dict[tuple, list] = defaultdict(list)  # (equipment id) or (product model, org) -> parts
    if bom_vendors:
        any_view = set(Finding.objects.filter(vendor_id__in=list(bom_vendors), closed_at__isnull=True)
                       .order_by().values_list("vendor_id", flat=True).distinct())
        for eq_id, pm_id, org_id, name, parent_name, vendor_id in bom_parts.filter(
                supplier_id__in=list(any_view)).order_by("document_id", "pk").values_list(
                "document__equipment_id", "document__product_model_id", "document__organization_id", "name",
                "parent__name", "supplier_id"):
            flagged_bom[(eq_id,) if eq_id else (pm_id, org_id)].append((name, parent_name, vendor_id))
    for pk, site_id, category, status, reason, brand, maker, software, organization_id, pm_id in units:
        if organization_id not in views:
            views[organization_id] = _flagged_vendors(vendor_ids, organization_id=organization_id)
        flags = views[organization_id]
        roles = [("brand", brand), ("manufacturer", maker), ("software_supplier", software)]
        roles += [("component", v) for v in components.get(pk, [])]
        parts = [(role, flags[v].name, *flags[v].for_category(category)) for role, v in roles if v in flags]
        parts += [_bom_part(flags[v], category, name, parent) for name, parent, v in
                  flagged_bom.get((pk,), []) + flagged_bom.get((pm_id, organization_id), []) if v in flags]
        parts += declared.get(pk, [])
        target = _combine(parts)
        if target != (status, reason):
            to_write[target].append(pk)
            sites.add(site_id)
            known[pk] = (organization_id, (site_id, category, target[0]))
    written = 0
    for (status, reason), chunk in to_write.items():
        written += Equipment.objects.filter(pk__in=chunk).update(risk_status=status, risk_reason=reason)
    equipment_counts_touch(sites)
    _announce_units(known, known)
    return written
