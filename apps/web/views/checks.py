"""Pre-purchase check: "may I buy from them?" answered from the active lists, saved as evidence on request."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from apps.common.exceptions import ApplicationError
from apps.screening import selectors as screening_selectors
from apps.screening import services as screening

from ..access import org_view
from ..forms import CheckForm, form_add_errors

CHECK_PAGE_SIZE = 25


@org_view
def check(request):
    """GET with a name runs the check (nothing stored; bookmarkable); POST saves it as evidence (writers only)."""
    access = request.access
    data = request.POST if request.method == "POST" else (request.GET if "name" in request.GET else None)
    form = CheckForm(data)
    result = None
    if data is not None and form.is_valid():
        save = request.method == "POST"
        try:
            result = screening.screen_name(
                name=form.cleaned_data["name"], country=form.cleaned_data["country"],
                identifiers=form.identifiers(), user=request.user, organization=access.organization, save=save,
                limit=CHECK_PAGE_SIZE, offset=form.cleaned_data.get("offset") or 0,
            )
        except ApplicationError as exc:
            form_add_errors(form, exc)
        else:
            if save:
                messages.success(request, "Saved as evidence.")
                return redirect("web:check-record", pk=result["check_id"])
    recent = screening_selectors.pre_purchase_checks(organization_ids=[access.organization.pk])[:10] \
        if access.organization else []
    return render(request, "web/check.html", {"form": form, "result": result, "recent": recent,
                                              "page_links": _page_links(request, result)})


def _page_links(request, result: dict | None) -> dict:
    """Query strings of the previous and next pages of matches (the verdict counts every match anyway)."""
    if not result or request.method != "GET":
        return {}
    page, links = result["page"], {}
    for key, offset in (("previous", page["offset"] - CHECK_PAGE_SIZE), ("next", page["offset"] + CHECK_PAGE_SIZE)):
        if (key == "previous" and page["offset"] > 0) or (key == "next" and offset < page["total"]):
            query = request.GET.copy()
            query["offset"] = str(max(offset, 0))
            links[key] = query.urlencode()
    return links


@org_view
def check_record(request, pk: int):
    """A saved check as a printable evidence record."""
    record = get_object_or_404(
        screening_selectors.pre_purchase_checks(organization_ids=request.access.organization_ids), pk=pk
    )
    return render(request, "web/check_record.html", {"record": record, "result": record.result})
