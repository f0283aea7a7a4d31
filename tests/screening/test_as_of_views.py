"""`as_of` in an organisation's view (issue #15 item 5): whether the organisation saw a vendor differently at a
past moment is read from the overlay periods in force then (VendorOrgStatus since/until), not from today's rows.
The selectors, the API (`?as_of=`) and the as-of report page give the same answer; the other organisation's
answers do not move."""
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import Equipment, ProductModel
from apps.screening.models import Finding, Match, VendorOrgStatus
from apps.screening.selectors import equipment_findings, findings_open_at
from apps.screening.services import review_decide, screening_run_full
from apps.vendors.models import Vendor
from tests.api.conftest import token_client
from tests.factories import (
    EquipmentFactory,
    ListSourceFactory,
    MembershipFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
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


def statuses(vendor, organization_id, moments) -> list[list[str]]:
    return [sorted(f.status for f in findings_open_at(m, organization_id=organization_id).filter(vendor=vendor))
            for m in moments]


def sources(vendor, organization_id, moments) -> list[list[str]]:
    return [sorted(findings_open_at(m, organization_id=organization_id).filter(vendor=vendor)
                   .values_list("source__code", flat=True)) for m in moments]


def unit_statuses(unit, moments) -> list[list[str]]:
    return [sorted(f.status for f in equipment_findings(equipment_ids=[unit.pk], as_of=m)[unit.pk]) for m in moments]


def test_an_own_dismissal_then_a_registry_wide_one_as_of_each_moment(world, org, other_org, officer,
                                                                     verified_curator):
    vendor, match = world["vendor"], world["match"]
    review_decide(match=match, decision="dismiss", reason="Another Zorblax.", user=officer, now=T1)
    row = VendorOrgStatus.objects.get(vendor=vendor, organization=org)
    assert (row.since, row.until, row.risk_status) == (T1, None, "clear")
    # Before T1 the organisation saw the public finding; after it, the vendor is clear in its view.
    assert statuses(vendor, org.pk, [BEFORE, BETWEEN, None]) == [["potential_match"], [], []]
    assert unit_statuses(world["mine"], [BEFORE, BETWEEN, None]) == [["potential_match"], [], []]

    # A curator dismisses the match registry-wide at T2: the views agree again, the period closes (kept).
    review_decide(match=match, decision="dismiss", reason="Registry: not them.", user=verified_curator,
                  registry_wide=True, now=T2)
    assert not VendorOrgStatus.objects.filter(vendor=vendor).exists()  # no current row: "now" is unchanged
    assert list(VendorOrgStatus.periods.filter(vendor=vendor).values_list("since", "until")) == [(T1, T2)]
    moments = [T0 - dt.timedelta(days=1), BEFORE, BETWEEN, AFTER, None]
    # Between T1 and T2 the organisation still saw its own view (clear), though the public finding was open.
    assert statuses(vendor, org.pk, moments) == [[], ["potential_match"], [], [], []]
    assert unit_statuses(world["mine"], moments) == [[], ["potential_match"], [], [], []]
    # The other organisation followed the public view throughout.
    assert statuses(vendor, other_org.pk, moments) == [[], ["potential_match"], ["potential_match"], [], []]
    assert unit_statuses(world["theirs"], moments) == [[], ["potential_match"], ["potential_match"], [], []]
    assert statuses(vendor, None, moments) == statuses(vendor, other_org.pk, moments)


def test_api_and_as_of_report_read_the_view_of_then(world, org, other_org, officer, verified_curator):
    vendor, match, mine, theirs = world["vendor"], world["match"], world["mine"], world["theirs"]
    review_decide(match=match, decision="dismiss", reason="Another Zorblax.", user=officer, now=T1)
    review_decide(match=match, decision="dismiss", reason="Registry: not them.", user=verified_curator,
                  registry_wide=True, now=T2)
    other_member = MembershipFactory(organization=other_org, role="auditor",
                                     user=UserFactory(username="auditor-other")).user
    auditor = MembershipFactory(organization=org, role="auditor", user=UserFactory(username="auditor-harbor")).user
    expected = {  # (findings, unit status) per moment, in each organisation's view
        org.pk: {BEFORE: (1, "potential_match"), BETWEEN: (0, "clear"), AFTER: (0, "clear")},
        other_org.pk: {BEFORE: (1, "potential_match"), BETWEEN: (1, "potential_match"), AFTER: (0, "clear")},
    }
    for user, organization, unit in ((auditor, org, mine), (other_member, other_org, theirs)):
        api = token_client(user)
        web = Client()
        user.save()
        web.force_login(user)
        for moment, (n, status) in expected[organization.pk].items():
            found = api.get("/api/v1/findings/", {"as_of": day(moment), "vendor": vendor.pk}).json()["results"]
            assert [f["id"] for f in found] == [world["public"].pk] * n, (organization.slug, moment)
            one = api.get(f"/api/v1/equipment/{unit.pk}/", {"as_of": day(moment)}).json()
            assert (one["risk_status"], len(one["findings"])) == (status, n), (organization.slug, moment)
            listed = api.get("/api/v1/equipment/", {"as_of": day(moment)}).json()["results"]
            assert [(e["id"], e["risk_status"]) for e in listed] == [(unit.pk, status)]
            report = web.get(reverse("web:as-of-report"), {"day": day(moment)}).context["report"]
            by_status = {s: n for s, n in report["equipment"]["by_status"].items() if n}
            assert by_status == {status: 1}, (organization.slug, moment)


@pytest.fixture
def inhouse(org):
    return ListSourceFactory(code="harbor-inhouse", name="Harbor in-house blocklist", regime="custom",
                             organization=org, publisher="Harbor Authority")


def test_a_private_listing_that_went_away_stays_in_the_view_of_then(world, inhouse, org, other_org):
    """The organisation's in-house list names the vendor from T1 to T2: between them its view shows its own
    findings (the in-house listing beside its copy of the public match); before and after, the public one."""
    vendor = world["vendor"]
    version = make_version(inhouse, [listed_entry("Zorblax Holdings Co", "H-1")])
    screening_run_full(now=T1)
    assert VendorOrgStatus.objects.get(vendor=vendor, organization=org).since == T1
    make_version(inhouse, [listed_entry("Someone Else Entirely", "H-2")], previous=version)
    screening_run_full(now=T2)
    assert list(VendorOrgStatus.periods.filter(vendor=vendor).values_list("since", "until")) == [(T1, T2)]
    moments = [BEFORE, BETWEEN, AFTER, None]
    mine = sources(vendor, org.pk, moments)
    # (the organisation's view copies the public potential match beside its own finding)
    assert mine == [["test_sdn"], ["harbor-inhouse", "test_sdn"], ["test_sdn"], ["test_sdn"]]
    assert [sorted(f.source_code for f in equipment_findings(equipment_ids=[world["mine"].pk], as_of=m)[
        world["mine"].pk]) for m in moments] == mine
    assert sources(vendor, other_org.pk, moments) == [["test_sdn"]] * 4
    assert unit_statuses(world["theirs"], moments) == [["potential_match"]] * 4

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


def test_a_period_never_ends_before_it_starts(world, inhouse, org):
    """A run whose clock is a little behind the one that opened the period closes it at its start."""
    vendor = world["vendor"]
    v1 = make_version(inhouse, [listed_entry("Zorblax Holdings Co", "H-1")])
    screening_run_full(now=T2)
    make_version(inhouse, [], previous=v1)
    screening_run_full(now=T2 - dt.timedelta(seconds=1))
    assert list(VendorOrgStatus.periods.filter(vendor=vendor).values_list("since", "until")) == [(T2, T2)]
    assert sources(world["vendor"], org.pk, [T2, None]) == [["test_sdn"], ["test_sdn"]]
