"""One FilterSet per remediation model, shared by the API and the web UI. Scope querysets to the user's
organisations first; the organisation and site choices here only offer the user's own."""
from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.accounts.filtersets import UtcDateTimeFilter, scoped_organizations
from apps.common.filters import IdFilter, any_of, yes_no
from apps.inventory import filtersets as inventory_filtersets
from apps.inventory.choices import EquipmentCategory
from apps.inventory.filtersets import scoped_sites

from .choices import Action, PlanStatus, WaiverStatus
from .models import (
    Evidence,
    FactChangeNotice,
    PolicyRule,
    ProjectionReport,
    RemediationPlan,
    RemediationPlanQuerySet,
    Waiver,
)


def _today() -> dt.date:
    return timezone.localdate()


class RemediationPlanFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    site = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_sites)
    equipment = IdFilter(field_name="equipment_id")
    vendor = IdFilter(field_name="vendor_id")
    category = django_filters.MultipleChoiceFilter(distinct=False, choices=EquipmentCategory.choices)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=PlanStatus.choices)
    action = django_filters.MultipleChoiceFilter(distinct=False, choices=Action.choices)
    rule = django_filters.CharFilter(field_name="rule__code", label="Policy rule code")
    country = django_filters.CharFilter(field_name="site__country", lookup_expr="iexact",
                                        label="Country of the site (ISO alpha-2)")
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label="Deadline passed while the plan still runs (today)")
    due_before = django_filters.DateFilter(field_name="deadline", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="deadline", lookup_expr="gte")
    changed_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = RemediationPlan
        fields = ["organization", "site", "status", "action", "category", "owner"]

    def filter_overdue(self, queryset, name, value):
        return yes_no(queryset, value, RemediationPlanQuerySet.overdue_q(_today()))


class EquipmentFilterSet(inventory_filtersets.EquipmentFilterSet):
    """Equipment filters with the remediation deadlines: inventory declares the unit's own filters, and
    remediation (the layer above it) adds those that read its plans. The API and the web both use this one."""

    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label="Has a remediation plan whose deadline has passed (today)")
    due_before = django_filters.DateFilter(method="filter_due_before",
                                           label="Has a running remediation plan due on or before this day")
    due_after = django_filters.DateFilter(method="filter_due_after",
                                          label="Has a running remediation plan due on or after this day")

    @staticmethod
    def _plans(condition: Q) -> Exists:
        return Exists(RemediationPlan.objects.filter(condition, equipment_id=OuterRef("id")))

    def filter_overdue(self, queryset, name, value):
        return yes_no(queryset, value, self._plans(RemediationPlanQuerySet.overdue_q(_today())))

    def filter_due_before(self, queryset, name, value):
        running = RemediationPlanQuerySet.running_q()
        return queryset.filter(self._plans(running & Q(deadline__lte=value))) if value else queryset

    def filter_due_after(self, queryset, name, value):
        running = RemediationPlanQuerySet.running_q()
        return queryset.filter(self._plans(running & Q(deadline__gte=value))) if value else queryset


class WaiverFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=WaiverStatus.choices)
    plan = IdFilter(field_name="plan_id")
    site = django_filters.ModelMultipleChoiceFilter(distinct=False, field_name="plan__site", queryset=scoped_sites)
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")
    expires_after = django_filters.DateFilter(field_name="expires_on", lookup_expr="gte")
    changed_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Waiver
        fields = ["organization", "status", "plan"]


class EvidenceFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, field_name="plan__organization",
                                                            queryset=scoped_organizations)
    plan = IdFilter(field_name="plan_id")
    site = django_filters.ModelMultipleChoiceFilter(distinct=False, field_name="plan__site", queryset=scoped_sites)
    uploaded_since = UtcDateTimeFilter(field_name="uploaded_at", lookup_expr="gte")
    uploaded_before = UtcDateTimeFilter(field_name="uploaded_at", lookup_expr="lt")
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")

    class Meta:
        model = Evidence
        fields = ["organization", "plan", "site", "sha256"]


class PolicyRuleFilterSet(django_filters.FilterSet):
    action = django_filters.MultipleChoiceFilter(distinct=False, choices=Action.choices)
    q = django_filters.CharFilter(method="filter_q", label="Code, name or citation contains")
    changed_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = PolicyRule
        fields = ["enabled", "basis", "action", "code"]

    def filter_q(self, queryset, name, value):
        return any_of(queryset, value, "code__icontains", "name__icontains", "citation__icontains")


class ProjectionReportFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=ProjectionReport.Status.choices)
    on_after = django_filters.DateFilter(field_name="on", lookup_expr="gte", label="Asked for this day or later")
    on_before = django_filters.DateFilter(field_name="on", lookup_expr="lte", label="Asked for this day or earlier")

    class Meta:
        model = ProjectionReport
        fields = ["organization", "status"]


class FactChangeNoticeFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    proposal = IdFilter(field_name="proposal_id", label="Change proposal id")
    since = UtcDateTimeFilter(field_name="computed_at", lookup_expr="gte", label="Computed at or after")

    class Meta:
        model = FactChangeNotice
        fields = ["organization", "proposal"]
