"""One FilterSet per list model, shared by the API and the web UI. Public lists are shared reference
data; an organisation's in-house list is visible to its members only (scope querysets first)."""
from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q

from apps.accounts.filtersets import UtcDateTimeFilter
from apps.common.filters import any_of, date_range, yes_no

from .choices import EntryType, Regime, RunStatus, VersionStatus
from .models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from .selectors import list_versions_active


class ListSourceFilterSet(django_filters.FilterSet):
    regime = django_filters.MultipleChoiceFilter(distinct=False, choices=Regime.choices)
    q = django_filters.CharFilter(method="filter_q", label="Code, name or publisher contains")

    class Meta:
        model = ListSource
        fields = ["regime", "enabled", "format"]

    def filter_q(self, queryset, name, value):
        return any_of(queryset, value, "code__icontains", "name__icontains", "publisher__icontains")


class ListVersionFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__code", label="List source code")
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=VersionStatus.choices)
    active_on = django_filters.DateFilter(method="filter_active_on", label="Versions active at the end of this day")
    fetched_after, fetched_before = date_range("fetched_at", UtcDateTimeFilter)
    changed_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = ListVersion
        fields = ["source", "status", "sha256"]

    def filter_active_on(self, queryset, name, value):
        if not value:
            return queryset
        if value >= dt.date.max:
            return queryset.filter(pk__in=list_versions_active(None).values("pk"))
        end = dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        return queryset.filter(pk__in=list_versions_active(end - dt.timedelta(microseconds=1)).values("pk"))


class ListEntryFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="version__source__code", label="List source code")
    active = django_filters.BooleanFilter(method="filter_active", label="Only entries of the active versions")
    q = django_filters.CharFilter(field_name="primary_name", lookup_expr="icontains", label="Name contains")
    entry_type = django_filters.MultipleChoiceFilter(distinct=False, choices=EntryType.choices)
    listed_after, listed_before = date_range("listed_on")

    class Meta:
        model = ListEntry
        fields = ["version", "source", "external_id", "sub_list", "entry_type", "content_hash"]

    def filter_active(self, queryset, name, value):
        return yes_no(queryset, value, Q(version__in=list_versions_active().values("pk")))


class ListDiffFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="version__source__code", label="List source code")
    changed_since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ListDiff
        fields = ["version", "source"]


class FetchRunFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__code")
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=RunStatus.choices)

    class Meta:
        model = FetchRun
        fields = ["source", "status", "trigger"]
