"""An organisation's overlay: its pending change proposals that it applies to its own view.

While a proposal waits for a curator, the proposing organisation may see the change in its own view
(`ChangeProposal.applies_to_own_view`) so its officers are not blocked; nobody else is affected. Screening reads
`organization_overlay(organization_id)` when it derives that organisation's view
(apps.screening.services.derive: `derive_facts(organization_id=...)`, `_view_candidates`, `view_organizations`):
proposed ownership links (added, changed, removed) and OEM relations (added, removed) count there as if accepted.
One query, whatever the number of proposals.

Only ownership and OEM changes (choices.OWN_VIEW_KINDS) can be applied to a view. Names, aliases and identifiers
feed matching, and matches are shared by every view (one Match row per vendor and entry), so a proposed rename,
alias or identifier takes effect in screening only once a curator accepts it; `proposal_submit` records those
proposals as not applied and `proposal_apply_to_own_view` refuses to apply them.

The facts of a view are merged in one place each, read by the derivation and the pre-purchase check alike:
ownership links by `overlay_ownership_links` (through apps.vendors.selectors.ownership_links_above(overlay=...)),
OEM relations by `overlay_oem_rows` (through apps.vendors.selectors.oem_rows_in_view); pages that list a vendor's
OEM relations read them as model rows from `overlay_oem_relations` (apps.vendors.selectors.oem_relations_in_view).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .choices import OWN_VIEW_KINDS, ProposalKind, ProposalStatus
from .models import ChangeProposal, OemRelation, Ownership, Vendor


@dataclass
class Overlay:
    """The pending changes an organisation applies to its view, by kind. Added rows are the proposals'
    payloads (with `proposal` = its id, and the vendor the fact is about); removals and changes are by the
    target's id."""

    organization_id: int
    ownership_added: list[dict[str, Any]] = field(default_factory=list)  # {"owner", "owned", "share_percent", ...}
    ownership_removed: set[int] = field(default_factory=set)
    ownership_changed: dict[int, dict[str, Any]] = field(default_factory=dict)  # link id -> changed fields
    oem_added: list[dict[str, Any]] = field(default_factory=list)  # {"brand", "manufacturer", "category", ...}
    oem_removed: set[int] = field(default_factory=set)
    proposal_ids: list[int] = field(default_factory=list)
    # The vendors the changed and removed facts are about (the owned vendor of a link, the brand of a relation).
    vendors_of_targets: set[int] = field(default_factory=set)
    # overlay_ownership_links' rows, whatever their dates, read once per overlay (a page or a derivation reads the
    # overlay once and asks for its links several times: the chain, what the vendor owns, its recorded owners).
    _ownership_links: list[Ownership] | None = field(default=None, init=False, repr=False, compare=False)
    # overlay_oem_relations' rows, read once per overlay (a page shows a vendor's makers and brands from them).
    _oem_relations: list[OemRelation] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return not self.proposal_ids

    @property
    def ownership_dropped(self) -> set[int]:
        """The shared links this view does not read as stored: removed, or replaced by their changed values."""
        return self.ownership_removed | set(self.ownership_changed)

    def vendor_ids(self) -> set[int]:
        """The vendors whose facts differ in this view (re-derive them, and what they own or brand)."""
        ids = {row["owned"] for row in self.ownership_added} | {row["brand"] for row in self.oem_added}
        return ids | self.vendors_of_targets

    def counterpart_ids(self) -> set[int]:
        """The other side of the added facts (owners, manufacturers); of changed and removed ones, ask the
        database (the overlay holds their ids only)."""
        return ({int(row["owner"]) for row in self.ownership_added if row.get("owner") not in (None, "")}
                | {int(row["manufacturer"]) for row in self.oem_added if row.get("manufacturer") not in (None, "")})


def overlay_organization_ids() -> set[int]:
    """The organisations with a non-empty overlay (one query)."""
    return set(ChangeProposal.objects.filter(status=ProposalStatus.PENDING, applies_to_own_view=True,
                                             kind__in=OWN_VIEW_KINDS)
               .values_list("organization_id", flat=True).distinct())


def organization_overlay(organization_id: int) -> Overlay:
    """The pending proposals of `organization_id` that it applies to its own view, as one Overlay."""
    overlay = Overlay(organization_id=organization_id)
    rows = (ChangeProposal.objects
            .filter(organization_id=organization_id, status=ProposalStatus.PENDING, applies_to_own_view=True,
                    kind__in=OWN_VIEW_KINDS)
            .order_by("id").values("id", "kind", "vendor_id", "target_id", "payload"))
    for row in rows:
        kind, vendor_id, target, payload = row["kind"], row["vendor_id"], row["target_id"], dict(row["payload"])
        overlay.proposal_ids.append(row["id"])
        if target is not None:
            overlay.vendors_of_targets.add(vendor_id)
        if kind == ProposalKind.OWNERSHIP_ADD:
            overlay.ownership_added.append({**payload, "owned": vendor_id, "proposal": row["id"]})
        elif kind == ProposalKind.OWNERSHIP_REMOVE:
            overlay.ownership_removed.add(target)
        elif kind == ProposalKind.OWNERSHIP_CHANGE:
            overlay.ownership_changed.setdefault(target, {}).update(payload)
        elif kind == ProposalKind.OEM_ADD:
            overlay.oem_added.append({**payload, "brand": vendor_id, "proposal": row["id"]})
        elif kind == ProposalKind.OEM_REMOVE:
            overlay.oem_removed.add(target)
        else:
            raise ValueError(f"Unknown proposal kind {kind!r}")  # fail closed: a new kind must be wired here
    return overlay


def _payload_decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _payload_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def overlay_ownership_links(overlay: Overlay, day: dt.date | None) -> list[Ownership]:
    """The ownership links an overlay adds or changes, as they would be in force on `day` (None: whatever their
    dates, as a list of recorded links shows them): unsaved Ownership rows marked `proposed` (pk None for an
    added link, the stored link's pk for a changed one) with their owner and owned vendor loaded. Removed links
    win over changes; the shared links of `overlay.ownership_dropped` are to be left out by the reader.
    Two queries at most (the changed links' current values, the vendors) the first time, whatever the number of
    proposals; none after that for the same overlay (the rows are kept on it: do not change them)."""
    if overlay._ownership_links is None:
        overlay._ownership_links = _overlay_ownership_links_read(overlay)
    return [link for link in overlay._ownership_links
            if day is None or ((link.start_date is None or link.start_date <= day)
                               and (link.end_date is None or link.end_date >= day))]


def _overlay_ownership_links_read(overlay: Overlay) -> list[Ownership]:
    kind_default = Ownership._meta.get_field("kind").default
    rows: list[dict[str, Any]] = [
        {"pk": None, "owner": row.get("owner"), "owned": row["owned"], "share_percent": row.get("share_percent"),
         "kind": row.get("kind"), "start_date": row.get("start_date"), "end_date": row.get("end_date"),
         "source": row.get("source")}
        for row in overlay.ownership_added
    ]
    changed_ids = [pk for pk in overlay.ownership_changed if pk not in overlay.ownership_removed]
    if changed_ids:
        for link in Ownership.objects.filter(pk__in=changed_ids).values(
                "pk", "owner", "owned", "share_percent", "kind", "start_date", "end_date", "source"):
            changes = {k: v for k, v in overlay.ownership_changed[link["pk"]].items() if k in link and k != "pk"}
            rows.append({**link, **changes})
    links = []
    for row in rows:
        if row["owner"] in (None, ""):
            continue
        link = Ownership(pk=row["pk"], owner_id=int(row["owner"]), owned_id=int(row["owned"]),
                         share_percent=_payload_decimal(row["share_percent"]), kind=row["kind"] or kind_default,
                         start_date=_payload_date(row["start_date"]), end_date=_payload_date(row["end_date"]),
                         source=row["source"] or "")
        link.proposed = True
        links.append(link)
    if links:
        vendors = Vendor.objects.in_bulk({link.owner_id for link in links} | {link.owned_id for link in links})
        for link in links:
            if link.owner_id not in vendors:  # fail closed: a proposal naming a vendor that is gone
                raise ValueError(f"Proposed owner {link.owner_id} of vendor {link.owned_id} does not exist")
            link.owner = vendors[link.owner_id]
            if link.owned_id in vendors:
                link.owned = vendors[link.owned_id]
    return links


@dataclass(frozen=True)
class OemRow:
    """One OEM relation as a view reads it: `pk` None for a relation an overlay adds."""

    pk: int | None
    brand_id: int
    manufacturer_id: int
    category: str
    confidence: str


def overlay_oem_rows(overlay: Overlay) -> list[OemRow]:
    """The OEM relations an overlay adds (no query); those of `overlay.oem_removed` are to be left out by the
    reader."""
    confidence_default = OemRelation._meta.get_field("confidence").default
    return [OemRow(None, int(row["brand"]), int(row["manufacturer"]), row.get("category") or "",
                   row.get("confidence") or confidence_default)
            for row in overlay.oem_added if row.get("manufacturer") not in (None, "")]


def overlay_oem_relations(overlay: Overlay) -> list[OemRelation]:
    """The OEM relations an overlay adds (overlay_oem_rows), as unsaved OemRelation rows marked `proposed` (pk
    None) with their brand and manufacturer loaded, for pages that show them with the shared ones; those of
    `overlay.oem_removed` are to be left out by the reader. One query the first time (the vendors, in one
    in_bulk), whatever the number of proposals, none without OEM proposals; none after that for the same overlay
    (the rows are kept on it: do not change them)."""
    if overlay._oem_relations is None:
        overlay._oem_relations = _overlay_oem_relations_read(overlay)
    return list(overlay._oem_relations)


def _overlay_oem_relations_read(overlay: Overlay) -> list[OemRelation]:
    payloads = [row for row in overlay.oem_added if row.get("manufacturer") not in (None, "")]
    if not payloads:
        return []
    confidence_default = OemRelation._meta.get_field("confidence").default
    relations = []
    for row in payloads:
        relation = OemRelation(brand_id=int(row["brand"]), manufacturer_id=int(row["manufacturer"]),
                               category=row.get("category") or "",
                               confidence=row.get("confidence") or confidence_default,
                               source=row.get("source") or "", notes=row.get("notes") or "")
        relation.proposed = True
        relations.append(relation)
    vendors = Vendor.objects.in_bulk({r.brand_id for r in relations} | {r.manufacturer_id for r in relations})
    for relation in relations:
        missing = {relation.brand_id, relation.manufacturer_id} - set(vendors)
        if missing:  # fail closed: a proposal naming a vendor that is gone
            raise ValueError(f"Proposed OEM relation {relation.brand_id} made by {relation.manufacturer_id}: "
                             f"no vendor {sorted(missing)}")
        relation.brand, relation.manufacturer = vendors[relation.brand_id], vendors[relation.manufacturer_id]
    return relations
