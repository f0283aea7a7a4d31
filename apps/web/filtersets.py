"""The web lists' filters: the shared FilterSets of each app (filtersets.py), narrowed to the selected
organisation and with form widgets an officer can use (a vendor picker instead of an id box, a wider search)."""
from __future__ import annotations

from functools import partial

import django_filters
from django import forms

from apps.common.filters import RISK_STATUS_CHOICES, StableOrderingFilter
from apps.inventory.choices import EquipmentCategory, EquipmentStatus
from apps.inventory.models import Site
from apps.outreach.choices import DataCallStatus, DataCallTemplate
from apps.outreach.filtersets import DataCallFilterSet
from apps.remediation.filtersets import EquipmentFilterSet
from apps.vendors.models import Vendor

from .widgets import FastSelect


def _org_id(request) -> int | None:
    access = getattr(request, "access", None)
    return access.organization.pk if access and access.organization else None


def _org_sites(request):
    return Site.objects.filter(organization_id=_org_id(request)).order_by("name")


def _org_vendors(request):
    """Vendors that appear in the organisation's inventory (brand, maker, software supplier, component vendor or
    supplier of a part of a bill of materials in force: organization_vendor_ids)."""
    from .selectors import organization_vendor_ids

    return Vendor.objects.filter(pk__in=organization_vendor_ids(_org_id(request))).only("pk", "name").order_by("name")


class EquipmentListFilterSet(EquipmentFilterSet):
    site = django_filters.ModelChoiceFilter(queryset=_org_sites, empty_label="All sites", widget=FastSelect)
    vendor = django_filters.ModelChoiceFilter(queryset=_org_vendors, method="filter_vendor_obj",
                                              label="Vendor", empty_label="Any vendor", widget=FastSelect)
    # Single choices in the UI (the API keeps its multiple-choice filters).
    # FastSelect for the short lists too: Django's Select renders two template includes per option.
    category = django_filters.ChoiceFilter(choices=EquipmentCategory.choices, empty_label="Any category",
                                           widget=FastSelect)
    risk_status = django_filters.ChoiceFilter(choices=RISK_STATUS_CHOICES, method="filter_risk_one",
                                              label="Risk status", empty_label="Any risk status", widget=FastSelect)
    status = django_filters.ChoiceFilter(choices=EquipmentStatus.choices, empty_label="Any status",
                                         widget=FastSelect)
    overdue = django_filters.ChoiceFilter(choices=[("true", "Only overdue")], method="filter_overdue",
                                          label="Deadline", empty_label="Any deadline", widget=FastSelect)
    due_before = django_filters.DateFilter(
        method="filter_due_before", label="Due on or before",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Units with a running remediation plan due on or before this day (overdue ones included).")
    # The column headers' sort keys (web_tags.sort_link); newest first by default: walks the primary key,
    # no sort over the whole inventory. "due" is the earliest running plan's deadline (selectors.equipment_due_on),
    # units without one last in both directions.
    sort = StableOrderingFilter(default="-id", nulls_last=("due_on",), fields=(
        ("id", "id"), ("site__name", "site"), ("category", "category"), ("product_model__brand__name", "brand"),
        ("installed_date", "installed"), ("risk_status", "risk"), ("due_on", "due")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization_id = _org_id(self.request)
        if organization_id is not None:  # the options from the per-organisation caches (apps.web.caches)
            from .caches import site_options_html, vendor_options_html

            fields = self.form.fields
            fields["site"].widget.options_html = partial(site_options_html, organization_id,
                                                         fields["site"].empty_label)
            fields["vendor"].widget.options_html = partial(vendor_options_html, organization_id,
                                                           fields["vendor"].empty_label)

    def view_organization_id(self) -> int | None:
        """The selected organisation (the list shows its units only), as its vendor pages answer in its view."""
        return _org_id(self.request)

    def filter_vendor_obj(self, queryset, name, value):
        return self.filter_vendor(queryset, name, value.pk) if value else queryset

    def filter_risk_one(self, queryset, name, value):
        return self.filter_risk_status(queryset, name, [value] if value else [])

    def filter_overdue(self, queryset, name, value):
        return super().filter_overdue(queryset, name, True) if value == "true" else queryset


# The list's order in words (the table's caption, read by screen readers): key -> (column, ascending, descending).
SORT_WORDS = {
    "id": ("record", "oldest first", "newest first"),
    "site": ("site", "A to Z", "Z to A"),
    "category": ("category", "A to Z", "Z to A"),
    "brand": ("brand", "A to Z", "Z to A"),
    "installed": ("installation date", "earliest first", "latest first"),
    "risk": ("risk status", "A to Z", "Z to A"),
    "due": ("remediation deadline", "soonest first, units without one last",
            "latest first, units without one last"),
}


class DataCallListFilterSet(DataCallFilterSet):
    """The data call list's filters: single choices with an "any" entry (the API keeps its multiple choices)."""

    status = django_filters.ChoiceFilter(choices=DataCallStatus.choices, method="filter_status_one",
                                         empty_label="Any status")
    template = django_filters.ChoiceFilter(choices=DataCallTemplate.choices, empty_label="Any template")

    def filter_status_one(self, queryset, name, value):
        return self.filter_status(queryset, name, [value] if value else [])


def sort_in_words(key: str | None) -> str:
    """`-due` -> "remediation deadline, latest first, units without one last"; an unknown key reads as the
    default order (which is what the list then shows)."""
    key = key or EquipmentListFilterSet.base_filters["sort"].default
    name = key.lstrip("-")
    if name not in SORT_WORDS:
        return sort_in_words(None)
    column, ascending, descending = SORT_WORDS[name]
    return f"{column}, {descending if key.startswith('-') else ascending}"
