"""Sites and equipment: lists with filters, sorting and pagination; details with the explained chain."""
from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from apps.inventory.models import Equipment, Site
from apps.inventory.selectors import equipment_records_count

from .. import selectors
from ..access import org_scope, org_view
from ..filtersets import SORTS, EquipmentListFilterSet

PAGE_SIZE = 50
DEFAULT_SORT = "-id"  # newest first: walks the primary key, no sort over the whole inventory


def _sorted(queryset, sort: str):
    keys = SORTS.get(sort) or SORTS["-id"]
    if not selectors.risk_ready():
        keys = tuple(k for k in keys if "risk_status" not in k) or ("id",)
    return queryset.order_by(*keys)


@org_view
def site_list(request):
    org = request.access.organization
    sites = selectors.site_list_with_counts(organization_ids=[org.pk]) if org else Site.objects.none()
    return render(request, "web/site_list.html", {"sites": sites, "risk_ready": selectors.risk_ready()})


@org_view
def site_detail(request, pk: int):
    site = get_object_or_404(Site.objects.filter(organization_id__in=request.access.organization_ids), pk=pk)
    org_scope(request, site.organization_id)
    qs = _sorted(selectors.equipment_list_queryset(organization_ids=[site.organization_id]).filter(site=site),
                 request.GET.get("sort", "category"))
    page = selectors.paginate_deferred(qs, page_number=request.GET.get("page"), per_page=PAGE_SIZE,
                                       count=equipment_records_count(site_ids=[site.pk]))
    counts = selectors.site_list_with_counts(organization_ids=[site.organization_id]).get(pk=site.pk)
    return render(request, "web/site_detail.html", {"site": site, "page_obj": page, "counts": counts,
                                                     "risk_ready": selectors.risk_ready()})


def equipment_filtered(request):
    """The equipment list's queryset, filtered and sorted as the query string says (also used by export)."""
    org = request.access.organization
    base = selectors.equipment_list_queryset(organization_ids=[org.pk] if org else [])
    filterset = EquipmentListFilterSet(request.GET or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    return filterset, _sorted(qs, request.GET.get("sort", DEFAULT_SORT))


@org_view
def equipment_list(request):
    filterset, qs = equipment_filtered(request)
    org = request.access.organization
    used = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    total = selectors.equipment_list_count(organization_ids=[org.pk], filters=used) if org else 0
    page = selectors.paginate_deferred(qs, page_number=request.GET.get("page"), per_page=PAGE_SIZE, count=total)
    findings = selectors.equipment_findings_for([e.pk for e in page.object_list])
    # One line per distinct path (the same finding reaches a unit as brand and as software supplier).
    rows = [(e, list(dict.fromkeys(f.path_text for f in findings.get(e.pk, [])))) for e in page.object_list]
    template = "web/equipment_rows.html" if request.htmx and not request.htmx.boosted else "web/equipment_list.html"
    return render(request, template, {"filter": filterset, "page_obj": page, "rows": rows,
                                      "sort": request.GET.get("sort", DEFAULT_SORT),
                                      "risk_ready": selectors.risk_ready()})


@org_view
def equipment_detail(request, pk: int):
    equipment = get_object_or_404(
        selectors.equipment_list_queryset(organization_ids=request.access.organization_ids), pk=pk
    )
    org_scope(request, equipment.site.organization_id)
    data = selectors.equipment_chain(equipment)
    data["history"] = selectors.equipment_history(equipment)
    data["equipment"] = equipment
    data["risk_ready"] = selectors.risk_ready()
    return render(request, "web/equipment_detail.html", data)


__all__ = ["Equipment", "equipment_detail", "equipment_filtered", "equipment_list", "site_detail", "site_list"]
