"""Screening reads: findings per equipment and per vendor (explained), the review queue, runs and checks.

Every selector here runs a constant number of queries whatever the number of rows asked for.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from apps.common.choices import RISK_ORDER, RiskStatus, equipment_category_labels
from apps.inventory.models import BomComponent, Component, Equipment, ProductModel
from apps.inventory.selectors import BOM_TARGET_FIELDS, bom_parts_in_force, bom_rows_by_unit
from apps.lists.choices import Propagation, Regime
from apps.lists.models import ListSource
from apps.vendors.models import Vendor
from apps.vendors.overlay import Overlay, organization_overlay
from apps.vendors.selectors import vendor_ownership_chain

from .choices import ReviewState
from .engine import listings_from_rows, listings_label, propagation_groups, regime_test
from .in_view import matches_in_view
from .models import (
    Finding,
    Match,
    PrePurchaseCheck,
    PropagationRule,
    ReviewDecision,
    ScreeningRun,
    UnitDeclaration,
    VendorOrgStatus,
)
from .services.derive import _link_views, _match_rows, _policies, _rules

ROLES = ("brand", "manufacturer", "software_supplier")


@dataclass
class EquipmentFinding:
    equipment_id: int
    vendor_id: int
    vendor_name: str
    vendor_role: str  # "brand" | "manufacturer" | "software_supplier" | "component"
    finding_id: int
    source_code: str
    regime: str
    sub_list: str
    listed_on: dt.date | None
    discovered_at: dt.datetime
    status: str  # "prohibited" | "restricted" | "potential_match"
    path_text: str
    kind: str = ""
    source_name: str = ""
    status_reason: str = ""
    entry_scope: str = ""  # the list entry's own scope (FCC Covered List), see Finding.entry_scope
    entry_scope_categories: list[str] | None = None
    entry_name: str = ""  # the listed name the finding comes from (rules' names_any)

    @property
    def entry_scope_category_labels(self) -> list[str] | None:
        if self.entry_scope_categories is None:
            return None
        return equipment_category_labels(self.entry_scope_categories)


ROLE_WORDS = {"brand": "brand", "manufacturer": "real maker", "software_supplier": "software supplier",
              "component": "component"}


def words_joined(words: Iterable[str]) -> str:
    """["brand", "software supplier", "component"] -> "brand, software supplier and component"."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass
class FindingBlock:
    """The findings of one unit that share a listed vendor and its path to the list (the same vendor plays several
    roles, e.g. a crane maker that is also its software supplier and a component vendor, and the same party may
    be named by several list versions): one block on the page, "applies to brand, software supplier and
    component", with every (role, list entry) row kept in `findings` for the details."""

    vendor_id: int
    vendor_name: str
    path_text: str
    status: str
    roles: list[str]
    entries: list[EquipmentFinding]  # one per distinct list entry (finding), in the findings' order
    findings: list[EquipmentFinding]  # every (role, finding) row, as equipment_findings gives them
    # the unit's parts from this vendor when it is a component supplier (equipment_component_names), named in
    # roles_text; empty when not looked up
    parts: list[str] = field(default_factory=list)
    parts_more: int = 0

    @property
    def roles_text(self) -> str:
        """"brand and component “Remote maintenance agent (in Crane control software)”"."""
        return words_joined(self._role_text(r) for r in self.roles)

    def _role_text(self, role: str) -> str:
        word = ROLE_WORDS.get(role, role.replace("_", " "))
        if role != "component" or not self.parts:
            return word
        names = [f"\u201c{n}\u201d" for n in self.parts]
        if self.parts_more:
            names.append(f"{self.parts_more} more")
        return f"{word}{'s' if len(names) > 1 else ''} {words_joined(names)}"

    @property
    def folded(self) -> int:
        """How many rows the block stands for beyond the first (0: nothing folded)."""
        return len(self.findings) - 1


def equipment_findings_folded(findings: Iterable[EquipmentFinding]) -> list[FindingBlock]:
    """One unit's findings (equipment_findings) folded into blocks by (vendor, path to the list entry, status),
    in the order of each block's first finding (worst first). Pure: no query."""
    blocks: dict[tuple[int, str, str], FindingBlock] = {}
    for f in findings:
        key = (f.vendor_id, f.path_text, f.status)
        block = blocks.get(key)
        if block is None:
            block = blocks[key] = FindingBlock(vendor_id=f.vendor_id, vendor_name=f.vendor_name,
                                               path_text=f.path_text, status=f.status, roles=[], entries=[],
                                               findings=[])
        block.findings.append(f)
        if f.vendor_role not in block.roles:
            block.roles.append(f.vendor_role)
        if all(e.finding_id != f.finding_id for e in block.entries):
            block.entries.append(f)
    for block in blocks.values():
        order = {r: i for i, r in enumerate(ROLE_WORDS)}
        block.roles.sort(key=lambda r: order.get(r, len(order)))
    return list(blocks.values())


PARTS_NAMED = 3  # parts named per block; the rest are counted


def equipment_component_names(equipment: Equipment, vendor_ids: Iterable[int]) -> dict[int, tuple[list[str], int]]:
    """{vendor id: (the unit's parts from that vendor, as the risk reason names them, at most PARTS_NAMED; how many
    more)}: the parts of the bills of materials in force for the unit (any depth, "part (in its parent)") and its
    recorded components ("kind name"). Two queries whatever the number of parts."""
    from apps.inventory.choices import ComponentKind

    vendor_ids = set(vendor_ids)
    if not vendor_ids:
        return {}
    names: dict[int, list[str]] = defaultdict(list)
    for vendor_id, kind, name in (Component.objects.filter(equipment=equipment, vendor_id__in=vendor_ids)
                                  .values_list("vendor_id", "kind", "name").order_by("pk")):
        names[vendor_id].append(" ".join(filter(None, (str(ComponentKind(kind).label), name))))
    rows = (bom_parts_in_force(equipment_ids=[equipment.pk],
                               unit_models={equipment.pk: equipment.product_model_id},
                               unit_orgs={equipment.pk: equipment.site.organization_id})
            .filter(supplier_id__in=vendor_ids)
            .values_list("supplier_id", "name", "parent__name").order_by("document_id", "pk"))
    for vendor_id, name, parent_name in rows:
        label = f"{name} (in {parent_name})" if parent_name else name
        if label not in names[vendor_id]:
            names[vendor_id].append(label)
    return {v: (n[:PARTS_NAMED], max(len(n) - PARTS_NAMED, 0)) for v, n in names.items()}


def equipment_blocks_name_parts(equipment: Equipment, blocks: list[FindingBlock]) -> list[FindingBlock]:
    """Name, in each finding block of a component supplier, the unit's parts from it (equipment_component_names)."""
    named = equipment_component_names(equipment, {b.vendor_id for b in blocks if "component" in b.roles})
    for block in blocks:
        if "component" in block.roles and block.vendor_id in named:
            block.parts, block.parts_more = named[block.vendor_id]
    return blocks


def findings_in_view(organization_id: int | None = None, *, as_of: dt.datetime | None = None) -> QuerySet[Finding]:
    """Findings in one view (Finding.objects.in_view): the public findings (None), or for an organisation its own
    rows for the vendors it sees differently (its private lists, its own decisions) and the public findings of
    every other vendor. Another organisation's rows are never in it. With `as_of`, "sees differently" is read
    from the overlay periods in force then (open or closed findings alike: filter them with findings_open_at)."""
    return Finding.objects.in_view(organization_id, as_of=as_of)


def findings_open_at(as_of: dt.datetime | None = None, *, organization_id: int | None = None) -> QuerySet[Finding]:
    """Findings in the view of `organization_id` open now, or open at `as_of` (discovered on or before it and not
    closed by then) in that view as it was then (findings_in_view(as_of=...): the vendors the organisation saw
    differently at that moment, not today)."""
    if as_of is None:
        return findings_in_view(organization_id).filter(closed_at__isnull=True)
    return findings_in_view(organization_id, as_of=as_of).filter(discovered_at__lte=as_of).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))


def vendor_status_annotate(queryset: QuerySet, organization_id: int | None = None, *,
                           field: str = "view_risk_status") -> QuerySet:
    """Vendors annotated with their status in the view of `organization_id`: the organisation's overlay row
    (VendorOrgStatus) where its view differs, else the public Vendor.risk_status. One subquery."""
    if organization_id is None:
        return queryset.annotate(**{field: F("risk_status")})
    overlay = VendorOrgStatus.objects.filter(organization_id=organization_id, vendor_id=OuterRef("pk"))
    return queryset.annotate(**{field: Coalesce(Subquery(overlay.values("risk_status")[:1]), F("risk_status"))})


def vendor_status_in_view(vendor_id: int, organization_id: int | None = None) -> str:
    """One vendor's status in one view (see vendor_status_annotate)."""
    row = vendor_status_annotate(Vendor.objects.filter(pk=vendor_id), organization_id).values_list(
        "view_risk_status", flat=True).first()
    return row or RiskStatus.CLEAR


def _equipment_parts_now(ids: list[int], product_models: dict[int, int] | None = None):
    """(category per unit, (brand, maker, software supplier) per unit, [(unit, component id, vendor)], the
    organisation per unit) now; each unit's product model id into `product_models` when given."""
    categories, models, orgs = {}, {}, {}
    for pk, category, brand, maker, software, organization_id, pm_id in Equipment.objects.filter(
            pk__in_ids=set(ids)).values_list("pk", "category", "product_model__brand_id",
                                             "product_model__manufacturer_id", "product_model__software_supplier_id",
                                             "site__organization_id", "product_model_id"):
        categories[pk] = category
        models[pk] = (brand, maker, software)
        orgs[pk] = organization_id
        if product_models is not None:
            product_models[pk] = pm_id
    components = list(Component.objects.filter(equipment_id__in_ids=set(ids)).values_list(
        "equipment_id", "pk", "vendor_id"))
    return categories, models, components, orgs


def _equipment_parts_at(ids: list[int], as_of: dt.datetime, product_models: dict[int, int] | None = None):
    """The same as they were at `as_of`, from the history tables. A unit, product model or component that has
    no history row at all (written outside the application) is taken as it is now; each unit's product model id
    then into `product_models` when given."""
    categories, models, components, orgs = _equipment_parts_now(ids, product_models)  # the organisation stays
    then = {row.id: row for row in Equipment.history.filter(id__in=ids, history_date__lte=as_of).latest_of_each()}
    pm_ids = {row.product_model_id for row in then.values()}
    pm_then = {row.id: (row.brand_id, row.manufacturer_id, row.software_supplier_id)
               for row in ProductModel.history.filter(id__in=pm_ids, history_date__lte=as_of).latest_of_each()}
    missing = pm_ids - set(pm_then)
    pm_now = {pk: tuple(roles) for pk, *roles in ProductModel.objects.filter(pk__in=missing).values_list(
        "pk", "brand_id", "manufacturer_id", "software_supplier_id")} if missing else {}
    for eq_id, row in then.items():
        if row.history_type == "-":  # deleted by then: nothing applied to it
            categories.pop(eq_id, None)
            models.pop(eq_id, None)
            if product_models is not None:
                product_models.pop(eq_id, None)
            continue
        categories[eq_id] = row.category
        if product_models is not None:
            product_models[eq_id] = row.product_model_id
        models[eq_id] = pm_then.get(row.product_model_id) or pm_now.get(row.product_model_id, (None, None, None))
    tracked = set(Component.history.filter(equipment_id__in=ids).values_list("id", flat=True).distinct())
    parts = [(eq_id, pk, vendor_id) for eq_id, pk, vendor_id in components if pk not in tracked]
    parts += [(row.equipment_id, row.id, row.vendor_id) for row in
              Component.history.filter(equipment_id__in=ids, history_date__lte=as_of).latest_of_each()
              if row.history_type != "-"]
    return categories, models, parts, orgs


def equipment_flag_candidates(as_of: dt.datetime | None = None) -> tuple[Q, Q]:
    """Two conditions on Equipment rows or their history rows (fields ``id`` and ``product_model_id``) that every
    unit with a finding open at `as_of` (now) meets, one or the other: supersets, cheap in SQL, so a count over a
    million units looks up the findings of the few that may be flagged and counts the rest as clear.

    - ``by_model``: a vendor with a finding open then (in any view) is the brand, real maker or software
      supplier of the unit's product model (any version of it, now or in its history), or a supplier in a BOM
      of that product model. What this gives a unit depends only on its product model, category and
      organisation: units alike in those three share their findings.
    - ``own``: such a vendor is one of the unit's own components (any, now or in the history) or a supplier in
      the unit's own BOM: the unit has to be looked up alone.

    A unit meeting neither has no finding in any view. The subqueries never yield NULL (a NULL would make
    ``NOT IN`` unknown and drop a unit from both sides)."""
    flagged = Finding.objects.filter(closed_at__isnull=True) if as_of is None else Finding.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=as_of), discovered_at__lte=as_of)
    vendors = flagged.values("vendor_id")
    roles = Q(brand_id__in=vendors) | Q(manufacturer_id__in=vendors) | Q(software_supplier_id__in=vendors)
    models_now = ProductModel.objects.filter(roles).values("id")
    models_then = ProductModel.history.filter(roles).values("id")
    bom = BomComponent.objects.filter(supplier_id__in=vendors)
    bom_models = bom.filter(document__product_model_id__isnull=False).values("document__product_model_id")
    bom_units = bom.filter(document__equipment_id__isnull=False).values("document__equipment_id")
    with_components = Component.objects.filter(vendor_id__in=vendors).values("equipment_id")
    with_components_then = Component.history.filter(vendor_id__in=vendors).values("equipment_id")
    by_model = (Q(product_model_id__in=models_now) | Q(product_model_id__in=models_then)
                | Q(product_model_id__in=bom_models))
    own = Q(id__in=bom_units) | Q(id__in=with_components) | Q(id__in=with_components_then)
    return by_model, own


def _bom_part_vendors(ids: list[int], unit_models: dict[int, int], unit_orgs: dict[int, int],
                      as_of: dt.datetime | None = None) -> list[tuple[int, int]]:
    """(unit, vendor) for the vendors with an open finding (in any view) among the parts of the BOMs in force for
    the units (bom_parts_in_force: their own, and their organisation's for their product model). One query.

    `as_of`: the BOM versions in force then and the findings open then; the units' product models as they were
    (`unit_models` from the history)."""
    if as_of is None:
        flagged = Finding.objects.filter(closed_at__isnull=True).values("vendor_id")
    else:
        flagged = Finding.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=as_of),
                                         discovered_at__lte=as_of).values("vendor_id")
    rows = (bom_parts_in_force(equipment_ids=ids, unit_models=unit_models, unit_orgs=unit_orgs, as_of=as_of)
            .filter(supplier_id__in=flagged).values_list(*BOM_TARGET_FIELDS, "supplier_id").distinct())
    by_unit = bom_rows_by_unit(rows, equipment_ids=ids, unit_models=unit_models, unit_orgs=unit_orgs)
    return [(pk, v) for pk in ids for (v,) in sorted(by_unit[pk])]


@dataclass(frozen=True)
class UnitsRead:
    """Units as they are now, already read by the caller (the remediation evaluation reads them for its contexts),
    so that equipment_findings does not read them again: `rows` are Equipment values with ``id``, ``category``,
    ``site__organization_id``, ``product_model_id`` and the model's ``product_model__brand_id``,
    ``product_model__manufacturer_id`` and ``product_model__software_supplier_id``; `component_vendors` maps a unit
    to the vendors of its recorded components and of every part of the bills of materials in force for it
    (flagged or not: only vendors with findings give any)."""

    rows: list[dict]
    component_vendors: dict[int, set[int]]


def _equipment_parts_read(ids: list[int], units: UnitsRead, product_models: dict[int, int]):
    """_equipment_parts_now's answer from what the caller read, the BOM parts' vendors among the components."""
    wanted = set(ids)
    categories, models, orgs = {}, {}, {}
    for r in units.rows:
        pk = r["id"]
        if pk not in wanted:
            continue
        categories[pk] = r["category"]
        models[pk] = (r["product_model__brand_id"], r["product_model__manufacturer_id"],
                      r["product_model__software_supplier_id"])
        orgs[pk] = r["site__organization_id"]
        product_models[pk] = r["product_model_id"]
    components = [(pk, None, v) for pk, vendors in units.component_vendors.items() if pk in wanted
                  for v in sorted(vendors)]
    return categories, models, components, orgs


def equipment_findings(*, equipment_ids: Iterable[int], as_of: dt.datetime | None = None,
                       units: UnitsRead | None = None) -> dict[int, list[EquipmentFinding]]:
    """The findings that apply to each equipment item through its brand, manufacturer, software supplier and
    components, with the status for the item's category, worst first, each unit in its own organisation's view
    (Finding.objects.in_view). Five queries in all (one for the parts of the bills of materials in force).

    `as_of` selects the findings open at that moment in each organisation's view as it was then (the overlay
    periods in force at `as_of`), and the units as they were then: their category and
    product model, that model's brand, real maker and software supplier, and their components, from the row
    history (django-simple-history); a unit without history at that moment is taken as it is now.

    `units`: the units as the caller already read them now (UnitsRead): then three queries (findings, overlays)
    and the same answer. Not with `as_of`.
    """
    if units is not None and as_of is not None:
        raise ValueError("units read now cannot answer as of another moment")
    ids = list(dict.fromkeys(int(i) for i in equipment_ids))
    result: dict[int, list[EquipmentFinding]] = {i: [] for i in ids}
    if not ids:
        return result
    unit_models: dict[int, int] = {}
    if units is not None:
        categories, models, components, unit_orgs = _equipment_parts_read(ids, units, unit_models)
    else:
        categories, models, components, unit_orgs = (_equipment_parts_now(ids, unit_models) if as_of is None
                                                     else _equipment_parts_at(ids, as_of, unit_models))
    # Each unit's component vendors: its recorded components', then its BOM parts' (at `as_of`: the versions
    # imported by then).
    component_vendors: dict[int, list[int]] = defaultdict(list)
    for eq_id, _component_id, vendor_id in components:
        component_vendors[eq_id].append(vendor_id)
    for eq_id, vendor_id in (() if units is not None else _bom_part_vendors(ids, unit_models, unit_orgs, as_of)):
        component_vendors[eq_id].append(vendor_id)
    vendor_ids: set[int] = set()
    for model_roles in models.values():
        vendor_ids.update(model_roles)
    for vendors in component_vendors.values():
        vendor_ids.update(vendors)
    vendor_ids.discard(None)
    # Each unit in its own organisation's view (its site's, which never changes): public findings and those
    # of its organisation's private lists.
    by_vendor: dict[int, list[Finding]] = defaultdict(list)
    open_findings = _findings_open_views(as_of, set(unit_orgs.values()))
    for f in open_findings.filter(vendor_id__in=vendor_ids).select_related("vendor", "source"):
        by_vendor[f.vendor_id].append(f)
    # The vendors each organisation saw differently at `as_of` (now without it): the one rule, in_force.
    overlays = set(VendorOrgStatus.periods.in_force(as_of).filter(
        vendor_id__in=vendor_ids, organization_id__in={o for o in unit_orgs.values() if o is not None}
    ).values_list("vendor_id", "organization_id"))
    # Only the units with a vendor that has findings are walked role by role (most units have none: their list
    # stays empty, as the walk would leave it).
    flagged = by_vendor.keys()
    for eq_id in models.keys() | component_vendors.keys():
        model_roles = models.get(eq_id, (None, None, None))
        own = component_vendors.get(eq_id, ())
        if flagged.isdisjoint(model_roles) and flagged.isdisjoint(own):
            continue
        vendor_roles = [(role, v) for role, v in zip(ROLES, model_roles, strict=True) if v]
        vendor_roles += [("component", v) for v in own]
        seen: set[tuple[str, int]] = set()
        items = result.setdefault(eq_id, [])
        unit_org = unit_orgs.get(eq_id)
        for role, vendor_id in vendor_roles:
            for f in by_vendor.get(vendor_id, []):
                # the unit's own organisation's view (Finding.objects.in_view): its rows where it sees (saw, at
                # `as_of`) the vendor differently, the public findings elsewhere
                if f.organization_id != (unit_org if (vendor_id, unit_org) in overlays else None):
                    continue
                status = f.status_for_category(categories.get(eq_id, ""))
                if status == RiskStatus.CLEAR or (role, f.pk) in seen:
                    continue
                seen.add((role, f.pk))
                items.append(EquipmentFinding(
                    equipment_id=eq_id, vendor_id=vendor_id, vendor_name=f.vendor.name, vendor_role=role,
                    finding_id=f.pk, source_code=f.source.code, regime=f.regime, sub_list=f.sub_list,
                    listed_on=f.listed_on, discovered_at=f.discovered_at, status=status, path_text=f.path_text,
                    kind=f.kind, source_name=f.source.name, status_reason=f.status_reason,
                    entry_scope=f.entry_scope, entry_scope_categories=f.entry_scope_categories,
                    entry_name=f.entry_name,
                ))
        items.sort(key=lambda x: (-RISK_ORDER.get(x.status, 0), x.vendor_role, x.finding_id))
    return result


def _findings_open_views(as_of: dt.datetime | None, organization_ids: set[int | None]) -> QuerySet[Finding]:
    """Findings open now or at `as_of` in any of several views (equipment_findings keeps each row to its own view
    with the overlay periods in force then, VendorOrgStatus.periods.in_force, as Finding.objects.in_view does
    for one)."""
    orgs = [o for o in organization_ids if o is not None]
    qs = Finding.objects.filter(Q(organization__isnull=True) | Q(organization_id__in=orgs))
    if as_of is None:
        return qs.filter(closed_at__isnull=True)
    return qs.filter(discovered_at__lte=as_of).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))


def vendor_findings(*, vendor_id: int, as_of: dt.datetime | None = None, organization_id: int | None = None
                    ) -> list[Finding]:
    """A vendor's findings in the view of `organization_id` (open now, or at `as_of`), worst first, each with its
    path text, policy, source and the match that explains the listing (names compared, feature scores, list
    version, content hash) and its review decision (who decided). One query; the web page and the API both read
    it."""
    findings = list(
        findings_open_at(as_of, organization_id=organization_id).filter(vendor_id=vendor_id)
        .select_related("vendor", "source", "via_vendor", "policy", "match__list_version",
                        "match__decision__decided_by", "match__decision__source")
    )
    findings.sort(key=lambda f: (-RISK_ORDER.get(f.status, 0), f.kind, f.pk))
    return findings


def vendor_findings_history(*, vendor_id: int, organization_id: int | None = None) -> QuerySet[Finding]:
    """Every finding of a vendor in one view, open or closed, newest first."""
    return (findings_in_view(organization_id).filter(vendor_id=vendor_id).select_related("source")
            .order_by("-discovered_at"))


def vendor_matches(*, vendor_id: int, include_closed: bool = False, organization_id: int | None = None
                   ) -> QuerySet[Match]:
    qs = matches_in_view(organization_id).filter(vendor_id=vendor_id).select_related(
        "source", "list_version", "decision", "decision__decided_by")
    if not include_closed:
        qs = qs.filter(closed_at__isnull=True)
    return qs.order_by("-score")


def review_queue(organization_id: int | None = None, *, include_decided: bool = False) -> QuerySet[Match]:
    """Open matches in the organisation's view awaiting a reviewer there (no decision in force for it and not
    confirmed automatically), best score first, each annotated with the decision in force (matches_in_view).
    `include_decided` adds the open matches decided registry-wide or by the organisation, so a reviewer sees
    whose decision is in force and may make the organisation's own."""
    qs = matches_in_view(organization_id).filter(closed_at__isnull=True)
    if include_decided:
        qs = qs.filter(Q(view_review_state=ReviewState.UNREVIEWED) | ~Q(decision_in_force=""))
    else:
        qs = qs.filter(view_review_state=ReviewState.UNREVIEWED)
    return qs.select_related("vendor", "source", "list_version").order_by("-score", "pk")


@dataclass
class ReviewQueueGroup:
    """One row of the review queue: a vendor and one listed party (apps.screening.parties), with the queued
    matches that are copies of it (another list year, the CSL copy of an SDN entry ...), best score first. One
    decision covers them all (review_decide with `matches`)."""

    vendor_id: int
    party_id: str
    match_ids: list[int]
    best_score: float

    @property
    def copies(self) -> int:
        return len(self.match_ids)


def review_queue_groups(organization_id: int | None = None, *, include_decided: bool = False,
                        vendor_ids: Iterable[int] | None = None) -> list[ReviewQueueGroup]:
    """The review queue (review_queue, same view and filter) grouped by (vendor, listed party), in the queue's
    order (best score first). Two queries whatever the size of the queue: its rows, then the entries they name."""
    from .parties import MATCH_PARTY_FIELDS, match_party_ids

    qs = review_queue(organization_id, include_decided=include_decided)
    if vendor_ids is not None:
        qs = qs.filter(vendor_id__in=vendor_ids)
    rows = list(qs.values_list("vendor_id", "score", *MATCH_PARTY_FIELDS))
    parties = match_party_ids(r[2:] for r in rows)
    groups: dict[tuple[int, str], ReviewQueueGroup] = {}
    for vendor_id, score, pk, *_rest in rows:
        key = (vendor_id, parties[pk])
        if key not in groups:
            groups[key] = ReviewQueueGroup(vendor_id, key[1], [], score)
        groups[key].match_ids.append(pk)
    return list(groups.values())


def match_party_copies(match: Match, organization_id: int | None = None) -> QuerySet[Match]:
    """The open matches of the match's vendor in one view that name the same listed party, on lists of the same
    standing (what a group decision on it covers: services.review_decide with `group`), the match itself first.
    Two queries to find them; the queryset is annotated like matches_in_view."""
    from .parties import MATCH_PARTY_FIELDS, match_party_ids

    qs = matches_in_view(organization_id).filter(vendor_id=match.vendor_id, closed_at__isnull=True,
                                                 source__organization_id=match.source.organization_id)
    parties = match_party_ids(qs.values_list(*MATCH_PARTY_FIELDS))
    party = parties.get(match.pk)
    ids = [pk for pk, p in parties.items() if p == party]
    return qs.filter(pk__in=ids).select_related("source", "list_version").order_by(
        Case(When(pk=match.pk, then=0), default=1), "-score", "pk")


def review_decisions(*, vendor_id: int | None = None, organization_id: int | None = None
                     ) -> QuerySet[ReviewDecision]:
    """Decisions seen in one view: registry-wide ones on public lists and the organisation's own (never another
    organisation's), newest first."""
    qs = decisions_in_view(organization_id).select_related("decided_by", "source", "vendor")
    if vendor_id is not None:
        qs = qs.filter(vendor_id=vendor_id)
    return qs.order_by("-decided_at")


def decisions_in_view(organization_id: int | None = None) -> QuerySet[ReviewDecision]:
    """Review decisions in one view: registry-wide ones (public lists) and the organisation's own."""
    return ReviewDecision.objects.filter(Q(organization__isnull=True, source__organization__isnull=True)
                                         | Q(organization_id=organization_id))


def screening_runs(*, limit: int = 50) -> QuerySet[ScreeningRun]:
    return ScreeningRun.objects.select_related("requested_by").order_by("-started_at")[:limit]


def screening_run_latest() -> ScreeningRun | None:
    return ScreeningRun.objects.filter(status="succeeded").order_by("-started_at").first()


def pre_purchase_checks(*, organization_ids: Iterable[int] | None = None) -> QuerySet[PrePurchaseCheck]:
    """Saved checks, newest first; restricted to the given organisations when ids are given."""
    qs = PrePurchaseCheck.objects.select_related("requested_by", "organization").order_by("-created_at")
    if organization_ids is not None:
        qs = qs.filter(organization_id__in=list(organization_ids))
    return qs


# ---------------------------------------------------------------------------------------------------------------
# The ownership view: each regime's own test beside the path arithmetic


@dataclass
class OwnershipStake:
    """One direct owner's stake in a regime test: counted in full, or not at all (see engine.Stake)."""

    owner_id: int
    owner_name: str
    kind: str
    share_percent: Decimal | None
    counted: str  # engine.Stake.counted: "blocked" | "pending" | "control" | "unknown" | ""
    owner_status: str  # why the owner counts or not, in words
    proposed: bool = False  # held by a link the view's organisation proposes (apps.vendors.overlay)


@dataclass
class OwnershipRegimeTest:
    """One list's propagation rule applied to a vendor, as the screening run applies it (engine.regime_test)."""

    source_code: str
    source_name: str
    regime: str
    regime_label: str
    propagation: str
    propagation_label: str
    citation: str
    threshold_percent: Decimal
    threshold_inclusive: bool
    control_counts: bool
    in_force: bool
    counted_percent: Decimal  # stakes of owners that are listed or themselves caught (confirmed)
    pending_percent: Decimal  # stakes of owners caught only through a match awaiting review
    unknown_share: bool
    verdict: str  # engine.RegimeTest.verdict
    verdict_label: str  # e.g. "blocked" / "not blocked" for OFAC, "caught" / "not caught" for the others
    verdict_text: str
    stakes: list[OwnershipStake]


@dataclass
class VendorOwnershipView:
    """The ownership chain (paths, with their multiplied path shares: arithmetic, not a regime test) and, beside
    it, each regime's test over the vendor's direct owners."""

    vendor_id: int
    day: dt.date
    chain: Any  # apps.vendors.selectors.OwnershipChain
    tests: list[OwnershipRegimeTest]


PATH_SHARE_LABEL = "path share (arithmetic, not a regime test)"


def _pct(value: Decimal | None) -> str:
    return "share unknown" if value is None else f"{value.normalize():f}%"


def _owner_status(group, owner_id: int, node, word: str) -> str:
    if node.level == "confirmed" and node.direct:
        return f"listed: {listings_label(node.listings)}"
    if node.level == "confirmed":
        return f"itself {word}: {_pct(node.known_total)} held by {word} owners" if node.known_total else \
            f"itself {word} (controlled by a listed party)"
    if node.level == "potential":
        return "listed, match awaiting review" if node.direct else "could be caught: shares unknown or under review"
    held = regime_test(group, owner_id).tally.confirmed_total
    return f"not {word}: its {word} owners hold {_pct(held)}; the stake does not count"


def _verdict_text(test, rule, word: str, day: dt.date) -> str:
    t = test.tally
    compare_ok = ">=" if rule.inclusive else ">"
    compare_no = "<" if rule.inclusive else "<="
    threshold = _pct(rule.threshold)
    if test.verdict == "listed":
        return f"Listed itself: {listings_label(test.listings)}."
    if test.verdict == "not_in_force":
        return f"This rule does not propagate listings on {day.isoformat()}."
    if test.verdict == "caught":
        if t.control_confirmed and not rule.meets(t.confirmed_total):
            return f"{word.capitalize()}: controlled by a listed party (control counts under this rule)."
        return (f"{word.capitalize()}: {_pct(t.confirmed_total)} held by {word} persons, directly or through "
                f"{word} entities ({compare_ok} {threshold}).")
    if test.verdict == "review" and test.listings and not rule.meets(t.known_total) and not t.unknown:
        return f"Review: the vendor's own match awaits review ({listings_label(test.listings)})."
    if test.verdict == "review":
        parts = [f"{_pct(t.confirmed_total)} held by {word} persons"]
        if t.potential_total:
            parts.append(f"{_pct(t.potential_total)} more by owners whose match awaits review")
        if t.unknown:
            parts.append("some shares unknown")
        return f"Review: {', '.join(parts)}; the total could reach {threshold}."
    return (f"Not {word}: {_pct(t.confirmed_total)} held by {word} persons, directly or through {word} entities "
            f"({compare_no} {threshold}); stakes held through entities that are not themselves {word} do not count.")


def vendor_ownership_view(vendor, *, day: dt.date, organization_id: int | None = None,
                          overlay: Overlay | None = None) -> VendorOwnershipView:
    """The vendor's ownership chain (apps.vendors.selectors) and, for every list one of its owners (or itself) is
    on, the regime test the screening run applies (engine.regime_test, same policies and propagation rules): for
    OFAC the aggregate of stakes held directly by blocked persons or through entities that are themselves blocked,
    against 50%. A constant number of queries per ownership level. The web page and the API both read it.

    In the view of `organization_id` (None: the shared view): its matches, and the ownership links its pending
    proposals apply to its own view (`overlay`, organization_overlay(organization_id): read here when the caller
    has not read it already), as screening derived its verdicts; the proposed links' steps and stakes are marked."""
    if overlay is not None and overlay.organization_id != organization_id:
        # fail closed: one organisation's proposed links beside another view's matches
        raise ValueError(f"The overlay of organisation {overlay.organization_id} asked for the view of "
                         f"{organization_id}")
    if overlay is None and organization_id is not None:
        overlay = organization_overlay(organization_id)
    chain = vendor_ownership_chain(vendor, as_of=day, overlay=overlay)
    links = _link_views(chain.links_by_owned)  # the chain's links, read once
    proposed_owners = {link.owner_id for link in chain.links_by_owned.get(vendor.pk, ()) if link.proposed}
    involved = {vendor.pk} | {lk.owner_id for ls in links.values() for lk in ls}
    rows = _match_rows(organization_id, sorted(involved))  # the matches in force in the caller's view
    if not rows:
        return VendorOwnershipView(vendor.pk, day, chain, [])
    sources = {s.pk: s for s in ListSource.objects.filter(pk__in={r[2] for r in rows})}
    _direct, grouped = listings_from_rows(rows, sources=sources, policies=_policies(), day=day)
    groups = propagation_groups(grouped, _rules(day), links)
    citations = dict(PropagationRule.objects.values_list("propagation", "citation"))
    names = dict(Vendor.objects.filter(pk__in=involved).values_list("pk", "name"))
    tests = []
    for (source_id, propagation), group in groups.items():
        source = sources[source_id]
        test = regime_test(group, vendor.pk)
        word = "blocked" if propagation == Propagation.OFAC_50 else "caught"
        stakes = [OwnershipStake(s.link.owner_id, names.get(s.link.owner_id, str(s.link.owner_id)), s.link.kind,
                                 s.link.share, s.counted, _owner_status(group, s.link.owner_id, s.owner, word),
                                 s.link.owner_id in proposed_owners)
                  for s in test.tally.stakes]
        tests.append(OwnershipRegimeTest(
            source_code=source.code, source_name=source.name, regime=source.regime,
            regime_label=Regime(source.regime).label if source.regime in Regime.values else source.regime,
            propagation=propagation,
            propagation_label=Propagation(propagation).label if propagation in Propagation.values else propagation,
            citation=citations.get(propagation, ""), threshold_percent=group.rule.threshold,
            threshold_inclusive=group.rule.inclusive, control_counts=group.rule.control_counts,
            in_force=group.rule.in_force, counted_percent=test.tally.confirmed_total,
            pending_percent=test.tally.potential_total, unknown_share=test.tally.unknown, verdict=test.verdict,
            verdict_label={"caught": word, "not_caught": f"not {word}", "not_in_force": "rule not in force"}.get(
                test.verdict, test.verdict),
            verdict_text=_verdict_text(test, group.rule, word, day), stakes=stakes,
        ))
    tests.sort(key=lambda t: (t.propagation != Propagation.OFAC_50, t.source_name))
    return VendorOwnershipView(vendor.pk, day, chain, tests)


def unit_declarations_open_for(equipment_ids: Iterable[int]) -> dict[int, list[UnitDeclaration]]:
    """{unit id: its open declarations (UnitDeclaration), newest first}, in one query (the unit page shows them,
    each linking to the data call it came from)."""
    out: dict[int, list[UnitDeclaration]] = {}
    for row in UnitDeclaration.objects.filter(equipment_id__in=list(equipment_ids), closed_at__isnull=True):
        out.setdefault(row.equipment_id, []).append(row)
    return out
