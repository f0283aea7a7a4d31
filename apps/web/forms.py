"""Forms of the officers' UI: they validate input shape; services decide and write."""
from __future__ import annotations

from django import forms
from django_countries import countries

from apps.inventory.imports import FORMATS, KINDS


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="The file contains", choices=[(k, k.capitalize()) for k in KINDS],
                             initial="equipment", widget=forms.RadioSelect)
    file = forms.FileField(label="CSV or XLSX file",
                           help_text="UTF-8 CSV or an Excel workbook (first sheet). The first row names the columns.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/"
                                                                  "vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))


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

    def identifiers(self) -> list[dict]:
        return [{"scheme": s, "value": self.cleaned_data[s]} for s in ("lei", "uei", "duns", "uscc")
                if self.cleaned_data.get(s)]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm: this is the listed party"),
                                          ("dismiss", "Dismiss: a different party")], widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", min_length=5, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Say what you compared (address, identifiers, products).")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", min_length=3, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


__all__ = ["FORMATS", "CheckForm", "DecisionForm", "ImportCommitForm", "ImportUploadForm", "ReasonForm"]
