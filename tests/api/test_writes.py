"""Writes that lose a race: a unit deleted by another request after this one looked it up answers 404 and
records nothing; a PATCH writes only the fields it names."""
import pytest

from apps.audit.models import AuditEvent
from apps.inventory.api.views import EquipmentViewSet
from apps.inventory.models import Equipment
from tests.api.conftest import token_client
from tests.factories import EquipmentFactory

pytestmark = pytest.mark.django_db


def test_delete_of_a_unit_deleted_meanwhile_answers_404_without_an_event(world, monkeypatch):
    unit = EquipmentFactory(site=world["site"], product_model=world["product"])
    stale = Equipment.objects.get(pk=unit.pk)
    Equipment.objects.filter(pk=unit.pk).delete()  # another request won the race after our lookup
    monkeypatch.setattr(EquipmentViewSet, "get_object", lambda self: stale)
    response = token_client(world["users"]["officer"]).delete(f"/api/v1/equipment/{unit.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not AuditEvent.objects.filter(action="equipment.delete").exists()


def test_patch_of_one_field_keeps_a_field_changed_meanwhile(world, monkeypatch):
    unit = world["equipment"]
    stale = Equipment.objects.select_related("site").get(pk=unit.pk)
    Equipment.objects.filter(pk=unit.pk).update(notes="written by another request")
    monkeypatch.setattr(EquipmentViewSet, "get_object", lambda self: stale)
    response = token_client(world["users"]["officer"]).patch(f"/api/v1/equipment/{unit.pk}/", {"quantity": 3},
                                                             format="json")
    assert response.status_code == 200, response.json()
    unit.refresh_from_db()
    assert (unit.quantity, unit.notes) == (3, "written by another request")
    [event] = AuditEvent.objects.filter(action="equipment.update", object_id=str(unit.pk))
    assert set(event.changes) == {"quantity"}
