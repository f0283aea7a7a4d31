"""Re-screening on vendor changes (task queued on commit) and on list activation (incremental)."""
import pytest

from apps.common import events
from apps.screening.apps import on_list_version_activated
from apps.screening.models import Finding, Match, ScreeningRun
from apps.screening.services import screening_run_full, screening_run_list_version
from apps.vendors.services import ownership_create, vendor_create
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_vendor_creation_queues_a_screening_on_commit(sdn, eager, django_capture_on_commit_callbacks):
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    with django_capture_on_commit_callbacks(execute=True):
        vendor = vendor_create(name="Zorblax Holdings")
    run = ScreeningRun.objects.get(trigger="vendor_change")
    assert run.status == "succeeded" and run.scope["vendor_ids"] == [vendor.pk]
    assert run.list_versions[0]["sha256"] and run.list_versions[0]["source"] == "test_sdn"
    vendor.refresh_from_db()
    assert vendor.risk_status == "prohibited"


def test_nothing_is_queued_when_the_transaction_rolls_back(sdn, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vendor_create(name="Zorblax Holdings")
    assert callbacks  # deferred to commit, not run inside the transaction
    assert not ScreeningRun.objects.exists()


def test_ownership_change_rescreens_the_owned_vendor(sdn, eager, django_capture_on_commit_callbacks):
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    owner = vendor_create(name="Zorblax Holdings")
    owned = vendor_create(name="Plainfield Widgets")
    grandchild = vendor_create(name="Grandby Cranes")
    ownership_create(owner=owned, owned=grandchild, share_percent=100)
    screening_run_full()
    owned.refresh_from_db()
    assert owned.risk_status == "clear"
    with django_capture_on_commit_callbacks(execute=True):
        ownership_create(owner=owner, owned=owned, share_percent=75)
    owned.refresh_from_db()
    grandchild.refresh_from_db()
    assert (owned.risk_status, grandchild.risk_status) == ("prohibited", "prohibited")


def test_list_activation_screens_only_added_and_changed_entries(sdn, eager, django_capture_on_commit_callbacks):
    v1 = make_version(sdn, [listed_entry("Zorblax Holdings", "1"), listed_entry("Quintarro Capital", "2"),
                            listed_entry("Unrelated Shipping", "3")])
    gone, kept, new = (vendor_create(name=n) for n in ("Zorblax Holdings", "Quintarro Capital", "Xenophon Optics"))
    screening_run_full()
    kept_match = Match.objects.get(vendor=kept)
    v2 = make_version(sdn, [listed_entry("Quintarro Capital", "2"), listed_entry("Unrelated Shipping", "3"),
                            listed_entry("Xenophon Optics", "4")], previous=v1)
    with django_capture_on_commit_callbacks(execute=True):
        on_list_version_activated(events.ListVersionActivated(version_id=v2.pk))
    run = ScreeningRun.objects.get(trigger="list_activation")
    assert run.entry_count == 1  # only the added entry was indexed
    assert (run.counts["entries_added"], run.counts["entries_removed"], run.counts["entries_changed"]) == (1, 1, 0)
    closed = Match.objects.get(vendor=gone)
    assert closed.closed_at is not None and closed.close_reason == "entry removed from the list"
    assert Finding.objects.get(vendor=gone).closed_at is not None
    kept_match.refresh_from_db()
    assert kept_match.closed_at is None and kept_match.list_version_id == v2.pk
    assert Match.objects.get(vendor=new, closed_at__isnull=True).external_id == "4"
    for vendor, expected in ((gone, "clear"), (kept, "prohibited"), (new, "prohibited")):
        vendor.refresh_from_db()
        assert vendor.risk_status == expected


def test_list_activation_run_is_idempotent(sdn):
    v1 = make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor_create(name="Zorblax Holdings")
    vendor_create(name="Xenophon Optics")
    screening_run_full()
    v2 = make_version(sdn, [listed_entry("Xenophon Optics", "4")], previous=v1)
    screening_run_list_version(version_id=v2.pk)
    before = (Match.objects.count(), Finding.objects.count())
    again = screening_run_list_version(version_id=v2.pk)
    assert (Match.objects.count(), Finding.objects.count()) == before
    assert again.counts.get("matches_new", 0) == 0


def test_full_run_records_versions_counts_and_timings(sdn):
    version = make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor_create(name="Zorblax Holdings")
    run = screening_run_full()
    assert run.status == "succeeded"
    assert run.list_versions == [{
        "version_id": version.pk, "source": "test_sdn", "source_name": "OFAC SDN", "sha256": version.sha256,
        "activated_at": version.activated_at.isoformat(), "entry_count": 1,
    }]
    assert run.vendor_count == 1 and run.entry_count == 1
    assert run.counts["matches_new"] == 1 and run.algorithm_version
    assert set(run.timings) >= {"index", "match", "propagate", "equipment"}


def test_disabled_or_inactive_source_closes_its_matches(sdn):
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor = vendor_create(name="Zorblax Holdings")
    screening_run_full()
    sdn.enabled = False
    sdn.save()
    screening_run_full()
    match = Match.objects.get(vendor=vendor)
    assert match.closed_at is not None and match.close_reason == "list no longer active"
    vendor.refresh_from_db()
    assert vendor.risk_status == "clear"


def test_screening_changed_event_names_the_vendors_on_commit(sdn, django_capture_on_commit_callbacks):
    seen = []
    with events.subscribed(events.ScreeningChanged, seen.append):
        make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
        vendor = vendor_create(name="Zorblax Holdings")
        with django_capture_on_commit_callbacks(execute=True):
            screening_run_full()
    assert seen == [events.ScreeningChanged(vendor_ids=frozenset({vendor.pk}))]


def test_oem_relation_change_rescreens_the_brand(sdn, eager, django_capture_on_commit_callbacks):
    from apps.vendors.services import oem_relation_create
    from tests.factories import EquipmentFactory, ProductModelFactory

    make_version(sdn, [listed_entry("Zorblax Vision", "1")])
    maker = vendor_create(name="Zorblax Vision")
    brand = vendor_create(name="Brandwell Security")
    camera = EquipmentFactory(product_model=ProductModelFactory(brand=brand, category="camera"))
    screening_run_full()
    camera.refresh_from_db()
    assert camera.risk_status == "clear"
    with django_capture_on_commit_callbacks(execute=True):
        oem_relation_create(brand=brand, manufacturer=maker, category="camera")
    brand.refresh_from_db()
    camera.refresh_from_db()
    assert brand.risk_status == "prohibited"
    assert camera.risk_status == "prohibited" and "Brand Brandwell Security" in camera.risk_reason


def test_listed_owner_rescreen_reaches_brands_of_its_subsidiaries(sdn, eager, django_capture_on_commit_callbacks):
    from apps.vendors.services import oem_relation_create

    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    owner = vendor_create(name="Zorblax Holdings Renamed")  # not matching yet
    maker = vendor_create(name="Plainfield Cameras")
    brand = vendor_create(name="Brandwell Security")
    ownership_create(owner=owner, owned=maker, share_percent=100)
    oem_relation_create(brand=brand, manufacturer=maker, category="")
    screening_run_full()
    brand.refresh_from_db()
    assert brand.risk_status == "clear"
    from apps.vendors.services import vendor_update

    with django_capture_on_commit_callbacks(execute=True):
        vendor_update(vendor=owner, name="Zorblax Holdings")
    maker.refresh_from_db()
    brand.refresh_from_db()
    assert (maker.risk_status, brand.risk_status) == ("prohibited", "prohibited")
    oem = Finding.objects.get(vendor=brand, kind="oem", closed_at__isnull=True)
    assert oem.path_text == ("Brandwell Security <- made by (all categories) Plainfield Cameras <- owned by "
                             "Zorblax Holdings (100%) <- listed: OFAC SDN")
