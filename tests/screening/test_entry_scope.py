"""A list entry's own scope (FCC Covered List) reaches findings and decides which categories the covered-equipment
status applies to; derived findings name their own regime."""
import datetime as dt
from decimal import Decimal

import pytest

from apps.inventory.choices import EquipmentCategory
from apps.screening.api.serializers import FindingSerializer
from apps.screening.defaults import FCC_COVERED_CATEGORIES
from apps.screening.models import Finding
from apps.screening.services import screening_run_full
from apps.vendors.services import ownership_create
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory
from tests.screening.conftest import listed_entry, make_source, make_version

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)
HUAWEI_SCOPE = ("Telecommunications equipment produced by Huawei Technologies Company, including "
                "telecommunications or video surveillance services provided by such entity or using such equipment")


def unit(vendor, category):
    return EquipmentFactory(product_model=ProductModelFactory(brand=vendor, category=category))


def risk(equipment) -> str:
    equipment.refresh_from_db()
    return equipment.risk_status


def test_entry_scope_replaces_the_policy_categories_and_is_exposed(fcc):
    maker = VendorFactory(name="Zorblax Telecom")
    router, camera = unit(maker, EquipmentCategory.NETWORK), unit(maker, EquipmentCategory.CAMERA)
    make_version(fcc, [listed_entry("Zorblax Telecom", "F1", listed_on=dt.date(2021, 3, 12), scope=HUAWEI_SCOPE,
                                    scope_categories=["network", "telecom_module"])])
    screening_run_full(today=TODAY)
    (finding,) = Finding.objects.filter(vendor=maker, closed_at__isnull=True)
    assert finding.entry_scope == HUAWEI_SCOPE
    assert finding.entry_scope_categories == ["network", "telecom_module"]
    assert finding.categories == ["network", "telecom_module"] and finding.other_status == "restricted"
    assert (risk(router), risk(camera)) == ("prohibited", "restricted")  # telecom equipment only
    data = FindingSerializer(finding).data
    assert data["entry_scope"] == HUAWEI_SCOPE and data["entry_scope_categories"] == ["network", "telecom_module"]
    assert data["listed_on"] == "2021-03-12"


def test_services_only_entry_gives_its_other_status_everywhere(fcc):
    carrier = VendorFactory(name="Zorblax Carrier Americas")
    modem = unit(carrier, EquipmentCategory.TELECOM_MODULE)
    make_version(fcc, [listed_entry("Zorblax Carrier Americas", "F2", listed_on=dt.date(2022, 3, 25),
                                    scope="International telecommunications services provided by Zorblax Carrier "
                                          "Americas subject to section 214", scope_categories=[])])
    screening_run_full(today=TODAY)
    (finding,) = Finding.objects.filter(vendor=carrier, closed_at__isnull=True)
    assert (finding.status, finding.categories, finding.entry_scope_categories) == ("restricted", [], [])
    assert risk(modem) == "restricted"


def test_entry_without_its_own_scope_keeps_the_policy_categories(fcc):
    maker = VendorFactory(name="Zorblax Vision")
    make_version(fcc, [listed_entry("Zorblax Vision", "F1")])
    screening_run_full(today=TODAY)
    (finding,) = Finding.objects.filter(vendor=maker, closed_at__isnull=True)
    assert finding.entry_scope_categories is None and finding.entry_scope == ""
    assert finding.categories == FCC_COVERED_CATEGORIES


def test_scope_reaches_a_derived_finding_and_the_reason_names_its_regime(fcc):
    maker, subsidiary = VendorFactory(name="Zorblax Telecom"), VendorFactory(name="Childworth Networks")
    ownership_create(owner=maker, owned=subsidiary, share_percent=Decimal("100"))
    make_version(fcc, [listed_entry("Zorblax Telecom", "F1", scope=HUAWEI_SCOPE,
                                    scope_categories=["network", "telecom_module"])])
    screening_run_full(today=TODAY)
    (finding,) = Finding.objects.filter(vendor=subsidiary, closed_at__isnull=True)
    assert finding.kind == "ownership" and finding.entry_scope_categories == ["network", "telecom_module"]
    assert finding.status_reason.startswith(
        "US FCC Covered List (Secure Networks Act) / Subsidiaries and affiliates (majority-owned or controlled): ")


def test_dod_derived_finding_is_not_labelled_as_ndaa_889_or_fcc(db):
    dod = make_source("test_dod", regime="us_dod", name="DoD 1260H")
    parent, child = VendorFactory(name="Zorblax Heavy Industries"), VendorFactory(name="Childworth Cranes")
    ownership_create(owner=parent, owned=child, share_percent=Decimal("75"))
    make_version(dod, [listed_entry("Zorblax Heavy Industries", "D1")])
    screening_run_full(today=TODAY)
    (finding,) = Finding.objects.filter(vendor=child, closed_at__isnull=True)
    assert finding.propagation == "subsidiary_affiliate"
    assert finding.status_reason == (
        "US DoD 1260H Chinese military companies / Subsidiaries and affiliates (majority-owned or controlled): "
        "DoD 1260H Chinese military companies: restricted")
    assert "889" not in finding.status_reason and "FCC" not in finding.status_reason
