"""Vendors (makers, brands, software suppliers, owners) and the links between them.

Vendors are shared reference data: Hikvision is the same company for every organisation, and a review
decision about it applies wherever it appears. Ownership and OEM links are dated and sourced.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from apps.common.choices import EquipmentCategory, RiskStatus
from apps.common.models import TimeStampedModel

from .choices import (
    OWN_VIEW_KINDS,
    AliasKind,
    IdentifierScheme,
    OemConfidence,
    OwnershipKind,
    ProposalKind,
    ProposalStatus,
)
from .identifiers import identifier_validate


class Vendor(TimeStampedModel):
    """A company: manufacturer, brand, software supplier, component maker or owner of one."""

    name = models.CharField("legal name", max_length=300, db_index=True)
    country_of_incorporation = CountryField(blank=True)
    country_of_headquarters = CountryField(blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False)
    # Derived by screening (apps.screening.services) from open findings; kept out of the row history on
    # purpose: its history is the findings' discovered_at/closed_at and the screening runs.
    risk_status = models.CharField(
        max_length=16, choices=RiskStatus.choices, default=RiskStatus.CLEAR, db_index=True, editable=False
    )
    # Where an accepted fact came from (apps.vendors.proposals.shared_fact_change): proposal id, source URL and
    # document, accepted by and at. Empty for facts recorded before proposals existed and by the registry itself.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["risk_status"])

    class Meta:
        ordering = ["name"]
        # "ZPMC Co" and "zpmc co" are one company: names are unique without regard to case (the check and its
        # message run in full_clean, the index in the database).
        constraints = [models.UniqueConstraint(
            Lower("name"), name="vendor_unique_name_ci",
            violation_error_message="A vendor with this legal name exists already (names are compared without "
                                    "regard to case).")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = " ".join((self.name or "").split())
        if not self.name:
            raise ValidationError({"name": "A vendor needs a legal name."})
        # The constraint's own check reports on the whole form; the same rule said on the field, by name.
        twin = (Vendor.objects.alias(key=Lower("name")).filter(key=Lower(models.Value(self.name)))  # the index's
                .exclude(pk=self.pk).values_list("name", flat=True).first())                       # expression
        if twin is not None:
            raise ValidationError({"name": f"A vendor with this legal name exists already: “{twin}” (names are "
                                           "compared without regard to case)."})


class VendorAlias(TimeStampedModel):
    """Another name of a vendor: trade name, former name, transliteration, name in local script."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=24, choices=AliasKind.choices, default=AliasKind.TRADE_NAME)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. zh-Hans, when known.")
    # Where an accepted fact came from (apps.vendors.proposals.shared_fact_change): proposal id, source URL and
    # document, accepted by and at. Empty for facts recorded before proposals existed and by the registry itself.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "vendor aliases"
        constraints = [models.UniqueConstraint(fields=["vendor", "name"], name="vendoralias_unique_vendor_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        self.name = " ".join((self.name or "").split())
        if not self.name:
            raise ValidationError({"name": "An alias needs a name."})


class VendorIdentifier(TimeStampedModel):
    """A registry identifier of a vendor (LEI, UEI, DUNS, USCC, national registration number)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=16, choices=IdentifierScheme.choices)
    value = models.CharField(max_length=64, help_text="Stored in canonical form (upper case, no separators).")
    country = CountryField(blank=True, help_text="Issuing country; required for national registration numbers.")
    # Where an accepted fact came from (apps.vendors.proposals.shared_fact_change): proposal id, source URL and
    # document, accepted by and at. Empty for facts recorded before proposals existed and by the registry itself.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "country", "value"], name="vendoridentifier_unique_value"),
        ]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()}: {self.value}"

    def clean(self) -> None:
        if self.scheme not in IdentifierScheme.values:
            raise ValidationError({"scheme": f"Unknown identifier scheme {self.scheme!r}."})
        try:
            self.value = identifier_validate(self.scheme, self.value)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from exc
        if self.scheme == IdentifierScheme.REGISTRATION and not self.country:
            raise ValidationError({"country": "A national registration number needs its issuing country."})


class OwnershipQuerySet(models.QuerySet):
    def active_on(self, day) -> OwnershipQuerySet:
        """Links in force on `day`: started on or before it (or undated) and not ended before it."""
        return self.filter(Q(start_date__isnull=True) | Q(start_date__lte=day)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class Ownership(TimeStampedModel):
    """Owner vendor -> owned vendor, with a share in percent, or unknown (null) when not published."""

    owner = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="owned_links")
    owned = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="owner_links")
    share_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="0-100; leave empty when the share is unknown.",
    )
    kind = models.CharField(max_length=16, choices=OwnershipKind.choices, default=OwnershipKind.SHAREHOLDING)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where this was read: filing, register, URL.")
    evidence_note = models.TextField(blank=True)
    # Where an accepted fact came from (apps.vendors.proposals.shared_fact_change): proposal id, source URL and
    # document, accepted by and at. Empty for facts recorded before proposals existed and by the registry itself.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    objects = OwnershipQuerySet.as_manager()
    # Not a field: True on the unsaved rows an organisation's overlay adds or changes in its own view
    # (apps.vendors.overlay.overlay_ownership_links), so pages and the API can mark them as proposed.
    proposed = False

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(owner=models.F("owned")), name="ownership_not_self"),
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True) | (Q(share_percent__gte=0) & Q(share_percent__lte=100)),
                name="ownership_share_0_100",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="ownership_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["owned", "owner"]), models.Index(fields=["owner"])]

    def __str__(self) -> str:
        share = "unknown share" if self.share_percent is None else f"{self.share_percent}%"
        return f"{self.owner} -> {self.owned} ({self.get_kind_display()}, {share})"

    @property
    def share_known(self) -> bool:
        return self.share_percent is not None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.owner_id and self.owned_id and self.owner_id == self.owned_id:
            errors["owner"] = "A vendor cannot own itself."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date is before the start date."
        if errors:
            raise ValidationError(errors)
        if not (self.owner_id and self.owned_id):
            return
        # Imported lazily: the selector module imports this one.
        from .selectors import ownership_creates_cycle, ownership_total_share

        if ownership_creates_cycle(owner_id=self.owner_id, owned_id=self.owned_id, exclude_pk=self.pk):
            raise ValidationError(
                {"owner": f"This link would make a cycle: {self.owned} already owns {self.owner}, directly or "
                 "through other companies."}
            )
        if self.share_percent is not None:
            others = ownership_total_share(
                owned_id=self.owned_id, start=self.start_date, end=self.end_date, exclude_pk=self.pk
            )
            if others + self.share_percent > 100:
                raise ValidationError(
                    {"share_percent": f"Shares in {self.owned} would total {others + self.share_percent}% "
                     f"on some day ({others}% already recorded for links in force then); the total cannot "
                     "exceed 100%."}
                )


class OemRelation(TimeStampedModel):
    """A brand sold under one name but made by another company (white label), optionally per category."""

    brand = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="oem_manufacturers")
    manufacturer = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="oem_brands")
    category = models.CharField(
        max_length=32, choices=EquipmentCategory.choices, blank=True, help_text="Empty: every category."
    )
    confidence = models.CharField(max_length=16, choices=OemConfidence.choices, default=OemConfidence.REPORTED)
    source = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    # Where an accepted fact came from (apps.vendors.proposals.shared_fact_change): proposal id, source URL and
    # document, accepted by and at. Empty for facts recorded before proposals existed and by the registry itself.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    # Not a field: True on the unsaved rows an organisation's overlay adds in its own view
    # (apps.vendors.overlay.overlay_oem_relations), so pages can mark them as proposed.
    proposed = False

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(brand=models.F("manufacturer")), name="oem_not_self"),
            models.UniqueConstraint(fields=["brand", "manufacturer", "category"], name="oem_unique_triplet"),
        ]
        indexes = [models.Index(fields=["manufacturer"])]

    def __str__(self) -> str:
        scope = self.get_category_display() if self.category else "all categories"
        return f"{self.brand} made by {self.manufacturer} ({scope})"

    def clean(self) -> None:
        if self.brand_id and self.brand_id == self.manufacturer_id:
            raise ValidationError({"manufacturer": "A brand cannot be its own OEM manufacturer."})


def proposal_evidence_upload_to(instance: ChangeProposal, filename: str) -> str:
    """A random name (never the uploader's) under proposals/; the original name is kept in a field."""
    return f"proposals/{uuid.uuid4().hex}.{instance.evidence_extension or 'bin'}"


class ChangeProposal(TimeStampedModel):
    """An organisation's proposed change to a shared vendor fact (names, aliases, identifiers, ownership links
    and shares, OEM relations), with its source. A curator other than the proposer accepts or rejects it
    (four eyes); until then it changes nothing shared. The proposing organisation may apply it to its own view
    (`applies_to_own_view`, read by apps.vendors.overlay). `base` holds the target's values when it was made:
    a proposal whose target changed since is stale and cannot be accepted (409)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=24, choices=ProposalKind.choices)
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="change_proposals",
                               help_text="The vendor the fact is about (the owned vendor, the brand).")
    target_id = models.BigIntegerField(null=True, blank=True,
                                       help_text="The alias, identifier, ownership link or OEM relation changed.")
    payload = models.JSONField(default=dict, blank=True, help_text="The change: the fields and their new values.")
    base = models.JSONField(default=dict, blank=True, help_text="The target's values the change was made against.")
    source_url = models.URLField(max_length=500, blank=True)
    source_document = models.CharField(max_length=500, blank=True, help_text="Filing, register extract, report.")
    evidence = models.FileField(upload_to=proposal_evidence_upload_to, max_length=300, blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_extension = models.CharField(max_length=8, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING,
                              db_index=True)
    applies_to_own_view = models.BooleanField(
        default=True, help_text="While pending, the proposing organisation sees the change in its own view.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was accepted, rejected or withdrawn.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["vendor", "status"])]

    def __str__(self) -> str:
        return f"Proposal {self.pk}: {self.get_kind_display()} of {self.vendor} ({self.status})"

    def policy_organization(self) -> int:
        return self.organization_id

    @property
    def may_apply_to_own_view(self) -> bool:
        """Ownership and OEM changes may be applied to the proposer's view before acceptance; name, alias and
        identifier changes feed matching, shared by every view, so they take effect in screening only once
        accepted (choices.OWN_VIEW_KINDS)."""
        return self.kind in OWN_VIEW_KINDS

    @property
    def screening_effect(self) -> str:
        """What the proposal does to screening while pending, in words (API and pages)."""
        if not self.may_apply_to_own_view:
            return ("Takes effect in screening only once a curator accepts it (names, aliases and identifiers feed "
                    "matching, which every organisation shares).")
        if self.status != ProposalStatus.PENDING:
            return ""
        if self.applies_to_own_view:
            return "Applied to the proposing organisation's view while pending; nobody else is affected."
        return "Not applied to any view while pending."
