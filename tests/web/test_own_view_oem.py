"""The vendor page's OEM relations and "under any brand" (the vendor's family) answer in the reader's own view: the
OEM relations its organisation's pending proposals apply to its own view are shown (marked "proposed: your
organisation's view", with no Remove button: they have no database id), those it proposes removing are not, the
family count and the equipment list's `vendor_family` filter follow the same view, and another organisation still
sees the shared view (one tenant's proposal must not bend another's page)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.inventory.models import Equipment
from apps.vendors.choices import ProposalKind
from apps.vendors.services import oem_relation_create, ownership_create
from tests.api.conftest import token_client
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory
from tests.web.test_own_view_ownership import MARK, _page, _propose, _section

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed_maker(org, officer, other_officer):
    """`org`'s officer proposes that Kestrel Optics makes Brightline Cameras' cameras (applied to its own view);
    nothing shared links them."""
    brand, maker = VendorFactory(name="Brightline Cameras"), VendorFactory(name="Kestrel Optics")
    proposal = _propose(officer, org, ProposalKind.OEM_ADD, brand,
                        payload={"manufacturer": maker.pk, "category": "camera", "confidence": "likely",
                                 "source": "Teardown report 2026"})
    return {"brand": brand, "maker": maker, "proposal": proposal}


# --- a proposed relation: shown on both pages, marked, no Remove button, in the proposer's view only -------------

def test_a_proposed_maker_is_on_both_vendor_pages_marked_for_the_proposer_only(client_for, officer, other_officer,
                                                                                proposed_maker):
    brand, maker = proposed_maker["brand"], proposed_maker["maker"]
    html = _page(client_for, officer, "web:vendor-detail", brand.pk)
    relations = _section(html, "oem-relations")
    assert "Made by" in relations and "Kestrel Optics" in relations and MARK in relations
    assert "(Surveillance camera, likely)" in relations and "Teardown report 2026" in relations
    assert "Remove maker" not in html  # a proposed relation has no database id to remove
    assert 'id="oem-form"' in html  # the officer may still propose makers
    maker_html = _page(client_for, officer, "web:vendor-detail", maker.pk)
    made_for = _section(maker_html, "oem-relations")
    assert "Makes for" in made_for and "Brightline Cameras" in made_for and MARK in made_for
    # Another organisation sees the shared view: no relation on either page.
    other = _page(client_for, other_officer, "web:vendor-detail", brand.pk)
    assert "Kestrel Optics" not in other and MARK not in other
    assert "No OEM relation recorded." in _section(other, "oem-relations")
    other_maker = _page(client_for, other_officer, "web:vendor-detail", maker.pk)
    assert "Brightline Cameras" not in other_maker and MARK not in other_maker


# --- a proposed removal: the relation is gone from the proposer's view only --------------------------------------

@pytest.fixture
def removed_maker(org, officer):
    """A shared relation (Harbourlight Systems made by Meridian Devices) that `org`'s officer proposes removing."""
    brand, maker = VendorFactory(name="Harbourlight Systems"), VendorFactory(name="Meridian Devices")
    relation = oem_relation_create(brand=brand, manufacturer=maker, category="camera")
    _propose(officer, org, ProposalKind.OEM_REMOVE, brand, target_id=relation.pk)
    return {"brand": brand, "maker": maker, "relation": relation}


def test_a_proposed_oem_removal_hides_the_relation_in_the_proposers_view_only(client_for, officer, other_officer,
                                                                              removed_maker):
    brand, maker, relation = removed_maker["brand"], removed_maker["maker"], removed_maker["relation"]
    html = _page(client_for, officer, "web:vendor-detail", brand.pk)
    assert "Meridian Devices" not in html and "No OEM relation recorded." in _section(html, "oem-relations")
    maker_html = _page(client_for, officer, "web:vendor-detail", maker.pk)
    assert "Harbourlight Systems" not in maker_html
    # Another organisation still sees the shared relation, removable (a proposal of its own).
    other = _section(_page(client_for, other_officer, "web:vendor-detail", brand.pk), "oem-relations")
    assert "Made by" in other and "Meridian Devices" in other and MARK not in other
    assert reverse("web:vendor-oem-remove", args=[brand.pk, relation.pk]) in other
    other_maker = _page(client_for, other_officer, "web:vendor-detail", maker.pk)
    assert "Harbourlight Systems" in _section(other_maker, "oem-relations")


# --- "under any brand": the family count and the equipment list's filter in the same view ------------------------

@pytest.fixture
def family(org, officer, site, other_site):
    """Tallfern Electronics with, in `org`'s view only: a brand it is proposed to make cameras for (Lumen Home), a
    subsidiary it is proposed to own (Tallfern Labs); and in the shared view only: a subsidiary whose link `org`
    proposes removing (Tallfern Legacy) and a brand whose relation `org` proposes removing (Oldgate Vision). One unit
    of each (and of the vendor itself) in each organisation, and a Lumen Home switch (not a camera)."""
    vendor = VendorFactory(name="Tallfern Electronics")
    new_brand, new_sub = VendorFactory(name="Lumen Home"), VendorFactory(name="Tallfern Labs")
    old_sub, old_brand = VendorFactory(name="Tallfern Legacy"), VendorFactory(name="Oldgate Vision")
    link = ownership_create(owner=vendor, owned=old_sub, share_percent=Decimal("100"))
    relation = oem_relation_create(brand=old_brand, manufacturer=vendor)
    _propose(officer, org, ProposalKind.OEM_ADD, new_brand, payload={"manufacturer": vendor.pk, "category": "camera"})
    _propose(officer, org, ProposalKind.OWNERSHIP_ADD, new_sub, payload={"owner": vendor.pk, "share_percent": "100"})
    _propose(officer, org, ProposalKind.OWNERSHIP_REMOVE, old_sub, target_id=link.pk)
    _propose(officer, org, ProposalKind.OEM_REMOVE, old_brand, target_id=relation.pk)
    models = {name: ProductModelFactory(brand=brand, category="camera")
              for name, brand in (("vendor", vendor), ("new_brand", new_brand), ("new_sub", new_sub),
                                  ("old_sub", old_sub), ("old_brand", old_brand))}
    switch = ProductModelFactory(brand=new_brand, category="network")
    # Quantities by powers of two: each set of units has its own total.
    units = {(name, key): EquipmentFactory(site=where, product_model=model, quantity=2 ** i)
             for i, (name, model) in enumerate(models.items()) for key, where in (("own", site), ("other", other_site))}
    units["switch", "own"] = EquipmentFactory(site=site, product_model=switch, quantity=32)
    return {"vendor": vendor, "units": units}


def _units(family, key: str, *names: str) -> set[int]:
    return {family["units"][name, key].pk for name in names}


def _quantity(ids: set[int]) -> int:
    return Equipment.objects.filter(pk__in=ids).aggregate(n=Sum("quantity"))["n"]


def test_the_family_count_follows_the_proposers_view(client_for, officer, other_officer, family):
    vendor = family["vendor"]
    own = client_for(officer).get(reverse("web:vendor-detail", args=[vendor.pk]))
    assert own.context["n_family_units"] == _quantity(_units(family, "own", "vendor", "new_brand", "new_sub"))
    assert own.context["family_size"] == 2  # Tallfern Labs (owned) and Lumen Home (white label)
    other = client_for(other_officer).get(reverse("web:vendor-detail", args=[vendor.pk]))
    assert other.context["n_family_units"] == _quantity(_units(family, "other", "vendor", "old_sub", "old_brand"))
    assert other.context["family_size"] == 2  # Tallfern Legacy (owned) and Oldgate Vision (white label)


def test_the_equipment_list_family_filter_follows_the_proposers_view(client_for, officer, other_officer, family):
    vendor = family["vendor"]
    own = client_for(officer).get(reverse("web:equipment-list"), {"vendor_family": vendor.pk})
    assert {e.pk for e, *_ in own.context["rows"]} == _units(family, "own", "vendor", "new_brand", "new_sub")
    other = client_for(other_officer).get(reverse("web:equipment-list"), {"vendor_family": vendor.pk})
    assert {e.pk for e, *_ in other.context["rows"]} == _units(family, "other", "vendor", "old_sub", "old_brand")


def test_the_api_family_filter_follows_the_callers_view(officer, other_officer, family):
    vendor = family["vendor"]

    def shown(user) -> set[int]:
        response = token_client(user).get("/api/v1/equipment/", {"vendor_family": vendor.pk})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert shown(officer) == _units(family, "own", "vendor", "new_brand", "new_sub")
    assert shown(other_officer) == _units(family, "other", "vendor", "old_sub", "old_brand")


def test_a_member_of_two_organisations_filters_in_the_selected_ones_view(client_for, officer, org, other_org, family):
    """The web list shows the selected organisation's units in that organisation's view (its vendor pages answer in
    it too), not the shared view an API caller of several organisations gets."""
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org, user=officer, role="viewer")
    vendor, c = family["vendor"], client_for(officer)
    for organization, key, names in ((org, "own", ("vendor", "new_brand", "new_sub")),
                                     (other_org, "other", ("vendor", "old_sub", "old_brand"))):
        c.post(reverse("web:org-switch"), {"organization": organization.pk})
        listed = c.get(reverse("web:equipment-list"), {"vendor_family": vendor.pk})
        assert {e.pk for e, *_ in listed.context["rows"]} == _units(family, key, *names)
        # The vendor page's counts are those of the lists they link to: the selected organisation's units.
        page = c.get(reverse("web:vendor-detail", args=[vendor.pk]))
        assert page.context["n_family_units"] == _quantity(_units(family, key, *names))
        assert page.context["n_units"] == _quantity(_units(family, key, "vendor"))


# --- constant queries -----------------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_vendor_pages_read_the_proposed_oem_relations_in_constant_queries(client_for, org, officer,
                                                                             proposed_maker):
    """The overlay's OEM vendors are read in one in_bulk, whatever the number of proposals."""
    brand, maker = proposed_maker["brand"], proposed_maker["maker"]
    c = client_for(officer)
    brand_url, maker_url = (reverse("web:vendor-detail", args=[v.pk]) for v in (brand, maker))
    few = (_queries(c, brand_url), _queries(c, maker_url))
    for i in range(3):
        _propose(officer, org, ProposalKind.OEM_ADD, brand,
                 payload={"manufacturer": VendorFactory(name=f"Another Maker {i}").pk, "category": "camera"})
    many = (_queries(c, brand_url), _queries(c, maker_url))
    assert _section(_page(client_for, officer, "web:vendor-detail", brand.pk), "oem-relations").count(MARK) == 4
    assert many == few
