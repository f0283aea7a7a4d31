"""Reads of the inventory that pages and the API share."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from .choices import RETIRED_STATUSES
from .models import BomComponent, BomDocument, Equipment, SiteEquipmentCount


def equipment_counts(*, organization_ids: Iterable[int] | None = None, site_ids: Iterable[int] | None = None,
                     categories: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
                     risk_statuses: Iterable[str] | None = None, installed_only: bool = False
                     ) -> QuerySet[SiteEquipmentCount]:
    """Tally rows (site, category, status, risk status -> records, units) narrowed by the given values; a few
    hundred rows per organisation however big its inventory. None means no narrowing on that field."""
    qs = SiteEquipmentCount.objects.order_by()
    if organization_ids is not None:
        qs = qs.filter(site__organization_id__in=list(organization_ids))
    for field, values in (("site_id", site_ids), ("category", categories), ("status", statuses),
                          ("risk_status", risk_statuses)):
        if values is not None:
            qs = qs.filter(**{f"{field}__in": list(values)})
    if installed_only:
        qs = qs.exclude(status__in=sorted(RETIRED_STATUSES))
    return qs


def equipment_records_count(**filters) -> int:
    """How many equipment records match these tally filters (see equipment_counts); one small query."""
    return equipment_counts(**filters).aggregate(n=Sum("records"))["n"] or 0


def site_count_subquery(*, field: str = "records", **filters) -> Coalesce:
    """An annotation for a Site queryset: the site's records (or units) in the tally matching `filters`."""
    per_site = (equipment_counts(**filters).filter(site_id=OuterRef("pk")).values("site_id")
                .annotate(n=Sum(field)).values("n"))
    return Coalesce(Subquery(per_site, output_field=IntegerField()), 0)


# The target columns of a BOM part, first in every row that bom_rows_by_unit folds onto units.
BOM_TARGET_FIELDS = ("document__equipment_id", "document__product_model_id", "document__organization_id")


def bom_parts_in_force(*, equipment_ids: list[int], unit_models: dict[int, int | None],
                       unit_orgs: dict[int, int | None], as_of: dt.datetime | None = None) -> QuerySet[BomComponent]:
    """The parts (any depth) of the bills of materials in force for the units: their own, and their organisation's
    for their product model (`unit_models`, `unit_orgs`: unit id -> product model id, organisation id). A queryset
    for the caller to narrow and read with BOM_TARGET_FIELDS first, then fold with bom_rows_by_unit: one query.

    `as_of`: the versions in force then (per target, the highest version imported by then: versions never go away,
    a new one only takes over); `unit_models` are then the units' product models as they were."""
    ids = list(equipment_ids)
    if as_of is None:
        units = Equipment.objects.filter(pk__in=ids, product_model_id=OuterRef("document__product_model_id"),
                                         site__organization_id=OuterRef("document__organization_id"))
        targets = Q(document__equipment_id__in=ids) | Q(Exists(units))
        in_force = Q(document__is_current=True)
    else:
        targets = Q(document__equipment_id__in=ids) | Q(
            document__product_model_id__in={m for m in unit_models.values() if m},
            document__organization_id__in={o for o in unit_orgs.values() if o})
        later = BomDocument.objects.filter(imported_at__lte=as_of, version__gt=OuterRef("document__version")).filter(
            Q(equipment__isnull=False, equipment_id=OuterRef("document__equipment_id"))
            | Q(equipment__isnull=True, product_model_id=OuterRef("document__product_model_id"),
                organization_id=OuterRef("document__organization_id")))
        in_force = Q(document__imported_at__lte=as_of) & ~Q(Exists(later))
    return BomComponent.objects.filter(targets, in_force).order_by()


@dataclasses.dataclass
class BomTargets:
    """The bills of materials in force now, by target (a unit; a product model in an organisation), kept across the
    chunks of one evaluation and read again whenever a document was added (a commit supersedes and inserts in one
    transaction, and documents are never deleted: their count and highest id change with any commit). One small
    query per chunk (the fingerprint); the documents themselves are read only when it changed."""

    fingerprint: tuple | None = None
    units: dict[int, int] = dataclasses.field(default_factory=dict)  # unit id -> its own document in force
    # (product model, organisation) -> its document in force
    models: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)

    def refreshed(self) -> BomTargets:
        fingerprint = tuple(BomDocument.objects.aggregate(n=Count("pk"), last=Max("pk")).values())
        if fingerprint != self.fingerprint:
            self.units, self.models = {}, {}
            for pk, eq_id, pm_id, org_id in BomDocument.objects.filter(is_current=True).order_by().values_list(
                    "pk", "equipment_id", "product_model_id", "organization_id"):
                if eq_id:
                    self.units[eq_id] = pk
                else:
                    self.models[(pm_id, org_id)] = pk
            self.fingerprint = fingerprint
        return self


def bom_documents_in_force(*, equipment_ids: list[int], unit_models: dict[int, int | None],
                           unit_orgs: dict[int, int | None], targets: BomTargets | None = None) -> list[int]:
    """Ids of the bills of materials in force now for the units: their own, and their organisation's for their
    product model. Most chunks of units have none, and a caller then skips reading parts (bom_parts_in_force's
    correlated EXISTS). One query over the units' ids; with `targets`, a BomTargets kept by the caller across
    chunks, one small query (its fingerprint) instead."""
    if targets is None:  # one call: the documents of these units' targets alone
        models = {m for m in unit_models.values() if m}
        orgs = {o for o in unit_orgs.values() if o}
        wanted = Q(equipment_id__in_ids=set(equipment_ids))
        if models and orgs:  # a superset of the pairs: bom_rows_by_unit keeps each unit's own
            wanted |= Q(product_model_id__in_ids=models, organization_id__in_ids=orgs)
        return sorted(BomDocument.objects.filter(wanted, is_current=True).order_by().values_list("pk", flat=True))
    targets = targets.refreshed()
    found = {targets.units.get(pk) for pk in equipment_ids}
    found |= {targets.models.get((unit_models.get(pk), unit_orgs.get(pk))) for pk in equipment_ids}
    found.discard(None)
    return sorted(found)


def bom_rows_by_unit(rows: Iterable[tuple], *, equipment_ids: list[int], unit_models: dict[int, int | None],
                     unit_orgs: dict[int, int | None]) -> dict[int, set[tuple[Any, ...]]]:
    """Rows read from bom_parts_in_force (BOM_TARGET_FIELDS, then any values) onto the units they apply to: a unit's
    own document, and its organisation's for its product model. Each unit gets the set of the rows' other values."""
    by_target: dict[tuple, set[tuple[Any, ...]]] = defaultdict(set)
    for eq_id, pm_id, org_id, *values in rows:
        by_target[(eq_id,) if eq_id else (pm_id, org_id)].add(tuple(values))
    return {pk: by_target.get((pk,), set()) | by_target.get((unit_models.get(pk), unit_orgs.get(pk)), set())
            for pk in equipment_ids}


def bom_parts_of_unit_q(vendor_ids: Iterable[int]) -> Q:
    """Equipment with a part, at any depth, of a bill of materials in force for it (its own, or its
    organisation's for its product model) supplied by one of the vendors: one correlated EXISTS per unit, through
    the (supplier, document) index."""
    parts = BomComponent.objects.filter(supplier_id__in=sorted(set(vendor_ids)), document__is_current=True).filter(
        Q(document__equipment_id=OuterRef("id"))
        | Q(document__equipment__isnull=True, document__product_model_id=OuterRef("product_model_id"),
            document__organization_id=OuterRef("site__organization_id")))
    return Q(Exists(parts))


def bom_supplier_ids_of_organization(organization_id: int, product_model_ids: Iterable[int]) -> set[int]:
    """Registry vendors supplying a part of a bill of materials in force in the organisation: its units' own, and
    its own for the product models it has units of (`product_model_ids`). One query."""
    return set(BomComponent.objects.filter(
        Q(document__equipment__isnull=False) | Q(document__product_model_id__in=list(product_model_ids)),
        document__organization_id=organization_id, document__is_current=True, supplier__isnull=False,
    ).order_by().values_list("supplier_id", flat=True).distinct())
