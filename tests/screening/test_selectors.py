"""Selectors: explained findings per equipment and vendor, in a constant number of queries."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.inventory.choices import EquipmentCategory
from apps.inventory.models import Equipment
from apps.inventory.services import component_add
from apps.screening.selectors import equipment_findings, vendor_findings
from apps.screening.services import screening_run_full
from apps.vendors.services import ownership_create
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


def build(n: int, sdn):
    listed = VendorFactory(name="Zorblax Vision")
    sub = VendorFactory(name="Subsidia Cameras")
    ownership_create(owner=listed, owned=sub, share_percent=100)
    items = []
    for i in range(n):
        eq = EquipmentFactory(product_model=ProductModelFactory(brand=sub if i % 2 else listed,
                                                                category=EquipmentCategory.CAMERA))
        component_add(equipment=eq, vendor=listed, kind="soc")
        items.append(eq)
    make_version(sdn, [listed_entry("Zorblax Vision", "1", listed_on=dt.date(2021, 3, 12))])
    screening_run_full()
    return listed, sub, items


@pytest.mark.parametrize("n", [2, 12])
def test_equipment_findings_constant_queries(sdn, django_assert_num_queries, n):
    _listed, _sub, items = build(n, sdn)
    with django_assert_num_queries(5):  # units, components, findings, overlays, BOM parts in force
        result = equipment_findings(equipment_ids=[e.pk for e in items])
    assert len(result) == n
    first = result[items[1].pk]
    assert {f.vendor_role for f in first} == {"brand", "component"}
    brand = next(f for f in first if f.vendor_role == "brand")
    assert brand.status == "prohibited" and brand.source_code == "test_sdn"
    assert brand.path_text.startswith("Subsidia Cameras <- owned by Zorblax Vision (100%) <- listed: OFAC SDN")
    assert brand.listed_on == dt.date(2021, 3, 12)


def test_equipment_findings_as_of_before_discovery_is_empty(sdn):
    _l, _s, items = build(2, sdn)
    past = timezone.now() - dt.timedelta(days=1)
    assert equipment_findings(equipment_ids=[items[0].pk], as_of=past) == {items[0].pk: []}


def test_vendor_findings_one_query_and_explained(sdn, django_assert_num_queries):
    listed, sub, _ = build(2, sdn)
    with django_assert_num_queries(1):
        findings = vendor_findings(vendor_id=listed.pk)
        (finding,) = findings
        assert finding.match.explanation and finding.match.list_version.sha256
    assert finding.kind == "direct" and finding.status == "prohibited"
    assert vendor_findings(vendor_id=sub.pk)[0].kind == "ownership"


def test_equipment_bulk_update_does_not_write_row_history(sdn):
    _l, _s, items = build(4, sdn)
    before = Equipment.history.count()
    Equipment.objects.update(risk_status="clear", risk_reason="")
    screening_run_full()
    assert Equipment.objects.filter(risk_status="prohibited").count() == 4
    assert Equipment.history.count() == before  # derived data: its history is the findings and runs
