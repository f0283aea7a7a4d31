"""Overlay periods (issue #15 item 5): an organisation's VendorOrgStatus rows open when its view of a vendor starts
to differ from the public one and close (kept) when they agree again."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.inventory.models import Equipment, ProductModel
from apps.screening.models import Finding, Match, VendorOrgStatus
from apps.screening.services import screening_run_full
from apps.vendors.models import Vendor
from tests.factories import (
    EquipmentFactory,
    ListSourceFactory,
    ProductModelFactory,
    SiteFactory,
    VendorFactory,
)
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
T0 = NOW - dt.timedelta(days=20)  # first screened: a potential match on a public list
T1 = NOW - dt.timedelta(days=10)  # the organisation starts to see the vendor differently
T2 = NOW - dt.timedelta(days=4)  # and stops


def day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


BEFORE, BETWEEN, AFTER = T1 - dt.timedelta(days=2), T1 + dt.timedelta(days=2), T2 + dt.timedelta(days=2)


def _backdate_inventory(when: dt.datetime) -> None:
    """The units, their models and the vendors were recorded before the first screening."""
    for model in (Vendor, ProductModel, Equipment):
        model.history.update(history_date=when)


@pytest.fixture
def world(sdn, no_auto_confirm, org, other_org, officer):
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor = VendorFactory(name="Zorblax Holdings Co")
    model = ProductModelFactory(brand=vendor, model_number="ZX-1")
    mine = EquipmentFactory(site=SiteFactory(organization=org, code="T1"), product_model=model)
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org, code="X1"), product_model=model)
    _backdate_inventory(T0 - dt.timedelta(days=1))
    screening_run_full(now=T0)
    match = Match.objects.get(vendor=vendor, closed_at__isnull=True)
    public = Finding.objects.get(vendor=vendor, organization__isnull=True)
    assert (public.status, public.discovered_at) == ("potential_match", T0)
    return {"vendor": vendor, "mine": mine, "theirs": theirs, "match": match, "public": public}


@pytest.fixture
def inhouse(org):
    return ListSourceFactory(code="harbor-inhouse", name="Harbor in-house blocklist", regime="custom",
                             organization=org, publisher="Harbor Authority")


def test_a_view_that_differs_again_opens_a_new_period(world, inhouse, org):
    vendor = world["vendor"]
    v1 = make_version(inhouse, [listed_entry("Zorblax Holdings Co", "H-1")])
    screening_run_full(now=T1)
    v2 = make_version(inhouse, [], previous=v1)
    screening_run_full(now=T2)
    make_version(inhouse, [listed_entry("Zorblax Holdings Co", "H-1")], previous=v2)
    screening_run_full(now=NOW)
    assert list(VendorOrgStatus.periods.filter(vendor=vendor).order_by("since").values_list("since", "until")) == [
        (T1, T2), (NOW, None)]
    assert VendorOrgStatus.objects.get(vendor=vendor).since == NOW
    screening_run_full()  # nothing changes: no new period
    assert VendorOrgStatus.periods.filter(vendor=vendor).count() == 2
