"""One identifier_canonical for vendors, lists and screening: one number written two ways is one identifier."""
import io
import json

import pytest
from django.core.management import call_command

from apps.lists.sources.base import identifier_scheme as lists_identifier_scheme
from apps.lists.sources.base import make_identifier
from apps.screening import matching
from apps.screening.models import Match
from apps.screening.services import screening_run_full
from apps.vendors.choices import IdentifierScheme
from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.identifiers import SCHEMES, identifier_canonical, identifier_scheme
from apps.vendors.models import Vendor
from apps.vendors.services import vendor_create
from tests.screening.conftest import listed_entry, make_version

SPELLINGS = [("HRB 12345", "HRB12345"), ("HRB12345", "HRB 12345"), ("hrb-12.345", "HRB 12345")]


@pytest.mark.parametrize(
    ("scheme", "value", "canonical"),
    [
        ("registration", "HRB 12345", "HRB12345"),
        ("registration", " hrb  12-345 ", "HRB12345"),
        ("Registration Number", "HRB/12345", "HRB12345"),
        ("uscc", "91330000733796106-p", "91330000733796106P"),
        ("lei", "5299 00T8 BM49 AURS DO55", "529900T8BM49AURSDO55"),
        ("SWIFT/BIC", "deut de ff", "DEUTDEFF"),
        ("", "ab-12 34", "AB1234"),
        ("registration", " - ", ""),
    ],
)
def test_identifier_canonical_removes_separators_for_every_scheme(scheme, value, canonical):
    assert identifier_canonical(scheme, value) == canonical


def test_schemes_agree_between_vendors_lists_and_screening():
    for label in [*SCHEMES, "Legal Entity Number", "SWIFT/BIC", "Tax ID No.", "Cedula No.", "Unified Social "
                  "Credit Code (USCC)", "Business Registration Document #", *IdentifierScheme.values]:
        scheme = identifier_scheme(label)
        assert lists_identifier_scheme(label) == scheme == matching.canonical_scheme(label), label
        assert identifier_scheme(scheme) == scheme, label  # a canonical scheme is a fixed point
    for value in IdentifierScheme.values:  # the vendor schemes are canonical names
        assert identifier_scheme(value) == value


def test_list_parser_identifier_keeps_the_published_spelling_under_the_canonical_scheme():
    assert make_identifier("Registration Number", "HRB 12345", "Germany") == {
        "scheme": "registration", "value": "HRB 12345", "country": "DE"}
    assert make_identifier("Registration Number", "-") is None  # nothing to compare on


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "written"), SPELLINGS)
def test_vendor_identifier_is_stored_canonical_and_found_by_the_filter_whatever_the_spelling(stored, written):
    vendor = vendor_create(name="Muster GmbH", identifiers=[{"scheme": "registration", "value": stored,
                                                              "country": "DE"}])
    assert vendor.identifiers.get().value == "HRB12345"
    found = VendorFilterSet({"identifier": written}, queryset=Vendor.objects.all()).qs
    assert list(found) == [vendor]


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "written"), SPELLINGS)
def test_identifier_check_finds_the_registry_vendor_whatever_the_spelling(sdn, stored, written):
    make_version(sdn, [listed_entry("Somebody Else Ltd", "A-1")])
    vendor_create(name="Muster GmbH", identifiers=[{"scheme": "registration", "value": stored, "country": "DE"}])
    out = io.StringIO()
    call_command("screen", "Unrelated Name", "--identifier", f"registration:{written}", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert [v["vendor_name"] for v in result["registry"]] == ["Muster GmbH"]


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "written"), SPELLINGS)
def test_vendor_identifier_matches_a_list_entry_whatever_the_spelling(sdn, stored, written):
    entry_ident = make_identifier("Registration Number", written, "DE")
    make_version(sdn, [listed_entry("Ganz Anderer Name AG", "A-1", identifiers=[entry_ident])])
    vendor = vendor_create(name="Muster GmbH", identifiers=[{"scheme": "registration", "value": stored,
                                                              "country": "DE"}])
    screening_run_full()
    match = Match.objects.get(vendor=vendor)
    assert (match.external_id, match.strength) == ("A-1", "identifier")


@pytest.mark.django_db
@pytest.mark.parametrize(("stored", "written"), SPELLINGS)
def test_identifier_check_finds_the_list_entry_whatever_the_spelling(sdn, stored, written):
    make_version(sdn, [listed_entry("Ganz Anderer Name AG", "A-1",
                                    identifiers=[make_identifier("Registration Number", stored, "DE")])])
    out = io.StringIO()
    call_command("screen", "Unrelated Name", "--identifier", f"registration:{written}", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert [(m["entry_id"], m["strength"]) for m in result["matches"]] == [("A-1", "identifier")]
