"""Sites and equipment: lists with filters, sorting and pagination; details with the explained chain; pages
to record, correct, retire and delete single sites and units (bulk changes go through imports)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.inventory import services as inventory
from apps.inventory.bom import bom_documents_for_unit
from apps.inventory.models import Component, Equipment, ImportJob, Site
from apps.inventory.selectors import equipment_records_count
from apps.vendors.models import Vendor

from .. import selectors
from ..access import org_scope, org_view, require_write
from ..caches import site_rows_html
from ..filtersets import EquipmentListFilterSet, sort_in_words
from ..forms import NOT_SUBMITTED, BomUploadForm, ComponentForm, DeleteForm, EquipmentForm, SiteForm, form_submit

PAGE_SIZE = 50
SORT = EquipmentListFilterSet.base_filters["sort"]


@org_view
def site_list(request):
    org = request.access.organization
    rows = site_rows_html(org.pk) if org else render_to_string("web/site_rows.html", {"sites": []})
    return render(request, "web/site_list.html", {"site_rows": mark_safe(rows)})  # noqa: S308 (rendered, escaped)


@org_view
def site_detail(request, pk: int):
    site = get_object_or_404(Site.objects.filter(organization_id__in=request.access.organization_ids), pk=pk)
    org_scope(request, site.organization_id)
    qs = SORT.sort(selectors.equipment_list_queryset(organization_ids=[site.organization_id]).filter(site=site),
                   request.GET.get("sort") or "category")
    page = selectors.paginate_deferred(qs, page_number=request.GET.get("page"), per_page=PAGE_SIZE,
                                       count=equipment_records_count(site_ids=[site.pk]))
    counts = selectors.site_list_with_counts(organization_ids=[site.organization_id]).get(pk=site.pk)
    return render(request, "web/site_detail.html", {"site": site, "page_obj": page, "counts": counts})


def equipment_filtered(request):
    """The equipment list's queryset, filtered and sorted as the query string says (also used by export)."""
    org = request.access.organization
    base = selectors.equipment_list_queryset(organization_ids=[org.pk] if org else [])
    filterset = EquipmentListFilterSet(request.GET or None, queryset=base, request=request)
    if not filterset.is_bound:
        return filterset, SORT.sort(base, None)
    # A filter the form refuses shows its error and no rows, never the unfiltered inventory; the filterset
    # sorts as its `sort` filter says.
    return filterset, filterset.qs if filterset.is_valid() else base.none()


@org_view
def equipment_list(request):
    filterset, qs = equipment_filtered(request)
    org = request.access.organization
    refused = filterset.is_bound and not filterset.is_valid()
    used = filterset.form.cleaned_data if filterset.is_bound and not refused else {}
    narrowing = {name: value for name, value in used.items() if name != "sort"}  # an order narrows nothing
    total = selectors.equipment_list_count(organization_ids=[org.pk], filters=narrowing) if org and not refused else 0
    page = selectors.paginate_deferred(qs, page_number=request.GET.get("page"), per_page=PAGE_SIZE, count=total)
    findings = selectors.equipment_findings_for([e.pk for e in page.object_list])
    # One line per distinct path (the same finding reaches a unit as brand and as software supplier).
    today = selectors.today_default(None)
    rows = [(e, list(dict.fromkeys(f.path_text for f in findings.get(e.pk, []))),
             e.due_on is not None and e.due_on < today) for e in page.object_list]
    template = "web/equipment_rows.html" if request.htmx and not request.htmx.boosted else "web/equipment_list.html"
    family_id = used.get("vendor_family")
    family_vendor = Vendor.objects.filter(pk=family_id).only("pk", "name").first() if family_id else None
    job_id = used.get("import_job")
    import_job = ImportJob.objects.filter(pk=job_id, organization_id=org.pk).only(
        "pk", "token", "filename", "created_at").first() if job_id and org else None
    return render(request, template, {"filter": filterset, "page_obj": page, "rows": rows,
                                      "family_vendor": family_vendor, "import_job": import_job,
                                      "sort": request.GET.get("sort") or SORT.default,
                                      "sort_words": sort_in_words(request.GET.get("sort"))})


@org_view
def equipment_detail(request, pk: int):
    equipment = get_object_or_404(
        selectors.equipment_list_queryset(organization_ids=request.access.organization_ids), pk=pk
    )
    org_scope(request, equipment.site.organization_id)
    return _equipment_page(request, equipment)


def _equipment_page(request, equipment: Equipment, *, component_form: ComponentForm | None = None,
                    status: int = 200):
    data = selectors.equipment_chain(equipment)
    data["history"] = selectors.equipment_history(equipment)
    data["equipment"] = equipment
    data["components"] = list(equipment.components.select_related("vendor").order_by("kind", "pk"))
    data["boms"] = bom_documents_for_unit(equipment)
    if request.access.can_write:
        data["component_form"] = component_form or ComponentForm(prefix="component")
        data["bom_form"] = BomUploadForm()
        data["vendor_names"] = selectors.organization_vendor_names(request.access.organization.pk)
    return render(request, "web/equipment_detail.html", data, status=status)


# --- single-record writes -----------------------------------------------------------------------------------

@org_view(write=True)
def site_create(request):
    require_write(request)
    form = SiteForm(request.POST or None)
    site = form_submit(request, form, lambda **data: inventory.site_create(
        organization=request.access.organization, actor=request.user, **data))
    if site is not NOT_SUBMITTED:
        messages.success(request, f"Site {site} recorded.")
        return redirect("web:site-detail", pk=site.pk)
    return render(request, "web/site_form.html", {"form": form, "site": None})


@org_view(write=True)
def site_edit(request, pk: int):
    site = get_object_or_404(Site, pk=pk, organization_id__in=request.access.organization_ids)
    org_scope(request, site.organization_id)
    require_write(request)
    form = SiteForm(request.POST or None, instance=Site.objects.get(pk=site.pk))  # the form mutates its copy
    if form_submit(request, form, lambda **data: inventory.site_update(site=site, actor=request.user, **data)) \
            is not NOT_SUBMITTED:
        messages.success(request, f"Site {site} saved.")
        return redirect("web:site-detail", pk=site.pk)
    return render(request, "web/site_form.html", {"form": form, "site": site})


def _equipment_form_page(request, form: EquipmentForm, equipment: Equipment | None):
    return render(request, "web/equipment_form.html", {
        "form": form, "equipment": equipment,
        "vendor_names": selectors.organization_vendor_names(request.access.organization.pk)})


@org_view(write=True)
def equipment_create(request):
    require_write(request)
    org = request.access.organization
    initial = {"site": request.GET.get("site")} if request.GET.get("site", "").isdigit() else None
    form = EquipmentForm(request.POST or None, organization=org, initial=initial)
    unit = form_submit(request, form, lambda **data: inventory.equipment_record(
        actor=request.user, **EquipmentForm.service_arguments(data)))
    if unit is not NOT_SUBMITTED:
        messages.success(request, f"{unit} recorded.")
        return redirect("web:equipment-detail", pk=unit.pk)
    return _equipment_form_page(request, form, None)


def _equipment_for_write(request, pk: int) -> Equipment:
    unit = get_object_or_404(Equipment.objects.select_related("site", "product_model__brand",
                                                             "product_model__manufacturer",
                                                             "product_model__software_supplier"),
                             pk=pk, site__organization_id__in=request.access.organization_ids)
    org_scope(request, unit.site.organization_id)
    require_write(request)
    return unit


@org_view(write=True)
def equipment_edit(request, pk: int):
    unit = _equipment_for_write(request, pk)
    form = EquipmentForm(request.POST or None, organization=unit.site.organization,
                         initial=EquipmentForm.initial_for(unit))
    if form_submit(request, form, lambda **data: inventory.equipment_record(
            equipment=unit, actor=request.user, **EquipmentForm.service_arguments(data))) is not NOT_SUBMITTED:
        messages.success(request, f"{unit} saved.")
        return redirect("web:equipment-detail", pk=unit.pk)
    return _equipment_form_page(request, form, unit)


@org_view(write=True)
def equipment_delete(request, pk: int):
    """Delete a unit recorded by mistake (a unit with remediation records is retired instead)."""
    unit = _equipment_for_write(request, pk)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        site_id = unit.site_id
        try:
            inventory.equipment_delete(equipment=unit, actor=request.user)
        except ApplicationError as exc:
            if exc.code == "not_found":
                raise  # deleted by another request meanwhile: 404 (apps.web.access.org_view)
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{unit} deleted.")
            return redirect("web:site-detail", pk=site_id)
    return render(request, "web/equipment_delete.html", {"form": form, "equipment": unit})


@org_view(write=True)
@require_POST
def component_add(request, pk: int):
    unit = _equipment_for_write(request, pk)
    form = ComponentForm(request.POST, prefix="component")
    part = form_submit(request, form, lambda **data: inventory.component_record(
        equipment=unit, actor=request.user, **data))
    if part is not NOT_SUBMITTED:
        messages.success(request, f"Component added: {part}.")
        return redirect("web:equipment-detail", pk=unit.pk)
    return _equipment_page(request, selectors.equipment_list_queryset(organization_ids=[unit.site.organization_id])
                           .get(pk=unit.pk), component_form=form, status=400)


@org_view(write=True)
@require_POST
def component_remove(request, pk: int, component_pk: int):
    unit = _equipment_for_write(request, pk)
    part = get_object_or_404(Component.objects.select_related("vendor"), pk=component_pk, equipment=unit)
    inventory.component_delete(component=part, actor=request.user)
    messages.success(request, f"Component removed: {part}.")
    return redirect("web:equipment-detail", pk=unit.pk)


__all__ = ["Equipment", "component_add", "component_remove", "equipment_create", "equipment_delete",
           "equipment_detail", "equipment_edit", "equipment_filtered", "equipment_list", "site_create", "site_detail",
           "site_edit", "site_list"]
