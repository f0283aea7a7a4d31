import datetime as dt
from decimal import Decimal

import pytest

from apps.vendors.selectors import vendor_descendant_ids, vendor_ownership_chain
from apps.vendors.services import oem_relation_create, ownership_create
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def test_chain_multiplies_shares_along_a_path_of_three():
    top, mid, low, unit = (VendorFactory(name=n) for n in ("Top", "Mid", "Low", "Unit"))
    ownership_create(owner=top, owned=mid, share_percent=Decimal("80"))
    ownership_create(owner=mid, owned=low, share_percent=Decimal("50"))
    ownership_create(owner=low, owned=unit, share_percent=Decimal("60"))
    chain = vendor_ownership_chain(unit)
    assert len(chain.paths) == 1
    path = chain.paths[0]
    assert [s.owner_name for s in path.steps] == ["Low", "Mid", "Top"]
    assert path.path_share_percent == Decimal("24.000")
    assert [p.name for p in chain.ultimate_parents] == ["Top"]


def test_chain_aggregates_paths_to_the_same_ultimate_parent():
    parent, a, b, target = (VendorFactory() for _ in range(4))
    ownership_create(owner=parent, owned=a, share_percent=Decimal("100"))
    ownership_create(owner=parent, owned=b, share_percent=Decimal("50"))
    ownership_create(owner=a, owned=target, share_percent=Decimal("25"))
    ownership_create(owner=b, owned=target, share_percent=Decimal("40"))
    ownership_create(owner=parent, owned=target, share_percent=Decimal("10"))
    chain = vendor_ownership_chain(target)
    assert len(chain.paths) == 3
    (up,) = chain.ultimate_parents
    assert up.vendor_id == parent.pk
    assert up.path_share_percent == Decimal("55.000")  # 25 + 20 + 10


def test_chain_keeps_unknown_shares_unknown():
    cccg = VendorFactory(name="China Communications Construction Group")
    cccc = VendorFactory(name="China Communications Construction Company")
    zpmc = VendorFactory(name="Shanghai Zhenhua Heavy Industries")
    ownership_create(owner=cccg, owned=cccc, share_percent=Decimal("58"))
    ownership_create(owner=cccc, owned=zpmc, share_percent=None, kind="control")
    chain = vendor_ownership_chain(zpmc)
    (path,) = chain.paths
    assert path.has_unknown_share and path.path_share_percent is None
    assert chain.ultimate_parents[0].path_share_percent is None
    assert chain.ancestor_ids == {cccg.pk, cccc.pk}


def test_chain_respects_dates():
    owner, owned = VendorFactory(), VendorFactory()
    ownership_create(owner=owner, owned=owned, share_percent=Decimal("60"), start_date=dt.date(2020, 1, 1),
                     end_date=dt.date(2022, 12, 31))
    assert vendor_ownership_chain(owned, as_of=dt.date(2021, 6, 1)).paths
    assert not vendor_ownership_chain(owned, as_of=dt.date(2023, 6, 1)).paths
    assert not vendor_ownership_chain(owned, as_of=dt.date(2019, 6, 1)).paths


def test_vendor_without_owners_has_empty_chain():
    chain = vendor_ownership_chain(VendorFactory())
    assert chain.paths == [] and chain.ultimate_parents == []


def test_descendants_follow_ownership_and_oem_brands():
    maker, sub, brand, unrelated = (VendorFactory() for _ in range(4))
    ownership_create(owner=maker, owned=sub, share_percent=Decimal("51"))
    oem_relation_create(brand=brand, manufacturer=sub)
    assert vendor_descendant_ids({maker.pk}) == {sub.pk, brand.pk}
    assert unrelated.pk not in vendor_descendant_ids({maker.pk})


def test_vendors_by_normalised_name_same_form_close_forms_and_two_queries(django_assert_num_queries):
    from apps.vendors.selectors import vendors_by_normalised_name
    from tests.factories.vendors import VendorAliasFactory

    zpmc = VendorFactory(name="ZPMC North America Inc")
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co Ltd")
    zte = VendorFactory(name="ZTE Kangxun Telecom")
    VendorAliasFactory(vendor=zte, name="ZTE Corporation")
    names = {"ZPMC North America, Inc.", "Hikvision Digital Technology Co., Ltd", "ZTE Corp", "Ab", "CORP"}
    with django_assert_num_queries(2):
        found = vendors_by_normalised_name(names)
    assert found["ZPMC North America, Inc."].vendor_id == zpmc.pk
    assert found["ZTE Corp"].vendor_id == zte.pk  # by alias, legal forms set aside
    hikvision = found["Hikvision Digital Technology Co., Ltd"]
    assert hikvision.vendor_id is None and hikvision.close == {hik.pk}
    assert "Ab" not in found and "CORP" not in found  # too short to search on / only a legal form
    assert vendors_by_normalised_name({"CORP"}) == {}


# --- an organisation's own view (apps.vendors.overlay): its proposed links in, those it removes out -----------

def _overlay(**changes):
    from apps.vendors.overlay import Overlay

    return Overlay(organization_id=0, proposal_ids=[1], **changes)


@pytest.fixture
def own_view():
    """Holder owns Target (40%, shared) and Other (10%, shared); an overlay adds Newco -> Target (30%, since 2030:
    not in force yet) and Newco -> Target2 (55%), changes Holder -> Other to 45% and removes Holder -> Target."""
    holder, target, other, newco, target2 = (VendorFactory(name=n) for n in (
        "Holder", "Target", "Other", "Newco", "Target Two"))
    removed = ownership_create(owner=holder, owned=target, share_percent=Decimal("40"))
    changed = ownership_create(owner=holder, owned=other, share_percent=Decimal("10"))
    overlay = _overlay(
        ownership_added=[{"owner": newco.pk, "owned": target.pk, "share_percent": "30", "start_date": "2030-01-01",
                          "proposal": 1},
                         {"owner": newco.pk, "owned": target2.pk, "share_percent": "55", "proposal": 2}],
        ownership_removed={removed.pk}, ownership_changed={changed.pk: {"share_percent": "45"}})
    return {"holder": holder, "target": target, "other": other, "newco": newco, "target2": target2,
            "removed": removed, "changed": changed, "overlay": overlay}


def test_the_chain_in_an_own_view_marks_the_proposed_steps(own_view):
    from apps.vendors.selectors import vendor_ownership_chain

    overlay = own_view["overlay"]
    (step,) = vendor_ownership_chain(own_view["target2"], overlay=overlay).paths[0].steps
    assert (step.ownership_id, step.owner_name, step.share_percent, step.proposed) == (
        None, "Newco", Decimal("55"), True)
    assert vendor_ownership_chain(own_view["target"], overlay=overlay).paths == []  # removed; the add not in force
    (changed,) = vendor_ownership_chain(own_view["other"], overlay=overlay).paths[0].steps
    assert (changed.ownership_id, changed.share_percent, changed.proposed) == (
        own_view["changed"].pk, Decimal("45"), True)
    (shared,) = vendor_ownership_chain(own_view["target"]).paths[0].steps  # the shared view
    assert (shared.ownership_id, shared.proposed) == (own_view["removed"].pk, False)


def test_owns_directly_in_an_own_view(own_view):
    from apps.vendors.selectors import ownership_links_below

    overlay = own_view["overlay"]
    below = ownership_links_below(own_view["holder"].pk, overlay=overlay)
    assert [(link.owned.name, link.share_percent, link.proposed) for link in below] == [
        ("Other", Decimal("45"), True)]
    assert sorted((link.owned.name, link.proposed) for link in ownership_links_below(own_view["holder"].pk)) == [
        ("Other", False), ("Target", False)]
    newco = ownership_links_below(own_view["newco"].pk, overlay=overlay)
    assert [(link.pk, link.owned.name, link.proposed) for link in newco] == [(None, "Target Two", True)]


def test_recorded_owners_in_an_own_view_whatever_their_dates(own_view, django_assert_max_num_queries):
    from apps.vendors.selectors import owner_links_recorded

    overlay = own_view["overlay"]
    owners = owner_links_recorded(own_view["target"].pk, overlay=overlay)
    assert [(link.owner.name, link.start_date, link.proposed) for link in owners] == [
        ("Newco", dt.date(2030, 1, 1), True)]
    assert [link.owner.name for link in owner_links_recorded(own_view["target"].pk)] == ["Holder"]
    with django_assert_max_num_queries(1):  # the overlay's links are read once per overlay
        again = owner_links_recorded(own_view["other"].pk, overlay=overlay)
    assert [(link.pk, link.share_percent, link.proposed) for link in again] == [
        (own_view["changed"].pk, Decimal("45"), True)]
