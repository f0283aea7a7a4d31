"""Vendors: a searchable list and a detail page with aliases, identifiers, the drawn ownership graph, OEM
relations and screening findings. Vendors are shared reference data, readable by every signed-in member and
written by officers and admins (as in the API); every change re-screens the vendor (apps.vendors.services)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.vendors import services as vendors
from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.models import Vendor, VendorAlias, VendorIdentifier

from .. import selectors
from ..access import org_view
from ..forms import VendorAliasForm, VendorForm, VendorIdentifierForm, form_add_errors


@org_view
def vendor_list(request):
    base = Vendor.objects.order_by("name")
    filterset = VendorFilterSet(request.GET or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/vendor_list.html", {"filter": filterset, "page_obj": page,
                                                    "risk_ready": selectors.risk_ready()})


@org_view
def vendor_detail(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    return _vendor_page(request, vendor)


def _vendor_page(request, vendor: Vendor, *, alias_form=None, identifier_form=None, status: int = 200):
    data = selectors.vendor_page(vendor, organization_ids=request.access.organization_ids)
    if request.access.can_write:
        data["alias_form"] = alias_form or VendorAliasForm(prefix="alias")
        data["identifier_form"] = identifier_form or VendorIdentifierForm(prefix="identifier")
    return render(request, "web/vendor_detail.html", data, status=status)


def _require_write(request) -> None:
    if not request.access.can_write:
        raise PermissionDenied("Your role in this organisation is read-only.")


def _vendor_form_page(request, form: VendorForm, vendor: Vendor | None):
    """Create (vendor None) or edit a vendor from `form`; the page again with its errors when refused."""
    if request.method == "POST" and form.is_valid():
        try:
            if vendor is None:
                vendor = vendors.vendor_create(actor=request.user, **form.cleaned_data)
            else:
                vendor = vendors.vendor_update(vendor=vendor, actor=request.user, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, f"{vendor.name} saved; it is screened against the active lists now.")
            return redirect("web:vendor-detail", pk=vendor.pk)
    return render(request, "web/vendor_form.html", {"form": form, "vendor": vendor})


@org_view(write=True)
def vendor_create(request):
    _require_write(request)
    initial = {"name": request.GET.get("name", "")[:300]} if request.GET.get("name") else None
    return _vendor_form_page(request, VendorForm(request.POST or None, initial=initial), None)


@org_view(write=True)
def vendor_edit(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    _require_write(request)
    form = VendorForm(request.POST or None, instance=Vendor.objects.get(pk=pk))  # the form mutates its copy
    return _vendor_form_page(request, form, vendor)


@org_view(write=True)
@require_POST
def vendor_alias_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    form = VendorAliasForm(request.POST, prefix="alias", instance=VendorAlias(vendor=vendor))
    if form.is_valid():
        try:
            vendors.vendor_alias_add(vendor=vendor, actor=request.user, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, f"Alias \u201c{form.cleaned_data['name']}\u201d added.")
            return redirect("web:vendor-detail", pk=vendor.pk)
    return _vendor_page(request, vendor, alias_form=form, status=400)


@org_view(write=True)
@require_POST
def vendor_identifier_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    form = VendorIdentifierForm(request.POST, prefix="identifier", instance=VendorIdentifier(vendor=vendor))
    if form.is_valid():
        try:
            vendors.vendor_identifier_add(vendor=vendor, actor=request.user, **form.cleaned_data)
        except (ApplicationError, DjangoValidationError) as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Identifier added.")
            return redirect("web:vendor-detail", pk=vendor.pk)
    return _vendor_page(request, vendor, identifier_form=form, status=400)


@org_view(write=True)
@require_POST
def vendor_alias_remove(request, pk: int, alias_pk: int):
    alias = get_object_or_404(VendorAlias, pk=alias_pk, vendor_id=pk)
    vendors.vendor_alias_delete(alias=alias, actor=request.user)
    messages.success(request, f"Alias \u201c{alias.name}\u201d removed.")
    return redirect("web:vendor-detail", pk=pk)


@org_view(write=True)
@require_POST
def vendor_identifier_remove(request, pk: int, identifier_pk: int):
    identifier = get_object_or_404(VendorIdentifier, pk=identifier_pk, vendor_id=pk)
    vendors.vendor_identifier_delete(identifier=identifier, actor=request.user)
    messages.success(request, f"Identifier {identifier} removed.")
    return redirect("web:vendor-detail", pk=pk)
