"""CSV and XLSX exports of filtered lists, through the shared writers (formula injection neutralised)."""
from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404

from apps.common.export import csv_streaming_response, xlsx_response

from .. import selectors
from ..access import org_view
from .inventory import equipment_filtered

EQUIPMENT_HEADER = ["id", "site_code", "site", "category", "brand", "manufacturer", "software_supplier",
                    "model_number", "quantity", "serial_number", "asset_tag", "installed_date", "status",
                    "internet_connected", "vendor_remote_access", "remote_access_vendor", "cellular_modem",
                    "isolated_segment", "risk_status", "risk_reason", "due_on"]
XLSX_MAX_ROWS = 200_000


@org_view
def equipment_export(request):
    """The equipment list as the filters on the page select it, every page, as CSV (streamed) or XLSX."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("format must be csv or xlsx")
    _, qs = equipment_filtered(request)
    qs = qs.select_related("remote_access_vendor")

    def rows():
        for e in qs.iterator(chunk_size=2000):
            pm = e.product_model
            yield (e.pk, e.site.code, e.site.name, e.get_category_display(), pm.brand.name,
                   pm.manufacturer.name if pm.manufacturer_id else "",
                   pm.software_supplier.name if pm.software_supplier_id else "", pm.model_number, e.quantity,
                   e.serial_number, e.asset_tag, e.installed_date, e.status, e.internet_connected,
                   e.vendor_remote_access, e.remote_access_vendor.name if e.remote_access_vendor_id else "",
                   e.cellular_modem, e.isolated_segment, e.risk_status, e.risk_reason, e.due_on)

    org = request.access.organization
    name = f"equipment-{org.slug if org else 'none'}"
    if fmt == "csv":
        return csv_streaming_response(filename=f"{name}.csv", header=EQUIPMENT_HEADER, rows=rows())
    if qs.count() > XLSX_MAX_ROWS:
        return HttpResponseBadRequest(f"More than {XLSX_MAX_ROWS} rows: narrow the filters or export CSV.")
    return xlsx_response(filename=f"{name}.xlsx", header=EQUIPMENT_HEADER, rows=rows(), sheet_title="Equipment")


def _respond(request, *, name: str, header: list[str], rows, count: int, sheet: str):
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("format must be csv or xlsx")
    org = request.access.organization
    filename = f"{name}-{org.slug if org else 'none'}.{fmt}"
    if fmt == "csv":
        return csv_streaming_response(filename=filename, header=header, rows=rows)
    if count > XLSX_MAX_ROWS:
        return HttpResponseBadRequest(f"More than {XLSX_MAX_ROWS} rows: narrow the filters or export CSV.")
    return xlsx_response(filename=filename, header=header, rows=rows, sheet_title=sheet)


@org_view
def site_export(request):
    org = request.access.organization
    qs = selectors.site_list_with_counts(organization_ids=[org.pk] if org else [])
    header = ["id", "code", "name", "kind", "country", "region", "criticality", "defence", "operator",
              "units", "equipment_records", "prohibited_units", "restricted_units", "potential_match_units"]

    def rows():  # units, as on the Sites page and the dashboard; the records behind them in their own column
        for s in qs:
            yield (s.pk, s.code, s.name, s.kind, s.country.code, s.region, s.criticality, s.is_defence,
                   s.operator_name, s.n_equipment, s.n_records, s.n_prohibited, s.n_restricted, s.n_potential_match)

    return _respond(request, name="sites", header=header, rows=rows(), count=qs.count(), sheet="Sites")


@org_view
def vendor_export(request):
    from apps.screening.selectors import vendor_status_annotate
    from apps.vendors.filtersets import VendorFilterSet
    from apps.vendors.models import Vendor

    organization = request.access.organization  # statuses in the current organisation's view
    base = vendor_status_annotate(Vendor.objects.order_by("name"), organization.pk if organization else None,
                                  field="view_risk_status")
    filterset = VendorFilterSet(request.GET or None, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    header = ["id", "name", "country_of_incorporation", "country_of_headquarters", "website", "risk_status"]

    def rows():
        for v in qs.iterator(chunk_size=2000):
            yield (v.pk, v.name, v.country_of_incorporation.code, v.country_of_headquarters.code, v.website,
                   getattr(v, "view_risk_status", ""))

    return _respond(request, name="vendors", header=header, rows=rows(), count=qs.count(), sheet="Vendors")


@org_view
def plan_export(request):
    from apps.remediation.selectors import plan_list_for_user

    org = request.access.organization
    qs = plan_list_for_user(request.user, organization_id=org.pk if org else -1)
    if request.GET.get("overdue") == "true":
        qs = qs.overdue(selectors.today_default(None))
    if request.GET.get("status"):
        qs = qs.filter(status=request.GET["status"])
    header = ["id", "site", "equipment", "vendor", "rule", "citation", "action", "status", "deadline", "overdue",
              "discovered_on", "outcome", "owner"]

    def rows():
        for p in qs.iterator(chunk_size=2000):
            yield (p.pk, p.site.code, str(p.equipment), p.vendor.name if p.vendor_id else "", p.rule.name,
                   p.rule.citation, p.action, p.status, p.deadline, p.is_overdue, p.discovered_on, p.outcome,
                   str(p.owner) if p.owner_id else "")

    return _respond(request, name="remediation-plans", header=header, rows=rows(), count=qs.count(),
                    sheet="Remediation plans")


@org_view
def projection_export(request, pk: int):
    """A projection report's lines: every unit that will be non-compliant on its day, with rule and deadline."""
    from apps.inventory.models import Site
    from apps.remediation.selectors import projection_reports, rule_titles

    report = get_object_or_404(projection_reports(organization_ids=request.access.organization_ids), pk=pk)
    lines = report.lines.order_by("deadline", "id")
    sites = dict(Site.objects.filter(organization_id=report.organization_id).values_list("pk", "code"))
    # People read rule titles; the codes stay beside them for whoever joins the file with the API's.
    titles = rule_titles(set(lines.values_list("rule_code", flat=True).distinct()) | {
        code for also in lines.exclude(also=[]).values_list("also", flat=True).distinct() for code in also})
    header = ["equipment_id", "site", "category", "rule", "action", "deadline", "already_due", "also", "explanation",
              "rule_code", "also_codes"]

    def rows():
        for ln in lines.iterator(chunk_size=2000):
            yield (ln.equipment_id, sites.get(ln.site_id, ln.site_id), ln.category, titles[ln.rule_code], ln.action,
                   ln.deadline, ln.already_due, "; ".join(titles[c] for c in ln.also or ()), ln.explanation,
                   ln.rule_code, ln.also)

    return _respond(request, name=f"projection-{report.on.isoformat()}", header=header, rows=rows(),
                    count=report.summary.get("total", 0), sheet="Projection")
