"""CSV and XLSX exports of filtered lists, through the shared writers (formula injection neutralised)."""
from __future__ import annotations

from django.http import HttpResponseBadRequest

from apps.common.export import csv_streaming_response, xlsx_response

from .. import selectors
from ..access import org_view
from .inventory import equipment_filtered

EQUIPMENT_HEADER = ["id", "site_code", "site", "category", "brand", "manufacturer", "software_supplier",
                    "model_number", "quantity", "serial_number", "asset_tag", "installed_date", "status",
                    "connectivity", "risk_status", "risk_reason"]
XLSX_MAX_ROWS = 200_000


@org_view
def equipment_export(request):
    """The equipment list as the filters on the page select it, every page, as CSV (streamed) or XLSX."""
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("format must be csv or xlsx")
    _, qs = equipment_filtered(request)
    risk = selectors.risk_ready()

    def rows():
        for e in qs.iterator(chunk_size=2000):
            pm = e.product_model
            yield (e.pk, e.site.code, e.site.name, e.get_category_display(), pm.brand.name,
                   pm.manufacturer.name if pm.manufacturer_id else "",
                   pm.software_supplier.name if pm.software_supplier_id else "", pm.model_number, e.quantity,
                   e.serial_number, e.asset_tag, e.installed_date, e.status, e.connectivity,
                   getattr(e, "risk_status", "") if risk else "", getattr(e, "risk_reason", "") if risk else "")

    org = request.access.organization
    name = f"equipment-{org.slug if org else 'none'}"
    if fmt == "csv":
        return csv_streaming_response(filename=f"{name}.csv", header=EQUIPMENT_HEADER, rows=rows())
    if qs.count() > XLSX_MAX_ROWS:
        return HttpResponseBadRequest(f"More than {XLSX_MAX_ROWS} rows: narrow the filters or export CSV.")
    return xlsx_response(filename=f"{name}.xlsx", header=EQUIPMENT_HEADER, rows=rows(), sheet_title="Equipment")
