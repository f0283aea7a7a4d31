"""Forms of the officers' UI: they validate input shape; services decide and write."""
from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django_countries import countries

from apps.accounts.choices import LegalKind
from apps.accounts.models import Organization
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import ComponentKind, EquipmentCategory, EquipmentStatus
from apps.inventory.imports import FORMATS, KINDS
from apps.inventory.models import Site
from apps.vendors.choices import OemConfidence, OwnershipKind
from apps.vendors.models import Vendor, VendorAlias, VendorIdentifier

from .widgets import FastSelect


def form_add_errors(form: forms.Form, exc: ApplicationError | DjangoValidationError) -> None:
    """Show a service's refusal on the form: each message on its field when the form has it, else above the
    form; the error's own message when it names no field."""
    if isinstance(exc, DjangoValidationError):
        by_field = ({f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
                    if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages})
        message = "; ".join(exc.messages)
    else:
        by_field, message = exc.fields or {}, exc.message
    placed = False
    for field, errs in by_field.items():
        for e in errs:
            form.add_error(field if field in form.fields else None, e)
            placed = True
    if not placed:
        form.add_error(None, message)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="The file contains", choices=[(k, k.capitalize()) for k in KINDS],
                             initial="equipment", widget=forms.RadioSelect)
    file = forms.FileField(label="CSV or XLSX file",
                           help_text="UTF-8 CSV or an Excel workbook (first sheet). The first row names the columns.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/"
                                                                  "vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))


class BomUploadForm(forms.Form):
    """A bill of materials for a unit, or for its product model as the organisation installs it."""

    file = forms.FileField(label="CycloneDX or SPDX file",
                           help_text="CycloneDX 1.2-1.6 (JSON or XML), SPDX 2.2/2.3 (JSON or tag-value) or "
                                     "SPDX 3.0 (JSON-LD).",
                           widget=forms.ClearableFileInput(attrs={"accept": ".json,.xml,.spdx,.cdx,.txt"}))
    for_model = forms.TypedChoiceField(
        label="The document describes", coerce=lambda v: v == "model", initial="unit", widget=forms.RadioSelect,
        choices=[("unit", "this unit only"), ("model", "the product model (every unit of it in this organisation)")])


class ImportCommitForm(forms.Form):
    confirm = forms.BooleanField(label="I have checked the preview; import every row.", required=True)


class CheckForm(forms.Form):
    """Pre-purchase check: a company name, optionally its country and identifiers."""

    name = forms.CharField(label="Company name", max_length=300,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    country = forms.ChoiceField(label="Country (optional)", required=False,
                                choices=[("", "Any country")] + list(countries))
    lei = forms.CharField(label="LEI (optional)", required=False, max_length=40)
    uei = forms.CharField(label="UEI (optional)", required=False, max_length=40)
    duns = forms.CharField(label="DUNS (optional)", required=False, max_length=40)
    uscc = forms.CharField(label="USCC (optional)", required=False, max_length=40)
    save = forms.BooleanField(label="Save as evidence", required=False)
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def identifiers(self) -> list[dict]:
        return [{"scheme": s, "value": self.cleaned_data[s]} for s in ("lei", "uei", "duns", "uscc")
                if self.cleaned_data.get(s)]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm: this is the listed party"),
                                          ("dismiss", "Dismiss: a different party")], widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", min_length=5, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Say what you compared (address, identifiers, products).")
    registry_wide = forms.BooleanField(
        label="Registry-wide: for every organisation that has not decided itself (curators, public lists only)",
        required=False)
    group = forms.BooleanField(
        label="Decide for every copy of this party listed here (other list years, other lists)", required=False,
        initial=True)
    copies = forms.CharField(required=False, widget=forms.HiddenInput,
                             help_text="The ids of the matches the decision covers, comma-separated.")

    def clean_copies(self) -> list[int] | None:
        raw = self.cleaned_data.get("copies", "")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Not a list of match ids.")
        return [int(p) for p in parts] or None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (a multi-file list format: OFAC's legacy CSVs); cleaned to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ListUploadForm(forms.Form):
    """A list file for an air-gapped site: imported like `manage.py import_list` (apps.lists.services)."""

    files = MultipleFileField(
        label="List file", help_text="The publisher's file as downloaded (CSV, XML or JSON; extract a zip first). "
                                     "For a list published as several files, select them all.",
        widget=MultipleFileInput(attrs={"accept": ".csv,.xml,.json,.txt,text/csv,application/xml,text/xml,"
                                                  "application/json,text/plain"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", min_length=3, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


NOT_SUBMITTED = object()


def form_submit(request, form: forms.Form, write):
    """On POST: validate `form`, then run `write(**form.cleaned_data)` (a service call) and return its result;
    a refusal (the form's or the service's) is shown on the form and NOT_SUBMITTED returned. On GET, or when
    the form is invalid: NOT_SUBMITTED."""
    if request.method != "POST" or not form.is_valid():
        return NOT_SUBMITTED
    try:
        return write(**form.cleaned_data)
    except (ApplicationError, DjangoValidationError) as exc:
        if isinstance(exc, ApplicationError) and exc.code == "not_found":
            raise  # the record is gone: the page answers 404 (apps.web.access.org_view)
        form_add_errors(form, exc)
        return NOT_SUBMITTED


class OrganizationProfileForm(forms.ModelForm):
    """The organisation's profile: decides which rules bind it (the service validates again and re-evaluates)."""

    legal_kinds = forms.MultipleChoiceField(choices=LegalKind.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="What the organisation is in law; several may apply.")

    class Meta:
        model = Organization
        fields = ["country", "subdivision", "legal_kinds", "remediation_target_days"]


class SiteForm(forms.ModelForm):
    """A site of the selected organisation (the service validates again and records the change)."""

    class Meta:
        model = Site
        fields = ["name", "code", "kind", "country", "region", "address", "latitude", "longitude", "criticality",
                  "is_defence", "operator_name"]


class EquipmentForm(forms.Form):
    """An installed unit, with its product model named as on the box: brand and model number. The vendors are
    found by legal name or alias; a new product model is recorded with the category, maker and software
    supplier given here."""

    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None, widget=FastSelect)
    category = forms.ChoiceField(choices=EquipmentCategory.choices)
    brand = forms.CharField(max_length=300, help_text="Brand on the box: a vendor's legal name or alias.",
                            widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}))
    model_number = forms.CharField(max_length=120, help_text="As printed on the unit.")
    manufacturer = forms.CharField(
        label="Real manufacturer", max_length=300, required=False,
        help_text="Only when another company makes it for the brand (white label / OEM).",
        widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}))
    software_supplier = forms.CharField(
        max_length=300, required=False, help_text="Supplier of the control software or firmware, when known.",
        widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}))
    quantity = forms.IntegerField(min_value=1, max_value=2**31 - 1, initial=1,
                                  help_text="Identical units recorded as one row.")
    serial_number = forms.CharField(max_length=120, required=False)
    asset_tag = forms.CharField(max_length=120, required=False, help_text="Your tag; unique within the site.")
    installed_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(choices=EquipmentStatus.choices, initial=EquipmentStatus.IN_SERVICE)
    internet_connected = forms.BooleanField(required=False, label="Internet-connected")
    vendor_remote_access = forms.BooleanField(required=False, label="Vendor remote access")
    remote_access_vendor = forms.CharField(
        label="Remote access held by", max_length=300, required=False,
        help_text="The vendor (maker, integrator...) holding the remote access: legal name or alias.",
        widget=forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"}))
    cellular_modem = forms.BooleanField(required=False, label="Cellular modem")
    isolated_segment = forms.BooleanField(required=False, label="Isolated network segment")
    collects_data = forms.BooleanField(required=False, label="Records video, sensor or cargo data")
    operator_name = forms.CharField(max_length=200, required=False, label="Operated by (when not you)")
    notes = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))

    NAME_FIELDS = ("brand", "model_number", "manufacturer", "software_supplier", "remote_access_vendor")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organization=organization).order_by("name")

    @classmethod
    def initial_for(cls, equipment) -> dict:
        pm = equipment.product_model
        initial = {name: getattr(equipment, name) for name in cls.base_fields if name not in cls.NAME_FIELDS}
        initial.update(site=equipment.site_id, brand=pm.brand.name, model_number=pm.model_number,
                       manufacturer=pm.manufacturer.name if pm.manufacturer_id else "",
                       software_supplier=pm.software_supplier.name if pm.software_supplier_id else "",
                       remote_access_vendor=(equipment.remote_access_vendor.name
                                             if equipment.remote_access_vendor_id else ""))
        return initial

    @classmethod
    def service_arguments(cls, cleaned_data: dict) -> dict:
        """The cleaned data as apps.inventory.services.equipment_record takes it."""
        data = dict(cleaned_data)
        names = {f"{n}_name" if n != "model_number" else n: data.pop(n) for n in cls.NAME_FIELDS}
        return {**data, **names}


class FactSourceFields(forms.Form):
    """Where a change to a shared vendor fact comes from. An officer's change becomes a change proposal that a
    registry curator decides (apps.vendors.proposals); the source and evidence go with it (only the proposing
    organisation and the curators see them)."""

    source_url = forms.URLField(label="Source URL", required=False, max_length=500, assume_scheme="https",
                                help_text="Where a curator can check the change: a register, a filing, a report.")
    source_document = forms.CharField(label="Source document", required=False, max_length=500,
                                      help_text="Its title or reference, when there is no URL.")
    evidence = forms.FileField(label="Evidence file", required=False,
                               help_text="PDF, image, text/CSV, Word or Excel (checked by content).")


FACT_SOURCE_FIELDS = tuple(FactSourceFields.base_fields)


class VendorForm(FactSourceFields, forms.ModelForm):
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Vendor
        fields = ["name", "country_of_incorporation", "country_of_headquarters", "website", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class VendorAliasForm(FactSourceFields, forms.ModelForm):
    class Meta:
        model = VendorAlias
        fields = ["name", "kind", "language"]
        labels = {"name": "Other name"}


class VendorIdentifierForm(FactSourceFields, forms.ModelForm):
    class Meta:
        model = VendorIdentifier
        fields = ["scheme", "value", "country"]


VENDOR_NAME_WIDGET = forms.TextInput(attrs={"list": "vendor-names", "autocomplete": "off"})


class OwnershipForm(FactSourceFields, forms.Form):
    """An owner of the vendor whose page this is, named as recorded (legal name or alias)."""

    owner = forms.CharField(label="Owner", max_length=300, widget=VENDOR_NAME_WIDGET,
                            help_text="The owning company: a vendor's legal name or alias.")
    share_percent = forms.DecimalField(label="Share (%)", required=False, min_value=0, max_value=100,
                                       max_digits=6, decimal_places=3,
                                       help_text="Leave empty when the share is not published (unknown).")
    kind = forms.ChoiceField(choices=OwnershipKind.choices, initial=OwnershipKind.SHAREHOLDING)
    start_date = forms.DateField(label="Since", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(max_length=500, required=False, help_text="Filing, register or URL it was read from.")
    evidence_note = forms.CharField(label="Evidence note", required=False, max_length=10_000,
                                    widget=forms.Textarea(attrs={"rows": 2}))


class OemRelationForm(FactSourceFields, forms.Form):
    """The real maker of the products the vendor whose page this is sells under its brand (white label)."""

    manufacturer = forms.CharField(label="Made by", max_length=300, widget=VENDOR_NAME_WIDGET,
                                   help_text="The company that makes the products: a vendor's legal name or alias.")
    category = forms.ChoiceField(required=False, choices=[("", "Every category")] + list(EquipmentCategory.choices))
    confidence = forms.ChoiceField(choices=OemConfidence.choices, initial=OemConfidence.REPORTED)
    source = forms.CharField(max_length=500, required=False)
    notes = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))


class ComponentForm(forms.Form):
    """A part of the unit with its own vendor (control software, a cellular module, a chip)."""

    kind = forms.ChoiceField(choices=ComponentKind.choices)
    vendor = forms.CharField(max_length=300, widget=VENDOR_NAME_WIDGET,
                             help_text="The part's maker or supplier: a vendor's legal name or alias.")
    name = forms.CharField(label="Product or module", max_length=200, required=False,
                           help_text="Name and version, e.g. a modem model or a software release.")
    notes = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))


class AsOfForm(forms.Form):
    day = forms.DateField(label="As of the end of", widget=forms.DateInput(attrs={"type": "date"}),
                          help_text="A past day (UTC); empty: now.", required=False)

    def clean_day(self):
        from django.utils import timezone

        day = self.cleaned_data["day"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError("Pick today or a past day; the future is a projection.")
        return day


class SinceForm(forms.Form):
    since = forms.DateField(label="Changes since", widget=forms.DateInput(attrs={"type": "date"}))


class ProjectionForm(forms.Form):
    on = forms.DateField(label="Non-compliant on", widget=forms.DateInput(attrs={"type": "date"}),
                         help_text="A day from today on: the rules and list entries already known, with their dates.")
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="Every site",
                                  widget=FastSelect)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organization=organization).order_by("name")


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete it", required=True)


__all__ = ["FORMATS", "AsOfForm", "CheckForm", "ComponentForm", "DecisionForm", "DeleteForm", "EquipmentForm",
           "ImportCommitForm", "ImportUploadForm", "OemRelationForm", "OwnershipForm", "ProjectionForm",
           "ReasonForm", "SinceForm", "SiteForm", "VendorAliasForm", "VendorForm", "VendorIdentifierForm",
           "NOT_SUBMITTED", "form_add_errors", "form_submit"]


class SecondFactorForm(forms.Form):
    otp_token = forms.RegexField(regex=r"^\s*\d{6,8}\s*$", label="Authenticator code", max_length=12,
                                 error_messages={"invalid": "Enter the 6-digit code your authenticator shows."},
                                 widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                               "inputmode": "numeric"}))
