"""The pages and the API that explain a verdict answer in the reader's own view: the ownership links its
organisation's pending proposals apply to its own view are shown (marked "proposed: your organisation's view",
with no Remove button: they have no database id), the links it proposes removing are not, and another
organisation still sees the shared view (one tenant's proposal must not bend another's page)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.common import events
from apps.screening.services import screening_run_view
from apps.vendors import proposals
from apps.vendors.choices import ProposalKind
from apps.vendors.services import ownership_create
from tests.api.conftest import token_client
from tests.conftest import events_recorded
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory
from tests.screening.conftest import bis, own_view_owner  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db

MARK = "proposed: your organisation's view"


def _propose(officer, org, kind: str, vendor, **kwargs):
    """`officer` proposes for `org` (applied to its own view, the default); its view is re-screened as the task
    would (events.OwnViewChanged)."""
    from django.utils import timezone

    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposal = proposals.proposal_submit(kind=kind, vendor=vendor, actor=officer, organization_id=org.pk,
                                             **kwargs)
    assert proposal.applies_to_own_view
    for event in seen:
        screening_run_view(organization_id=event.organization_id, vendor_ids=event.vendor_ids,
                           today=timezone.localdate())
    return proposal


def _page(client_for, user, name: str, pk: int) -> str:
    response = client_for(user).get(reverse(name, args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, element_id: str) -> str:
    """The element with `element_id` (a list), up to its closing tag."""
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</ul>", start)]


@pytest.fixture
def proposed(own_view_owner):  # noqa: F811  (the fixture imported above)
    """`org`'s officer proposes an Entity List parent as owner of a subsidiary (60%), applied to its own view;
    `other_org` has not (tests/screening/conftest.py own_view_owner)."""
    return own_view_owner


@pytest.fixture
def units(proposed, site, other_site):
    """A unit of the proposed subsidiary in each organisation."""
    model = ProductModelFactory(brand=proposed["sub"], model_number="PC-9")
    return {"own": EquipmentFactory(site=site, product_model=model, asset_tag="OWN-1"),
            "other": EquipmentFactory(site=other_site, product_model=model, asset_tag="OTHER-1")}


# --- a proposed link: shown, marked, no Remove button, in the proposer's view only -------------------------------

def test_a_proposed_owner_is_on_the_unit_page_marked_in_the_proposers_view_only(client_for, proposed, units):
    own = _page(client_for, proposed["officer"], "web:equipment-detail", units["own"].pk)
    assert "owned by Zorblax Heavy Industries (60%)" in own and MARK in own
    other = _page(client_for, proposed["other_officer"], "web:equipment-detail", units["other"].pk)
    assert "Zorblax Heavy Industries" not in other and MARK not in other



def _vendor_badge(html: str, vendor_name: str) -> str:
    """The status class of the badge beside a vendor's link in the unit page's "Vendors" list."""
    found = re.search(rf'>{re.escape(vendor_name)}</a>\s*<span class="badge ([a-z_]+)">', html)
    assert found, f"no badge beside {vendor_name}"
    return found.group(1)


def test_the_unit_pages_vendor_badge_is_the_status_in_its_organisations_view(client_for, org, proposed, units):
    from apps.screening.models import VendorOrgStatus

    sub = proposed["sub"]
    own_status = VendorOrgStatus.objects.get(organization=org, vendor=sub).risk_status
    sub.refresh_from_db()
    assert own_status != "clear" and sub.risk_status == "clear"  # the views differ: the page must say which
    own = _page(client_for, proposed["officer"], "web:equipment-detail", units["own"].pk)
    assert _vendor_badge(own, sub.name) == own_status
    other = _page(client_for, proposed["other_officer"], "web:equipment-detail", units["other"].pk)
    assert _vendor_badge(other, sub.name) == "clear"

def test_a_proposed_owner_is_on_the_vendor_page_marked_without_a_remove_button(client_for, proposed):
    sub, parent = proposed["sub"], proposed["parent"]
    html = _page(client_for, proposed["officer"], "web:vendor-detail", sub.pk)
    owners = _section(html, "owner-links")
    assert "Zorblax Heavy Industries" in owners and MARK in owners
    assert "Remove the link to owner" not in html  # a proposed link has no database id to remove
    assert 'id="ownership-form"' in html  # the officer may still propose owners
    assert "Plainfield Cranes Inc ← Zorblax Heavy Industries (60%)" in html  # the ultimate parent's path
    assert "60%, proposed" in html  # the graph's edge
    # The parent's page: what it owns directly, in the same view.
    parent_html = _page(client_for, proposed["officer"], "web:vendor-detail", parent.pk)
    below = _section(parent_html, "owns-directly")
    assert "Plainfield Cranes Inc" in below and MARK in below


def test_another_organisation_sees_the_shared_view_on_the_vendor_pages(client_for, proposed):
    sub, parent = proposed["sub"], proposed["parent"]
    html = _page(client_for, proposed["other_officer"], "web:vendor-detail", sub.pk)
    assert "Zorblax Heavy Industries" not in html and MARK not in html
    assert 'id="owner-links"' not in html and 'id="regime-tests"' not in html
    assert "No ownership links recorded." in html
    parent_html = _page(client_for, proposed["other_officer"], "web:vendor-detail", parent.pk)
    assert 'id="owns-directly"' not in parent_html and MARK not in parent_html


def test_the_regime_test_on_the_vendor_page_follows_the_own_view(client_for, proposed):
    """The Entity List parent holds 60% in the proposer's view: the BIS Affiliates Rule catches the subsidiary
    there, as its screening did; the stake is marked as proposed."""
    sub = proposed["sub"]
    html = _page(client_for, proposed["officer"], "web:vendor-detail", sub.pk)
    tests = _section(html, "regime-tests")
    assert "BIS Entity List" in tests and '<span class="badge prohibited">caught</span>' in tests
    assert f"Zorblax Heavy Industries (60%) <span class=\"badge neutral proposed\">{MARK}</span>: counted" in tests
    other = _page(client_for, proposed["other_officer"], "web:vendor-detail", sub.pk)
    assert 'id="regime-tests"' not in other


# --- a proposed removal: the link is gone from the proposer's view only ------------------------------------------

@pytest.fixture
def removed(org, other_org, officer, other_officer, site, other_site):
    """A shared link Holder -> Subsidiary (40%) that `org`'s officer proposes removing, with a unit of the
    subsidiary in each organisation."""
    holder, sub = VendorFactory(name="Northwind Holding"), VendorFactory(name="Southwind Parts")
    link = ownership_create(owner=holder, owned=sub, share_percent=Decimal("40"))
    _propose(officer, org, ProposalKind.OWNERSHIP_REMOVE, sub, target_id=link.pk)
    model = ProductModelFactory(brand=sub, model_number="SW-1")
    return {"holder": holder, "sub": sub, "link": link,
            "own": EquipmentFactory(site=site, product_model=model, asset_tag="OWN-2"),
            "other": EquipmentFactory(site=other_site, product_model=model, asset_tag="OTHER-2")}


def test_a_proposed_removal_hides_the_link_in_the_proposers_view(client_for, officer, removed):
    own_unit = _page(client_for, officer, "web:equipment-detail", removed["own"].pk)
    assert "Northwind Holding" not in own_unit
    own_sub = _page(client_for, officer, "web:vendor-detail", removed["sub"].pk)
    assert "Northwind Holding" not in own_sub and 'id="owner-links"' not in own_sub
    own_holder = _page(client_for, officer, "web:vendor-detail", removed["holder"].pk)
    assert 'id="owns-directly"' not in own_holder and "No ownership links recorded." in own_holder


def test_a_proposed_removal_leaves_another_organisations_view_alone(client_for, other_officer, removed):
    other_unit = _page(client_for, other_officer, "web:equipment-detail", removed["other"].pk)
    assert "owned by Northwind Holding (40%)" in other_unit and MARK not in other_unit
    other_sub = _page(client_for, other_officer, "web:vendor-detail", removed["sub"].pk)
    owners = _section(other_sub, "owner-links")
    assert "Northwind Holding" in owners and MARK not in owners
    assert reverse("web:vendor-ownership-remove", args=[removed["sub"].pk, removed["link"].pk]) in other_sub
    other_holder = _page(client_for, other_officer, "web:vendor-detail", removed["holder"].pk)
    assert "Southwind Parts" in _section(other_holder, "owns-directly")


def test_a_proposed_change_shows_the_changed_share_marked_and_keeps_the_link_removable(
        client_for, org, officer, other_officer):
    holder, sub = VendorFactory(name="Eastwind Holding"), VendorFactory(name="Eastwind Parts")
    link = ownership_create(owner=holder, owned=sub, share_percent=Decimal("40"))
    _propose(officer, org, ProposalKind.OWNERSHIP_CHANGE, sub, target_id=link.pk, payload={"share_percent": "45"})
    owners = _section(_page(client_for, officer, "web:vendor-detail", sub.pk), "owner-links")
    assert "45%" in owners and "40%" not in owners and MARK in owners
    # It is the recorded link with other values: its removal can still be proposed.
    assert reverse("web:vendor-ownership-remove", args=[sub.pk, link.pk]) in owners
    other = _section(_page(client_for, other_officer, "web:vendor-detail", sub.pk), "owner-links")
    assert "40%" in other and "45%" not in other and MARK not in other


# --- the API answers in the caller's view ---------------------------------------------------------------------

def test_the_ownership_endpoint_marks_the_proposers_links_and_shows_others_the_shared_view(proposed):
    sub, parent = proposed["sub"], proposed["parent"]
    url = f"/api/v1/vendors/{sub.pk}/ownership/"
    own = token_client(proposed["officer"]).get(url)
    assert own.status_code == 200
    body = own.json()
    (path,) = body["paths"]
    assert path["steps"] == [{"ownership_id": None, "owner_id": parent.pk, "owner_name": "Zorblax Heavy Industries",
                              "kind": "shareholding", "share_percent": "60.000", "proposed": True}]
    (test,) = body["regime_tests"]
    assert test["verdict"] == "caught" and [s["proposed"] for s in test["stakes"]] == [True]
    other = token_client(proposed["other_officer"]).get(url).json()
    assert other["paths"] == [] and other["regime_tests"] == [] and other["ultimate_parents"] == []


def test_the_ownership_endpoint_drops_a_link_its_caller_proposes_removing(officer, other_officer, removed):
    url = f"/api/v1/vendors/{removed['sub'].pk}/ownership/"
    assert token_client(officer).get(url).json()["paths"] == []
    (path,) = token_client(other_officer).get(url).json()["paths"]
    assert [(s["ownership_id"], s["proposed"]) for s in path["steps"]] == [(removed["link"].pk, False)]


# --- constant queries -----------------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_pages_read_the_overlay_once_whatever_the_number_of_proposals(client_for, org, proposed, units):
    """Each page reads the organisation's overlay in one query and, when it holds ownership proposals, their
    links (the changed links' values, the vendors) at most once: more proposals cost no more queries."""
    officer, sub = proposed["officer"], proposed["sub"]
    c = client_for(officer)
    unit_url = reverse("web:equipment-detail", args=[units["own"].pk])
    vendor_url = reverse("web:vendor-detail", args=[sub.pk])
    api_url = f"/api/v1/vendors/{sub.pk}/ownership/"
    api = token_client(officer)
    few = (_queries(c, unit_url), _queries(c, vendor_url), _queries(api, api_url))
    for i in range(3):
        _propose(officer, org, ProposalKind.OWNERSHIP_ADD, sub,
                 payload={"owner": VendorFactory(name=f"More Holding {i}").pk, "share_percent": "5"})
    many = (_queries(c, unit_url), _queries(c, vendor_url), _queries(api, api_url))
    assert _page(client_for, officer, "web:vendor-detail", sub.pk).count(MARK) >= 4
    assert many == few
