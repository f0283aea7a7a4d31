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


def test_a_bulk_refresh_announces_one_batched_event_per_organisation(site, other_site, settings):
    from apps.common import events
    from apps.integrations import services as webhooks
    from apps.integrations.models import WebhookDelivery
    from apps.inventory.models import Equipment
    from tests.conftest import events_recorded
    from tests.factories import EquipmentFactory, MembershipFactory, SiteFactory, UserFactory

    fcc = make_source("fcc_covered", regime="us_fcc")
    listed = VendorFactory(name="Listed Vision")
    model = ProductModelFactory(brand=listed, category="camera")
    Equipment.objects.bulk_create([EquipmentFactory.build(site=site, product_model=model, category="camera")
                                   for _ in range(250)])
    Equipment.objects.bulk_create([EquipmentFactory.build(site=other_site, product_model=model, category="camera")
                                   for _ in range(3)])
    _finding(listed, fcc)
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        assert equipment_risk_refresh() == 253
        assert equipment_risk_refresh() == 0  # nothing changed: nothing announced
    (batch,) = seen
    by_org = {a.organization_id: a for a in batch.items}
    assert set(by_org) == {site.organization_id, other_site.organization_id}
    mine = by_org[site.organization_id]
    assert mine.type == "unit.status_changed" and mine.object_kind == "equipment"
    assert sorted(mine.object_ids) == sorted(Equipment.objects.filter(site=site).values_list("pk", flat=True))
    assert len(by_org[other_site.organization_id].object_ids) == 3

    settings.WEBHOOK_BATCH_MAX_IDS = 100
    admin = MembershipFactory(organization=site.organization, role="admin", user=UserFactory(username="wh")).user
    webhooks.webhook_endpoint_create(organization=site.organization, user=admin, url="https://93.184.216.34/h",
                                     event_types=["unit.status_changed"])
    ids = webhooks.webhook_deliveries_create_many(list(batch.items))
    parts = [len(d.payload["data"]["objects"]) for d in WebhookDelivery.objects.filter(pk__in=ids).order_by("id")]
    assert parts == [100, 100, 50]  # only this organisation's endpoint, its own units
    first = WebhookDelivery.objects.filter(pk__in=ids).order_by("id").first().payload["data"]["objects"][0]
    assert (first["site_id"], first["category"], first["status"]) == (site.pk, "camera", "prohibited")

    # Each unit carries its site, category and new status: a site filter narrows the batch unit by unit.
    second = SiteFactory(organization=site.organization, code="S2")
    moved = list(Equipment.objects.filter(site=site).order_by("pk").values_list("pk", flat=True)[:5])
    Equipment.objects.filter(pk__in=moved).update(site=second, risk_status="clear", risk_reason="")
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as again:
        assert equipment_risk_refresh() == 5
    (item,) = [a for b in again for a in b.items]
    assert dict(zip(item.object_ids, item.object_facets, strict=True)) == {
        pk: (second.pk, "camera", "prohibited") for pk in moved}
    narrow = webhooks.webhook_endpoint_create(organization=site.organization, user=admin, url="https://93.184.216.34/n",
                                              event_types=["unit.status_changed"], filter_site_ids=[site.pk])
    assert webhooks.webhook_deliveries_create_many([item]) and not WebhookDelivery.objects.filter(endpoint=narrow)


def test_a_unit_changed_one_at_a_time_is_announced_for_its_organisation(site):
    from apps.common import events
    from tests.conftest import events_recorded

    fcc = make_source("fcc_covered", regime="us_fcc")
    listed = VendorFactory(name="Listed Vision")
    _finding(listed, fcc)
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        camera = equipment_create(site=site, product_model=ProductModelFactory(brand=listed, category="camera"))
    units = [(a.organization_id, a.object_ids) for b in seen for a in b.items if a.type == "unit.status_changed"]
    assert units == [(site.organization_id, (camera.pk,))]


def test_a_refresh_for_changed_vendors_touches_only_their_units_and_recounts_only_their_sites(org, monkeypatch):
    from apps.inventory.models import Equipment
    from apps.screening.services import equipment as equipment_module
    from tests.factories import ComponentFactory, EquipmentFactory, SiteFactory

    fcc = make_source("fcc_covered", regime="us_fcc")
    listed, other, chip = VendorFactory(name="Listed Vision"), VendorFactory(name="Other Optics"), VendorFactory()
    here, there = SiteFactory(organization=org), SiteFactory(organization=org)
    by_brand = EquipmentFactory(site=here, product_model=ProductModelFactory(brand=listed, category="camera"))
    by_part = EquipmentFactory(site=here, product_model=ProductModelFactory(brand=VendorFactory(), category="network"))
    ComponentFactory(equipment=by_part, vendor=chip)
    elsewhere = EquipmentFactory(site=there, product_model=ProductModelFactory(brand=other, category="camera"))
    _finding(listed, fcc)
    _finding(chip, fcc, key="chip")
    _finding(other, fcc, key="other")

    recounted: list[set] = []
    real = equipment_module.equipment_counts_touch
    monkeypatch.setattr(equipment_module, "equipment_counts_touch", lambda sites: (recounted.append(set(sites)),
                                                                                    real(sites)))
    assert equipment_risk_refresh(vendor_ids=[listed.pk, chip.pk]) == 2
    status = dict(Equipment.objects.values_list("pk", "risk_status"))
    assert status[by_brand.pk] == status[by_part.pk] == "prohibited"
    assert status[elsewhere.pk] == "clear"  # its vendor did not change: not looked at
    assert set().union(*recounted) == {here.pk}
    assert equipment_records_count(site_ids=[here.pk], risk_statuses=["prohibited"]) == 2

    # The full refresh brings the rest and agrees with what the vendors' refresh wrote.
    assert equipment_risk_refresh() == 1
    assert dict(Equipment.objects.values_list("pk", "risk_status")) == {**status, elsewhere.pk: "prohibited"}
    assert equipment_risk_refresh(vendor_ids=[listed.pk, chip.pk, other.pk]) == 0
