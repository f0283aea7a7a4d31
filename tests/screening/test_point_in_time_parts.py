"""`as_of` answers use the unit as it was then: its product model (hence brand, maker, software supplier) and
its components, from the row history, not as they are now."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.inventory.services import component_add, component_delete, equipment_create, equipment_update
from apps.screening.selectors import equipment_findings
from tests.factories import FindingFactory, ProductModelFactory, VendorFactory

from .conftest import make_source

pytestmark = pytest.mark.django_db


def _roles(found, unit):
    return sorted((f.vendor_role, f.vendor_name) for f in found[unit.pk])


def test_past_answers_use_the_product_model_and_components_of_then(site):
    source = make_source("fcc_covered", regime="us_fcc")
    listed, clean = VendorFactory(name="Listed Brand"), VendorFactory(name="Clean Brand")
    day_before = timezone.now() - dt.timedelta(days=1)
    FindingFactory(vendor=listed, key="fcc:1", source=source, path_text="listed", status="prohibited",
                   discovered_at=day_before)
    unit = equipment_create(site=site, product_model=ProductModelFactory(brand=listed, category="camera"))
    t_listed_brand = timezone.now()
    equipment_update(equipment=unit, product_model=ProductModelFactory(brand=clean, category="camera"))
    t_clean_brand = timezone.now()
    part = component_add(equipment=unit, vendor=listed, kind="comms_module")
    t_with_part = timezone.now()
    component_delete(component=part)

    assert _roles(equipment_findings(equipment_ids=[unit.pk], as_of=t_listed_brand), unit) == [
        ("brand", "Listed Brand")]
    assert _roles(equipment_findings(equipment_ids=[unit.pk], as_of=t_clean_brand), unit) == []
    assert _roles(equipment_findings(equipment_ids=[unit.pk], as_of=t_with_part), unit) == [
        ("component", "Listed Brand")]
    assert _roles(equipment_findings(equipment_ids=[unit.pk]), unit) == []  # now: clean brand, no part
    # Before the unit existed, nothing applied to it as it is now either: it is answered as it is now.
    assert _roles(equipment_findings(equipment_ids=[unit.pk], as_of=day_before), unit) == []
