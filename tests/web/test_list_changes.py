"""What changed in the lists, and which of our sites it touches."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.web.selectors import vendor_site_units
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    FindingFactory,
    ListSourceFactory,
    ListVersionFactory,
    ProductModelFactory,
    SiteFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def _finding(vendor, source, *, days_ago: int, closed_days_ago: int | None = None, key: str = "k"):
    at = timezone.now() - dt.timedelta(days=days_ago)
    closed = timezone.now() - dt.timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    return FindingFactory(vendor=vendor, key=key, source=source, status="prohibited", discovered_at=at,
                          closed_at=closed, close_reason="entry removed from the list" if closed else "")


@pytest.fixture
def world(org, other_org, site):
    hik, delisted, unused = (VendorFactory(name="Example Vision"), VendorFactory(name="Delisted Modems"),
                             VendorFactory(name="Not In Our Inventory"))
    pier = SiteFactory(organization=org, code="P2", name="Pier 2")
    camera = ProductModelFactory(brand=hik, category="camera")
    EquipmentFactory(site=site, product_model=camera, quantity=3)
    EquipmentFactory(site=site, product_model=camera, quantity=1)
    EquipmentFactory(site=site, product_model=camera, quantity=5, status="removed")  # retired: not counted
    both = EquipmentFactory(site=pier, product_model=camera, quantity=2)
    ComponentFactory(equipment=both, vendor=hik, kind="firmware")  # the same vendor twice: once
    switch = EquipmentFactory(site=pier, product_model=ProductModelFactory(category="network"), quantity=4)
    ComponentFactory(equipment=switch, vendor=hik, kind="soc")
    ComponentFactory(equipment=switch, vendor=hik, kind="firmware")
    ComponentFactory(equipment=switch, vendor=delisted, kind="comms_module")
    fcc = ListSourceFactory(code="fcc", name="FCC Covered List", publisher="FCC", regime="us_fcc")
    secret = ListSourceFactory(code="inhouse", name="Other agency's list", publisher="them", regime="custom",
                               organization=other_org)
    now = timezone.now()
    ListVersionFactory(source=fcc, status="active", fetched_at=now, entry_count=9,
                       activated_at=now - dt.timedelta(days=2))
    ListVersionFactory(source=fcc, status="superseded", fetched_at=now, entry_count=8,
                       activated_at=now - dt.timedelta(days=40), superseded_at=now - dt.timedelta(days=2))
    _finding(hik, fcc, days_ago=2)
    _finding(hik, fcc, days_ago=30, key="old")
    _finding(delisted, fcc, days_ago=60, closed_days_ago=1)
    _finding(unused, fcc, days_ago=1)
    _finding(hik, secret, days_ago=1, key="secret")
    return {"hik": hik, "delisted": delisted, "pier": pier, "site": site, "fcc": fcc}


def test_units_per_site_count_each_unit_once_per_vendor(org, world):
    reach = vendor_site_units(organization_ids=[org.pk],
                              vendor_ids={world["hik"].pk, world["delisted"].pk, 999999})
    assert reach == {world["hik"].pk: {world["site"].pk: 4, world["pier"].pk: 6},
                     world["delisted"].pk: {world["pier"].pk: 4}}


def test_the_page_shows_what_changed_this_week_and_where(client_for, officer, world):
    response = client_for(officer).get(reverse("web:list-changes"))
    assert response.status_code == 200
    ctx = response.context
    assert (ctx["n_opened"], ctx["n_closed"], ctx["n_sites"], ctx["n_elsewhere"]) == (1, 1, 2, 1)
    assert [r["finding"].vendor for r in ctx["opened"]] == [world["hik"]]
    assert ctx["opened"][0]["sites"] == [("Pier 2", world["pier"].pk, 6), ("Terminal 1", world["site"].pk, 4)]
    assert ctx["closed"][0]["finding"].close_reason == "entry removed from the list"
    assert len(ctx["versions"]) == 1
    html = response.content.decode()
    assert "Other agency" not in html  # another organisation's in-house list stays hidden
    assert f"?site={world['pier'].pk}&amp;vendor={world['hik'].pk}" in html

    older = client_for(officer).get(reverse("web:list-changes"), {"since": "2000-01-01"})
    assert older.context["n_opened"] == 3 and len(older.context["versions"]) == 2  # the delisted one too
    bad = client_for(officer).get(reverse("web:list-changes"), {"since": "last week"})
    assert bad.status_code == 200 and bad.context["form"].errors["since"]
    assert bad.context["n_opened"] == 1  # the default week


def test_query_count_does_not_grow_with_findings(client_for, officer, world):
    c = client_for(officer)
    fcc = world["fcc"]
    c.get(reverse("web:list-changes"))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("web:list-changes"))
    for i in range(30):
        vendor = VendorFactory()
        EquipmentFactory(site=world["pier"], product_model=ProductModelFactory(brand=vendor))
        _finding(vendor, fcc, days_ago=1, key=f"n{i}")
    with CaptureQueriesContext(connection) as many:
        response = c.get(reverse("web:list-changes"))
    assert response.context["n_opened"] == 31
    assert len(many) == len(few), [q["sql"] for q in many]
