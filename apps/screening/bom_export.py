"""Bills of materials as CycloneDX 1.6 JSON, with the registry's findings as properties of each part (for auditors
through the API, officers on the web). Reads only.

* ``bom_export_cyclonedx(document)``: the parts of one stored BomDocument, for the category of the unit or product
  model it describes.
* ``equipment_export_cyclonedx(equipment)``: everything the registry knows about one unit's parts: the parts of the
  bills of materials in force for it (its own, its organisation's for its product model; each document's nesting
  kept, its top-level parts carrying ``vendorrisk:bom``) and its recorded components (``vendorrisk:recorded``).

Findings are the open ones of the parts' vendors in the organisation's view (Finding.objects.in_view).
Properties (namespace ``vendorrisk:``, per CycloneDX's property taxonomy convention): ``vendorrisk:vendor`` (the
registry vendor the supplier name was mapped to), ``vendorrisk:risk_status`` (the worst status for the category),
``vendorrisk:finding`` (each open finding's path, "X <- controlled by Y <- listed: ..."), and
``vendorrisk:unmatched_supplier`` where the document's supplier matched no registry vendor (never screened).
"""
from __future__ import annotations

from collections import defaultdict

from apps.common.choices import RISK_ORDER, RiskStatus
from apps.inventory.choices import BomComponentType, ComponentKind
from apps.inventory.models import BomComponent, BomDocument, Component, Equipment
from apps.inventory.selectors import bom_parts_in_force

from .models import Finding

_CDX_TYPE = {
    BomComponentType.HARDWARE: "device", BomComponentType.DEVICE: "device", BomComponentType.FIRMWARE: "firmware",
    BomComponentType.OPERATING_SYSTEM: "operating-system", BomComponentType.APPLICATION: "application",
    BomComponentType.LIBRARY: "library", BomComponentType.FRAMEWORK: "framework",
    BomComponentType.CONTAINER: "container", BomComponentType.FILE: "file", BomComponentType.OTHER: "file",
}


_PART_FIELDS = ("pk", "parent_id", "type", "name", "group", "version", "supplier_id", "supplier__name",
                "supplier_name", "purl", "cpe", "bom_ref")
_KIND_TYPE = {ComponentKind.CONTROL_SOFTWARE: "application", ComponentKind.FIRMWARE: "firmware"}


def _findings_by_vendor(organization_id: int, vendor_ids: set[int], category: str) -> dict[int, list[tuple[str, str]]]:
    """(status for the category, path text) of each vendor's open findings in the organisation's view. One query."""
    findings: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for vendor_id, status, categories, other, path_text in Finding.objects.in_view(organization_id).filter(
            closed_at__isnull=True, vendor_id__in=vendor_ids).order_by("vendor_id", "id").values_list(
            "vendor_id", "status", "categories", "other_status", "path_text"):
        effective = status if (not categories or category in categories) else (other or RiskStatus.CLEAR)
        findings[vendor_id].append((effective, path_text))
    return findings


def _vendor_properties(vendor_id: int, vendor_name: str, findings: dict[int, list[tuple[str, str]]]) -> list:
    from cyclonedx.model import Property

    properties = [Property(name="vendorrisk:vendor", value=vendor_name)]
    worst = RiskStatus.CLEAR.value
    for status, path_text in findings.get(vendor_id, []):
        properties.append(Property(name="vendorrisk:finding", value=f"{status}: {path_text}"))
        if RISK_ORDER.get(status, 0) > RISK_ORDER[worst]:
            worst = status
    properties.append(Property(name="vendorrisk:risk_status", value=worst))
    return properties


def _add_parts(bom, rows: list[tuple], findings: dict[int, list[tuple[str, str]]], top_properties: list) -> None:
    """Add the stored parts (rows of _PART_FIELDS, parents before children) to `bom`, nesting kept;
    `top_properties` go on each top-level part."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom_ref import BomRef
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from packageurl import PackageURL

    built: dict[int, CdxComponent] = {}
    for pk, parent_id, ctype, name, group, version, vendor_id, vendor_name, supplier_name, purl, cpe, ref in rows:
        properties = list(top_properties) if parent_id is None else []
        if vendor_id:
            properties += _vendor_properties(vendor_id, vendor_name, findings)
        elif supplier_name:
            properties.append(Property(name="vendorrisk:unmatched_supplier", value=supplier_name))
        try:
            package_url = PackageURL.from_string(purl) if purl else None
        except ValueError:
            package_url = None
            properties.append(Property(name="vendorrisk:purl", value=purl))
        component = CdxComponent(
            name=name, type=ComponentType(_CDX_TYPE.get(ctype, "file")), group=group or None,
            version=version or None, supplier=OrganizationalEntity(name=supplier_name) if supplier_name else None,
            purl=package_url, cpe=cpe or None, bom_ref=BomRef(f"vr-{pk}" if not ref else f"vr-{pk}-{ref}"),
            properties=properties)
        built[pk] = component
        if parent_id is None:
            bom.components.add(component)
        else:
            built[parent_id].components.add(component)


def bom_export_cyclonedx(document: BomDocument) -> str:
    """The document's parts as a CycloneDX 1.6 JSON string (nesting kept), findings as properties. Two queries."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    target = document.equipment or document.product_model
    rows = list(BomComponent.objects.filter(document=document).order_by("depth", "pk").values_list(*_PART_FIELDS))
    findings = _findings_by_vendor(document.organization_id, {r[6] for r in rows if r[6]}, target.category)
    bom = Bom()
    bom.metadata.component = CdxComponent(
        name=getattr(target, "model_number", None) or str(target), type=ComponentType.DEVICE,
        properties=[Property(name="vendorrisk:bom_version", value=str(document.version)),
                    Property(name="vendorrisk:source_sha256", value=document.sha256)])
    _add_parts(bom, rows, findings, [])
    return JsonV1Dot6(bom).output_as_string(indent=2)


def equipment_export_cyclonedx(equipment: Equipment) -> str:
    """One unit's parts as a CycloneDX 1.6 JSON string: the parts of the BOMs in force for it (each document's
    nesting kept, its top-level parts tagged ``vendorrisk:bom`` with the document's target and version) and its
    recorded components (``vendorrisk:recorded``: the component kind), findings as properties for the unit's
    category in its organisation's view. Five queries, whatever the number of parts."""
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.bom_ref import BomRef
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6

    unit = Equipment.objects.select_related("site", "product_model").get(pk=equipment.pk)
    organization_id = unit.site.organization_id
    parts = list(bom_parts_in_force(equipment_ids=[unit.pk], unit_models={unit.pk: unit.product_model_id},
                                    unit_orgs={unit.pk: organization_id})
                 .order_by("document_id", "depth", "pk").values_list("document_id", *_PART_FIELDS))
    documents = {d.pk: d for d in BomDocument.objects.filter(pk__in={r[0] for r in parts})}
    recorded = list(Component.objects.filter(equipment_id=unit.pk).select_related("vendor").order_by("pk"))
    vendor_ids = {r[7] for r in parts if r[7]} | {c.vendor_id for c in recorded}
    findings = _findings_by_vendor(organization_id, vendor_ids, unit.category)
    bom = Bom()
    bom.metadata.component = CdxComponent(
        name=unit.asset_tag or unit.serial_number or f"unit {unit.pk}", type=ComponentType.DEVICE,
        version=unit.product_model.model_number or None,
        properties=[Property(name="vendorrisk:risk_status", value=unit.risk_status or RiskStatus.CLEAR),
                    Property(name="vendorrisk:category", value=unit.category)])
    for document_id in sorted(documents, key=lambda pk: (documents[pk].equipment_id is None, pk)):
        document = documents[document_id]
        label = (f"unit v{document.version}" if document.equipment_id
                 else f"product model {unit.product_model.model_number} v{document.version}")
        _add_parts(bom, [r[1:] for r in parts if r[0] == document_id], findings,
                   [Property(name="vendorrisk:bom", value=label),
                    Property(name="vendorrisk:source_sha256", value=document.sha256)])
    for c in recorded:
        bom.components.add(CdxComponent(
            name=c.name or c.get_kind_display(), type=ComponentType(_KIND_TYPE.get(c.kind, "device")),
            supplier=OrganizationalEntity(name=c.vendor.name), bom_ref=BomRef(f"vr-component-{c.pk}"),
            properties=[Property(name="vendorrisk:recorded", value=c.kind),
                        *_vendor_properties(c.vendor_id, c.vendor.name, findings)]))
    return JsonV1Dot6(bom).output_as_string(indent=2)
