"""FilterSets of the webhooks, shared by the API and the web pages (querysets are scoped first)."""
from __future__ import annotations

import django_filters

from apps.accounts.filtersets import scoped_organizations
from apps.common.filters import IdFilter

from .choices import DeliveryStatus, EventType
from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = WebhookEndpoint
        fields = ["organization", "enabled"]


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    endpoint = IdFilter(field_name="endpoint_id")
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=DeliveryStatus.choices)
    event_type = django_filters.MultipleChoiceFilter(distinct=False, choices=EventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["organization", "endpoint", "status", "event_type"]
