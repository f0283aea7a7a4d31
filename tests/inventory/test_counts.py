"""The per-site equipment tally (SiteEquipmentCount) follows every write path: single saves through the
services and the admin, moves between sites, retirements, deletes, bulk imports, screening's bulk status
updates, rolled-back transactions, and concurrent writers; `recount_equipment` finds and repairs drift."""
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from apps.inventory.models import Equipment, SiteEquipmentCount
from apps.inventory.selectors import equipment_records_count
from apps.inventory.services import (
    equipment_counts_check,
    equipment_counts_deferred,
    equipment_counts_refresh,
    equipment_create,
    equipment_delete,
    equipment_update,
)
from tests.factories import EquipmentFactory, ProductModelFactory, SiteFactory
from tests.screening.conftest import sdn  # noqa: F401, F811  (fixture)

pytestmark = pytest.mark.django_db


def tally(site) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(c.category, c.status, c.risk_status): (c.records, c.units)
            for c in SiteEquipmentCount.objects.filter(site=site)}


def test_create_update_move_retire_delete_keep_the_tally_exact(site, org):
    other = SiteFactory(organization=org, code="T2")
    pm = ProductModelFactory(category="camera")
    unit = equipment_create(site=site, product_model=pm, quantity=3)
    assert tally(site) == {("camera", "in_service", "clear"): (1, 3)}
    equipment_create(site=site, product_model=pm, quantity=2)
    assert tally(site) == {("camera", "in_service", "clear"): (2, 5)}

    equipment_update(equipment=unit, status="replaced")
    assert tally(site) == {("camera", "in_service", "clear"): (1, 2), ("camera", "replaced", "clear"): (1, 3)}

    unit = Equipment.objects.get(pk=unit.pk)  # loaded from the database: a move recounts both sites
    equipment_update(equipment=unit, site=other)
    assert tally(site) == {("camera", "in_service", "clear"): (1, 2)}
    assert tally(other) == {("camera", "replaced", "clear"): (1, 3)}

    equipment_delete(equipment=Equipment.objects.get(pk=unit.pk))
    assert tally(other) == {}
    assert equipment_counts_check() == []


def test_an_edit_that_changes_no_counted_field_does_not_recount(site):
    from django.test.utils import CaptureQueriesContext

    unit = EquipmentFactory(site=site)
    unit = Equipment.objects.get(pk=unit.pk)
    unit.notes = "cabinet 4"
    with CaptureQueriesContext(connection) as ctx:
        unit.save()
    assert ctx.captured_queries  # the UPDATE (and its history row) ...
    assert not [q for q in ctx.captured_queries if "siteequipmentcount" in q["sql"]]  # ... but no recount


def test_admin_save_is_counted(client, site):
    from tests.factories import UserFactory

    UserFactory(username="staffer", password="correct-horse-battery", is_staff=True, is_superuser=True)
    assert client.post("/admin/login/", {"username": "staffer", "password": "correct-horse-battery"}).status_code == 302
    pm = ProductModelFactory(category="camera")
    response = client.post("/admin/inventory/equipment/add/", {
        "site": site.pk, "product_model": pm.pk, "category": "camera", "quantity": 4, "status": "in_service",
        "components-TOTAL_FORMS": 0, "components-INITIAL_FORMS": 0,
    })
    assert response.status_code == 302 and response["Location"] == "/admin/inventory/equipment/", response
    assert tally(site) == {("camera", "in_service", "clear"): (1, 4)}


def test_deferred_block_recounts_each_site_once_and_nothing_on_error(site):
    pm = ProductModelFactory(category="camera")
    with equipment_counts_deferred() as pending:
        for _ in range(3):
            EquipmentFactory(site=site, product_model=pm)
        assert SiteEquipmentCount.objects.filter(site=site).count() == 0  # not yet
        assert pending == {site.pk}
    assert tally(site) == {("camera", "in_service", "clear"): (3, 3)}

    with pytest.raises(RuntimeError), transaction.atomic(), equipment_counts_deferred():
        EquipmentFactory(site=site, product_model=pm)
        raise RuntimeError("import failed")
    assert tally(site) == {("camera", "in_service", "clear"): (3, 3)}  # rolled back with the equipment


def test_bulk_import_is_counted(org, site, officer, tmp_path):
    from apps.inventory.imports import import_commit

    path = tmp_path / "units.csv"
    path.write_text("site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"
                    + "".join(f"T1,camera,Acme Vision,C-1,2,A-{i},\n" for i in range(25)))
    import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    assert tally(site) == {("camera", "in_service", "clear"): (25, 50)}
    assert equipment_records_count(organization_ids=[org.pk]) == 25


def test_screening_bulk_status_updates_are_counted(sdn, site):  # noqa: F811
    from apps.screening.services import screening_run_full
    from apps.vendors.services import vendor_create
    from tests.screening.conftest import listed_entry, make_version

    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    listed = vendor_create(name="Zorblax Holdings")
    EquipmentFactory.create_batch(4, site=site, product_model=ProductModelFactory(brand=listed, category="camera"))
    EquipmentFactory(site=site, product_model=ProductModelFactory(category="camera"))
    screening_run_full()
    assert tally(site) == {("camera", "in_service", "prohibited"): (4, 4), ("camera", "in_service", "clear"): (1, 1)}
    assert equipment_counts_check() == []


def test_recount_command_finds_and_repairs_drift(site):
    EquipmentFactory.create_batch(2, site=site)
    Equipment.objects.filter(site=site).update(quantity=7)  # a bulk write outside the services: no signal
    with pytest.raises(CommandError, match="differ"):
        call_command("recount_equipment", "--check")
    call_command("recount_equipment")
    call_command("recount_equipment", "--check")
    assert sum(units for _, units in tally(site).values()) == 14


def test_refresh_writes_only_changed_buckets(site):
    EquipmentFactory.create_batch(3, site=site)
    assert equipment_counts_refresh() == 0  # already exact
    SiteEquipmentCount.objects.filter(site=site).update(records=99)
    assert equipment_counts_refresh(site_ids=[site.pk]) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_site_leave_an_exact_tally(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks and concurrent transactions: CI runs this on PostgreSQL")
    site = SiteFactory(organization=org)
    pm = ProductModelFactory(category="camera")
    barrier = threading.Barrier(6)
    errors = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    unit = equipment_create(site=site, product_model=pm, quantity=n + 1, asset_tag=f"W{n}-{i}")
                    if i % 2:
                        equipment_update(equipment=unit, status="disconnected")
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert equipment_counts_check() == []
    assert equipment_records_count(site_ids=[site.pk]) == 30
    assert sum(units for _, units in tally(site).values()) == sum(5 * (n + 1) for n in range(6))
