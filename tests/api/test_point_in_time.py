"""`as_of`: change a vendor, equipment and a list; ask for the day before; get the old answer."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.inventory.models import Equipment
from apps.inventory.services import equipment_update
from apps.lists.models import ListVersion
from apps.screening.models import Finding
from apps.vendors.models import Vendor, VendorAlias
from apps.vendors.services import vendor_alias_add, vendor_update
from tests.api.conftest import token_client
from tests.factories import ListVersionFactory

pytestmark = pytest.mark.django_db


def _backdate(world, when):
    """Pretend everything in the world was recorded at `when` (history rows and the list's activation)."""
    for model in (Vendor, VendorAlias, Equipment):
        model.history.update(history_date=when)
    ListVersion.objects.filter(pk=world["version"].pk).update(activated_at=when, fetched_at=when)
    Finding.objects.filter(pk=world["finding"].pk).update(discovered_at=when)


@pytest.fixture
def changed(world):
    """Three days ago: vendor 'Crane Maker Co' (restricted through its owner under list version v1),
    equipment in service. Today: vendor renamed with an alias, equipment removed, v2 replaces v1 and the
    finding closes (the owner is no longer listed)."""
    now = timezone.now()
    then = now - dt.timedelta(days=3)
    _backdate(world, then)
    officer = world["users"]["officer"]
    # Shared vendor facts: written by the registry (a curator's accepted proposal, apps.vendors.proposals).
    vendor_update(vendor=world["vendor"], actor=None, name="Crane Maker Renamed Ltd")
    vendor_alias_add(vendor=world["vendor"], name="CMR", actor=None)
    equipment_update(equipment=world["equipment"], actor=officer, status="removed")
    v1 = world["version"]
    ListVersion.objects.filter(pk=v1.pk).update(status="superseded", superseded_at=now)
    v2 = ListVersionFactory(source=v1.source, active=True, fetched_at=now, sha256="e" * 64, previous=v1)
    Finding.objects.filter(pk=world["finding"].pk).update(closed_at=now, close_reason="delisted")
    Vendor.objects.filter(pk=world["vendor"].pk).update(risk_status="clear")
    world.update(v1=v1, v2=v2, yesterday=(now - dt.timedelta(days=1)).date().isoformat(),
                 today=now.date().isoformat())
    return world


def test_vendor_as_of_gives_old_name_aliases_and_status(changed):
    client = token_client(changed["users"]["auditor"])
    url = f"/api/v1/vendors/{changed['vendor'].pk}/"
    old = client.get(url, {"as_of": changed["yesterday"]}).json()
    new = client.get(url).json()
    assert (old["name"], old["aliases"], old["risk_status"]) == ("Crane Maker Co", [], "restricted")
    assert (new["name"], [a["name"] for a in new["aliases"]], new["risk_status"]) == (
        "Crane Maker Renamed Ltd", ["CMR"], "clear")
    listed = client.get("/api/v1/vendors/", {"as_of": changed["yesterday"], "q": "Crane Maker Co"}).json()
    assert [v["id"] for v in listed["results"]] == [changed["vendor"].pk]


def test_vendor_did_not_exist_before_its_creation(changed):
    client = token_client(changed["users"]["auditor"])
    long_ago = (timezone.now() - dt.timedelta(days=30)).date().isoformat()
    assert client.get(f"/api/v1/vendors/{changed['vendor'].pk}/", {"as_of": long_ago}).status_code == 404


def test_vendor_findings_as_of_show_the_closed_finding_with_its_explanation(changed):
    client = token_client(changed["users"]["auditor"])
    url = f"/api/v1/vendors/{changed['vendor'].pk}/findings/"
    old = client.get(url, {"as_of": changed["yesterday"]}).json()
    assert [f["id"] for f in old] == [changed["finding"].pk]
    assert "controlled by Parent Group" in old[0]["explanation"] and "Same name" in old[0]["explanation"]
    assert old[0]["match"]["decision"]["decision"] == "confirm"
    assert client.get(url).json() == []


def test_equipment_as_of_gives_old_status_and_risk(changed):
    client = token_client(changed["users"]["auditor"])
    url = f"/api/v1/equipment/{changed['equipment'].pk}/"
    old = client.get(url, {"as_of": changed["yesterday"]}).json()
    assert (old["status"], old["risk_status"]) == ("in_service", "restricted")
    assert old["findings"][0]["vendor_role"] == "brand"
    assert "Parent Group" in old["findings"][0]["path_text"]
    now = client.get(url).json()
    assert now["status"] == "removed"
    filtered = client.get("/api/v1/equipment/", {"as_of": changed["yesterday"], "status": "in_service"}).json()
    assert changed["equipment"].pk in [e["id"] for e in filtered["results"]]
    assert changed["equipment"].pk not in [
        e["id"] for e in client.get("/api/v1/equipment/", {"status": "in_service"}).json()["results"]]


def test_findings_as_of_lists_what_was_open_then(changed):
    client = token_client(changed["users"]["auditor"])
    old = client.get("/api/v1/findings/", {"as_of": changed["yesterday"]}).json()["results"]
    assert [f["id"] for f in old] == [changed["finding"].pk]
    assert client.get("/api/v1/findings/", {"as_of": changed["today"], "is_open": "true"}).json()["results"] == []


def test_summary_as_of_counts_old_statuses_and_list_versions(changed):
    client = token_client(changed["users"]["auditor"])
    old = client.get("/api/v1/summary/", {"as_of": changed["yesterday"]}).json()
    assert old["as_of"] == changed["yesterday"]
    assert old["equipment"]["equipment"] == 1 and old["equipment"]["by_status"]["restricted"] == 1
    assert [v["version_id"] for v in old["list_versions"]] == [changed["v1"].pk]
    now = client.get("/api/v1/summary/").json()
    assert now["equipment"]["equipment"] == 0  # removed units are not installed any more
    assert [v["version_id"] for v in now["list_versions"]] == [changed["v2"].pk]


def test_list_versions_active_on_a_day(changed):
    client = token_client(changed["users"]["auditor"])
    old = client.get("/api/v1/list-versions/", {"active_on": changed["yesterday"]}).json()["results"]
    assert changed["v1"].pk in [v["id"] for v in old] and changed["v2"].pk not in [v["id"] for v in old]


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "2999-01-01"])
def test_bad_as_of_is_a_field_error(world, value):
    client = token_client(world["users"]["auditor"])
    response = client.get("/api/v1/equipment/", {"as_of": value})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"as_of"}
