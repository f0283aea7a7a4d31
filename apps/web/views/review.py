"""Review queue: potential matches side by side with the list entry; confirm or dismiss with a reason.

Vendors and public lists are shared reference data; the queue is the selected organisation's view of them (its
private lists' matches too, never another organisation's), each row says whose decision is in force and how
many of the organisation's units the vendor touches, and the queue can be narrowed to those. A decision made
here is the organisation's own, or, by a curator with a verified second factor on a public list's match,
registry-wide (apps.screening.services.review_decide decides who may)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from apps.accounts.policies import Action, allowed
from apps.common.exceptions import ApplicationError
from apps.screening import selectors as screening_selectors
from apps.screening import services as screening

from .. import selectors
from ..access import org_view, require_write
from ..forms import DecisionForm, form_add_errors


@org_view
def review_queue(request):
    """One row per (vendor, listed party): the copies of the party in the queue (another list year, the CSL copy of
    an SDN entry) are listed under it and one decision covers them (apps.screening.selectors.review_queue_groups).
    A constant number of queries: the queue's rows and entries, then the page's matches."""
    access = request.access
    org_ids = [access.organization.pk] if access.organization else []
    org_id = org_ids[0] if org_ids else None
    decided = request.GET.get("decided") == "1"
    mine = request.GET.get("mine") == "1"
    groups = screening_selectors.review_queue_groups(
        org_id, include_decided=decided,
        vendor_ids=selectors.vendor_ids_in_inventory(organization_ids=org_ids) if mine else None)
    sort = "units" if request.GET.get("sort") == "units" else "score"
    units = selectors.units_by_vendor(organization_ids=org_ids, vendor_ids={g.vendor_id for g in groups}) if (
        sort == "units") else None
    if units is not None:
        groups = selectors.review_groups_by_units(groups, units)
    page = Paginator(groups, 10).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    by_pk = {m.pk: m for m in screening_selectors.review_queue(org_id, include_decided=decided).filter(
        pk__in=[pk for g in shown for pk in g.match_ids]).select_related("entry", "source").prefetch_related(
        "vendor__aliases", "vendor__identifiers")}
    if units is None:
        units = selectors.units_by_vendor(organization_ids=org_ids, vendor_ids={g.vendor_id for g in shown})
    items = []
    for g in shown:
        copies = [by_pk[pk] for pk in g.match_ids if pk in by_pk]  # one decided meanwhile drops out
        if copies:
            items.append(_item(copies, units, DecisionForm(prefix=f"m{copies[0].pk}", initial={
                "group": True, "copies": ",".join(str(m.pk) for m in copies)})))
    return render(request, "web/review_queue.html", {
        "items": items, "page_obj": page, "mine": mine, "decided": decided, "sort": sort,
        "parties_waiting": len(groups), "matches_waiting": sum(len(g.match_ids) for g in groups),
        "may_curate": _may_curate(request)})


def _item(copies: list, units: dict, form: DecisionForm) -> dict:
    m = copies[0]
    return {"match": m, "entry": m.entry, "units": units.get(m.vendor_id, 0), "form": form, "copies": copies,
            "count": len(copies)}


def _may_curate(request) -> bool:
    return allowed(request.user, Action.CURATE, organization_id=None)


@org_view(policy=True)
def review_decide(request, pk: int):
    """A decision for the selected organisation's view (its officers and admins), or registry-wide (a verified
    curator; the service's policy check refuses anyone else with 403)."""
    organization_id = request.access.organization.pk
    registry_wide = request.method == "POST" and bool(request.POST.get(f"m{pk}-registry_wide"))
    if not registry_wide:
        require_write(request)
    # Another organisation's private-list matches are not found.
    match = get_object_or_404(screening_selectors.matches_in_view(organization_id).select_related(
        "vendor", "source"), pk=pk)
    if request.method != "POST":
        return redirect("web:review-queue")
    form = DecisionForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            group = form.cleaned_data["group"]
            record = screening.review_decide(
                match=match, decision=form.cleaned_data["decision"], reason=form.cleaned_data["reason"],
                user=request.user, organization_id=None if registry_wide else organization_id,
                registry_wide=registry_wide, group=group,
                matches=form.cleaned_data["copies"] if group else None)
        except ApplicationError as exc:
            if exc.code in ("not_found", "forbidden"):  # the policy's answer: 404/403 (org_view), as the API
                raise
            form_add_errors(form, exc)
        else:
            verb = "Confirmed" if form.cleaned_data["decision"] == "confirm" else "Dismissed"
            scope = "registry-wide" if registry_wide else f"for {request.access.organization.name}"
            covered = len(record.group_match_ids)
            more = f" and {covered - 1} other cop{'y' if covered == 2 else 'ies'} of the party" if covered > 1 else ""
            messages.success(request, f"{verb} {scope}: {match.vendor.name} ↔ {match.entry_name}{more}.")
            nxt = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                nxt = "web:review-queue"
            return redirect(nxt)
    units = selectors.units_by_vendor(organization_ids=[request.access.organization.pk],
                                      vendor_ids={match.vendor_id})
    copies = form.cleaned_data.get("copies") if hasattr(form, "cleaned_data") else None
    shown = [m for m in screening_selectors.match_party_copies(match, organization_id)
             if m.pk == match.pk or (copies and m.pk in copies)]
    item = _item(shown or [match], units, form)
    return render(request, "web/review_queue.html", {"items": [item], "page_obj": None, "single": True,
                                                     "may_curate": _may_curate(request)}, status=400)
