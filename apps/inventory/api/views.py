"""Inventory endpoints: sites, product models, equipment (with `as_of`), components."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from apps.api.viewsets import ApiViewSetMixin, ReadOnlyApiViewSet
from apps.inventory import services
from apps.inventory.filtersets import (
    ComponentFilterSet,
    ProductModelFilterSet,
    SiteFilterSet,
)
from apps.inventory.models import Component, Equipment, ProductModel, Site
from apps.remediation.filtersets import EquipmentFilterSet
from apps.screening.selectors import equipment_findings

from .serializers import (
    ComponentSerializer,
    EquipmentInputSerializer,
    EquipmentSerializer,
    ProductModelInputSerializer,
    ProductModelSerializer,
    SiteInputSerializer,
    SiteSerializer,
)


def _input(serializer_class, request, *, instance=None, partial=False):
    serializer = serializer_class(instance, data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SiteViewSet(ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sites of the user's organisations. Officers and admins create and update them."""

    queryset = Site.objects.select_related("organization")
    serializer_class = SiteSerializer
    base_filterset_class = SiteFilterSet
    ordering_fields = ["id", "name", "code", "updated_at"]
    export_name = "sites"

    @extend_schema(request=SiteInputSerializer, responses={201: SiteSerializer})
    def create(self, request):
        data = _input(SiteInputSerializer, request)
        site = services.site_create(actor=request.user, **data)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteInputSerializer, responses={200: SiteSerializer})
    def partial_update(self, request, pk=None):
        site = self.get_object()
        data = _input(SiteInputSerializer, request, instance=site, partial=True)
        site = services.site_update(site=site, actor=request.user, **data)  # refuses a move to another org
        return Response(SiteSerializer(site).data)


class ProductModelViewSet(ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """Product models are shared reference data: every member reads them, officers and admins add them."""

    queryset = ProductModel.objects.select_related("brand", "manufacturer", "software_supplier")
    serializer_class = ProductModelSerializer
    base_filterset_class = ProductModelFilterSet
    organization_field = None
    ordering_fields = ["id", "model_number", "updated_at"]
    export_name = "products"

    @extend_schema(request=ProductModelInputSerializer, responses={201: ProductModelSerializer})
    def create(self, request):
        data = _input(ProductModelInputSerializer, request)
        product = services.product_model_create(actor=request.user, **data)
        return Response(ProductModelSerializer(product).data, status=status.HTTP_201_CREATED)


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
    ("connectivity", "connectivity"),
    ("updated_at", "updated_at"),
]


class EquipmentViewSet(ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """Installed equipment of the user's organisations. `as_of=YYYY-MM-DD` answers from history."""

    serializer_class = EquipmentSerializer
    base_filterset_class = EquipmentFilterSet
    organization_field = "site__organization"
    ordering_fields = ["id", "installed_date", "updated_at"]
    lookup_field = "id"
    lookup_value_regex = r"\d+"
    supports_as_of = True
    export_name = "equipment"
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

    @extend_schema(request=EquipmentInputSerializer, responses={201: EquipmentSerializer})
    def create(self, request):
        data = _input(EquipmentInputSerializer, request)
        equipment = services.equipment_create(actor=request.user, **data)
        return Response(EquipmentSerializer(equipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EquipmentInputSerializer, responses={200: EquipmentSerializer})
    def partial_update(self, request, id=None):
        equipment = self.get_object()
        data = _input(EquipmentInputSerializer, request, instance=equipment, partial=True)
        equipment = services.equipment_update(equipment=equipment, actor=request.user, **data)
        return Response(EquipmentSerializer(equipment).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, id=None):
        services.equipment_delete(equipment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ComponentViewSet(ReadOnlyApiViewSet):
    """Parts of installed equipment with their own vendor (read-only here)."""

    queryset = Component.objects.select_related("vendor", "equipment")
    serializer_class = ComponentSerializer
    base_filterset_class = ComponentFilterSet
    organization_field = "equipment__site__organization"
    ordering_fields = ["id", "updated_at"]
    export_name = "components"
