"""Vendors: a searchable list and a detail page with aliases, identifiers, the drawn ownership graph, OEM
relations and screening findings. Vendors are shared reference data, readable by every signed-in member.
Officers and admins record new vendors directly; their changes to a vendor's shared facts (names, aliases,
identifiers, owners, OEM makers) become change proposals of their organisation, decided by a registry curator
(apps.vendors.proposals.shared_fact_write, as in the API); a verified curator's change is written at once."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.policies import Action, allowed
from apps.screening.selectors import vendor_status_annotate
from apps.vendors import proposals
from apps.vendors import services as vendors
from apps.vendors.choices import ProposalKind, ProposalStatus
from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from apps.vendors.selectors import proposals_visible, vendor_named

from .. import selectors
from ..access import org_view, require_write
from ..forms import (
    FACT_SOURCE_FIELDS,
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
    data["may_curate"] = allowed(request.user, Action.CURATE, organization_id=None)
    data["pending_proposals"] = list(proposals_visible(request.access.organization_ids).filter(
        vendor=vendor, status=ProposalStatus.PENDING).select_related("organization").order_by("id")[:20])
    if request.access.can_write:
        for name, (form_class, prefix) in PAGE_FORMS.items():
            data[name] = bound_forms.get(name) or form_class(prefix=prefix)
        data["vendor_names"] = selectors.organization_vendor_names(request.access.organization.pk)
    return render(request, "web/vendor_detail.html", data, status=status)


def _page_form_post(request, vendor: Vendor, name: str, write) -> object:
    """Bind the page form `name` to the POST, run `write(**cleaned_data)` (a service), and go back to the page;
    the page again with the form's errors (400) when the input or the service refuses it."""
    form_class, prefix = PAGE_FORMS[name]
    form = form_class(request.POST, request.FILES, prefix=prefix)
    done = form_submit(request, form, write)
    if done is not NOT_SUBMITTED:
        messages.success(request, done)
        return redirect("web:vendor-detail", pk=vendor.pk)
    return _vendor_page(request, vendor, status=400, **{name: form})


def _split_source(data: dict) -> tuple[dict, dict]:
    """A page form's cleaned data as (the fact's fields, the source keywords of shared_fact_write)."""
    source = {k: data.pop(k) for k in FACT_SOURCE_FIELDS if k in data}
    return data, {"source_url": source.get("source_url") or "", "source_document": source.get("source_document") or "",
                  "evidence": source.get("evidence")}


def _fact_write(request, *, kind: str, vendor: Vendor, payload: dict | None = None, target_id: int | None = None,
                done: str, **source) -> str:
    """Write a shared fact through apps.vendors.proposals; the message says whether it was recorded or proposed."""
    result = proposals.shared_fact_write(
        kind=kind, vendor=vendor, actor=request.user, target_id=target_id, payload=payload,
        organization_id=request.access.organization.pk if request.access.organization else None, **source)
    if result.proposed:
        proposal = result.proposal
        if proposal.applies_to_own_view:
            return (f"Proposed to the registry's curators (proposal #{proposal.pk}): {done} Your organisation "
                    "sees it in its own view until a curator decides; nobody else is affected.")
        return f"Proposed to the registry's curators (proposal #{proposal.pk}): {done} {proposal.screening_effect}"
    return f"Recorded: {done}"


def _vendor_form_page(request, form: VendorForm, vendor: Vendor | None):
    """Create (vendor None) or edit a vendor from `form`; the page again with its errors when refused. A new
    vendor is recorded at once; a change to an existing one goes through shared_fact_write (a proposal for
    anyone but a curator)."""
    def write(**data):
        fields, source = _split_source(data)
        if vendor is None:
            created = vendors.vendor_create(actor=request.user, **fields)
            return created, f"{created.name} saved; it is screened against the active lists now."
        changed = {k: v for k, v in fields.items() if k in form.changed_data}
        return vendor, _fact_write(request, kind=ProposalKind.VENDOR_UPDATE, vendor=vendor, payload=changed,
                                   done=f"the changes to {vendor.name}.", **source)

    saved = form_submit(request, form, write)
    if saved is not NOT_SUBMITTED:
        obj, message = saved
        messages.success(request, message)
        return redirect("web:vendor-detail", pk=obj.pk)
    return render(request, "web/vendor_form.html", {
        "form": form, "vendor": vendor, "may_curate": allowed(request.user, Action.CURATE, organization_id=None)})


@org_view(write=True)
def vendor_create(request):
    require_write(request)
    initial = {"name": request.GET.get("name", "")[:300]} if request.GET.get("name") else None
    return _vendor_form_page(request, VendorForm(request.POST or None, request.FILES or None, initial=initial), None)


@org_view(write=True)
def vendor_edit(request, pk: int):
    vendor = get_object_or_404(Vendor, pk=pk)
    require_write(request)
    form = VendorForm(request.POST or None, request.FILES or None,
                      instance=Vendor.objects.get(pk=pk))  # the form mutates its copy
    return _vendor_form_page(request, form, vendor)


# The page forms' writes: (request, vendor, **cleaned_data) -> the message shown once it is recorded or proposed
def _alias_add(request, vendor: Vendor, **data) -> str:
    fields, source = _split_source(data)
    return _fact_write(request, kind=ProposalKind.ALIAS_ADD, vendor=vendor, payload=fields,
                       done=f"alias \u201c{fields['name']}\u201d.", **source)


def _identifier_add(request, vendor: Vendor, **data) -> str:
    fields, source = _split_source(data)
    return _fact_write(request, kind=ProposalKind.IDENTIFIER_ADD, vendor=vendor, payload=fields,
                       done=f"identifier {fields['value']}.", **source)


def _ownership_add(request, vendor: Vendor, **data) -> str:
    fields, source = _split_source(data)
    fields["owner"] = vendor_named(fields["owner"], field="owner")
    return _fact_write(request, kind=ProposalKind.OWNERSHIP_ADD, vendor=vendor, payload=fields,
                       done=f"{fields['owner'].name} owns {vendor.name}; the vendor is screened again through its "
                            "owner once it is in force.", **source)


def _oem_add(request, vendor: Vendor, **data) -> str:
    fields, source = _split_source(data)
    fields["manufacturer"] = vendor_named(fields["manufacturer"], field="manufacturer")
    return _fact_write(request, kind=ProposalKind.OEM_ADD, vendor=vendor, payload=fields,
                       done=f"{vendor.name} is made by {fields['manufacturer'].name}.", **source)


def _page_form_view(name: str, write):
    """The POST view of the page form `name` (PAGE_FORMS) on the vendor `pk`: `write(vendor, actor, **data)`."""

    @org_view(write=True)
    @require_POST
    def view(request, pk: int):
        vendor = get_object_or_404(Vendor, pk=pk)
        return _page_form_post(request, vendor, name, lambda **data: write(request, vendor, **data))

    return view


def _remove_view(records, url_id: str, vendor_field: str, kind: str, done: str):
    """The POST view removing one of the vendor `pk`'s `records` (a model or queryset), the one whose id is the
    URL's `url_id` (404 unless its `vendor_field` is that vendor), through shared_fact_write (`kind`): removed
    for a curator, proposed for anyone else; back on the vendor's page with the message `done`, a format
    string of the record."""

    @org_view(write=True)
    @require_POST
    def view(request, pk: int, **ids):
        record = get_object_or_404(records, pk=ids[url_id], **{vendor_field: pk})
        vendor = get_object_or_404(Vendor, pk=pk)
        messages.success(request, _fact_write(request, kind=kind, vendor=vendor, target_id=record.pk,
                                              done=done.format(record)))
        return redirect("web:vendor-detail", pk=pk)

    return view


vendor_alias_add = _page_form_view("alias_form", _alias_add)
vendor_identifier_add = _page_form_view("identifier_form", _identifier_add)
vendor_ownership_add = _page_form_view("ownership_form", _ownership_add)
vendor_oem_add = _page_form_view("oem_form", _oem_add)
vendor_alias_remove = _remove_view(VendorAlias, "alias_pk", "vendor_id", ProposalKind.ALIAS_REMOVE,
                                   "removal of alias \u201c{0.name}\u201d.")
vendor_identifier_remove = _remove_view(VendorIdentifier, "identifier_pk", "vendor_id", ProposalKind.IDENTIFIER_REMOVE,
                                        "removal of identifier {0}.")
vendor_ownership_remove = _remove_view(Ownership.objects.select_related("owner", "owned"), "link_pk", "owned_id",
                                       ProposalKind.OWNERSHIP_REMOVE, "removal of {0}.")
vendor_oem_remove = _remove_view(OemRelation.objects.select_related("brand", "manufacturer"), "relation_pk",
                                 "brand_id", ProposalKind.OEM_REMOVE, "removal of {0}.")
