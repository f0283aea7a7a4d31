import pytest

from apps.accounts.models import Membership, Organization, User
from apps.demo.services import demo_load
from apps.inventory.models import Equipment, Site
from apps.vendors.models import Ownership, Vendor
from apps.vendors.selectors import vendor_ownership_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    return demo_load()


def test_demo_loads_a_realistic_registry(demo):
    assert demo["organizations"] == 3
    assert Site.objects.filter(kind="seaport").count() >= 3
    zpmc = Vendor.objects.get(aliases__name="ZPMC")
    chain = vendor_ownership_chain(zpmc)
    names = [s.owner_name for s in chain.paths[0].steps]
    assert names == ["China Communications Construction Company Limited",
                     "China Communications Construction Group (Limited)"]
    assert chain.paths[0].path_share_percent is None  # shares not published: unknown, not zero
    cranes = Equipment.objects.filter(product_model__brand=zpmc, category="sts_crane", connectivity="vendor_remote")
    assert cranes.exists()
    assert Equipment.objects.filter(product_model__manufacturer__aliases__name="Hikvision").exists()  # white label
    assert User.objects.get(username="officer").check_password("demo-password-for-tests")
    assert all(o.is_demo for o in Organization.objects.all())


def test_demo_loaded_twice_creates_no_duplicates(demo):
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count(), Site.objects.count(),
              Vendor.objects.count(), Ownership.objects.count(), Equipment.objects.count())
    again = demo_load()
    assert set(again.values()) == {0}
    assert counts == (Organization.objects.count(), User.objects.count(), Membership.objects.count(),
                      Site.objects.count(), Vendor.objects.count(), Ownership.objects.count(),
                      Equipment.objects.count())


def test_the_demo_has_a_curator_with_an_authenticator(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts.models import Curator, User
    from apps.accounts.policies import is_curator
    from apps.demo.services import demo_load

    demo_load()
    user = User.objects.get(username="curator")
    assert is_curator(user) and Curator.objects.count() == 1
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert not user.is_staff and set(user.memberships.values_list("role", flat=True)) == {"viewer"}


def test_the_demo_has_a_pending_proposal_applied_to_its_organisations_view_only(demo):
    from apps.vendors.models import ChangeProposal
    from apps.vendors.overlay import organization_overlay

    proposal = ChangeProposal.objects.get()
    assert (proposal.status, proposal.kind, proposal.proposed_by.username) == ("pending", "ownership_add", "officer")
    assert proposal.vendor.name == "ZPMC North America, Inc." and proposal.applies_to_own_view
    assert [row["owned"] for row in organization_overlay(proposal.organization_id).ownership_added] == [
        proposal.vendor_id]
    others = Organization.objects.exclude(pk=proposal.organization_id)
    assert all(organization_overlay(o.pk).empty for o in others)
    demo_load()
    assert ChangeProposal.objects.count() == 1  # loaded again: not proposed twice
