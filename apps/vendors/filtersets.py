"""One FilterSet per vendor model, shared by the API and the web UI. Vendors are shared reference data,
so nothing here is organisation-scoped."""
from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q

from apps.accounts.filtersets import UtcDateTimeFilter
from apps.common.filters import RISK_STATUS_CHOICES, IdFilter, any_of, risk_status_filter

from .choices import AliasKind, IdentifierScheme, OemConfidence, OwnershipKind, ProposalKind, ProposalStatus
from .identifiers import identifier_canonical
from .models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier


class VendorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name or alias contains")
    country = django_filters.CharFilter(method="filter_country",
                                        label="Country of incorporation or headquarters (ISO alpha-2)")
    identifier = django_filters.CharFilter(method="filter_identifier", label="Identifier value (LEI, UEI, ...)")
    risk_status = django_filters.MultipleChoiceFilter(distinct=False, choices=RISK_STATUS_CHOICES,
                                                      method="filter_risk_status")
    changed_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Vendor
        fields = ["country_of_incorporation", "country_of_headquarters"]

    def filter_q(self, queryset, name, value):
        if not value:
            return queryset
        alias = VendorAlias.objects.filter(vendor_id=OuterRef("id"), name__icontains=value)
        return queryset.filter(Q(name__icontains=value) | Q(Exists(alias)))

    def filter_country(self, queryset, name, value):
        return any_of(queryset, value, "country_of_incorporation__iexact", "country_of_headquarters__iexact")

    def filter_identifier(self, queryset, name, value):
        if not value:
            return queryset
        canonical = identifier_canonical("", value)  # the scheme is not given: the scheme-free canonical form
        return queryset.filter(Exists(VendorIdentifier.objects.filter(vendor_id=OuterRef("id"), value=canonical)))

    def filter_risk_status(self, queryset, name, value):
        return risk_status_filter(queryset, value)


class VendorAliasFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=AliasKind.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = VendorAlias
        fields = ["vendor", "kind"]


class VendorIdentifierFilterSet(django_filters.FilterSet):
    scheme = django_filters.MultipleChoiceFilter(distinct=False, choices=IdentifierScheme.choices)

    class Meta:
        model = VendorIdentifier
        fields = ["vendor", "scheme", "value", "country"]


class OwnershipFilterSet(django_filters.FilterSet):
    vendor = IdFilter(method="filter_vendor", label="Vendor id, as owner or owned")
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=OwnershipKind.choices)
    active_on = django_filters.DateFilter(method="filter_active_on", label="Links in force on this date")
    share_unknown = django_filters.BooleanFilter(field_name="share_percent", lookup_expr="isnull")

    class Meta:
        model = Ownership
        fields = ["owner", "owned", "kind"]

    def filter_vendor(self, queryset, name, value):
        return queryset.filter(Q(owner_id=value) | Q(owned_id=value)) if value is not None else queryset

    def filter_active_on(self, queryset, name, value):  # no type hint: the schema says DateFilter's date
        return queryset.active_on(value) if value else queryset


class OemRelationFilterSet(django_filters.FilterSet):
    vendor = IdFilter(method="filter_vendor", label="Vendor id, as brand or manufacturer")
    confidence = django_filters.MultipleChoiceFilter(distinct=False, choices=OemConfidence.choices)

    class Meta:
        model = OemRelation
        fields = ["brand", "manufacturer", "category", "confidence"]

    def filter_vendor(self, queryset, name, value):
        return queryset.filter(Q(brand_id=value) | Q(manufacturer_id=value)) if value is not None else queryset


class ChangeProposalFilterSet(django_filters.FilterSet):
    vendor = IdFilter(field_name="vendor_id", label="Vendor id (the vendor the fact is about)")
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=ProposalStatus.choices)
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=ProposalKind.choices)
    organization = IdFilter(field_name="organization_id", label="Proposing organisation id")

    class Meta:
        model = ChangeProposal
        fields = ["vendor", "status", "kind", "organization"]
