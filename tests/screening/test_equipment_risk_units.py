"""A unit recorded or changed one at a time gets its risk status in the same transaction, equal to what the
bulk refresh computes; the per-site tally follows."""
import pytest

from apps.inventory.selectors import equipment_records_count
from apps.inventory.services import component_add, equipment_create, equipment_update
from apps.screening.services import equipment_risk_refresh
from tests.factories import FindingFactory, ProductModelFactory, VendorFactory

from .conftest import make_source

pytestmark = pytest.mark.django_db


def _finding(vendor, source, **kw):
    return FindingFactory(vendor=vendor, source=source, **{"key": f"{source.code}:{vendor.pk}", **kw})


def test_units_written_one_by_one_get_their_risk_status_at_once(site):
    fcc = make_source("fcc_covered", regime="us_fcc")
    listed, clean, chip = VendorFactory(name="Listed Vision"), VendorFactory(name="Clean Brand"), VendorFactory()
    _finding(listed, fcc)
    _finding(chip, fcc, key="chip", status="restricted", categories=["camera"], other_status="potential_match")

    camera = equipment_create(site=site, product_model=ProductModelFactory(brand=listed, category="camera"))
    camera.refresh_from_db()
    assert camera.risk_status == "prohibited" and "Brand Listed Vision" in camera.risk_reason
    assert equipment_records_count(site_ids=[site.pk], risk_statuses=["prohibited"]) == 1

    switch = equipment_create(site=site, product_model=ProductModelFactory(brand=clean, category="network"))
    switch.refresh_from_db()
    assert switch.risk_status == "clear"
    component_add(equipment=switch, vendor=chip, kind="soc")  # a camera-only finding: elsewhere "potential"
    switch.refresh_from_db()
    assert switch.risk_status == "potential_match" and "Component" in switch.risk_reason

    equipment_update(equipment=camera, product_model=ProductModelFactory(brand=clean, category="camera"))
    camera.refresh_from_db()
    assert camera.risk_status == "clear" and camera.risk_reason == ""
    assert equipment_records_count(site_ids=[site.pk], risk_statuses=["prohibited"]) == 0
    assert equipment_records_count(site_ids=[site.pk], risk_statuses=["potential_match"]) == 1
    # The bulk refresh agrees row for row: nothing left to write.
    assert equipment_risk_refresh() == 0
