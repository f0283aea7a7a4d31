"""Review queue: potential matches side by side with the list entry; confirm or dismiss with a reason.

Vendors and public lists are shared reference data; the queue is the selected organisation's view of them (its
private lists' matches too, never another organisation's), each row says whose decision is in force and how
many of the organisation's units the vendor touches, and the queue can be narrowed to those. A decision made
here is the organisation's own (apps.screening.services.review_decide)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from apps.common.exceptions import ApplicationError
from apps.screening import selectors as screening_selectors
from apps.screening import services as screening

from .. import selectors
from ..access import org_view
from ..forms import DecisionForm, form_add_errors


@org_view
def review_queue(request):
    access = request.access
    org_ids = [access.organization.pk] if access.organization else []
    decided = request.GET.get("decided") == "1"
    qs = screening_selectors.review_queue(org_ids[0] if org_ids else None, include_decided=decided).select_related(
        "entry").prefetch_related("vendor__aliases", "vendor__identifiers")
    mine = request.GET.get("mine") == "1"
    if mine:
        qs = qs.filter(vendor_id__in=selectors.vendor_ids_in_inventory(organization_ids=org_ids))
    page = Paginator(qs, 10).get_page(request.GET.get("page"))
    matches = list(page.object_list)
    units = selectors.units_by_vendor(organization_ids=org_ids, vendor_ids={m.vendor_id for m in matches})
    items = [{"match": m, "entry": m.entry, "units": units.get(m.vendor_id, 0),
              "form": DecisionForm(prefix=f"m{m.pk}")} for m in matches]
    return render(request, "web/review_queue.html", {"items": items, "page_obj": page, "mine": mine,
                                                     "decided": decided})


@org_view(write=True)
def review_decide(request, pk: int):
    organization_id = request.access.organization.pk
    # Another organisation's private-list matches are not found.
    match = get_object_or_404(screening_selectors.matches_in_view(organization_id).select_related("vendor"), pk=pk)
    if request.method != "POST":
        return redirect("web:review-queue")
    form = DecisionForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            screening.review_decide(match=match, decision=form.cleaned_data["decision"],
                                    reason=form.cleaned_data["reason"], user=request.user,
                                    organization_id=organization_id)
        except ApplicationError as exc:
            form_add_errors(form, exc)
        else:
            verb = "Confirmed" if form.cleaned_data["decision"] == "confirm" else "Dismissed"
            messages.success(request, f"{verb}: {match.vendor.name} ↔ {match.entry_name}.")
            nxt = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                nxt = "web:review-queue"
            return redirect(nxt)
    units = selectors.units_by_vendor(organization_ids=[request.access.organization.pk],
                                      vendor_ids={match.vendor_id})
    item = {"match": match, "entry": match.entry, "units": units.get(match.vendor_id, 0), "form": form}
    return render(request, "web/review_queue.html", {"items": [item], "page_obj": None, "single": True},
                  status=400)
