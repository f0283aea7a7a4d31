"""Vendors: a searchable list and a detail page with aliases, identifiers, the drawn ownership graph, OEM
relations and screening findings. Vendors are shared reference data, readable by every signed-in member and
written by officers and admins (as in the API); every change re-screens the vendor (apps.vendors.services)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.vendors import services as vendors
from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier

from .. import selectors
from ..access import org_view, require_write
from ..forms import (
    NOT_SUBMITTED,
    OemRelationForm,
    OwnershipForm,
    VendorAliasForm,
    VendorForm,
    VendorIdentifierForm,
    form_submit,
)

# The forms on a vendor's page (writers only): context name -> (class, prefix)
PAGE_FORMS = {"alias_form": (VendorAliasForm, "alias"), "identifier_form": (VendorIdentifierForm, "identifier"),
              "ownership_form": (OwnershipForm, "owner"), "oem_form": (OemRelationForm, "oem")}


@org_view
def vendor_list(request):
    base = Vendor.objects.order_by("name")
    filterset = VendorFilterSet(request.GET or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/vendor_list.html", {"filter": filterset, "page_obj": page})


@org_view
def vendor_detail(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    return _vendor_page(request, vendor)


def _vendor_page(request, vendor: Vendor, *, status: int = 200, **bound_forms):
    """The vendor's page; a form refused by its service is shown again (`bound_forms`) with its errors."""
    data = selectors.vendor_page(vendor, organization_ids=request.access.organization_ids)
    if request.access.can_write:
        for name, (form_class, prefix) in PAGE_FORMS.items():
            data[name] = bound_forms.get(name) or form_class(prefix=prefix)
        data["vendor_names"] = selectors.organization_vendor_names(request.access.organization.pk)
    return render(request, "web/vendor_detail.html", data, status=status)


def _page_form_post(request, vendor: Vendor, name: str, write) -> object:
    """Bind the page form `name` to the POST, run `write(**cleaned_data)` (a service), and go back to the page;
    the page again with the form's errors (400) when the input or the service refuses it."""
    form_class, prefix = PAGE_FORMS[name]
    form = form_class(request.POST, prefix=prefix)
    done = form_submit(request, form, write)
    if done is not NOT_SUBMITTED:
        messages.success(request, done)
        return redirect("web:vendor-detail", pk=vendor.pk)
    return _vendor_page(request, vendor, status=400, **{name: form})


def _vendor_form_page(request, form: VendorForm, vendor: Vendor | None):
    """Create (vendor None) or edit a vendor from `form`; the page again with its errors when refused."""
    saved = form_submit(request, form, lambda **data: (
        vendors.vendor_create(actor=request.user, **data) if vendor is None
        else vendors.vendor_update(vendor=vendor, actor=request.user, **data)))
    if saved is not NOT_SUBMITTED:
        messages.success(request, f"{saved.name} saved; it is screened against the active lists now.")
        return redirect("web:vendor-detail", pk=saved.pk)
    return render(request, "web/vendor_form.html", {"form": form, "vendor": vendor})


@org_view(write=True)
def vendor_create(request):
    require_write(request)
    initial = {"name": request.GET.get("name", "")[:300]} if request.GET.get("name") else None
    return _vendor_form_page(request, VendorForm(request.POST or None, initial=initial), None)


@org_view(write=True)
def vendor_edit(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    require_write(request)
    form = VendorForm(request.POST or None, instance=Vendor.objects.get(pk=pk))  # the form mutates its copy
    return _vendor_form_page(request, form, vendor)


@org_view(write=True)
@require_POST
def vendor_alias_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)

    def write(**data):
        vendors.vendor_alias_add(vendor=vendor, actor=request.user, **data)
        return f"Alias \u201c{data['name']}\u201d added."

    return _page_form_post(request, vendor, "alias_form", write)


@org_view(write=True)
@require_POST
def vendor_identifier_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)

    def write(**data):
        return f"Identifier {vendors.vendor_identifier_add(vendor=vendor, actor=request.user, **data)} added."

    return _page_form_post(request, vendor, "identifier_form", write)


@org_view(write=True)
@require_POST
def vendor_ownership_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)

    def write(**data):
        link = vendors.ownership_record(owned=vendor, actor=request.user, **data)
        return f"Recorded: {link}. The vendor is screened again through its new owner."

    return _page_form_post(request, vendor, "ownership_form", write)


@org_view(write=True)
@require_POST
def vendor_oem_add(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)

    def write(**data):
        return f"Recorded: {vendors.oem_relation_record(brand=vendor, actor=request.user, **data)}."

    return _page_form_post(request, vendor, "oem_form", write)


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



@org_view(write=True)
@require_POST
def vendor_ownership_remove(request, pk: int, link_pk: int):
    link = get_object_or_404(Ownership.objects.select_related("owner", "owned"), pk=link_pk, owned_id=pk)
    vendors.ownership_delete(ownership=link, actor=request.user)
    messages.success(request, f"Removed: {link}.")
    return redirect("web:vendor-detail", pk=pk)


@org_view(write=True)
@require_POST
def vendor_oem_remove(request, pk: int, relation_pk: int):
    relation = get_object_or_404(OemRelation.objects.select_related("brand", "manufacturer"), pk=relation_pk,
                                 brand_id=pk)
    vendors.oem_relation_delete(relation=relation, actor=request.user)
    messages.success(request, f"Removed: {relation}.")
    return redirect("web:vendor-detail", pk=pk)
