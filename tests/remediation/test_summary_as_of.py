"""The as-of summary counts in SQL the units that cannot carry a finding and looks up only the others
(apps.screening.selectors.equipment_flag_candidates): its counts must equal every unit's own findings."""
import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from apps.common.choices import risk_worst
from apps.inventory.models import Equipment
from apps.remediation.summary import summary_report
from apps.screening.selectors import equipment_findings
from tests.factories import (
    BomComponentFactory,
    BomDocumentFactory,
    ComponentFactory,
    EquipmentFactory,
    FindingFactory,
    ListSourceFactory,
    ProductModelFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def test_as_of_counts_equal_every_units_findings_through_each_path(org, site):
    long_ago = timezone.now() - dt.timedelta(days=30)
    source = ListSourceFactory(code="fcc", name="FCC", publisher="FCC", regime="us_fcc")
    listed, maker, part, bom_supplier, closed = (VendorFactory(name=n) for n in (
        "Listed brand", "Listed maker", "Listed part", "Listed BOM supplier", "Delisted long ago"))
    for i, vendor in enumerate((listed, maker, part, bom_supplier)):
        FindingFactory(vendor=vendor, key=f"fcc:{i}", source=source, path_text="listed", status="prohibited",
                       discovered_at=long_ago)
    FindingFactory(vendor=closed, key="fcc:closed", source=source, path_text="listed", status="prohibited",
                   discovered_at=long_ago, closed_at=long_ago + dt.timedelta(days=1))
    clean = ProductModelFactory()
    units = {
        "clean": EquipmentFactory(site=site, product_model=clean, quantity=3),
        "brand": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=listed)),
        "maker": EquipmentFactory(site=site, product_model=ProductModelFactory(manufacturer=maker)),
        "component": EquipmentFactory(site=site, product_model=clean),
        "unit_bom": EquipmentFactory(site=site, product_model=clean),
        "model_bom": EquipmentFactory(site=site, product_model=ProductModelFactory()),
        "delisted": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=closed)),
    }
    ComponentFactory(equipment=units["component"], vendor=part)
    BomComponentFactory(document=BomDocumentFactory(organization=org, product_model=None,
                                                    equipment=units["unit_bom"]), supplier=bom_supplier)
    BomComponentFactory(document=BomDocumentFactory(organization=org,
                                                    product_model=units["model_bom"].product_model),
                        supplier=bom_supplier)
    as_of = timezone.now() + dt.timedelta(seconds=1)
    findings = equipment_findings(equipment_ids=[u.pk for u in units.values()], as_of=as_of)
    expected = Counter()
    for unit in Equipment.objects.filter(pk__in=[u.pk for u in units.values()]):
        expected[risk_worst(*(f.status for f in findings[unit.pk]))] += 1
    report = summary_report(organization_ids=[org.pk], as_of=as_of)
    assert {k: v for k, v in report["equipment"]["by_status"].items() if v} == dict(expected)
    assert expected["prohibited"] == 5 and expected["clear"] == 2  # every path above flags its unit
    assert report["equipment"]["units"] == 3 + 6  # quantities counted for the clear units too
    assert report["by_site"][0]["by_status"]["prohibited"] == 5
