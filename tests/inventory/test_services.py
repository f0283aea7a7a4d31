"""Inventory services not covered by test_models.py / test_writes.py / test_product_model_resolve.py: what each
create records (rows, audit events with the organisation, history), the refusals by field, parts named as an
officer types them, and the equipment change hooks (called inside the writing transaction)."""
import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.common import events as domain_events
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import ComponentKind
from apps.inventory.models import Component, Equipment, ProductModel, Site
from apps.inventory.selectors import equipment_records_count
from apps.inventory.services import (
    component_add,
    component_delete,
    component_record,
    equipment_counts_check,
    equipment_create,
    equipment_update,
    product_model_create,
    site_create,
)
from tests.conftest import events_recorded
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    FindingFactory,
    ProductModelFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def changed():
    """The ids each EquipmentChanged event delivered (the real subscribers,
    e.g. screening's, are replaced for the test)."""
    with events_recorded(domain_events.EquipmentChanged, phase=domain_events.IN_TRANSACTION) as seen:
        yield seen


def _ids(seen) -> list[set[int]]:
    return [set(e.equipment_ids) for e in seen]


# --- sites --------------------------------------------------------------------------------------------------

def test_site_create_stores_the_site_and_an_event_of_its_organisation(org, officer):
    site = site_create(organization=org, actor=officer, name="Pier 400", code="P400", kind="seaport", country="US",
                       criticality="critical", is_defence=True)
    stored = Site.objects.get(pk=site.pk)
    assert (stored.organization, stored.code, stored.criticality, stored.is_defence) == (org, "P400", "critical",
                                                                                           True)
    [event] = events("site.create")
    assert (event.organization_id, event.actor_id, event.object_id) == (org.pk, officer.pk, str(site.pk))
    assert event.changes["code"] == [None, "P400"]
    assert stored.history.get().history_user == officer
    assert audit_chain_verify().ok


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "spaceport"}, "kind"),
    ({"name": ""}, "name"),
    ({"code": ""}, "code"),
    ({"criticality": "extreme"}, "criticality"),
])
def test_site_create_refuses_bad_fields_and_stores_nothing(org, fields, field):
    data = {"name": "Pier 1", "code": "P1", "kind": "seaport", "country": "US", **fields}
    with pytest.raises(ValidationError) as exc:
        site_create(organization=org, **data)
    assert field in exc.value.message_dict
    assert not Site.objects.exists() and not events("site.create")


# --- product models -----------------------------------------------------------------------------------------

def test_product_model_create_normalises_the_number_and_is_shared_reference_data():
    brand = VendorFactory()
    pm = product_model_create(brand=brand, model_number="  DS-2CD   2043 ", category="camera",
                              remote_access_capable=True)
    assert ProductModel.objects.get(pk=pm.pk).model_number == "DS-2CD 2043"
    [event] = events("productmodel.create")
    assert event.organization_id is None  # product models belong to no organisation


def test_product_model_create_refuses_a_duplicate_and_an_unknown_category():
    brand = VendorFactory()
    product_model_create(brand=brand, model_number="X-1", category="camera")
    with pytest.raises(ValidationError):
        product_model_create(brand=brand, model_number=" X-1 ", category="camera")
    product_model_create(brand=VendorFactory(), model_number="X-1", category="camera")  # other brand: fine
    with pytest.raises(ValidationError) as exc:
        product_model_create(brand=brand, model_number="X-2", category="toaster")
    assert "category" in exc.value.message_dict
    assert ProductModel.objects.count() == 2


# --- equipment ----------------------------------------------------------------------------------------------

def test_equipment_create_records_an_event_counts_the_unit_and_calls_the_hooks(site, officer, changed):
    unit = equipment_create(site=site, product_model=ProductModelFactory(category="camera"), quantity=12,
                            category="nvr_vms", asset_tag="CAM-BATCH", actor=officer)
    assert Equipment.objects.get(pk=unit.pk).category == "nvr_vms"  # given category wins over the model's
    assert _ids(changed) == [{unit.pk}]
    [event] = events("equipment.create")
    assert (event.organization_id, event.actor_id) == (site.organization_id, officer.pk)
    assert equipment_records_count(site_ids=[site.pk], categories=["nvr_vms"]) == 1
    assert equipment_counts_check() == []


def test_a_unique_asset_tag_per_site_is_refused_by_field(site, other_site):
    pm = ProductModelFactory()
    equipment_create(site=site, product_model=pm, asset_tag="TAG-1")
    equipment_create(site=other_site, product_model=pm, asset_tag="TAG-1")  # another site: fine
    equipment_create(site=site, product_model=pm)  # empty tags do not clash
    equipment_create(site=site, product_model=pm)
    with pytest.raises(ValidationError):
        equipment_create(site=site, product_model=pm, asset_tag="TAG-1")
    assert equipment_records_count(site_ids=[site.pk]) == 3


def test_equipment_update_calls_the_hooks_only_when_what_decides_the_risk_changes(site, changed):
    unit = EquipmentFactory(site=site)
    equipment_update(equipment=unit, notes="checked", serial_number="SN-9")
    assert _ids(changed) == []
    equipment_update(equipment=unit, category="nvr_vms")
    equipment_update(equipment=unit, product_model=ProductModelFactory())
    assert _ids(changed) == [{unit.pk}, {unit.pk}]


# --- components ---------------------------------------------------------------------------------------------

def test_component_add_records_the_part_and_an_event_of_the_units_organisation(site, officer, changed):
    unit = EquipmentFactory(site=site)
    part = component_add(equipment=unit, vendor=VendorFactory(), kind=ComponentKind.COMMS_MODULE,
                         name="LTE module v2", actor=officer)
    assert Component.objects.get(pk=part.pk).equipment == unit
    [event] = events("component.create")
    assert (event.organization_id, event.actor_id) == (site.organization_id, officer.pk)
    assert _ids(changed) == [{unit.pk}]


def test_component_add_refuses_an_unknown_kind(site, changed):
    unit = EquipmentFactory(site=site)
    with pytest.raises(ValidationError) as exc:
        component_add(equipment=unit, vendor=VendorFactory(), kind="antenna")
    assert "kind" in exc.value.message_dict
    assert not Component.objects.exists() and _ids(changed) == []


def test_component_record_names_the_vendor_by_alias_in_any_case(site):
    maker = VendorFactory(name="Quectel Wireless Solutions Co., Ltd.")
    VendorAliasFactory(vendor=maker, name="Quectel")
    part = component_record(equipment=EquipmentFactory(site=site), vendor=" QUECTEL ", kind="comms_module")
    assert part.vendor == maker


def test_component_record_of_an_unknown_vendor_suggests_and_records_nothing(site):
    VendorFactory(name="Quectel Wireless Solutions")
    with pytest.raises(ApplicationError) as exc:
        component_record(equipment=EquipmentFactory(site=site), vendor="Quectel Wireles Solutions", kind="soc")
    assert exc.value.code == "unknown_vendor" and set(exc.value.fields) == {"vendor"}
    assert "Did you mean \u201cQuectel Wireless Solutions\u201d?" in exc.value.fields["vendor"][0]
    assert not Component.objects.exists() and not events("component.create")


def test_component_delete_records_an_event_and_calls_the_hooks(site, changed):
    part = ComponentFactory(equipment=EquipmentFactory(site=site))
    component_delete(component=part)
    assert not Component.objects.filter(pk=part.pk).exists()
    [event] = events("component.delete")
    assert event.organization_id == site.organization_id and event.object_id == str(part.pk)
    assert _ids(changed) == [{part.equipment_id}]


def test_removing_the_part_of_a_listed_vendor_clears_the_units_status(site):
    listed = VendorFactory(name="Listed Modem Maker")
    FindingFactory(vendor=listed, status="prohibited")
    unit = equipment_create(site=site, product_model=ProductModelFactory(category="network"))
    part = component_add(equipment=unit, vendor=listed, kind="comms_module")
    unit.refresh_from_db()
    assert unit.risk_status == "prohibited"
    component_delete(component=part)
    unit.refresh_from_db()
    assert (unit.risk_status, unit.risk_reason) == ("clear", "")
    assert equipment_records_count(site_ids=[site.pk], risk_statuses=["prohibited"]) == 0
