"""Reads of the inventory that pages and the API share."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from .choices import RETIRED_STATUSES
from .models import SiteEquipmentCount


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
