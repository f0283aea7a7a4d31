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
    settings.MEDIA_ROOT = tmp_path
    return demo_load()


def test_demo_loads_a_realistic_registry(demo):
    assert demo["organizations"] == 4
    assert Site.objects.filter(kind="seaport").count() >= 3
    zpmc = Vendor.objects.get(aliases__name="ZPMC")
    chain = vendor_ownership_chain(zpmc)
    names = [s.owner_name for s in chain.paths[0].steps]
    assert names == ["China Communications Construction Company Limited",
                     "China Communications Construction Group (Limited)"]
    assert chain.paths[0].path_share_percent is None  # shares not published: unknown, not zero
    cranes = Equipment.objects.filter(product_model__brand=zpmc, category="sts_crane", vendor_remote_access=True,
                                      remote_access_vendor=zpmc)
    assert cranes.exists()
    assert Equipment.objects.filter(product_model__manufacturer__aliases__name="Hikvision").exists()  # white label
    assert User.objects.get(username="officer").check_password("demo-password-for-tests")
    assert all(o.is_demo for o in Organization.objects.all())


def test_demo_loaded_twice_creates_no_duplicates(demo):
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count(), Site.objects.count(),
              Vendor.objects.count(), Ownership.objects.count(), Equipment.objects.count())
    again = demo_load()
    assert set(again.values()) == {0} and demo["boms"] == 1
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
    # Screening reads it for the port authority's view only (ZPMC North America and what it owns are re-derived
    # there; with the demo lists its status does not move: it is itself on the DoD 1260H list, and a direct
    # listing wins over one derived from the same list).
    from apps.screening.services.derive import _view_candidates, view_organizations

    assert proposal.organization_id in view_organizations()
    assert proposal.vendor_id in _view_candidates(proposal.organization_id)
    assert all(proposal.vendor_id not in _view_candidates(o.pk) for o in others)
    demo_load()
    assert ChangeProposal.objects.count() == 1  # loaded again: not proposed twice


def test_demo_plans_fit_each_organisation(settings, tmp_path):
    """The whole demo (lists, screening, plans): an Australian agency sees its direction's dates and no US
    statute; the US port sees MARSEC and the FCC and s.889 procurement bans but no DoD-only rule; the federal
    agency sees s.889 Part A as a procurement ban with its own target; nothing is in breach unless a cited date
    passed."""
    import datetime as dt

    from apps.demo.services import demo_load_full
    from apps.remediation.models import RemediationPlan

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    settings.MEDIA_ROOT = tmp_path
    today = dt.date(2026, 12, 1)
    demo_load_full(today=today)

    def codes(slug: str) -> set[str]:
        out: set[str] = set()
        for plan in RemediationPlan.objects.filter(organization__slug=slug):
            out |= {plan.rule.code} | {a["rule_code"] for a in plan.also_applied}
        return out

    au = RemediationPlan.objects.filter(organization__slug="au-dept-commonwealth-services")
    assert au.exists() and codes("au-dept-commonwealth-services") == {"au-covered-surveillance-2023"}
    assert {p.deadline for p in au} == {dt.date(2023, 4, 30)}
    assert all(p.deadline_source == "legal" and p.in_breach_since == dt.date(2023, 4, 30) for p in au)
    port = codes("harbor-port-authority")  # an MTSA facility and a federal grant recipient, not a DoD component
    assert {"marsec-105-4-sts-cranes", "fcc-covered-list-authorization", "ndaa889-a-procurement",
            "cfr200-216-grants"} <= port
    assert not {c for c in port if c.startswith("dod1260h")}
    federal = codes("dept-administrative-services")
    assert "ndaa889-a-procurement" in federal and not {c for c in federal if c.startswith("dod1260h")}
    # Overdue only where a cited legal deadline has passed (the Australian direction's date).
    for plan in RemediationPlan.objects.filter(is_overdue=True):
        assert plan.in_breach_since is not None and plan.deadline_source == "legal", plan.why
    assert not RemediationPlan.objects.exclude(organization__slug="au-dept-commonwealth-services").filter(
        in_breach_since__isnull=False).exists()


def test_demo_checks_use_the_registry_and_the_statutory_lists(settings, tmp_path):
    """Issue #17 item 4: the officer's ZPMC check shows the recorded crane maker and its path to CCCC (no list
    names ZPMC itself); a Hikvision check shows the FCC Covered List row."""
    import datetime as dt

    from apps.demo.services import demo_load_full
    from apps.screening.services import screen_name

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    settings.MEDIA_ROOT = tmp_path
    today = dt.date(2026, 12, 1)
    demo_load_full(today=today)
    # Issue #21: the Liebherr crane's BOM has a remote-maintenance agent by a subsidiary of the listed CCCC group.
    crane = Equipment.objects.get(asset_tag="MH-STS-02")
    assert crane.boms.get().component_count == 5
    assert crane.risk_status != "clear"
    assert "Component Remote maintenance agent (in LiCCS crane control) by ZPMC North America, Inc." in (
        crane.risk_reason)
    assert "<- listed:" in crane.risk_reason
    port = Organization.objects.get(slug="harbor-port-authority")
    zpmc = screen_name(name="ZPMC", organization=port, today=today)
    (shz,) = [v for v in zpmc["registry"] if v["vendor_name"] == "Shanghai Zhenhua Heavy Industries Co., Ltd."]
    assert shz["resolved_by"] == "name" and shz["matched_name"] == "ZPMC"
    owners = [[s["owner_name"] for s in p["steps"]] for p in shz["ownership_paths"]]
    assert ["China Communications Construction Company Limited",
            "China Communications Construction Group (Limited)"] in owners
    assert "CCCC" not in zpmc["verdict"]  # a status, and the demo loads 3 of the default lists:
    assert zpmc["verdict"] != "clear" and zpmc["coverage"]["loaded"] == 3
    hik = screen_name(name="Hikvision", organization=port, today=today)
    assert "fcc_covered" in {m["source"] for m in hik["matches"]}
    assert hik["verdict"] == "prohibited"
    assert any(v["vendor_name"] == "Hangzhou Hikvision Digital Technology Co., Ltd." for v in hik["registry"])


def test_demo_has_a_webhook_with_a_delivery_log(settings):
    """A webhook endpoint of the harbour to a local receiver, with delivery rows about its plans (no network)."""
    import datetime as dt

    from apps.demo.services import demo_load_full, demo_webhook_ensure
    from apps.integrations.models import WebhookDelivery, WebhookEndpoint

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    result = demo_load_full(today=dt.date(2026, 12, 1))
    endpoint = WebhookEndpoint.objects.get(pk=result["webhook"])
    assert endpoint.url.startswith("https://localhost") and endpoint.secret.startswith("whsec_")
    rows = list(WebhookDelivery.objects.filter(endpoint=endpoint))
    assert len(rows) == 3 and {r.status for r in rows} == {"delivered", "failed"}
    assert all(r.payload["data"]["organization_id"] == endpoint.organization_id for r in rows)
    assert demo_webhook_ensure() == endpoint.pk and WebhookDelivery.objects.count() == 3


def test_demo_has_a_pending_and_an_answered_data_call(demo):
    """The harbour's officer sent two data calls (no mail: fictional recipients); one is signed, on the chain."""
    from apps.audit.models import AuditEvent
    from apps.demo.services import demo_data_calls_ensure
    from apps.outreach.models import DataCall

    ids = demo_data_calls_ensure()
    calls = {c.template: c for c in DataCall.objects.filter(pk__in=ids)}
    assert calls["covered_list"].state == "sent" and calls["covered_list"].equipment.count() == 2
    answered = calls["far_889"]
    assert answered.state == "answered" and answered.response.signer_name == "Demo Signer"
    assert AuditEvent.objects.filter(action="outreach.datacall.answer", object_id=str(answered.response.pk)).exists()
    assert demo_data_calls_ensure() == ids and DataCall.objects.count() == 2
