"""FilterSets of the data calls, shared by the API and the web pages (querysets are scoped first)."""
from __future__ import annotations

import django_filters

from apps.accounts.filtersets import scoped_organizations
from apps.common.filters import IdFilter

from .choices import DataCallState, DataCallStatus, DataCallTemplate, DeclaredFindingStatus, RecipientKind
from .models import DataCall, DataCallResponse, DeclaredFinding


class DataCallFilterSet(django_filters.FilterSet):
    """`status` needs the queryset annotated with the status on the day read (DataCallQuerySet.with_status), as
    the API and the web list are."""

    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    template = django_filters.MultipleChoiceFilter(distinct=False, choices=DataCallTemplate.choices)
    state = django_filters.MultipleChoiceFilter(distinct=False, choices=DataCallState.choices)
    recipient_kind = django_filters.ChoiceFilter(choices=RecipientKind.choices)
    vendor = IdFilter(field_name="vendor_id")
    site = IdFilter(field_name="site_id")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    status = django_filters.MultipleChoiceFilter(choices=DataCallStatus.choices, method="filter_status",
                                                 label="Status on the day read (pending, overdue, ...)")
    q = django_filters.CharFilter(field_name="vendor__name", lookup_expr="icontains", label="Supplier name contains")

    class Meta:
        model = DataCall
        fields = ["organization", "template", "state", "recipient_kind", "vendor", "site", "due_before", "status", "q"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status_on__in=value) if value else queryset


class DataCallResponseFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    data_call = IdFilter(field_name="data_call_id")
    vendor = IdFilter(field_name="data_call__vendor_id")

    class Meta:
        model = DataCallResponse
        fields = ["organization", "data_call", "vendor"]


class DeclaredFindingFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    status = django_filters.ChoiceFilter(choices=DeclaredFindingStatus.choices)
    data_call = IdFilter(field_name="data_call_id")
    vendor = IdFilter(field_name="vendor_id")

    class Meta:
        model = DeclaredFinding
        fields = ["organization", "status", "data_call", "vendor"]
