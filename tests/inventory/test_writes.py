"""Updates and deletes of sites, units and parts: the row is re-read under a lock, only the changed fields are
written, one audit event per effective change with the locked row's "before", and a row already deleted is
not found (no second event)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import ComponentKind
from apps.inventory.models import Component, Equipment, Site
from apps.inventory.selectors import equipment_records_count
from apps.inventory.services import (
    component_add,
    component_delete,
    equipment_delete,
    equipment_update,
    site_update,
)
from tests.factories import EquipmentFactory, VendorFactory

pytestmark = pytest.mark.django_db


def events(action: str, obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).order_by("id"))


def test_equipment_update_writes_only_the_changed_fields(site):
    unit = EquipmentFactory(site=site, serial_number="SN-1", notes="old")
    with CaptureQueriesContext(connection) as queries:
        equipment_update(equipment=unit, notes="new", serial_number="SN-1")  # serial number unchanged
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "inventory_equipment" in q["sql"]]
    assert len(updates) == 1
    assert '"notes"' in updates[0] and '"updated_at"' in updates[0]
    assert '"serial_number"' not in updates[0] and '"quantity"' not in updates[0]


def test_equipment_update_from_a_stale_copy_keeps_the_other_field(site):
    unit = EquipmentFactory(site=site, quantity=1, notes="")
    copy_a, copy_b = Equipment.objects.get(pk=unit.pk), Equipment.objects.get(pk=unit.pk)
    equipment_update(equipment=copy_a, quantity=5)
    equipment_update(equipment=copy_b, notes="checked")  # copy_b still says quantity 1: not written back
    unit.refresh_from_db()
    assert (unit.quantity, unit.notes) == (5, "checked")
    assert equipment_records_count(site_ids=[site.pk]) == 1


def test_equipment_update_reads_before_values_from_the_locked_row(site):
    unit = EquipmentFactory(site=site, quantity=1)
    stale = Equipment.objects.get(pk=unit.pk)
    equipment_update(equipment=unit, quantity=2)
    with CaptureQueriesContext(connection) as queries:
        returned = equipment_update(equipment=stale, quantity=3)
    assert returned.quantity == 3
    if connection.vendor == "postgresql":
        assert any("FOR NO KEY UPDATE" in q["sql"] for q in queries)
    first, second = events("equipment.update", unit)
    assert first.changes["quantity"] == [1, 2]
    assert second.changes["quantity"] == [2, 3]  # the row's value, not the stale copy's 1
    assert set(second.changes) == {"quantity"}


def test_equipment_update_that_changes_nothing_records_no_event(site):
    unit = EquipmentFactory(site=site, quantity=4)
    history = unit.history.count()
    equipment_update(equipment=unit, quantity=4)
    assert events("equipment.update", unit) == []
    assert unit.history.count() == history


def test_equipment_update_of_a_deleted_unit_is_not_found(site):
    unit = EquipmentFactory(site=site)
    Equipment.objects.filter(pk=unit.pk).delete()
    with pytest.raises(ApplicationError) as exc:
        equipment_update(equipment=unit, quantity=2)
    assert exc.value.code == "not_found"
    assert not Equipment.objects.filter(pk=unit.pk).exists()


def test_equipment_delete_twice_records_one_event_and_the_second_is_not_found(site):
    unit = EquipmentFactory(site=site, asset_tag="DEL-1")
    copy = Equipment.objects.get(pk=unit.pk)
    equipment_delete(equipment=unit)
    with pytest.raises(ApplicationError) as exc:
        equipment_delete(equipment=copy)
    assert exc.value.code == "not_found"
    [event] = events("equipment.delete", copy)
    assert event.object_type == "inventory.equipment" and event.changes["asset_tag"] == ["DEL-1", None]
    assert equipment_records_count(site_ids=[site.pk]) == 0
    assert audit_chain_verify().ok


def test_site_update_applies_changed_fields_against_the_locked_row(site):
    copy_a, copy_b = Site.objects.get(pk=site.pk), Site.objects.get(pk=site.pk)
    site_update(site=copy_a, name="Renamed")
    site_update(site=copy_b, criticality="critical")  # copy_b still has the old name: not written back
    site.refresh_from_db()
    assert (site.name, site.criticality) == ("Renamed", "critical")
    rename, critical = events("site.update", site)
    assert set(rename.changes) == {"name"} and set(critical.changes) == {"criticality"}


def test_component_delete_twice_is_not_found_once(site):
    unit = EquipmentFactory(site=site)
    part = component_add(equipment=unit, vendor=VendorFactory(), kind=ComponentKind.SOC)
    copy = Component.objects.get(pk=part.pk)
    component_delete(component=part)
    with pytest.raises(ApplicationError) as exc:
        component_delete(component=copy)
    assert exc.value.code == "not_found"
    assert len(events("component.delete", copy)) == 1


def test_component_add_to_a_deleted_unit_is_not_found(site):
    unit = EquipmentFactory(site=site)
    equipment_delete(equipment=Equipment.objects.get(pk=unit.pk))
    with pytest.raises(ApplicationError) as exc:
        component_add(equipment=unit, vendor=VendorFactory(), kind=ComponentKind.SOC)
    assert exc.value.code == "not_found"


def test_site_cannot_move_to_another_organisation(site, other_org):
    with pytest.raises(ApplicationError) as exc:
        site_update(site=site, organization=other_org)
    assert exc.value.code == "cross_organization"
    assert not AuditEvent.objects.filter(action="site.update").exists()
