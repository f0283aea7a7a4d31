"""An organisation's overlay: its pending change proposals that it applies to its own view.

While a proposal waits for a curator, the proposing organisation may see the change in its own view
(`ChangeProposal.applies_to_own_view`) so its officers are not blocked; nobody else is affected. Screening
reads `organization_overlay(organization_id)` when it derives that organisation's view (wired after the
per-organisation view lands in apps.screening: `facts_for`). One query, whatever the number of proposals.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .choices import ProposalKind, ProposalStatus
from .models import ChangeProposal


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
    aliases_added: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    aliases_removed: set[int] = field(default_factory=set)
    identifiers_added: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    identifiers_removed: set[int] = field(default_factory=set)
    vendor_changed: dict[int, dict[str, Any]] = field(default_factory=dict)  # vendor id -> changed fields
    proposal_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.proposal_ids

    def vendor_ids(self) -> set[int]:
        """The vendors whose facts differ in this view (re-derive them, and what they own or brand)."""
        ids = {row["owned"] for row in self.ownership_added} | {row["brand"] for row in self.oem_added}
        return ids | set(self.aliases_added) | set(self.identifiers_added) | set(self.vendor_changed) | set(
            self._vendors_of_targets)

    _vendors_of_targets: set[int] = field(default_factory=set, repr=False)


def organization_overlay(organization_id: int) -> Overlay:
    """The pending proposals of `organization_id` that it applies to its own view, as one Overlay."""
    overlay = Overlay(organization_id=organization_id)
    rows = (ChangeProposal.objects
            .filter(organization_id=organization_id, status=ProposalStatus.PENDING, applies_to_own_view=True)
            .order_by("id").values("id", "kind", "vendor_id", "target_id", "payload"))
    for row in rows:
        kind, vendor_id, target, payload = row["kind"], row["vendor_id"], row["target_id"], dict(row["payload"])
        overlay.proposal_ids.append(row["id"])
        if target is not None:
            overlay._vendors_of_targets.add(vendor_id)
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
        elif kind == ProposalKind.ALIAS_ADD:
            overlay.aliases_added[vendor_id].append({**payload, "proposal": row["id"]})
        elif kind == ProposalKind.ALIAS_REMOVE:
            overlay.aliases_removed.add(target)
        elif kind == ProposalKind.IDENTIFIER_ADD:
            overlay.identifiers_added[vendor_id].append({**payload, "proposal": row["id"]})
        elif kind == ProposalKind.IDENTIFIER_REMOVE:
            overlay.identifiers_removed.add(target)
        elif kind == ProposalKind.VENDOR_UPDATE:
            overlay.vendor_changed.setdefault(vendor_id, {}).update(payload)
        else:
            raise ValueError(f"Unknown proposal kind {kind!r}")  # fail closed: a new kind must be wired here
    return overlay
