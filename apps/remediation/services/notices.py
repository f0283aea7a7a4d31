"""Notices of accepted changes to shared vendor facts (apps.vendors.proposals, event ProposalAccepted).

Every organisation whose units' status changes when a curator accepts a change proposal is told, with before
and after: `fact_change_notices_prepare` (in the accepting transaction, before the fact is written) records,
per organisation with units of the vendors concerned, its units by risk status; `fact_change_notices_compute`
(a task, after the commit) re-screens those vendors, counts again, keeps a notice (in-app notification to its
writers, a line in the next digest) where the counts moved and deletes the others. Counting is one GROUP BY
over the units of the vendors concerned (by brand, manufacturer, software supplier or component vendor).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from apps.accounts.choices import WRITE_ROLES
from apps.common import events
from apps.common.choices import RiskStatus
from apps.inventory.models import Component, Equipment
from apps.security.enqueue import enqueue_on_commit

from ..choices import NotificationKind
from ..models import FactChangeNotice
from .common import _notify, _org_members

STATUS_ORDER = [RiskStatus.PROHIBITED, RiskStatus.RESTRICTED, RiskStatus.POTENTIAL_MATCH, RiskStatus.CLEAR]


def units_by_status(vendor_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{organisation id: {risk status: units}} of the units whose brand, manufacturer, software supplier or a
    component's vendor is one of `vendor_ids` (units = the sum of quantities)."""
    ids = sorted(set(vendor_ids))
    if not ids:
        return {}
    component = Component.objects.filter(equipment_id=OuterRef("pk"), vendor_id__in=ids)
    rows = (Equipment.objects
            .filter(Q(product_model__brand_id__in=ids) | Q(product_model__manufacturer_id__in=ids)
                    | Q(product_model__software_supplier_id__in=ids) | Q(Exists(component)))
            .values("site__organization_id", "risk_status").annotate(units=Sum("quantity")).order_by())
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["site__organization_id"], {})[row["risk_status"]] = int(row["units"] or 0)
    return out


def on_proposal_accepted_before(event: events.ProposalAccepted) -> None:
    """In the accepting transaction, before the fact is written: record "before"."""
    fact_change_notices_prepare(proposal_id=event.proposal_id, vendor_ids=event.vendor_ids)


def on_proposal_accepted(event: events.ProposalAccepted) -> None:
    """After the commit: compute "after" in a task (re-screening the vendors first)."""
    enqueue_on_commit("apps.remediation.tasks.fact_change_notices_task", event.proposal_id)


def fact_change_notices_prepare(*, proposal_id: int, vendor_ids: Iterable[int],
                                now: dt.datetime | None = None) -> int:
    """One notice per organisation with units of `vendor_ids`, holding its counts before the change."""
    now = now or timezone.now()
    ids = sorted(set(vendor_ids))
    counts = units_by_status(ids)
    FactChangeNotice.objects.bulk_create(
        [FactChangeNotice(organization_id=org, proposal_id=proposal_id, vendor_ids=ids, before=before,
                          created_at=now) for org, before in counts.items()],
        ignore_conflicts=True)
    return len(counts)


def _describe(counts: dict[str, int]) -> str:
    parts = [f"{counts[s]} {s.replace('_', ' ')}" for s in STATUS_ORDER if counts.get(s)]
    return ", ".join(parts) or "none"


def fact_change_notices_compute(*, proposal_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-screen the vendors of the proposal's prepared notices, count again and keep the notices whose counts
    moved (their organisation's writers are notified in-app); delete the others. Idempotent: a completed
    notice is left as it is."""
    from apps.screening.choices import RunTrigger
    from apps.screening.services import screening_run_vendors

    now = now or timezone.now()
    prepared = list(FactChangeNotice.objects.filter(proposal_id=proposal_id, state=FactChangeNotice.State.PREPARED)
                    .select_related("proposal__vendor"))
    if not prepared:
        return {"ready": 0, "unchanged": 0}
    vendor_ids = sorted({v for n in prepared for v in n.vendor_ids})
    screening_run_vendors(vendor_ids=vendor_ids, trigger=RunTrigger.VENDOR_CHANGE)
    after = units_by_status(vendor_ids)
    ready = unchanged = 0
    for notice in prepared:
        with transaction.atomic():
            current = FactChangeNotice.objects.select_for_update().filter(
                pk=notice.pk, state=FactChangeNotice.State.PREPARED).first()
            if current is None:
                continue
            counts = after.get(notice.organization_id, {})
            if counts == notice.before:
                current.delete()
                unchanged += 1
                continue
            proposal = notice.proposal
            current.after = counts
            current.state = FactChangeNotice.State.READY
            current.computed_at = now
            current.title = (f"Accepted change to {proposal.vendor.name} "
                             f"({proposal.get_kind_display().lower()}) changed your units' status")[:200]
            current.body = (f"Proposal #{proposal.pk} was accepted by a curator. Your units of the vendors "
                            f"concerned: before {_describe(notice.before)}; after {_describe(counts)}.")
            current.save(update_fields=["after", "state", "computed_at", "title", "body"])
            _notify(organization_id=current.organization_id, users=_org_members(current.organization_id,
                                                                                WRITE_ROLES),
                    kind=NotificationKind.FACT_CHANGE, title=current.title, body=current.body, now=now,
                    fact_change=current)
            ready += 1
    return {"ready": ready, "unchanged": unchanged}
