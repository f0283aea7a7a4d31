"""Screening reads: findings per equipment and per vendor (explained), the review queue, runs and checks.

Every selector here runs a constant number of queries whatever the number of rows asked for.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from apps.common.choices import RISK_ORDER, RiskStatus
from apps.inventory.models import Component, Equipment, ProductModel

from .choices import ReviewState
from .models import Finding, Match, PrePurchaseCheck, ReviewDecision, ScreeningRun

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


def findings_open_at(as_of: dt.datetime | None = None) -> QuerySet[Finding]:
    """Findings open now, or open at `as_of` (discovered on or before it and not closed by then)."""
    if as_of is None:
        return Finding.objects.filter(closed_at__isnull=True)
    return Finding.objects.filter(discovered_at__lte=as_of).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))


def _equipment_parts_now(ids: list[int]):
    """(category per unit, (brand, maker, software supplier) per unit, [(unit, component id, vendor)]) now."""
    categories, models = {}, {}
    for pk, category, brand, maker, software in Equipment.objects.filter(pk__in=ids).values_list(
            "pk", "category", "product_model__brand_id", "product_model__manufacturer_id",
            "product_model__software_supplier_id"):
        categories[pk] = category
        models[pk] = (brand, maker, software)
    components = list(Component.objects.filter(equipment_id__in=ids).values_list("equipment_id", "pk", "vendor_id"))
    return categories, models, components


def _equipment_parts_at(ids: list[int], as_of: dt.datetime):
    """The same as they were at `as_of`, from the history tables. A unit, product model or component that has
    no history row at all (written outside the application) is taken as it is now."""
    categories, models, components = _equipment_parts_now(ids)
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
            continue
        categories[eq_id] = row.category
        models[eq_id] = pm_then.get(row.product_model_id) or pm_now.get(row.product_model_id, (None, None, None))
    tracked = set(Component.history.filter(equipment_id__in=ids).values_list("id", flat=True).distinct())
    parts = [(eq_id, pk, vendor_id) for eq_id, pk, vendor_id in components if pk not in tracked]
    parts += [(row.equipment_id, row.id, row.vendor_id) for row in
              Component.history.filter(equipment_id__in=ids, history_date__lte=as_of).latest_of_each()
              if row.history_type != "-"]
    return categories, models, parts


def equipment_findings(*, equipment_ids: Iterable[int], as_of: dt.datetime | None = None
                       ) -> dict[int, list[EquipmentFinding]]:
    """The findings that apply to each equipment item through its brand, manufacturer, software supplier and
    components, with the status for the item's category, worst first. Three queries in all.

    `as_of` selects the findings open at that moment, and the units as they were then: their category and
    product model, that model's brand, real maker and software supplier, and their components, from the row
    history (django-simple-history); a unit without history at that moment is taken as it is now.
    """
    ids = list(dict.fromkeys(int(i) for i in equipment_ids))
    result: dict[int, list[EquipmentFinding]] = {i: [] for i in ids}
    if not ids:
        return result
    categories, models, components = (_equipment_parts_now(ids) if as_of is None
                                      else _equipment_parts_at(ids, as_of))
    roles: dict[int, list[tuple[str, int]]] = {}
    vendor_ids: set[int] = set()
    for pk, model_roles in models.items():
        roles[pk] = [(role, v) for role, v in zip(ROLES, model_roles, strict=True) if v]
        vendor_ids |= {v for _r, v in roles[pk]}
    for eq_id, _component_id, vendor_id in components:
        roles.setdefault(eq_id, []).append(("component", vendor_id))
        vendor_ids.add(vendor_id)
    by_vendor: dict[int, list[Finding]] = defaultdict(list)
    for f in findings_open_at(as_of).filter(vendor_id__in=vendor_ids).select_related("vendor", "source"):
        by_vendor[f.vendor_id].append(f)
    for eq_id, vendor_roles in roles.items():
        seen: set[tuple[str, int]] = set()
        items = result.setdefault(eq_id, [])
        for role, vendor_id in vendor_roles:
            for f in by_vendor.get(vendor_id, []):
                status = f.status_for_category(categories.get(eq_id, ""))
                if status == RiskStatus.CLEAR or (role, f.pk) in seen:
                    continue
                seen.add((role, f.pk))
                items.append(EquipmentFinding(
                    equipment_id=eq_id, vendor_id=vendor_id, vendor_name=f.vendor.name, vendor_role=role,
                    finding_id=f.pk, source_code=f.source.code, regime=f.regime, sub_list=f.sub_list,
                    listed_on=f.listed_on, discovered_at=f.discovered_at, status=status, path_text=f.path_text,
                    kind=f.kind, source_name=f.source.name, status_reason=f.status_reason,
                ))
        items.sort(key=lambda x: (-RISK_ORDER.get(x.status, 0), x.vendor_role, x.finding_id))
    return result


def vendor_findings(*, vendor_id: int, as_of: dt.datetime | None = None) -> list[Finding]:
    """A vendor's findings (open now, or at `as_of`), worst first, each with its path text, policy, source
    and the match that explains the listing (names compared, feature scores, list version, content hash) and
    its review decision (who decided). One query; the web page and the API both read it."""
    findings = list(
        findings_open_at(as_of).filter(vendor_id=vendor_id)
        .select_related("vendor", "source", "via_vendor", "policy", "match__list_version",
                        "match__decision__decided_by", "match__decision__source")
    )
    findings.sort(key=lambda f: (-RISK_ORDER.get(f.status, 0), f.kind, f.pk))
    return findings


def vendor_findings_history(*, vendor_id: int) -> QuerySet[Finding]:
    """Every finding of a vendor, open or closed, newest first."""
    return Finding.objects.filter(vendor_id=vendor_id).select_related("source").order_by("-discovered_at")


def vendor_matches(*, vendor_id: int, include_closed: bool = False) -> QuerySet[Match]:
    qs = Match.objects.filter(vendor_id=vendor_id).select_related("source", "list_version", "decision",
                                                                 "decision__decided_by")
    if not include_closed:
        qs = qs.filter(closed_at__isnull=True)
    return qs.order_by("-score")


def review_queue() -> QuerySet[Match]:
    """Open matches awaiting a reviewer, best score first (the review queue)."""
    return (Match.objects.filter(closed_at__isnull=True, review_state=ReviewState.UNREVIEWED)
            .select_related("vendor", "source", "list_version").order_by("-score", "pk"))


def review_decisions(*, vendor_id: int | None = None) -> QuerySet[ReviewDecision]:
    qs = ReviewDecision.objects.select_related("decided_by", "source", "vendor")
    if vendor_id is not None:
        qs = qs.filter(vendor_id=vendor_id)
    return qs.order_by("-decided_at")


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
