"""Sites of an organisation, the product models installed there, the installed equipment and its parts."""
from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from apps.common.choices import RiskStatus
from apps.common.models import TimeStampedModel

from .choices import (
    CONNECTIVITY_FACT_FIELDS,
    BomComponentType,
    BomFormat,
    BomSupplierRole,
    ComponentKind,
    ConnectivityFact,
    Criticality,
    EquipmentCategory,
    EquipmentStatus,
    SiteKind,
    connectivity_level,
)


class Site(TimeStampedModel):
    """A place an organisation runs: a container terminal, an airport, an office building, a base."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, help_text="Short code, unique within the organisation (e.g. LALB-T1).")
    kind = models.CharField(max_length=32, choices=SiteKind.choices)
    country = CountryField()
    region = models.CharField("city / region", max_length=200, blank=True)
    address = models.CharField(max_length=500, blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    criticality = models.CharField(max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM)
    is_defence = models.BooleanField("defence / military use", default=False)
    operator_name = models.CharField(
        max_length=200, blank=True, help_text="Who operates the site's systems when not the owner (e.g. a landlord)."
    )
    is_demo = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="site_unique_org_code")]
        indexes = [models.Index(fields=["organization", "kind"]), models.Index(fields=["criticality"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": "Give both latitude and longitude, or neither."})


class ProductModel(TimeStampedModel):
    """A product as sold: brand on the box, real maker when different, software supplier, FCC ID."""

    brand = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="branded_products")
    manufacturer = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="manufactured_products",
        help_text="The real manufacturer when it is not the brand (white label / OEM).",
    )
    software_supplier = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="software_products",
        help_text="Supplier of the control software or firmware, when known.",
    )
    model_number = models.CharField(max_length=120)
    name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=32, choices=EquipmentCategory.choices)
    country_of_manufacture = CountryField(blank=True)
    fcc_id = models.CharField("FCC ID", max_length=40, blank=True)
    remote_access_capable = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["brand__name", "model_number"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "model_number"], name="productmodel_unique_brand_model"),
            models.CheckConstraint(
                condition=Q(manufacturer__isnull=True) | ~Q(manufacturer=models.F("brand")),
                name="productmodel_manufacturer_not_brand",
            ),
        ]
        indexes = [models.Index(fields=["manufacturer"]), models.Index(fields=["software_supplier"])]

    def __str__(self) -> str:
        return f"{self.brand} {self.model_number}"

    @property
    def effective_manufacturer_id(self) -> int:
        return self.manufacturer_id or self.brand_id

    def clean(self) -> None:
        self.model_number = " ".join((self.model_number or "").split())
        if self.brand_id and self.manufacturer_id == self.brand_id:
            raise ValidationError(
                {"manufacturer": "Leave the manufacturer empty when the brand makes the product itself."}
            )


class Equipment(TimeStampedModel):
    """An installed unit, or a batch of identical units (quantity > 1), at one site."""

    # No single-column indexes of their own: site leads equipment_site_cat_id and equipment_site_product_model,
    # product_model has its Index below; each index is paid on every unit an import writes (docs/performance.md).
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="equipment", db_index=False)
    product_model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, related_name="equipment",
                                      db_index=False)
    category = models.CharField(max_length=32, choices=EquipmentCategory.choices)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    serial_number = models.CharField(max_length=120, blank=True)
    asset_tag = models.CharField(max_length=120, blank=True)
    installed_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_SERVICE)
    # How the unit is reachable: separate facts, several may hold (apps.remediation rules test them).
    internet_connected = models.BooleanField(default=False, help_text="Reachable from or reaching the internet.")
    vendor_remote_access = models.BooleanField(default=False, help_text="A vendor can reach it remotely.")
    remote_access_vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Who holds the remote access (the maker, an integrator...); with vendor remote access only.")
    cellular_modem = models.BooleanField(default=False, help_text="Has a cellular (LTE/5G) modem.")
    isolated_segment = models.BooleanField(default=False, help_text="On an isolated network segment.")
    collects_data = models.BooleanField(default=False, help_text="Records video, sensor or cargo data.")
    operator_name = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False)
    # Derived by screening: the worst status of the brand, manufacturer, software supplier and components,
    # updated in bulk by vendor sets. Out of the row history on purpose (see docs/screening.md).
    risk_status = models.CharField(
        max_length=16, choices=RiskStatus.choices, default=RiskStatus.CLEAR, editable=False
    )
    risk_reason = models.TextField(blank=True, editable=False)
    # The import that recorded the unit (its done page counts and links the units by it); out of the history.
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False, db_index=False)
    history = HistoricalRecords(excluded_fields=["risk_status", "risk_reason", "import_job"])

    class Meta:
        ordering = ["site", "category", "id"]
        verbose_name_plural = "equipment"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="equipment_quantity_positive"),
            models.UniqueConstraint(
                fields=["site", "asset_tag"], condition=~Q(asset_tag=""), name="equipment_unique_site_asset_tag"
            ),
        ]
        indexes = [
            models.Index(fields=["site", "category", "id"], name="equipment_site_cat_id"),
            # The product models (hence vendors) an organisation uses: an index-only scan per site.
            models.Index(fields=["site", "product_model"], name="equipment_site_product_model"),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["product_model"]),
            models.Index(fields=["serial_number"]),
            models.Index(fields=["risk_status"], name="equipment_risk_status"),  # equality only: no LIKE twin
            # Only imported units are indexed (most units are recorded by hand or are older than the column).
            models.Index(fields=["import_job"], condition=Q(import_job__isnull=False), name="equipment_import_job"),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._counted_as = instance.counted_as()  # what the site tally holds for it (apps.inventory.signals)
        return instance

    def counted_as(self) -> tuple:
        """The fields the per-site tally (SiteEquipmentCount) depends on; None where not loaded."""
        d = self.__dict__
        return (d.get("site_id"), d.get("category"), d.get("status"), d.get("risk_status"), d.get("quantity"))

    def policy_organization(self) -> int:
        """The organisation the unit belongs to (through its site), for apps.accounts.policies."""
        return self.site.organization_id

    def __str__(self) -> str:
        label = self.asset_tag or self.serial_number or f"#{self.pk}"
        return f"{self.get_category_display()} {label}"

    @property
    def connectivity_facts(self) -> frozenset[str]:
        return frozenset(f for f in CONNECTIVITY_FACT_FIELDS if getattr(self, f))

    @property
    def connectivity(self) -> str:
        """The exposure as one level (derived; see apps.inventory.choices.connectivity_level)."""
        return connectivity_level(self.connectivity_facts)

    def get_connectivity_display(self) -> str:
        return ", ".join(str(ConnectivityFact(f).label) for f in CONNECTIVITY_FACT_FIELDS if getattr(self, f)) \
            or "Site network"

    def clean(self) -> None:
        errors = {}
        if self.remote_access_vendor_id and not self.vendor_remote_access:
            errors["remote_access_vendor"] = "Name who holds remote access only when the unit has vendor remote access."
        if self.isolated_segment and self.internet_connected:
            errors["isolated_segment"] = "A unit on an isolated segment is not internet-connected; choose one."
        if self.installed_date and self.installed_date > timezone.localdate():
            errors["installed_date"] = "The installation date cannot be in the future."
        if self.quantity is not None and self.quantity < 1:
            errors["quantity"] = "Quantity must be at least 1."
        if errors:
            raise ValidationError(errors)


class SiteEquipmentCount(models.Model):
    """How many equipment records (and units) a site has per category, lifecycle status and risk status.

    A materialised tally, so that the sites page, the dashboard, the API summary and the equipment list's page
    count read a few hundred rows instead of grouping an organisation's whole inventory on every request.
    It is derived data: ``apps.inventory.services.equipment_counts_refresh`` recounts the sites a write touched
    (inside the writing transaction, under a lock on the site row), and ``recount_equipment`` rebuilds or checks
    the whole table (nightly, and by hand after writes made outside the application).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="equipment_counts")
    category = models.CharField(max_length=32, choices=EquipmentCategory.choices)
    status = models.CharField(max_length=16, choices=EquipmentStatus.choices)
    risk_status = models.CharField(max_length=16, choices=RiskStatus.choices)
    records = models.PositiveIntegerField(help_text="Equipment records (rows).")
    units = models.PositiveBigIntegerField(help_text="Units: the sum of the records' quantities.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "category", "status", "risk_status"],
                                    name="siteequipmentcount_unique_bucket"),
        ]

    def __str__(self) -> str:
        return f"site {self.site_id} {self.category}/{self.status}/{self.risk_status}: {self.records}"


class Component(TimeStampedModel):
    """A part of an installed unit with its own vendor: control software, comms module, SoC."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(max_length=24, choices=ComponentKind.choices)
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="components")
    name = models.CharField(max_length=200, blank=True, help_text="Product or module name, version.")
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["vendor"])]

    def policy_organization(self) -> int:
        return self.equipment.site.organization_id

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.vendor} {self.name}".strip()


def bom_upload_to(instance: BomDocument, filename: str) -> str:
    """A random name under boms/ (never the uploader's; the original name is kept in a field)."""
    return f"boms/{uuid.uuid4().hex}.bom"


class BomDocument(models.Model):
    """An imported bill of materials (CycloneDX or SPDX), kept unchanged as evidence, for a product model as one
    organisation installs it (its components apply to that organisation's units of the model) or for one unit.

    Each import for the same target is a new version (1, 2, ...); the latest is the one in force, the earlier ones
    stay for the diff and the audit trail. Rows are only ever written whole by apps.inventory.bom.bom_commit."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    product_model = models.ForeignKey(ProductModel, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="boms")
    equipment = models.ForeignKey(Equipment, null=True, blank=True, on_delete=models.PROTECT, related_name="boms")
    version = models.PositiveIntegerField(help_text="1 for the first import for this target, then 2, 3...")
    is_current = models.BooleanField(default=True, help_text="The version in force (the latest) for its target.")
    format = models.CharField(max_length=16, choices=BomFormat.choices)
    spec_version = models.CharField(max_length=16)
    serial_number = models.CharField(max_length=200, blank=True, help_text="The document's own serial / namespace.")
    document_name = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to=bom_upload_to, max_length=300)
    filename = models.CharField(max_length=255, blank=True)
    component_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="Counts and the diff with the previous version.")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product_model__isnull=True, equipment__isnull=False)
                | Q(product_model__isnull=False, equipment__isnull=True),
                name="bomdocument_one_target",
            ),
            models.UniqueConstraint(fields=["organization", "product_model", "version"],
                                    condition=Q(product_model__isnull=False), name="bomdocument_unique_model_version"),
            models.UniqueConstraint(fields=["equipment", "version"], condition=Q(equipment__isnull=False),
                                    name="bomdocument_unique_unit_version"),
        ]
        indexes = [
            models.Index(fields=["organization", "-imported_at"]),
            models.Index(fields=["product_model", "organization"], condition=Q(is_current=True),
                         name="bomdocument_current_model"),
        ]

    def __str__(self) -> str:
        target = self.product_model or self.equipment
        return f"BOM v{self.version} of {target} ({self.get_format_display()} {self.spec_version})"

    def policy_organization(self) -> int:
        return self.organization_id


class BomComponent(models.Model):
    """One part listed in a BomDocument, nested through `parent` (a board inside a device, a library inside an
    application). The vendor is the registry vendor the document's supplier, manufacturer, publisher or author
    names (empty when none matched: `supplier_name` keeps what the document said). `key` is the part's identity
    across versions (purl, cpe, else group/name), so that a new version's diff pairs the same part."""

    document = models.ForeignKey(BomDocument, on_delete=models.CASCADE, related_name="components")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    depth = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=64, help_text="sha256 of the identity (purl, cpe, else group/name).")
    bom_ref = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=20, choices=BomComponentType.choices)
    name = models.CharField(max_length=300)
    group = models.CharField(max_length=300, blank=True)
    version = models.CharField(max_length=120, blank=True)
    supplier = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="bom_components")
    supplier_name = models.CharField(max_length=300, blank=True)
    supplier_role = models.CharField(max_length=16, choices=BomSupplierRole.choices, blank=True)
    country = CountryField(blank=True)
    purl = models.CharField(max_length=1000, blank=True)
    cpe = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["document", "pk"]
        indexes = [
            models.Index(fields=["document", "key"], name="bomcomponent_doc_key"),
            # Screening asks "which current parts come from these flagged vendors?": by supplier, then document.
            models.Index(fields=["supplier", "document"], name="bomcomponent_supplier_doc",
                         condition=Q(supplier__isnull=False)),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.group, self.name, self.version) if p)

    def policy_organization(self) -> int:
        return self.document.organization_id


def _import_token() -> str:
    return secrets.token_urlsafe(18)


class ImportJob(models.Model):
    """One uploaded file on its way into the inventory, between its upload, its dry run and its commit (the file
    stays on disk under MEDIA_ROOT/imports/, outside the served media, and is deleted after the commit). The
    token in URLs is unguessable; views also check the organisation."""

    class Status(models.TextChoices):
        VALIDATING = "validating", "Checking rows"
        VALID = "valid", "Ready to import"
        INVALID = "invalid", "Has errors"
        COMMITTING = "committing", "Saving"
        COMMITTED = "committed", "Imported"
        FAILED = "failed", "Failed"

    token = models.CharField(max_length=32, unique=True, default=_import_token)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16)
    fmt = models.CharField(max_length=8)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    # The officer's answer to each near-duplicate vendor name of the dry run: {name as written: vendor id or
    # "new"} (apps.inventory.import_jobs.import_job_choose_vendors); the dry run and the commit apply it.
    vendor_choices = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} import {self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status in (self.Status.VALID, self.Status.INVALID, self.Status.COMMITTED):
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.COMMITTING)
