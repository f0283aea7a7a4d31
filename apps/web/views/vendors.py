"""Vendors: a searchable list and a detail page with aliases, identifiers, the drawn ownership graph, OEM
relations and screening findings. Vendors are shared reference data, readable by every signed-in member and
written by officers and admins (as in the API); every change re-screens the vendor (apps.vendors.services)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.screening.selectors import vendor_status_annotate
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
    # statuses in the current organisation's view (its overlay where it differs from the public one)
    base = vendor_status_annotate(Vendor.objects.order_by("name"), _view_id(request), field="view_risk_status")
    filterset = VendorFilterSet(request.GET or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/vendor_list.html", {"filter": filterset, "page_obj": page})


def _view_id(request) -> int | None:
    """The view the pages answer in: the user's current organisation."""
    return request.access.organization.pk if request.access.organization else None


@org_view
def vendor_detail(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    return _vendor_page(request, vendor)


def _vendor_page(request, vendor: Vendor, *, status: int = 200, **bound_forms):
    """The vendor's page; a form refused by its service is shown again (`bound_forms`) with its errors."""
    data = selectors.vendor_page(vendor, organization_ids=request.access.organization_ids,
                                 organization_id=_view_id(request))
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


# The page forms' services: (vendor, actor, **cleaned_data) -> the message shown once it is recorded
def _alias_add(vendor: Vendor, actor, **data) -> str:
    vendors.vendor_alias_add(vendor=vendor, actor=actor, **data)
    return f"Alias \u201c{data['name']}\u201d added."


def _identifier_add(vendor: Vendor, actor, **data) -> str:
    return f"Identifier {vendors.vendor_identifier_add(vendor=vendor, actor=actor, **data)} added."


def _ownership_add(vendor: Vendor, actor, **data) -> str:
    link = vendors.ownership_record(owned=vendor, actor=actor, **data)
    return f"Recorded: {link}. The vendor is screened again through its new owner."


def _oem_add(vendor: Vendor, actor, **data) -> str:
    return f"Recorded: {vendors.oem_relation_record(brand=vendor, actor=actor, **data)}."


def _page_form_view(name: str, write):
    """The POST view of the page form `name` (PAGE_FORMS) on the vendor `pk`: `write(vendor, actor, **data)`."""

    @org_view(write=True)
    @require_POST
    def view(request, pk: int):
        vendor = get_object_or_404(Vendor, pk=pk)
        return _page_form_post(request, vendor, name, lambda **data: write(vendor, request.user, **data))

    return view


def _remove_view(records, url_id: str, vendor_field: str, delete, keyword: str, done: str):
    """The POST view removing one of the vendor `pk`'s `records` (a model or queryset), the one whose id is the
    URL's `url_id` (404 unless its `vendor_field` is that vendor), by the service `delete` (the record passed as
    `keyword`); back on the vendor's page with the message `done`, a format string of the record."""

    @org_view(write=True)
    @require_POST
    def view(request, pk: int, **ids):
        record = get_object_or_404(records, pk=ids[url_id], **{vendor_field: pk})
        delete(**{keyword: record}, actor=request.user)
        messages.success(request, done.format(record))
        return redirect("web:vendor-detail", pk=pk)

    return view


vendor_alias_add = _page_form_view("alias_form", _alias_add)
vendor_identifier_add = _page_form_view("identifier_form", _identifier_add)
vendor_ownership_add = _page_form_view("ownership_form", _ownership_add)
vendor_oem_add = _page_form_view("oem_form", _oem_add)
vendor_alias_remove = _remove_view(VendorAlias, "alias_pk", "vendor_id", vendors.vendor_alias_delete, "alias",
                                   "Alias \u201c{0.name}\u201d removed.")
vendor_identifier_remove = _remove_view(VendorIdentifier, "identifier_pk", "vendor_id",
                                        vendors.vendor_identifier_delete, "identifier", "Identifier {0} removed.")
vendor_ownership_remove = _remove_view(Ownership.objects.select_related("owner", "owned"), "link_pk", "owned_id",
                                       vendors.ownership_delete, "ownership", "Removed: {0}.")
vendor_oem_remove = _remove_view(OemRelation.objects.select_related("brand", "manufacturer"), "relation_pk",
                                 "brand_id", vendors.oem_relation_delete, "relation", "Removed: {0}.")
