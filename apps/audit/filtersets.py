"""Filters over audit events (API and web UI). Scope the queryset to the user's organisations first."""
from __future__ import annotations

import django_filters

from apps.accounts.filtersets import UtcDateTimeFilter, scoped_organizations

from .models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    action = django_filters.CharFilter(lookup_expr="istartswith", label="Action starts with (e.g. equipment.)")
    actor = django_filters.CharFilter(field_name="actor_repr", label="Actor username")
    object_type = django_filters.CharFilter(label="e.g. inventory.equipment")
    object_id = django_filters.CharFilter()
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = AuditEvent
        fields = ["organization", "action", "object_type", "object_id"]
