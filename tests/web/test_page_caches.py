"""The per-organisation page caches (apps/web/caches.py): served from the cache until an event says the data
changed, then computed again; never another organisation's; pages still answer with the cache down."""
import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.common import events
from apps.common.cache import cache_state_reset
from apps.inventory import services as inventory
from apps.inventory.models import Equipment
from apps.vendors.services import vendor_update
from tests.factories import EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sites_page(client) -> str:
    """The site list's table (the page around it carries a fresh CSRF token and CSP nonce each time)."""
    response = client.get("/sites/")
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index("<tbody>"):page.index("</tbody>")]


def test_site_rows_come_from_the_cache_until_the_tally_changes(officer, site, django_capture_on_commit_callbacks):
    EquipmentFactory(site=site, quantity=2)
    client = _client(officer)
    first = _sites_page(client)
    assert 'title="2 units in 1 equipment record"' in first

    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        assert _sites_page(client) == first
    assert not any("inventory_siteequipmentcount" in q["sql"] for q in queries.captured_queries)

    # A unit recorded through the service: the tally changes, SitesChanged moves the generation on commit.
    with django_capture_on_commit_callbacks(execute=True):
        inventory.equipment_create(site=site, product_model=ProductModelFactory(), actor=officer, quantity=3)
    assert 'title="5 units in 2 equipment records"' in _sites_page(client)


def test_a_renamed_site_shows_in_the_list_and_the_filter(officer, site, django_capture_on_commit_callbacks):
    client = _client(officer)
    assert "Terminal 1" in _sites_page(client)
    assert "Terminal 1</option>" in client.get("/equipment/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        inventory.site_update(site=site, actor=officer, name="Container Terminal East")
    assert "Container Terminal East" in _sites_page(client)
    page = client.get(f"/equipment/?site={site.pk}").content.decode()
    assert f'<option value="{site.pk}" selected>Container Terminal East</option>' in page
    assert "Terminal 1</option>" not in page


def test_a_renamed_vendor_shows_in_the_vendor_filter(officer, site, django_capture_on_commit_callbacks):
    vendor = VendorFactory(name="Harbour Optics")
    EquipmentFactory(site=site, product_model=ProductModelFactory(brand=vendor))
    client = _client(officer)
    assert "Harbour Optics</option>" in client.get("/equipment/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        vendor_update(vendor=vendor, name="Harbour Optics Holdings")  # a curator's write (shared data)
    page = client.get(f"/equipment/?vendor={vendor.pk}").content.decode()
    assert f'<option value="{vendor.pk}" selected>Harbour Optics Holdings</option>' in page


def test_the_dashboard_follows_a_unit_changing_status(officer, site, django_capture_on_commit_callbacks):
    unit = EquipmentFactory(site=site, quantity=4)
    client = _client(officer)
    assert client.get("/").context["counts"][-1][2] == 4  # (status, label, units, records): clear last

    with django_capture_on_commit_callbacks(execute=True):
        inventory.equipment_update(equipment=unit, actor=officer, status="removed")
    assert client.get("/").context["counts"][-1][2] == 0


def test_an_organisation_never_sees_anothers_cached_rows(officer, other_officer, site, other_site):
    EquipmentFactory(site=site)
    assert "Terminal 1" in _sites_page(_client(officer))
    theirs = _sites_page(_client(other_officer))
    assert "Other site" in theirs and "Terminal 1" not in theirs
    equipment = _client(other_officer).get("/equipment/").content.decode()
    assert "Terminal 1</option>" not in equipment and "Other site</option>" in equipment


def test_the_event_reaches_the_handler_after_the_commit(officer, site, django_capture_on_commit_callbacks):
    seen = []
    with events.subscribed(events.SitesChanged, seen.append), django_capture_on_commit_callbacks(execute=True):
        EquipmentFactory(site=site)  # the tally's writer (post_save signal -> recount)
        inventory.site_create(organization=site.organization, actor=officer, code="T9", name="Terminal 9",
                              kind="seaport", country="US")
    assert {event_site for event in seen for event_site in event.site_ids} >= {site.pk}
    assert len(seen) == 2


def test_pages_answer_with_the_cache_down(officer, site, settings):
    settings.CACHES = {"default": {"BACKEND": "tests.common.test_cache.DownCache"}}
    settings.CACHE_RETRY_SECONDS = 0
    cache_state_reset()
    try:
        EquipmentFactory(site=site, quantity=2)
        client = _client(officer)
        assert 'title="2 units in 1 equipment record"' in _sites_page(client)
        Equipment.objects.create(site=site, product_model=ProductModelFactory(), category="camera", quantity=1)
        assert 'title="3 units in 2 equipment records"' in _sites_page(client)  # nothing kept: computed again
        assert client.get("/equipment/").status_code == 200
        assert client.get("/").status_code == 200
    finally:
        cache_state_reset()


def test_site_options_mark_the_selected_site_only(officer, site):
    second = SiteFactory(organization=site.organization, name="Airport cargo")
    page = _client(officer).get(f"/equipment/?site={second.pk}").content.decode()
    assert f'<option value="{second.pk}" selected>Airport cargo</option>' in page
    assert f'<option value="{site.pk}">Terminal 1</option>' in page
    assert '<option value="">All sites</option>' in page
