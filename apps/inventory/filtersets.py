"""One FilterSet per inventory model, shared by the API and the web UI (NetBox style).

Build them with ``request=request`` so the site and organisation choices are limited to the requesting
user's organisations (another organisation's ids are rejected like ids that do not exist). The querysets
they filter must already be scoped by the caller; these filters never widen a queryset.
"""
from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.accounts.filtersets import UtcDateTimeFilter, request_organization_ids, scoped_organizations
from apps.common.filters import RISK_STATUS_CHOICES, IdFilter, any_of, date_range, risk_status_filter

from .choices import ComponentKind, Criticality, EquipmentCategory, EquipmentStatus, SiteKind
from .models import BomDocument, Component, Equipment, ProductModel, Site
from .selectors import bom_parts_of_unit_q

MODEL_IDS_INLINE = 1000  # matching product models passed as a literal list (beyond: a subquery)


def scoped_sites(request) -> QuerySet[Site]:
    return Site.objects.filter(organization_id__in=request_organization_ids(request))


class ChangedSinceMixin(django_filters.FilterSet):
    changed_since = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Changed since (ISO date or date-time)"
    )


class SiteFilterSet(ChangedSinceMixin):
    q = django_filters.CharFilter(method="filter_q", label="Name or code contains")
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=SiteKind.choices)
    criticality = django_filters.MultipleChoiceFilter(distinct=False, choices=Criticality.choices)
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact", label="Country (ISO alpha-2)")

    class Meta:
        model = Site
        fields = ["organization", "kind", "criticality", "country", "is_defence"]

    def filter_q(self, queryset, name, value):
        return any_of(queryset, value, "name__icontains", "code__icontains")


def _vendor_q(prefix: str, value) -> Q:
    return (
        Q(**{f"{prefix}brand_id": value})
        | Q(**{f"{prefix}manufacturer_id": value})
        | Q(**{f"{prefix}software_supplier_id": value})
    )


def vendor_family_q(family) -> Q:
    """Equipment from a vendor "under any brand" (`family`: apps.vendors.selectors.vendor_family): the vendor or
    a company it owns as brand, real maker, software supplier or component vendor, or a brand it (or they) make
    white-label products for, in the categories made for that brand."""
    ids = sorted(family.vendor_ids)
    condition = (Q(product_model__brand_id__in=ids) | Q(product_model__manufacturer_id__in=ids)
                 | Q(product_model__software_supplier_id__in=ids)
                 | Q(Exists(Component.objects.filter(equipment_id=OuterRef("id"), vendor_id__in=ids)))
                 | bom_parts_of_unit_q(ids))
    every = sorted(b for b, cats in family.oem_brands.items() if cats is None)
    if every:
        condition |= Q(product_model__brand_id__in=every)
    by_category: dict[str, list[int]] = {}
    for brand_id, categories in family.oem_brands.items():
        for category in categories or ():
            by_category.setdefault(category, []).append(brand_id)
    for category, brands in sorted(by_category.items()):
        condition |= Q(category=category, product_model__brand_id__in=sorted(brands))
    return condition


class ProductModelFilterSet(ChangedSinceMixin):
    q = django_filters.CharFilter(method="filter_q", label="Model number or name contains")
    vendor = IdFilter(method="filter_vendor", label="Vendor id (brand, maker or software)")
    category = django_filters.MultipleChoiceFilter(distinct=False, choices=EquipmentCategory.choices)
    country = django_filters.CharFilter(field_name="country_of_manufacture", lookup_expr="iexact",
                                        label="Country of manufacture (ISO alpha-2)")

    class Meta:
        model = ProductModel
        fields = ["brand", "manufacturer", "software_supplier", "category", "remote_access_capable"]

    def filter_q(self, queryset, name, value):
        return any_of(queryset, value, "model_number__icontains", "name__icontains")

    def filter_vendor(self, queryset, name, value):
        return queryset.filter(_vendor_q("", value)) if value is not None else queryset


class EquipmentFilterSet(ChangedSinceMixin):
    q = django_filters.CharFilter(method="filter_q", label="Search (serial, asset tag, model, brand)")
    site = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_sites)
    organization = django_filters.ModelMultipleChoiceFilter(
        distinct=False, field_name="site__organization", queryset=scoped_organizations
    )
    category = django_filters.MultipleChoiceFilter(distinct=False, choices=EquipmentCategory.choices)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=EquipmentStatus.choices)
    internet_connected = django_filters.BooleanFilter(label="Internet-connected")
    vendor_remote_access = django_filters.BooleanFilter(label="Vendor remote access")
    cellular_modem = django_filters.BooleanFilter(label="Cellular modem")
    isolated_segment = django_filters.BooleanFilter(label="Isolated network segment")
    remote_access_vendor = IdFilter(field_name="remote_access_vendor_id", label="Vendor id holding remote access")
    country = django_filters.CharFilter(field_name="site__country", lookup_expr="iexact",
                                        label="Country of the site (ISO alpha-2)")
    criticality = django_filters.MultipleChoiceFilter(distinct=False, field_name="site__criticality",
                                                      choices=Criticality.choices)
    vendor = IdFilter(
        method="filter_vendor", label="Vendor id: brand, manufacturer, software supplier or component vendor "
        "(a recorded component or a part of a bill of materials in force)"
    )
    vendor_family = IdFilter(
        method="filter_vendor_family",
        label="Vendor id, under any brand: it and the companies it owns (brand, maker, software or component), "
              "and the brands they make white-label products for (in the categories made)")
    product_model = IdFilter(field_name="product_model_id")
    import_job = IdFilter(field_name="import_job_id", label="Import id: the units that import recorded")
    risk_status = django_filters.MultipleChoiceFilter(distinct=False, choices=RISK_STATUS_CHOICES,
                                                      method="filter_risk_status")
    installed_after, installed_before = date_range("installed_date")

    class Meta:
        model = Equipment
        fields = ["site", "organization", "category", "status", "internet_connected", "vendor_remote_access",
                  "cellular_modem", "isolated_segment", "remote_access_vendor", "collects_data"]

    def filter_q(self, queryset, name, value):
        """Serial, asset tag, model number or brand name contains `value`. The product models are looked up
        first (a small table), so the equipment condition is an OR of three indexed terms on one table (trigram
        indexes on PostgreSQL), not an OR across joined tables that forces a scan of the inventory."""
        if not value:
            return queryset
        models = ProductModel.objects.filter(Q(model_number__icontains=value) | Q(brand__name__icontains=value))
        ids = list(models.order_by().values_list("pk", flat=True)[:MODEL_IDS_INLINE + 1])
        by_model = (Q(product_model_id__in=ids) if len(ids) <= MODEL_IDS_INLINE
                    else Q(product_model_id__in=models.order_by().values("pk")))
        return queryset.filter(Q(serial_number__icontains=value) | Q(asset_tag__icontains=value) | by_model)

    def filter_vendor(self, queryset, name, value):
        if value is None:
            return queryset
        component = Component.objects.filter(equipment_id=OuterRef("id"), vendor_id=value)
        return queryset.filter(_vendor_q("product_model__", value) | Q(Exists(component))
                               | bom_parts_of_unit_q([value]))

    def view_organization_id(self) -> int | None:
        """The organisation in whose own view the filters that read shared vendor facts answer (vendor_family: its
        pending proposals applied to its view count, apps.vendors.overlay): the signed-in user's only
        organisation; None, the shared view, without a request or for a member of several organisations."""
        organization_ids = request_organization_ids(self.request)
        return organization_ids[0] if len(organization_ids) == 1 else None

    def filter_vendor_family(self, queryset, name, value):
        if value is None:
            return queryset
        from apps.vendors.overlay import organization_overlay
        from apps.vendors.selectors import vendor_family

        # The family in the organisation's own view (its overlay read once, one query), as its vendor page counts it.
        organization_id = self.view_organization_id()
        overlay = organization_overlay(organization_id) if organization_id is not None else None
        return queryset.filter(vendor_family_q(vendor_family(int(value), overlay=overlay)))

    def filter_risk_status(self, queryset, name, value):
        return risk_status_filter(queryset, value)


class ComponentFilterSet(ChangedSinceMixin):
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=ComponentKind.choices)
    site = django_filters.ModelMultipleChoiceFilter(distinct=False, field_name="equipment__site", queryset=scoped_sites)
    # A plain number, not a choice over all equipment: validating against every organisation's rows
    # would tell "exists elsewhere" from "does not exist".
    equipment = IdFilter(field_name="equipment_id")

    class Meta:
        model = Component
        fields = ["equipment", "vendor", "kind", "site"]


class BomDocumentFilterSet(django_filters.FilterSet):
    # Plain numbers (see ComponentFilterSet.equipment): no choice over every organisation's rows.
    product_model = IdFilter(field_name="product_model_id")
    equipment = IdFilter(field_name="equipment_id")
    is_current = django_filters.BooleanFilter()

    class Meta:
        model = BomDocument
        fields = ["product_model", "equipment", "is_current"]
