"""Inventory endpoints: sites, product models, equipment (with `as_of`), components."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.api.viewsets import ReadOnlyApiViewSet, ServiceCreateMixin, ServiceDestroyMixin, ServiceUpdateMixin
from apps.inventory import services
from apps.inventory.bom import bom_commit, bom_preview
from apps.inventory.filtersets import (
    BomDocumentFilterSet,
    ComponentFilterSet,
    ProductModelFilterSet,
    SiteFilterSet,
)
from apps.inventory.models import BomDocument, Component, Equipment, ProductModel, Site
from apps.remediation.filtersets import EquipmentFilterSet
from apps.screening.bom_export import bom_export_cyclonedx, equipment_export_cyclonedx
from apps.screening.selectors import equipment_findings

from .serializers import (
    BomDocumentSerializer,
    BomImportInputSerializer,
    ComponentSerializer,
    EquipmentInputSerializer,
    EquipmentSerializer,
    ProductModelInputSerializer,
    ProductModelSerializer,
    SiteInputSerializer,
    SiteSerializer,
)


class SiteViewSet(ServiceCreateMixin, ServiceUpdateMixin, ReadOnlyApiViewSet):
    """Sites of the user's organisations. Officers and admins create and update them."""

    queryset = Site.objects.select_related("organization")
    serializer_class = SiteSerializer
    base_filterset_class = SiteFilterSet
    ordering_fields = ["id", "name", "code", "updated_at"]
    create_serializer_class = update_serializer_class = SiteInputSerializer

    def perform_service_create(self, data):
        return services.site_create(actor=self.request.user, **data)

    def perform_service_update(self, site, data):
        return services.site_update(site=site, actor=self.request.user, **data)  # refuses a move to another org


class ProductModelViewSet(ServiceCreateMixin, ReadOnlyApiViewSet):
    """Product models are shared reference data: every member reads them, officers and admins add them."""

    queryset = ProductModel.objects.select_related("brand", "manufacturer", "software_supplier")
    serializer_class = ProductModelSerializer
    base_filterset_class = ProductModelFilterSet
    organization_field = None
    ordering_fields = ["id", "model_number", "updated_at"]
    create_serializer_class = ProductModelInputSerializer

    def perform_service_create(self, data):
        return services.product_model_create(actor=self.request.user, **data)


EQUIPMENT_EXPORT = [
    ("id", "id"),
    ("organization", "site__organization__name"),
    ("site_code", "site__code"),
    ("site_name", "site__name"),
    ("category", "category"),
    ("brand", "product_model__brand__name"),
    ("manufacturer", "product_model__manufacturer__name"),
    ("model_number", "product_model__model_number"),
    ("serial_number", "serial_number"),
    ("asset_tag", "asset_tag"),
    ("quantity", "quantity"),
    ("installed_date", "installed_date"),
    ("status", "status"),
    ("internet_connected", "internet_connected"),
    ("vendor_remote_access", "vendor_remote_access"),
    ("remote_access_vendor", "remote_access_vendor__name"),
    ("cellular_modem", "cellular_modem"),
    ("isolated_segment", "isolated_segment"),
    ("updated_at", "updated_at"),
]


class EquipmentViewSet(ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin, ReadOnlyApiViewSet):
    """Installed equipment of the user's organisations. `as_of=YYYY-MM-DD` answers from history."""

    serializer_class = EquipmentSerializer
    base_filterset_class = EquipmentFilterSet
    organization_field = "site__organization"
    ordering_fields = ["id", "installed_date", "updated_at"]
    lookup_field = "id"
    lookup_value_regex = r"\d+"
    supports_as_of = True
    create_serializer_class = update_serializer_class = EquipmentInputSerializer
    _related = ("site", "product_model__brand")

    @property
    def export_fields(self):
        if self.answers_from_history():
            return None  # serialised per chunk: the status then comes from the findings open then
        fields = list(EQUIPMENT_EXPORT)
        fields.insert(5, ("risk_status", "risk_status"))
        return fields

    def get_queryset(self):
        as_of = self.get_as_of() if self.action in ("list", "retrieve") else None
        if as_of is None:
            return self.scope(Equipment.objects.select_related(*self._related))
        history = Equipment.history.filter(history_date__lte=as_of).latest_of_each().exclude(history_type="-")
        return self.scope(history.select_related(*self._related))

    def page_context(self, objects: list) -> dict:
        """The findings of the page's units (three queries), open now or at `as_of`."""
        as_of = self.get_as_of() if self.action in ("list", "retrieve") else None
        findings = equipment_findings(equipment_ids=[o.id for o in objects], as_of=as_of)
        return {"findings_by_equipment": findings, "as_of": as_of}

    def perform_service_create(self, data):
        return services.equipment_create(actor=self.request.user, **data)

    def perform_service_update(self, equipment, data):
        return services.equipment_update(equipment=equipment, actor=self.request.user, **data)

    def perform_service_destroy(self, equipment):
        services.equipment_delete(equipment=equipment, actor=self.request.user)

    @extend_schema(responses={(200, "application/vnd.cyclonedx+json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def cyclonedx(self, request, id=None):
        """The unit's parts as CycloneDX 1.6 JSON: the parts of the bills of materials in force for it (its own,
        its organisation's for its product model; `vendorrisk:bom` says which) and its recorded components
        (`vendorrisk:recorded`), with `vendorrisk:` properties: the mapped vendor, its worst status for the unit's
        category, and each open finding's path."""
        unit = self.get_object()
        response = HttpResponse(equipment_export_cyclonedx(unit),
                                content_type="application/vnd.cyclonedx+json; version=1.6")
        response["Content-Disposition"] = f'attachment; filename="unit-{unit.pk}-parts.cdx.json"'
        return response


class ComponentViewSet(ReadOnlyApiViewSet):
    """Parts of installed equipment with their own vendor (read-only here)."""

    queryset = Component.objects.select_related("vendor", "equipment")
    serializer_class = ComponentSerializer
    base_filterset_class = ComponentFilterSet
    organization_field = "equipment__site__organization"
    ordering_fields = ["id", "updated_at"]


class BomDocumentViewSet(ReadOnlyApiViewSet):
    """Bills of materials (CycloneDX 1.2-1.6 JSON/XML, SPDX 2.2/2.3 JSON/tag-value, SPDX 3.0 JSON-LD) imported for a
    product model as your organisation installs it, or for one unit. POST a file (multipart) to preview the import
    (the default, `dry_run=true`: vendor mapping, unknown names with suggestions, the diff with the version in
    force) or to store it (`dry_run=false`); a refused document stores nothing and answers 400 with the reason.
    `cyclonedx/` exports the parts as CycloneDX 1.6 with the registry's findings as properties."""

    queryset = BomDocument.objects.all()
    serializer_class = BomDocumentSerializer
    base_filterset_class = BomDocumentFilterSet
    organization_field = "organization"
    ordering_fields = ["id", "imported_at"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": BomImportInputSerializer},
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The preview (dry run)."),
                              201: BomDocumentSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated_input(BomImportInputSerializer)
        upload = data["file"]
        limit = int(settings.INVENTORY_BOM_MAX_BYTES)
        raw = upload.read(limit + 1)  # one byte over is enough for the service to refuse it by size
        target = {"product_model": data.get("product_model"), "equipment": data.get("equipment")}
        if data["dry_run"]:
            preview = bom_preview(organization=data["organization"], data=raw, resolutions=data["resolutions"],
                                  actor=request.user, **target)
            return Response(preview.as_dict())
        document = bom_commit(organization=data["organization"], data=raw, filename=upload.name or "",
                              resolutions=data["resolutions"], actor=request.user, **target)
        return Response(self.written_answer(document), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/vnd.cyclonedx+json"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def cyclonedx(self, request, pk=None):
        """The parts as CycloneDX 1.6 JSON, with `vendorrisk:` properties: the mapped vendor, its worst status
        for the unit's or model's category, and each open finding's path."""
        document = self.get_object()
        response = HttpResponse(bom_export_cyclonedx(document),
                                content_type="application/vnd.cyclonedx+json; version=1.6")
        response["Content-Disposition"] = f'attachment; filename="bom-{document.pk}-v{document.version}.cdx.json"'
        return response
