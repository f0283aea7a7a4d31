"""One FilterSet per screening model, shared by the API and the web UI. Findings and matches are about
vendors (shared reference data); pre-purchase checks belong to an organisation (scope them first)."""
from __future__ import annotations

import django_filters

from apps.accounts.filtersets import UtcDateTimeFilter, scoped_organizations
from apps.common.choices import RiskStatus
from apps.common.filters import any_of, date_range

from .choices import CheckVerdict, Decision, FindingKind, MatchStrength, ReviewState, RunStatus, RunTrigger
from .models import Finding, Match, PrePurchaseCheck, ReviewDecision, ScreeningRun


class FindingFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=RiskStatus.choices)
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=FindingKind.choices)
    source = django_filters.CharFilter(field_name="source__code", label="List source code")
    regime = django_filters.CharFilter()
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", label="Open (not closed)")
    discovered_after, discovered_before = date_range("discovered_at", UtcDateTimeFilter)
    changed_since = UtcDateTimeFilter(method="filter_changed_since",
                                                     label="Discovered, seen or closed since")

    class Meta:
        model = Finding
        fields = ["vendor", "status", "kind", "source", "regime", "via_vendor"]

    def filter_changed_since(self, queryset, name, value):
        return any_of(queryset, value, "discovered_at__gte", "last_seen_at__gte", "closed_at__gte")


class MatchFilterSet(django_filters.FilterSet):
    source = django_filters.CharFilter(field_name="source__code", label="List source code")
    strength = django_filters.MultipleChoiceFilter(distinct=False, choices=MatchStrength.choices)
    review_state = django_filters.MultipleChoiceFilter(distinct=False, choices=ReviewState.choices)
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    changed_since = UtcDateTimeFilter(field_name="last_seen_at", lookup_expr="gte")

    class Meta:
        model = Match
        fields = ["vendor", "source", "strength", "review_state"]


class ReviewDecisionFilterSet(django_filters.FilterSet):
    decision = django_filters.MultipleChoiceFilter(distinct=False, choices=Decision.choices)
    source = django_filters.CharFilter(field_name="source__code")
    current = django_filters.BooleanFilter(field_name="superseded_at", lookup_expr="isnull")

    class Meta:
        model = ReviewDecision
        fields = ["vendor", "decision", "source"]


class ScreeningRunFilterSet(django_filters.FilterSet):
    trigger = django_filters.MultipleChoiceFilter(distinct=False, choices=RunTrigger.choices)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=RunStatus.choices)
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")

    class Meta:
        model = ScreeningRun
        fields = ["trigger", "status"]


class PrePurchaseCheckFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    verdict = django_filters.MultipleChoiceFilter(distinct=False, choices=CheckVerdict.choices)
    q = django_filters.CharFilter(field_name="query_name", lookup_expr="icontains")
    created_after, created_before = date_range("created_at", UtcDateTimeFilter)

    class Meta:
        model = PrePurchaseCheck
        fields = ["organization", "verdict"]
