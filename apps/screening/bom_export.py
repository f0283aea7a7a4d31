"""A stored bill of materials as CycloneDX 1.6 JSON, with the registry's findings as properties of each part
(for auditors through the API, officers on the web). Reads only: the parts of one BomDocument and the open
findings of their vendors in the document's organisation's view (Finding.objects.in_view), for the category of
the unit or product model the BOM describes.

Properties (namespace ``vendorrisk:``, per CycloneDX's property taxonomy convention): ``vendorrisk:vendor`` (the
registry vendor the supplier name was mapped to), ``vendorrisk:risk_status`` (the worst status for the category),
``vendorrisk:finding`` (each open finding's path, "X <- controlled by Y <- listed: ..."), and
``vendorrisk:unmatched_supplier`` where the document's supplier matched no registry vendor (never screened).
"""
from __future__ import annotations

from collections import defaultdict

from apps.common.choices import RISK_ORDER, RiskStatus
from apps.inventory.choices import BomComponentType
from apps.inventory.models import BomComponent, BomDocument

from .models import Finding

_CDX_TYPE = {
    BomComponentType.HARDWARE: "device", BomComponentType.DEVICE: "device", BomComponentType.FIRMWARE: "firmware",
    BomComponentType.OPERATING_SYSTEM: "operating-system", BomComponentType.APPLICATION: "application",
    BomComponentType.LIBRARY: "library", BomComponentType.FRAMEWORK: "framework",
    BomComponentType.CONTAINER: "container", BomComponentType.FILE: "file", BomComponentType.OTHER: "file",
}


def bom_export_cyclonedx(document: BomDocument) -> str:
    """The document's parts as a CycloneDX 1.6 JSON string (nesting kept), findings as properties."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.bom_ref import BomRef
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    target = document.equipment or document.product_model
    category = target.category
    rows = list(BomComponent.objects.filter(document=document).order_by("depth", "pk").values_list(
        "pk", "parent_id", "type", "name", "group", "version", "supplier_id", "supplier__name", "supplier_name",
        "purl", "cpe", "bom_ref"))
    vendor_ids = {r[6] for r in rows if r[6]}
    findings: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for vendor_id, status, categories, other, path_text in Finding.objects.in_view(document.organization_id).filter(
            closed_at__isnull=True, vendor_id__in=vendor_ids).order_by("vendor_id", "id").values_list(
            "vendor_id", "status", "categories", "other_status", "path_text"):
        effective = status if (not categories or category in categories) else (other or RiskStatus.CLEAR)
        findings[vendor_id].append((effective, path_text))

    bom = Bom()
    bom.metadata.component = Component(
        name=getattr(target, "model_number", None) or str(target), type=ComponentType.DEVICE,
        properties=[Property(name="vendorrisk:bom_version", value=str(document.version)),
                    Property(name="vendorrisk:source_sha256", value=document.sha256)])
    built: dict[int, Component] = {}
    for pk, parent_id, ctype, name, group, version, vendor_id, vendor_name, supplier_name, purl, cpe, ref in rows:
        properties = []
        if vendor_id:
            properties.append(Property(name="vendorrisk:vendor", value=vendor_name))
            worst = RiskStatus.CLEAR.value
            for status, path_text in findings.get(vendor_id, []):
                properties.append(Property(name="vendorrisk:finding", value=f"{status}: {path_text}"))
                if RISK_ORDER.get(status, 0) > RISK_ORDER[worst]:
                    worst = status
            properties.append(Property(name="vendorrisk:risk_status", value=worst))
        elif supplier_name:
            properties.append(Property(name="vendorrisk:unmatched_supplier", value=supplier_name))
        try:
            package_url = PackageURL.from_string(purl) if purl else None
        except ValueError:
            package_url = None
            properties.append(Property(name="vendorrisk:purl", value=purl))
        component = Component(
            name=name, type=ComponentType(_CDX_TYPE.get(ctype, "file")), group=group or None,
            version=version or None, supplier=OrganizationalEntity(name=supplier_name) if supplier_name else None,
            purl=package_url, cpe=cpe or None, bom_ref=BomRef(f"vr-{pk}" if not ref else f"vr-{pk}-{ref}"),
            properties=properties)
        built[pk] = component
        if parent_id is None:
            bom.components.add(component)
        else:
            built[parent_id].components.add(component)
    return JsonV1Dot6(bom).output_as_string(indent=2)
