"""An accepted change proposal, end to end with the real screening: before acceptance nothing anybody sees
changes; once a curator accepts, the vendors are re-screened and every organisation whose units' status moved
(and only those) gets a notice with its units by status before and after."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.inventory.models import Equipment
from apps.remediation.models import FactChangeNotice, Notification
from apps.remediation.services import fact_change_notices_compute
from apps.screening.services import screening_run_full
from apps.vendors import proposals
from apps.vendors.choices import ProposalKind
from apps.vendors.models import Ownership
from apps.vendors.services import ownership_create
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
from tests.screening.conftest import listed_entry, make_version, sdn  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _units(org) -> dict[str, int]:
    rows = Equipment.objects.filter(site__organization=org).values_list("risk_status", "quantity")
    out: dict[str, int] = {}
    for status, quantity in rows:
        out[status] = out.get(status, 0) + quantity
    return out


def test_accepting_a_removed_owner_notifies_the_organisations_whose_units_changed(sdn):  # noqa: F811
    blocked, target = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Plainfield Widgets")
    link = ownership_create(owner=blocked, owned=target, share_percent=Decimal("60"))
    port, airport, unrelated = (OrganizationFactory(name=n, slug=n.lower()) for n in ("Port", "Airport", "Agency"))
    cranes = ProductModelFactory(brand=target, model_number="PW-1")
    EquipmentFactory(site=SiteFactory(organization=port), product_model=cranes, quantity=3)
    EquipmentFactory(site=SiteFactory(organization=airport), product_model=cranes, quantity=1)
    EquipmentFactory(site=SiteFactory(organization=unrelated), product_model=ProductModelFactory(model_number="X"))
    port_officer = MembershipFactory(organization=port, role="officer").user
    proposer = MembershipFactory(organization=unrelated, role="officer").user
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full()
    assert _units(port) == {"prohibited": 3} and _units(airport) == {"prohibited": 1}

    proposal = proposals.shared_fact_write(kind=ProposalKind.OWNERSHIP_REMOVE, vendor=target, actor=proposer,
                                           target_id=link.pk, source_url="https://example.org/divestment").proposal
    assert proposal.organization_id == unrelated.pk
    assert Ownership.objects.filter(pk=link.pk).exists()
    assert _units(port) == {"prohibited": 3}  # a proposal changes nobody's status

    curator = UserFactory(username="curator-e2e")
    CuratorFactory(user=curator)
    curator.is_verified = lambda: True  # a TOTP-verified session
    proposals.proposal_accept(proposal=proposal, actor=curator, reason="Divestment filing checked")
    assert not Ownership.objects.filter(pk=link.pk).exists()
    assert set(FactChangeNotice.objects.values_list("organization_id", flat=True)) == {port.pk, airport.pk}

    assert fact_change_notices_compute(proposal_id=proposal.pk) == {"ready": 2, "unchanged": 0}
    assert _units(port) == {"clear": 3}
    notices = {n.organization_id: (n.before, n.after) for n in FactChangeNotice.objects.all()}
    assert notices == {port.pk: ({"prohibited": 3}, {"clear": 3}), airport.pk: ({"prohibited": 1}, {"clear": 1})}
    told = set(Notification.objects.filter(kind="fact_change").values_list("user_id", flat=True))
    assert port_officer.pk in told and proposer.pk not in told  # the unrelated agency's units did not move


def test_a_rejected_proposal_leaves_everything_as_it_was(sdn):  # noqa: F811
    owner, owned = VendorFactory(name="Owner Co"), VendorFactory(name="Owned Co")
    org = OrganizationFactory()
    officer = MembershipFactory(organization=org, role="officer").user
    proposal = proposals.proposal_submit(kind=ProposalKind.OWNERSHIP_ADD, vendor=owned, actor=officer,
                                         payload={"owner": owner.pk, "share_percent": "75"})
    curator = UserFactory()
    CuratorFactory(user=curator)
    curator.is_verified = lambda: True
    proposals.proposal_reject(proposal=proposal, actor=curator, reason="No source given.")
    assert not Ownership.objects.exists() and not FactChangeNotice.objects.exists()
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by_id, proposal.reason) == ("rejected", curator.pk, "No source given.")
