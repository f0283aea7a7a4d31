"""Vendors: a searchable list and a detail page with aliases, identifiers, the drawn ownership graph, OEM
relations and screening findings. Vendors are shared reference data, readable by every signed-in member."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.models import Vendor

from .. import selectors
from ..access import org_view


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
    data = selectors.vendor_page(vendor, organization_ids=request.access.organization_ids)
    return render(request, "web/vendor_detail.html", data)
