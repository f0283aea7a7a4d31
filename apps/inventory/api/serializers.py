"""Output and input serializers of the inventory API. Output serializers read select_related relations
only (flat ids and names), so a page costs the same number of queries whatever its size. They also read
historical records (django-simple-history), which carry the same field names, for `as_of` answers."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Organization
from apps.api.fields import CountryCodeField, ScopedPrimaryKeyRelatedField, writable_by_organization
from apps.api.serializers import ReadOnlyModelSerializer
from apps.common.choices import FLAGGED_STATUSES, risk_worst
from apps.inventory.choices import (
    CONNECTIVITY_FACT_FIELDS,
    Connectivity,
    EquipmentCategory,
    EquipmentStatus,
    connectivity_level,
)
from apps.inventory.models import BomDocument, Component, Equipment, ProductModel, Site
from apps.vendors.models import Vendor


class SiteSerializer(ReadOnlyModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Site
        fields = ["id", "organization", "organization_name", "name", "code", "kind", "country", "region",
                  "address", "latitude", "longitude", "criticality", "is_defence", "operator_name",
                  "created_at", "updated_at"]


class SiteInputSerializer(serializers.ModelSerializer):
    """Writable site fields; `organization` is limited to where the user may write (set by the view)."""

    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(),
                                                scope=writable_by_organization("id"))
    country = CountryCodeField()

    class Meta:
        model = Site
        fields = ["organization", "name", "code", "kind", "country", "region", "address", "latitude",
                  "longitude", "criticality", "is_defence", "operator_name"]
        validators: list = []  # uniqueness is checked by the service's full_clean(), in one place


class ProductModelSerializer(ReadOnlyModelSerializer):
    brand_name = serializers.CharField(source="brand.name", read_only=True)
    manufacturer_name = serializers.CharField(source="manufacturer.name", read_only=True, allow_null=True)
    software_supplier_name = serializers.CharField(source="software_supplier.name", read_only=True,
                                                   allow_null=True)
    country_of_manufacture = serializers.CharField(source="country_of_manufacture.code", read_only=True)

    class Meta:
        model = ProductModel
        fields = ["id", "brand", "brand_name", "manufacturer", "manufacturer_name", "software_supplier",
                  "software_supplier_name", "model_number", "name", "category", "country_of_manufacture",
                  "fcc_id", "remote_access_capable", "created_at", "updated_at"]


class ProductModelInputSerializer(serializers.ModelSerializer):
    brand = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())
    manufacturer = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False,
                                                      allow_null=True)
    software_supplier = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False,
                                                           allow_null=True)
    country_of_manufacture = CountryCodeField(required=False, allow_blank=True)

    class Meta:
        model = ProductModel
        fields = ["brand", "manufacturer", "software_supplier", "model_number", "name", "category",
                  "country_of_manufacture", "fcc_id", "remote_access_capable"]
        validators: list = []


_DATETIME = serializers.DateTimeField()


class EquipmentFindingSerializer(serializers.Serializer):
    """apps.screening.selectors.EquipmentFinding."""

    vendor_id = serializers.IntegerField()
    vendor_name = serializers.CharField()
    vendor_role = serializers.ChoiceField(choices=["brand", "manufacturer", "software_supplier", "component"])
    finding_id = serializers.IntegerField()
    source_code = serializers.CharField()
    regime = serializers.CharField()
    sub_list = serializers.CharField()
    listed_on = serializers.DateField(allow_null=True)
    discovered_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=FLAGGED_STATUSES)
    path_text = serializers.CharField()


class EquipmentSerializer(serializers.Serializer):
    """An installed unit as it is now, or (with `as_of`) as its historical record was then."""

    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    site_code = serializers.CharField(source="site.code")
    site_name = serializers.CharField(source="site.name")
    organization = serializers.IntegerField(source="site.organization_id")
    product_model = serializers.IntegerField(source="product_model_id")
    model_number = serializers.CharField(source="product_model.model_number")
    brand = serializers.IntegerField(source="product_model.brand_id")
    brand_name = serializers.CharField(source="product_model.brand.name")
    manufacturer = serializers.IntegerField(source="product_model.effective_manufacturer_id",
                                            help_text="The real maker: the manufacturer, or the brand.")
    software_supplier = serializers.IntegerField(source="product_model.software_supplier_id", allow_null=True)
    category = serializers.ChoiceField(choices=EquipmentCategory.choices)
    quantity = serializers.IntegerField()
    serial_number = serializers.CharField()
    asset_tag = serializers.CharField()
    installed_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=EquipmentStatus.choices)
    internet_connected = serializers.BooleanField()
    vendor_remote_access = serializers.BooleanField()
    remote_access_vendor = serializers.IntegerField(allow_null=True, help_text="Vendor holding the remote access.")
    cellular_modem = serializers.BooleanField()
    isolated_segment = serializers.BooleanField()
    connectivity = serializers.ChoiceField(choices=Connectivity.choices, help_text="Derived: the strongest exposure "
                                           "among the facts (vendor_remote > internet > site_network > isolated).")
    collects_data = serializers.BooleanField()
    operator_name = serializers.CharField()
    notes = serializers.CharField()
    risk_status = serializers.SerializerMethodField()
    risk_reason = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField(
        help_text="Why: each finding reaching the unit through its brand, maker, software supplier or a component."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, obj) -> dict:
        """Built directly (same keys and formats as the declared fields, which document the schema): a page of
        1,000 rows is read several times faster than through the generic field machinery."""
        site, product = obj.site, obj.product_model
        return {
            "id": obj.id, "site": obj.site_id, "site_code": site.code, "site_name": site.name,
            "organization": site.organization_id, "product_model": obj.product_model_id,
            "model_number": product.model_number, "brand": product.brand_id, "brand_name": product.brand.name,
            "manufacturer": product.effective_manufacturer_id, "software_supplier": product.software_supplier_id,
            "category": obj.category, "quantity": obj.quantity, "serial_number": obj.serial_number,
            "asset_tag": obj.asset_tag,
            "installed_date": obj.installed_date.isoformat() if obj.installed_date else None,
            "status": obj.status, "internet_connected": obj.internet_connected,
            "vendor_remote_access": obj.vendor_remote_access, "remote_access_vendor": obj.remote_access_vendor_id,
            "cellular_modem": obj.cellular_modem, "isolated_segment": obj.isolated_segment,
            "connectivity": connectivity_level(f for f in CONNECTIVITY_FACT_FIELDS if getattr(obj, f)),
            "collects_data": obj.collects_data,
            "operator_name": obj.operator_name, "notes": obj.notes,
            "risk_status": self.get_risk_status(obj), "risk_reason": self.get_risk_reason(obj),
            "findings": self.get_findings(obj),
            "created_at": _DATETIME.to_representation(obj.created_at),
            "updated_at": _DATETIME.to_representation(obj.updated_at),
        }

    def _findings(self, obj) -> list:
        by_id = self.context.get("findings_by_equipment")
        return by_id.get(obj.id, []) if by_id is not None else []

    def get_risk_status(self, obj) -> str:
        """Stored status now; with `as_of`, the worst status of the findings open then."""
        if self.context.get("as_of") is not None:
            return risk_worst(*(f.status for f in self._findings(obj)))
        return getattr(obj, "risk_status", "clear")

    def get_risk_reason(self, obj) -> str:
        if self.context.get("as_of") is not None:
            return "; ".join(f.path_text for f in self._findings(obj))
        return getattr(obj, "risk_reason", "") or ""

    @extend_schema_field(EquipmentFindingSerializer(many=True))
    def get_findings(self, obj):
        return [{"vendor_id": f.vendor_id, "vendor_name": f.vendor_name, "vendor_role": f.vendor_role,
                 "finding_id": f.finding_id, "source_code": f.source_code, "regime": f.regime,
                 "sub_list": f.sub_list, "listed_on": f.listed_on.isoformat() if f.listed_on else None,
                 "discovered_at": _DATETIME.to_representation(f.discovered_at), "status": f.status,
                 "path_text": f.path_text} for f in self._findings(obj)]




class EquipmentInputSerializer(serializers.ModelSerializer):
    site = ScopedPrimaryKeyRelatedField(queryset=Site.objects.all(), scope=writable_by_organization())
    product_model = serializers.PrimaryKeyRelatedField(queryset=ProductModel.objects.all())

    class Meta:
        model = Equipment
        fields = ["site", "product_model", "category", "quantity", "serial_number", "asset_tag",
                  "installed_date", "status", "internet_connected", "vendor_remote_access", "remote_access_vendor",
                  "cellular_modem", "isolated_segment", "collects_data", "operator_name", "notes"]
        extra_kwargs = {"category": {"required": False}}
        validators: list = []


class ComponentSerializer(ReadOnlyModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    site = serializers.IntegerField(source="equipment.site_id", read_only=True)

    class Meta:
        model = Component
        fields = ["id", "equipment", "site", "kind", "vendor", "vendor_name", "name", "notes", "created_at",
                  "updated_at"]


class BomDocumentSerializer(ReadOnlyModelSerializer):
    """An imported bill of materials (the stored original is evidence: its sha256 and size are here; the parts
    with the registry's findings are at `cyclonedx/`)."""

    class Meta:
        model = BomDocument
        fields = ["id", "organization", "product_model", "equipment", "version", "is_current", "format",
                  "spec_version", "serial_number", "document_name", "sha256", "size", "filename", "component_count",
                  "summary", "imported_by", "imported_at"]


class BomImportInputSerializer(serializers.Serializer):
    """A BOM upload (multipart): the file, the organisation, exactly one target, and whether to store it."""

    file = serializers.FileField()
    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(),
                                                scope=writable_by_organization("id"))
    product_model = serializers.PrimaryKeyRelatedField(queryset=ProductModel.objects.all(), required=False,
                                                       allow_null=True)
    equipment = ScopedPrimaryKeyRelatedField(queryset=Equipment.objects.select_related("site", "product_model"),
                                             scope=writable_by_organization("site__organization_id"),
                                             required=False, allow_null=True)
    dry_run = serializers.BooleanField(default=True, help_text="Only preview (the default); false stores it.")
    resolutions = serializers.JSONField(required=False, default=dict,
                                        help_text="Supplier name -> id of an existing vendor, for names the "
                                                  "registry does not know (a JSON object).")

    def validate_resolutions(self, value):
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0
                for k, v in value.items()):
            raise serializers.ValidationError("Give a JSON object of supplier name -> vendor id.")
        return value

    def validate(self, attrs):
        if (attrs.get("product_model") is None) == (attrs.get("equipment") is None):
            raise serializers.ValidationError({"product_model": ["Give a product model or a unit (exactly one)."]})
        return attrs
