"""Listings reach owned companies by each regime's rule; brands inherit their OEM maker's findings."""
import datetime as dt
from decimal import Decimal

import pytest

from apps.inventory.choices import EquipmentCategory
from apps.screening.models import Finding
from apps.screening.services import screening_run_full
from apps.vendors.choices import OwnershipKind
from apps.vendors.services import oem_relation_create, ownership_create
from tests.factories import VendorFactory
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


def status(vendor) -> str:
    vendor.refresh_from_db()
    return vendor.risk_status


def open_findings(vendor, kind=None):
    qs = Finding.objects.filter(vendor=vendor, closed_at__isnull=True)
    return list(qs.filter(kind=kind) if kind else qs)


def own(owner, owned, share, kind=OwnershipKind.SHAREHOLDING):
    return ownership_create(owner=owner, owned=owned, share_percent=None if share is None else Decimal(share),
                            kind=kind)


def test_ofac_aggregates_two_blocked_owners_of_25_percent(sdn):
    a, b = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Quintarro Capital")
    target = VendorFactory(name="Plainfield Widgets")
    own(a, target, "25")
    own(b, target, "25")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1"), listed_entry("Quintarro Capital", "2")])
    screening_run_full(today=TODAY)
    assert status(target) == "prohibited"
    (finding,) = open_findings(target, "ownership")
    assert finding.aggregate_percent == Decimal("50")
    assert "Zorblax Holdings (25%)" in finding.path_text and "Quintarro Capital (25%)" in finding.path_text
    assert finding.path_text.startswith("Plainfield Widgets <- ")


def test_ofac_one_blocked_owner_of_25_percent_is_not_enough(sdn):
    a, b = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Harmless Partners")
    target = VendorFactory(name="Plainfield Widgets")
    own(a, target, "25")
    own(b, target, "25")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)
    assert status(a) == "prohibited"
    assert status(target) == "clear"
    assert open_findings(target) == []


def test_chain_of_three_propagates_without_multiplying_shares(sdn):
    top, mid, low, unit = (VendorFactory(name=n) for n in
                           ("Zorblax Holdings", "Middleton Alloys", "Lowbrook Metals", "Unitrax Cranes"))
    own(top, mid, "60")
    own(mid, low, "50")
    own(low, unit, "100")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1", listed_on=dt.date(2021, 6, 3))])
    screening_run_full(today=TODAY)
    # 60% x 50% = 30% effective, but OFAC counts an entity 50%+ owned by a blocked one in full.
    assert [status(v) for v in (mid, low, unit)] == ["prohibited"] * 3
    (finding,) = open_findings(unit, "ownership")
    assert finding.path_text == (
        "Unitrax Cranes <- owned by Lowbrook Metals (100%) <- owned by Middleton Alloys (50%) <- "
        "owned by Zorblax Holdings (60%) <- listed: OFAC SDN (2021)"
    )
    assert finding.via_vendor_id == top.pk


def test_chain_breaks_below_threshold(sdn):
    top, mid, low = (VendorFactory(name=n) for n in ("Zorblax Holdings", "Middleton Alloys", "Lowbrook Metals"))
    own(top, mid, "49")
    own(mid, low, "100")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)
    assert status(mid) == "clear" and status(low) == "clear"


def test_unknown_share_gives_review_never_clear(sdn):
    parent = VendorFactory(name="Zorblax Holdings")
    child = VendorFactory(name="Childworth Ports")
    grandchild = VendorFactory(name="Grandby Cranes")
    own(parent, child, None, OwnershipKind.CONTROL)
    own(child, grandchild, "100")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1", listed_on=dt.date(2021, 6, 3))])
    screening_run_full(today=TODAY)
    assert status(child) == "potential_match"
    (finding,) = open_findings(child)
    assert finding.status_reason == "ownership unknown: review"
    assert finding.path_text == ("Childworth Ports <- controlled by Zorblax Holdings (share unknown) <- "
                                 "listed: OFAC SDN (2021)")
    assert status(grandchild) == "potential_match"
    assert open_findings(grandchild)[0].status_reason == "ownership unknown: review"


def test_control_counts_for_eu_but_not_for_ofac(sdn, eu):
    parent = VendorFactory(name="Zorblax Holdings")
    child = VendorFactory(name="Childworth Ports")
    own(parent, child, "30", OwnershipKind.CONTROL)
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)
    assert status(child) == "clear"  # OFAC: 30% ownership, control alone does not block

    make_version(eu, [listed_entry("Zorblax Holdings", "E1")])
    screening_run_full(today=TODAY)
    assert status(child) == "prohibited"
    (finding,) = open_findings(child)
    assert finding.source_id == eu.pk
    assert finding.propagation == "owned_or_controlled"


def test_eu_needs_more_than_half_of_known_shares(eu):
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "50")
    make_version(eu, [listed_entry("Zorblax Holdings", "E1")])
    screening_run_full(today=TODAY)
    assert status(child) == "clear"  # EU "owned": more than 50%


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2025, 9, 1), "clear"),        # before the Affiliates Rule took effect (2025-09-29)
    (dt.date(2025, 10, 15), "restricted"),  # in force
    (dt.date(2026, 1, 15), "clear"),       # suspended 2025-11-10 to 2026-11-09
    (dt.date(2026, 11, 9), "clear"),       # last day of the suspension
    (dt.date(2026, 11, 10), "restricted"),  # back in force
])
def test_bis_affiliates_rule_follows_its_dates(bis, day, expected):
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "60")
    make_version(bis, [listed_entry("Zorblax Holdings", "B1")])
    screening_run_full(today=day)
    assert status(parent) == "restricted"
    assert status(child) == expected


def test_bis_rule_dates_are_data(bis):
    from apps.screening.models import PropagationRule

    rule = PropagationRule.objects.get(propagation="bis_affiliates_50")
    rule.suspended_until = dt.date(2026, 1, 1)
    rule.save()
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "60")
    make_version(bis, [listed_entry("Zorblax Holdings", "B1")])
    screening_run_full(today=dt.date(2026, 1, 15))
    assert status(child) == "restricted"


def test_listed_subsidiary_does_not_taint_its_parent(sdn):
    parent, child = VendorFactory(name="Parentco Global"), VendorFactory(name="Zorblax Holdings")
    own(parent, child, "100")
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=TODAY)
    assert status(child) == "prohibited"
    assert status(parent) == "clear"
    assert open_findings(parent) == []


def test_named_only_source_does_not_propagate(db):
    from tests.screening.conftest import make_source

    cmic = make_source("test_cmic", regime="us_ofac", propagation="named_only", name="OFAC NS-CMIC")
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "100")
    make_version(cmic, [listed_entry("Zorblax Holdings", "1", sub_list="NS-CMIC", programs=["CMIC-EO13959"])])
    screening_run_full(today=TODAY)
    assert status(parent) == "restricted"  # NS-CMIC policy: restricted (securities), named entity only
    assert status(child) == "clear"


def test_white_label_brand_inherits_only_for_the_covered_category(fcc):
    from tests.factories import EquipmentFactory, ProductModelFactory

    maker, brand = VendorFactory(name="Zorblax Vision"), VendorFactory(name="Brandwell Security")
    oem_relation_create(brand=brand, manufacturer=maker, category=EquipmentCategory.CAMERA)
    camera = EquipmentFactory(product_model=ProductModelFactory(brand=brand, category=EquipmentCategory.CAMERA))
    scanner = EquipmentFactory(product_model=ProductModelFactory(brand=brand, category=EquipmentCategory.SCANNER))
    make_version(fcc, [listed_entry("Zorblax Vision", "F1", listed_on=dt.date(2021, 3, 12))])
    screening_run_full(today=TODAY)
    (finding,) = open_findings(brand, "oem")
    assert finding.categories == ["camera"]
    assert finding.path_text.startswith("Brandwell Security <- made by (Surveillance camera) Zorblax Vision <- listed")
    camera.refresh_from_db()
    scanner.refresh_from_db()
    assert camera.risk_status == "prohibited"
    assert "Brand Brandwell Security" in camera.risk_reason
    assert scanner.risk_status == "clear"


def test_fcc_listing_is_prohibited_for_covered_categories_and_restricted_elsewhere(fcc):
    from tests.factories import EquipmentFactory, ProductModelFactory

    maker = VendorFactory(name="Zorblax Vision")
    camera = EquipmentFactory(product_model=ProductModelFactory(brand=maker, category=EquipmentCategory.CAMERA))
    scanner = EquipmentFactory(product_model=ProductModelFactory(brand=maker, category=EquipmentCategory.SCANNER))
    make_version(fcc, [listed_entry("Zorblax Vision", "F1")])
    screening_run_full(today=TODAY)
    assert status(maker) == "prohibited"
    camera.refresh_from_db()
    scanner.refresh_from_db()
    assert (camera.risk_status, scanner.risk_status) == ("prohibited", "restricted")


def test_component_vendor_makes_equipment_prohibited(sdn):
    from apps.inventory.services import component_add
    from tests.factories import EquipmentFactory, ProductModelFactory

    clean_brand, module_maker = VendorFactory(name="Cleanline Cranes"), VendorFactory(name="Zorblax Modules")
    crane = EquipmentFactory(product_model=ProductModelFactory(brand=clean_brand,
                                                               category=EquipmentCategory.YARD_CRANE))
    other = EquipmentFactory(product_model=crane.product_model)
    component_add(equipment=crane, vendor=module_maker, kind="comms_module", name="LTE module")
    make_version(sdn, [listed_entry("Zorblax Modules", "1")])
    screening_run_full(today=TODAY)
    crane.refresh_from_db()
    other.refresh_from_db()
    assert crane.risk_status == "prohibited"
    assert crane.risk_reason.startswith("Component Zorblax Modules: prohibited")
    assert other.risk_status == "clear"


def test_software_supplier_and_manufacturer_count_and_worst_wins(sdn, fcc):
    from tests.factories import EquipmentFactory, ProductModelFactory

    brand, maker, software = (VendorFactory(name=n) for n in
                              ("Cleanline Cranes", "Zorblax Vision", "Quintarro Software"))
    eq = EquipmentFactory(product_model=ProductModelFactory(
        brand=brand, manufacturer=maker, software_supplier=software, category=EquipmentCategory.STS_CRANE))
    make_version(fcc, [listed_entry("Zorblax Vision", "F1")])  # restricted outside covered categories
    make_version(sdn, [listed_entry("Quintarro Software", "1")])  # prohibited
    screening_run_full(today=TODAY)
    eq.refresh_from_db()
    assert eq.risk_status == "prohibited"
    assert "Software supplier Quintarro Software" in eq.risk_reason


def test_equipment_status_goes_back_to_clear_when_the_listing_goes(sdn):
    from tests.factories import EquipmentFactory, ProductModelFactory

    maker = VendorFactory(name="Zorblax Vision")
    eq = EquipmentFactory(product_model=ProductModelFactory(brand=maker))
    make_version(sdn, [listed_entry("Zorblax Vision", "1")])
    screening_run_full(today=TODAY)
    eq.refresh_from_db()
    assert eq.risk_status == "prohibited"
    make_version(sdn, [listed_entry("Somebody Else Entirely", "2")])
    screening_run_full(today=TODAY)
    eq.refresh_from_db()
    assert (eq.risk_status, eq.risk_reason) == ("clear", "")
    assert status(maker) == "clear"
    closed = Finding.objects.get(vendor=maker)
    assert closed.closed_at is not None  # kept in history


def test_derived_finding_is_kept_when_the_vendor_also_has_a_match_awaiting_review(sdn, settings):
    settings.SCREENING_AUTO_CONFIRM_STRENGTHS = ("identifier", "strong")
    parent, child = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Childworth Ports")
    own(parent, child, "100")
    # The child only looks like another entry (a potential match awaiting review).
    make_version(sdn, [listed_entry("Zorblax Holdings", "1"), listed_entry("Childworth Ports Trading Shipping", "2")])
    screening_run_full(today=TODAY)
    kinds = {f.kind: f.status for f in open_findings(child)}
    assert kinds["ownership"] == "prohibited"
    assert status(child) == "prohibited"
