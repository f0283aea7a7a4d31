"""A pending proposal applied to the proposer's own view (issue #15 item 2): the proposing organisation's view
counts its proposed ownership links and OEM relations as if accepted, its units follow; the other organisations'
views and the public Vendor.risk_status do not move. Withdrawing, rejecting or no longer applying it restores the
view; acceptance makes it public (and the view's own rows go). Name, alias and identifier proposals take effect
in screening only once accepted."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment
from apps.screening.apps import on_own_view_changed
from apps.screening.models import Finding, VendorOrgStatus
from apps.screening.selectors import vendor_status_in_view
from apps.screening.services import screen_name, screening_run_full, screening_run_vendors, screening_run_view
from apps.screening.services.derive import derive_facts
from apps.vendors import proposals
from apps.vendors.choices import ProposalKind
from apps.vendors.models import Vendor
from apps.vendors.services import oem_relation_create, ownership_create
from tests.conftest import events_recorded
from tests.factories import (
    CuratorFactory,
    EquipmentFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
)
from tests.screening.conftest import bis, listed_entry, make_version  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)  # the BIS Affiliates Rule is in force again


@pytest.fixture
def world(bis):  # noqa: F811
    """An Entity List parent; a subsidiary nobody has linked to it yet, a brand it may make for; a port and an
    airport both running the subsidiary's cranes and the brand's cameras. Screened."""
    parent = VendorFactory(name="Zorblax Heavy Industries")
    sub = VendorFactory(name="Plainfield Cranes Inc")
    brand = VendorFactory(name="Brightlens Cameras")
    make_version(bis, [listed_entry("Zorblax Heavy Industries", "EL-1")])
    port, airport = OrganizationFactory(name="Port", slug="port"), OrganizationFactory(name="Airport",
                                                                                       slug="airport")
    cranes, cameras = ProductModelFactory(brand=sub, model_number="PC-1"), ProductModelFactory(
        brand=brand, model_number="BC-1")
    units = {}
    for org in (port, airport):
        site = SiteFactory(organization=org, code=f"{org.slug}-1")
        units[org.slug] = {"crane": EquipmentFactory(site=site, product_model=cranes),
                           "camera": EquipmentFactory(site=site, product_model=cameras)}
    screening_run_full(today=TODAY)
    return {"parent": parent, "sub": sub, "brand": brand, "port": port, "airport": airport, "units": units,
            "officer": MembershipFactory(organization=port, role="officer").user}


def _submit(world, kind, vendor, **kwargs):
    """The port's officer proposes; its view is re-screened as the task would (events.OwnViewChanged)."""
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposal = proposals.proposal_submit(kind=kind, vendor=vendor, actor=world["officer"],
                                             organization_id=world["port"].pk, **kwargs)
    _rescreen(seen)
    return proposal


def _rescreen(seen: list) -> None:
    for event in seen:
        screening_run_view(organization_id=event.organization_id, vendor_ids=event.vendor_ids, today=TODAY)


def _status(vendor: Vendor, org=None) -> str:
    if org is None:
        return Vendor.objects.get(pk=vendor.pk).risk_status
    return vendor_status_in_view(vendor.pk, org.pk)


def _unit(world, org_slug: str, what: str) -> str:
    return Equipment.objects.get(pk=world["units"][org_slug][what].pk).risk_status


def _curator():
    user = UserFactory(username="curator-overlay")
    CuratorFactory(user=user)
    user.is_verified = lambda: True  # a TOTP-verified session
    return user


def test_a_pending_ownership_add_flags_the_subsidiary_in_the_proposers_view_only(world):
    sub, port, airport = world["sub"], world["port"], world["airport"]
    assert (_status(sub), _status(sub, port)) == ("clear", "clear")
    proposal = _submit(world, ProposalKind.OWNERSHIP_ADD, sub,
                       payload={"owner": world["parent"].pk, "share_percent": "60"})
    assert proposal.applies_to_own_view
    assert _status(sub, port) == "restricted"
    assert _status(sub, airport) == "clear" and _status(sub) == "clear"
    (finding,) = Finding.objects.filter(vendor=sub, closed_at__isnull=True)
    assert finding.organization_id == port.pk and finding.kind == "ownership"
    assert "Zorblax Heavy Industries" in finding.path_text
    assert (_unit(world, "port", "crane"), _unit(world, "airport", "crane")) == ("restricted", "clear")

    # A full run keeps it (the overlay makes the port a view organisation), and changes nothing else.
    screening_run_full(today=TODAY)
    assert (_status(sub, port), _status(sub, airport), _status(sub)) == ("restricted", "clear", "clear")
    assert _unit(world, "port", "crane") == "restricted"

    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_withdraw(proposal=proposal, actor=world["officer"], reason="Wrong parent")
    assert [e.organization_id for e in seen] == [port.pk]
    _rescreen(seen)
    assert _status(sub, port) == "clear"
    assert not VendorOrgStatus.objects.exists()
    assert not Finding.objects.filter(vendor=sub, closed_at__isnull=True).exists()
    assert _unit(world, "port", "crane") == "clear"


def test_a_pending_ownership_remove_clears_a_derived_finding_in_the_proposers_view_only(world):
    sub, port, airport = world["sub"], world["port"], world["airport"]
    link = ownership_create(owner=world["parent"], owned=sub, share_percent=Decimal("60"))
    screening_run_full(today=TODAY)
    assert _status(sub) == "restricted" and _unit(world, "port", "crane") == "restricted"
    proposal = _submit(world, ProposalKind.OWNERSHIP_REMOVE, sub, target_id=link.pk)
    assert _status(sub, port) == "clear"
    assert _status(sub, airport) == "restricted" and _status(sub) == "restricted"
    assert (_unit(world, "port", "crane"), _unit(world, "airport", "crane")) == ("clear", "restricted")

    # No longer applied to its view: the port sees the shared facts again.
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_apply_to_own_view(proposal=proposal, actor=world["officer"], apply=False)
    _rescreen(seen)
    assert _status(sub, port) == "restricted" and _unit(world, "port", "crane") == "restricted"
    assert not VendorOrgStatus.objects.exists()

    # Applied again, then rejected by a curator: restored once more.
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_apply_to_own_view(proposal=proposal, actor=world["officer"], apply=True)
    _rescreen(seen)
    assert _status(sub, port) == "clear"
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_reject(proposal=proposal, actor=_curator(), reason="The filing says otherwise.")
    _rescreen(seen)
    assert _status(sub, port) == "restricted" and _unit(world, "port", "crane") == "restricted"
    assert not VendorOrgStatus.objects.exists()


def test_a_pending_ownership_change_below_the_threshold_clears_it_in_the_proposers_view(world):
    sub, port = world["sub"], world["port"]
    link = ownership_create(owner=world["parent"], owned=sub, share_percent=Decimal("60"))
    screening_run_full(today=TODAY)
    _submit(world, ProposalKind.OWNERSHIP_CHANGE, sub, target_id=link.pk, payload={"share_percent": "20"})
    assert _status(sub, port) == "clear" and _status(sub) == "restricted"
    _submit(world, ProposalKind.OWNERSHIP_CHANGE, sub, target_id=link.pk, payload={"share_percent": "80"})
    assert _status(sub, port) == "restricted"


def test_a_pending_oem_add_flags_the_brand_in_the_proposers_view_only(world):
    brand, port, airport = world["brand"], world["port"], world["airport"]
    proposal = _submit(world, ProposalKind.OEM_ADD, brand, payload={"manufacturer": world["parent"].pk})
    assert _status(brand, port) == "restricted"
    assert (_status(brand, airport), _status(brand)) == ("clear", "clear")
    assert (_unit(world, "port", "camera"), _unit(world, "airport", "camera")) == ("restricted", "clear")
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_withdraw(proposal=proposal, actor=world["officer"])
    _rescreen(seen)
    assert _status(brand, port) == "clear" and _unit(world, "port", "camera") == "clear"


def test_a_pending_oem_remove_clears_the_brand_in_the_proposers_view_only(world):
    brand, port = world["brand"], world["port"]
    relation = oem_relation_create(brand=brand, manufacturer=world["parent"])
    screening_run_full(today=TODAY)
    assert _status(brand) == "restricted"
    _submit(world, ProposalKind.OEM_REMOVE, brand, target_id=relation.pk)
    assert (_status(brand, port), _status(brand, world["airport"]), _status(brand)) == (
        "clear", "restricted", "restricted")
    assert (_unit(world, "port", "camera"), _unit(world, "airport", "camera")) == ("clear", "restricted")


def test_acceptance_makes_it_public_and_the_views_own_rows_go(world):
    sub, port, airport = world["sub"], world["port"], world["airport"]
    proposal = _submit(world, ProposalKind.OWNERSHIP_ADD, sub,
                       payload={"owner": world["parent"].pk, "share_percent": "60"})
    assert VendorOrgStatus.objects.filter(organization=port, vendor=sub).exists()
    with (events_recorded(events.VendorsChanged, phase=events.IN_TRANSACTION) as changed,
          events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as own):
        proposals.proposal_accept(proposal=proposal, actor=_curator(), reason="Filing checked")
    assert own == []  # the public re-screen settles every view
    for event in changed:  # as the screen_vendors task does
        screening_run_vendors(vendor_ids=event.vendor_ids, today=TODAY)
    assert (_status(sub), _status(sub, port), _status(sub, airport)) == ("restricted",) * 3
    assert not VendorOrgStatus.objects.exists()
    assert list(Finding.objects.filter(vendor=sub, closed_at__isnull=True).values_list("organization", flat=True)
                ) == [None]
    assert (_unit(world, "port", "crane"), _unit(world, "airport", "crane")) == ("restricted", "restricted")


def test_name_alias_and_identifier_proposals_take_effect_in_screening_only_once_accepted(world):
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposal = proposals.proposal_submit(kind=ProposalKind.ALIAS_ADD, vendor=world["sub"],
                                             actor=world["officer"], organization_id=world["port"].pk,
                                             payload={"name": "Zorblax Heavy Industries", "kind": "trade_name"})
    assert seen == [] and not proposal.applies_to_own_view and not proposal.may_apply_to_own_view
    with pytest.raises(ApplicationError, match="only once a curator accepts"):
        proposals.proposal_apply_to_own_view(proposal=proposal, actor=world["officer"], apply=True)


def test_the_overlay_costs_the_same_queries_whatever_the_number_of_proposals(world):
    sub, port = world["sub"], world["port"]
    others = [VendorFactory(name=f"Other Sub {i}") for i in range(3)]
    _submit(world, ProposalKind.OWNERSHIP_ADD, sub, payload={"owner": world["parent"].pk, "share_percent": "60"})
    targets = {sub.pk, *(o.pk for o in others)}
    with CaptureQueriesContext(connection) as one:
        derive_facts(targets=targets, day=TODAY, organization_id=port.pk)
    for other in others:
        _submit(world, ProposalKind.OWNERSHIP_ADD, other, payload={"owner": world["parent"].pk,
                                                                   "share_percent": "51"})
    with CaptureQueriesContext(connection) as four:
        wanted = derive_facts(targets=targets, day=TODAY, organization_id=port.pk)
    assert len(four) == len(one)
    assert all(wanted[o.pk] for o in others)


def test_an_own_view_change_is_screened_in_a_task(monkeypatch):
    sent = []
    monkeypatch.setattr("apps.screening.apps.enqueue_on_commit", lambda name, *args: sent.append((name, args)))
    assert on_own_view_changed in events.subscribers(events.OwnViewChanged)
    on_own_view_changed(events.OwnViewChanged(organization_id=7, vendor_ids=frozenset({3, 1})))
    assert sent == [("apps.screening.tasks.screen_organization_view", (7, [1, 3]))]


# -- the pre-purchase check answers in the asking organisation's view -------------------------------------------


def test_the_check_shows_the_ownership_path_the_proposer_applies_to_its_own_view(world):
    sub, parent, port, airport = world["sub"], world["parent"], world["port"], world["airport"]
    _submit(world, ProposalKind.OWNERSHIP_ADD, sub, payload={"owner": parent.pk, "share_percent": "60"})

    mine = screen_name(name="Plainfield Cranes Inc", organization=port, today=TODAY)
    (vendor,) = mine["registry"]
    assert vendor["vendor_id"] == sub.pk and vendor["status"] == "restricted"
    assert mine["verdict"] == "restricted"
    assert "Zorblax Heavy Industries" in vendor["findings"][0]["path_text"]
    (path,) = vendor["ownership_paths"]  # the overlay link, with the listed owner's findings in this view
    (step,) = path["steps"]
    assert (step["owner_id"], step["owner_name"], Decimal(step["share_percent"])) == (parent.pk, parent.name, 60)
    assert "Zorblax Heavy Industries" in path["path_text"] and step["owner_status"] == "restricted"
    assert step["owner_findings"] and step["owner_findings"][0]["kind"] == "direct"

    # Another organisation and the public view: the shared facts only (no leak of the port's overlay).
    for organization in (airport, None):
        theirs = screen_name(name="Plainfield Cranes Inc", organization=organization, today=TODAY)
        (vendor,) = theirs["registry"]
        assert vendor["status"] == "clear" and vendor["findings"] == [] and vendor["ownership_paths"] == []
        assert theirs["verdict"] == "clear"


def test_the_check_shows_the_oem_maker_the_proposer_applies_to_its_own_view_and_not_the_one_it_removes(world):
    brand, parent, port, airport = world["brand"], world["parent"], world["port"], world["airport"]
    _submit(world, ProposalKind.OEM_ADD, brand, payload={"manufacturer": parent.pk, "category": "camera"})
    mine = screen_name(name="Brightlens Cameras", organization=port, today=TODAY)
    (vendor,) = mine["registry"]
    assert mine["verdict"] == "restricted" and vendor["status"] == "restricted"
    (maker,) = vendor["oem_manufacturers"]
    assert (maker["manufacturer_id"], maker["manufacturer_name"], maker["category"], maker["status"]) == (
        parent.pk, parent.name, "camera", "restricted")
    theirs = screen_name(name="Brightlens Cameras", organization=airport, today=TODAY)
    assert theirs["verdict"] == "clear" and theirs["registry"][0]["oem_manufacturers"] == []

    # A shared relation the port proposes to remove is gone from its check only.
    sub = world["sub"]
    relation = oem_relation_create(brand=sub, manufacturer=parent)
    screening_run_full(today=TODAY)
    _submit(world, ProposalKind.OEM_REMOVE, sub, target_id=relation.pk)
    mine = screen_name(name="Plainfield Cranes Inc", organization=port, today=TODAY)
    assert mine["verdict"] == "clear" and mine["registry"][0]["oem_manufacturers"] == []
    theirs = screen_name(name="Plainfield Cranes Inc", organization=airport, today=TODAY)
    assert theirs["verdict"] == "restricted"
    assert [m["manufacturer_id"] for m in theirs["registry"][0]["oem_manufacturers"]] == [parent.pk]
