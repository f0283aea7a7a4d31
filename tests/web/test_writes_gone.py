"""Web writes that lose a race: a unit or part deleted by another request after the page looked it up answers
404 and records nothing (as the API does)."""
import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.inventory.models import Equipment
from apps.web.views import inventory as views

pytestmark = pytest.mark.django_db


def test_delete_of_a_unit_deleted_meanwhile_answers_404(client_for, officer, inventory, monkeypatch):
    unit = inventory["units"][0]
    stale = Equipment.objects.select_related("site").get(pk=unit.pk)
    Equipment.objects.filter(pk=unit.pk).delete()
    monkeypatch.setattr(views, "_equipment_for_write", lambda request, pk: stale)
    response = client_for(officer).post(reverse("web:equipment-delete", args=[unit.pk]), {"confirm": "on"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="equipment.delete").exists()


def test_edit_of_a_unit_deleted_meanwhile_answers_404(client_for, officer, site, inventory, monkeypatch):
    unit = inventory["units"][1]
    c = client_for(officer)
    data = {k: ("" if v is None else v) for k, v in c.get(reverse("web:equipment-edit", args=[unit.pk]))
            .context["form"].initial.items()}
    stale = Equipment.objects.select_related("site").get(pk=unit.pk)
    Equipment.objects.filter(pk=unit.pk).delete()
    monkeypatch.setattr(views, "_equipment_for_write", lambda request, pk: stale)
    response = c.post(reverse("web:equipment-edit", args=[unit.pk]),
                      {**data, "site": site.pk, "notes": "late edit", "installed_date": "", "collects_data": ""})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="equipment.update").exists()
