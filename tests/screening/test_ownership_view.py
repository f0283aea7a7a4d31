"""The ownership view: each regime's own test (OFAC FAQ 401: stakes of blocked persons, held directly or through
entities that are themselves blocked) beside the multiplied path shares, which are arithmetic only."""
import datetime as dt
from decimal import Decimal

import pytest

from apps.screening.selectors import vendor_ownership_view
from apps.screening.services import screening_run_full
from apps.vendors.choices import OwnershipKind
from apps.vendors.models import Vendor
from apps.vendors.services import ownership_create
from tests.factories import VendorFactory
from tests.screening.conftest import listed_entry, make_version, ofac_faq401_example

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


def own(owner, owned, share, kind=OwnershipKind.SHAREHOLDING):
    return ownership_create(owner=owner, owned=owned, share_percent=None if share is None else Decimal(share),
                            kind=kind)


def ofac_test(vendor):
    view = vendor_ownership_view(vendor, day=TODAY)
    (test,) = [t for t in view.tests if t.propagation == "ofac_50"]
    return view, test


def status(vendor) -> str:
    vendor.refresh_from_db()
    return vendor.risk_status


def test_issue_example_path_share_of_50_percent_is_not_the_regime_test(sdn):
    """A blocked person holds 30% directly and 40% of an unblocked company that owns 50%: the multiplied path
    shares add up to 50%, but OFAC counts only the 30% held directly (the company is not blocked)."""
    target = ofac_faq401_example(sdn, today=TODAY)

    view, test = ofac_test(target)
    (parent,) = view.chain.ultimate_parents
    assert parent.path_share_percent == Decimal("50")  # the arithmetic the page used to call "effective"
    assert sorted(p.path_share_percent for p in parent.paths) == [Decimal("20"), Decimal("30")]
    assert test.verdict == "not_caught" and test.counted_percent == Decimal("30")
    assert test.threshold_percent == Decimal("50") and test.threshold_inclusive
    assert "Not blocked: 30% held by blocked persons" in test.verdict_text and "(< 50%)" in test.verdict_text
    stakes = {s.owner_name: s for s in test.stakes}
    assert stakes["Zorblax Holdings"].counted == "blocked"
    assert stakes["Zorblax Holdings"].owner_status.startswith("listed: OFAC SDN")
    assert stakes["Middleton Alloys"].counted == ""
    assert stakes["Middleton Alloys"].owner_status == (
        "not blocked: its blocked owners hold 40%; the stake does not count")
    assert "OFAC FAQs 398-401" in test.citation
    company = Vendor.objects.get(name="Middleton Alloys")
    assert status(target) == "clear" and status(company) == "clear"  # the screening run agrees


def test_blocked_through_a_blocked_intermediate_counts_in_full(sdn):
    person, holding = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Middleton Alloys")
    target = VendorFactory(name="Plainfield Widgets")
    own(person, holding, "60")
    own(holding, target, "50")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)

    view, test = ofac_test(target)
    assert view.chain.paths[0].path_share_percent == Decimal("30")  # 60% x 50%: arithmetic only
    assert test.verdict == "caught" and test.counted_percent == Decimal("50")
    assert test.verdict_text == ("Blocked: 50% held by blocked persons, directly or through blocked entities "
                                 "(>= 50%).")
    (stake,) = test.stakes
    assert stake.owner_name == "Middleton Alloys" and stake.counted == "blocked"
    assert stake.owner_status == "itself blocked: 60% held by blocked owners"
    assert status(target) == "prohibited"


def test_several_blocked_owners_aggregate_to_the_threshold(sdn):
    a, b, c = (VendorFactory(name=n) for n in ("Zorblax Holdings", "Quintarro Capital", "Harmless Partners"))
    target = VendorFactory(name="Plainfield Widgets")
    own(a, target, "25")
    own(b, target, "30")
    own(c, target, "45")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1"), listed_entry("Quintarro Capital", "2")])
    screening_run_full(today=TODAY)

    _view, test = ofac_test(target)
    assert test.verdict == "caught" and test.counted_percent == Decimal("55")
    assert {s.owner_name: s.counted for s in test.stakes} == {
        "Zorblax Holdings": "blocked", "Quintarro Capital": "blocked", "Harmless Partners": ""}
    assert status(target) == "prohibited"


def test_unknown_share_of_a_blocked_owner_asks_for_review(sdn):
    person, other = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Harmless Partners")
    target = VendorFactory(name="Plainfield Widgets")
    own(person, target, None)
    own(other, target, "40")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)

    view, test = ofac_test(target)
    assert all(p.path_share_percent is None for p in view.chain.paths if p.steps[-1].owner_name == "Zorblax Holdings")
    assert test.verdict == "review" and test.unknown_share
    assert test.verdict_text == "Review: 0% held by blocked persons, some shares unknown; the total could reach 50%."
    assert {s.owner_name: s.counted for s in test.stakes} == {"Zorblax Holdings": "unknown", "Harmless Partners": ""}
    assert status(target) == "potential_match"


def test_listed_vendor_and_vendor_without_listed_owner(sdn):
    listed, parent = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Harmless Partners")
    own(parent, listed, "100")
    unrelated = VendorFactory(name="Plainfield Widgets")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)

    _view, test = ofac_test(listed)
    assert test.verdict == "listed" and test.verdict_text.startswith("Listed itself: OFAC SDN")
    assert vendor_ownership_view(unrelated, day=TODAY).tests == []


def test_eu_control_counts_where_ofac_does_not(sdn, eu):
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "30", OwnershipKind.CONTROL)
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    make_version(eu, [listed_entry("Zorblax Holdings", "E1")])
    screening_run_full(today=TODAY)

    tests = {t.propagation: t for t in vendor_ownership_view(child, day=TODAY).tests}
    assert tests["ofac_50"].verdict == "not_caught" and tests["ofac_50"].counted_percent == Decimal("30")
    assert tests["owned_or_controlled"].verdict == "caught"
    assert tests["owned_or_controlled"].verdict_text == (
        "Caught: controlled by a listed party (control counts under this rule).")
    assert [t.propagation for t in vendor_ownership_view(child, day=TODAY).tests][0] == "ofac_50"  # OFAC first


def test_own_match_awaiting_review_is_said_so(sdn, no_auto_confirm):
    vendor = VendorFactory(name="Zorblax Holdings")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)
    _view, test = ofac_test(vendor)
    assert test.verdict == "review"
    assert test.verdict_text == "Review: the vendor's own match awaits review (OFAC SDN [match awaiting review])."
