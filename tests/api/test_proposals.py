"""Shared vendor facts by proposal (issue #15 item 2): an officer's write to a shared fact is a proposal (202)
that changes nobody's status; a curator other than the proposer accepts it (the fact carries its provenance,
organisations whose units moved get a notice with before and after) or rejects it; stale proposals answer 409;
the proposing organisation withdraws it or applies it to its own view; other organisations see it pending,
without the proposer's source or evidence."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from apps.common import events
from apps.inventory.models import Equipment
from apps.remediation.models import FactChangeNotice, Notification
from apps.remediation.services import fact_change_notices_compute
from apps.vendors import services as vendor_services
from apps.vendors.choices import ProposalKind, ProposalStatus
from apps.vendors.models import ChangeProposal, Ownership, Vendor
from apps.vendors.overlay import organization_overlay
from tests.api.conftest import token_client
from tests.conftest import events_recorded
from tests.factories import ApiTokenFactory, CuratorFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
CURATOR_KEY = "vr_curator-proposal-key-01"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def curator_user(world):
    """A registry curator (a viewer of the harbour) and its curator-purpose token."""
    user = MembershipFactory(organization=world["org"], role="viewer", user=UserFactory(username="curator-p")).user
    CuratorFactory(user=user)
    ApiTokenFactory(user=user, key=CURATOR_KEY, purpose="curate", expires_at=timezone.now() + dt.timedelta(hours=1))
    return user


@pytest.fixture
def curator_client(curator_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {CURATOR_KEY}")
    return client


def _statuses() -> dict[int, str]:
    return dict(Equipment.objects.values_list("id", "risk_status"))


def _restricted(world) -> None:
    Equipment.objects.filter(pk__in=[world["equipment"].pk, world["other_equipment"].pk]).update(
        risk_status="restricted")


def test_an_unrelated_officer_deleting_an_ownership_link_only_proposes_it(world):
    """Attack 4 of the tenancy review: an officer of an unrelated organisation deleted the link and the port's
    cranes went from restricted to potential match. Now: 202, a pending proposal, nothing changed."""
    _restricted(world)
    before = _statuses()
    link = world["ownership"]
    with events_recorded(events.VendorsChanged, phase=events.IN_TRANSACTION) as changed:
        response = token_client(world["users"]["other_officer"]).delete(
            f"/api/v1/ownerships/{link.pk}/?source_url=https://example.org/filing")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["kind"] == "ownership_remove" and body["target"] == link.pk
    assert Ownership.objects.filter(pk=link.pk).exists()
    assert _statuses() == before
    assert changed == []  # nothing re-screened: no shared fact changed
    proposal = ChangeProposal.objects.get(pk=body["id"])
    assert proposal.organization_id == world["other_org"].pk
    assert proposal.source_url == "https://example.org/filing"
    # Only the proposing organisation's own view applies it.
    assert organization_overlay(world["other_org"].pk).ownership_removed == {link.pk}
    assert organization_overlay(world["org"].pk).empty


def test_a_curator_writes_shared_facts_directly(world, curator_client):
    link = world["ownership"]
    response = curator_client.delete(f"/api/v1/ownerships/{link.pk}/")
    assert response.status_code == 204
    assert not Ownership.objects.filter(pk=link.pk).exists()
    created = curator_client.post("/api/v1/ownerships/", {
        "owner": world["parent"].pk, "owned": world["vendor"].pk, "share_percent": "60",
        "source_url": "https://example.org/annual-report"}, format="json")
    assert created.status_code == 201, created.content
    link = Ownership.objects.get(pk=created.json()["id"])
    assert link.provenance["source_url"] == "https://example.org/annual-report"
    renamed = curator_client.patch(f"/api/v1/vendors/{world['vendor'].pk}/", {"website": "https://crane.example"},
                                   format="json")
    assert renamed.status_code == 200 and renamed.json()["website"] == "https://crane.example"


def test_an_officer_vendor_patch_is_a_proposal(world):
    vendor = world["vendor"]
    response = token_client(world["users"]["officer"]).patch(
        f"/api/v1/vendors/{vendor.pk}/", {"name": "Renamed Crane Co", "source_document": "Register extract"},
        format="json")
    assert response.status_code == 202, response.content
    assert response.json()["payload"] == {"name": "Renamed Crane Co"}
    assert response.json()["base"] == {"name": "Crane Maker Co"}
    assert Vendor.objects.get(pk=vendor.pk).name == "Crane Maker Co"
    # A rename feeds matching, shared by every view: it takes effect in screening once accepted, not before.
    assert response.json()["applies_to_own_view"] is False
    assert organization_overlay(world["org"].pk).empty


def test_an_officer_may_still_create_a_new_vendor(world):
    response = token_client(world["users"]["officer"]).post("/api/v1/vendors/", {"name": "Brand New Ltd"},
                                                            format="json")
    assert response.status_code == 201


def test_curator_accepts_a_proposal_fact_changes_with_provenance_and_affected_organisations_are_told(
        world, curator_client, curator_user, monkeypatch, django_capture_on_commit_callbacks):
    _restricted(world)
    proposed = token_client(world["users"]["other_officer"]).delete(
        f"/api/v1/ownerships/{world['ownership'].pk}/?source_url=https://example.org/divested")
    proposal_id = proposed.json()["id"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = curator_client.post(f"/api/v1/proposals/{proposal_id}/accept/", {"reason": "Filing checked"},
                                       format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted" and response.json()["decided_by"] == curator_user.pk
    assert not Ownership.objects.filter(pk=world["ownership"].pk).exists()
    assert callbacks  # the notices' task (and the re-screening) are enqueued on commit
    # "before" was recorded in the accepting transaction, for both organisations with units of the vendor.
    notices = FactChangeNotice.objects.filter(proposal_id=proposal_id)
    assert {n.organization_id: n.before for n in notices} == {
        world["org"].pk: {"restricted": 1}, world["other_org"].pk: {"restricted": 1}}

    def rescreen(*, vendor_ids, trigger):  # the screening run: without the owner, the harbour's crane is clear
        assert world["vendor"].pk in vendor_ids
        Equipment.objects.filter(pk=world["equipment"].pk).update(risk_status="clear")

    monkeypatch.setattr("apps.screening.services.screening_run_vendors", rescreen)
    assert fact_change_notices_compute(proposal_id=proposal_id) == {"ready": 1, "unchanged": 1}
    notice = FactChangeNotice.objects.get(proposal_id=proposal_id)
    assert notice.organization_id == world["org"].pk
    assert (notice.before, notice.after) == ({"restricted": 1}, {"clear": 1})
    assert "before 1 restricted; after 1 clear" in notice.body
    told = set(Notification.objects.filter(fact_change=notice).values_list("user__username", flat=True))
    assert told == {"officer-harbor", "admin-harbor"}
    listed = token_client(world["users"]["viewer"]).get("/api/v1/notifications/").json()["results"]
    assert [(n["id"], n["before"], n["after"]) for n in listed] == [(notice.pk, {"restricted": 1}, {"clear": 1})]
    assert token_client(world["users"]["other_officer"]).get("/api/v1/notifications/").json()["results"] == []
    # Idempotent: a second run changes nothing.
    assert fact_change_notices_compute(proposal_id=proposal_id) == {"ready": 0, "unchanged": 0}


def test_an_accepted_addition_carries_its_provenance(world, curator_client, curator_user):
    response = token_client(world["users"]["officer"]).post("/api/v1/proposals/", {
        "kind": "alias_add", "vendor": world["vendor"].pk, "payload": {"name": "CMC Cranes"},
        "source_url": "https://example.org/brochure"}, format="json")
    assert response.status_code == 202, response.content
    accepted = curator_client.post(f"/api/v1/proposals/{response.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    alias = world["vendor"].aliases.get(name="CMC Cranes")
    assert alias.provenance["proposal"] == response.json()["id"]
    assert alias.provenance["source_url"] == "https://example.org/brochure"
    assert alias.provenance["accepted_by"] == curator_user.pk and alias.provenance["accepted_at"]


def test_the_proposer_cannot_accept_their_own_proposal(world):
    """Four eyes, also for a curator who is a member of the proposing organisation and proposed it (with an
    ordinary token, where its write is a proposal like any officer's)."""
    admin = world["users"]["admin"]
    CuratorFactory(user=admin)
    proposed = token_client(admin).delete(f"/api/v1/ownerships/{world['ownership'].pk}/")
    assert proposed.status_code == 202
    key = "vr_curator-admin-key-0001"
    ApiTokenFactory(user=admin, key=key, purpose="curate", expires_at=timezone.now() + dt.timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for action in ("accept", "reject"):
        response = client.post(f"/api/v1/proposals/{proposed.json()['id']}/{action}/", {"reason": "mine"},
                               format="json")
        assert response.status_code == 403, response.content
        assert "Four eyes" in response.json()["error"]["message"]
    assert ChangeProposal.objects.get(pk=proposed.json()["id"]).status == ProposalStatus.PENDING
    assert Ownership.objects.filter(pk=world["ownership"].pk).exists()


def test_an_officer_cannot_accept_and_a_curator_needs_its_curator_token(world, curator_user):
    proposed = token_client(world["users"]["other_officer"]).delete(f"/api/v1/ownerships/{world['ownership'].pk}/")
    url = f"/api/v1/proposals/{proposed.json()['id']}/accept/"
    assert token_client(world["users"]["admin"]).post(url, {}, format="json").status_code == 403
    assert token_client(curator_user).post(url, {}, format="json").status_code == 403  # no second factor


def test_a_stale_proposal_answers_409(world, curator_client):
    link = world["ownership"]
    proposed = token_client(world["users"]["officer"]).post("/api/v1/proposals/", {
        "kind": "ownership_change", "vendor": world["vendor"].pk, "target": link.pk,
        "payload": {"share_percent": "30", "kind": "shareholding"}}, format="json")
    assert proposed.status_code == 202, proposed.content
    vendor_services.ownership_update(ownership=link, share_percent="45", kind="shareholding")  # the registry
    response = curator_client.post(f"/api/v1/proposals/{proposed.json()['id']}/accept/", {}, format="json")
    assert response.status_code == 409, response.content
    assert Ownership.objects.get(pk=link.pk).share_percent == 45
    assert ChangeProposal.objects.get(pk=proposed.json()["id"]).status == ProposalStatus.PENDING


def test_reject_needs_a_reason_and_a_decided_proposal_is_final(world, curator_client):
    proposed = token_client(world["users"]["officer"]).delete(f"/api/v1/ownerships/{world['ownership'].pk}/")
    url = f"/api/v1/proposals/{proposed.json()['id']}"
    assert curator_client.post(f"{url}/reject/", {}, format="json").status_code == 400
    rejected = curator_client.post(f"{url}/reject/", {"reason": "No source."}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert curator_client.post(f"{url}/accept/", {}, format="json").status_code == 409
    assert Ownership.objects.filter(pk=world["ownership"].pk).exists()


def test_withdraw_and_apply_to_own_view(world):
    officer = token_client(world["users"]["officer"])
    proposed = officer.delete(f"/api/v1/ownerships/{world['ownership'].pk}/").json()
    url = f"/api/v1/proposals/{proposed['id']}"
    other = token_client(world["users"]["other_officer"])
    assert other.post(f"{url}/withdraw/", {}, format="json").status_code == 403
    assert token_client(world["users"]["viewer"]).post(f"{url}/withdraw/", {}, format="json").status_code == 403
    assert organization_overlay(world["org"].pk).ownership_removed == {world["ownership"].pk}
    off = officer.post(f"{url}/apply-to-own-view/", {"apply": False}, format="json")
    assert off.status_code == 200 and off.json()["applies_to_own_view"] is False
    assert organization_overlay(world["org"].pk).empty
    withdrawn = officer.post(f"{url}/withdraw/", {"reason": "Wrong link"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert officer.post(f"{url}/withdraw/", {}, format="json").status_code == 409
    # Withdrawn: no longer pending, so no longer visible to the other organisation.
    assert other.get(f"{url}/").status_code == 404


def test_other_organisations_see_a_pending_proposal_without_the_proposers_evidence(world):
    officer = token_client(world["users"]["officer"])
    evidence = SimpleUploadedFile("filing.pdf", b"%PDF-1.4\n% filing\n", content_type="application/pdf")
    response = officer.post("/api/v1/proposals/", {
        "kind": "alias_add", "vendor": world["vendor"].pk, "payload": '{"name": "Secret Trade Name"}',
        "source_url": "https://intranet.example/secret", "source_document": "Due diligence memo",
        "evidence": evidence}, format="multipart")
    assert response.status_code == 202, response.content
    mine = response.json()
    assert mine["evidence_name"] == "filing.pdf" and len(mine["evidence_sha256"]) == 64
    theirs = token_client(world["users"]["other_officer"]).get(
        f"/api/v1/proposals/?vendor={world['vendor'].pk}").json()["results"]
    assert len(theirs) == 1
    seen = theirs[0]
    assert seen["status"] == "pending" and seen["restricted"] is True
    assert (seen["source_url"], seen["source_document"], seen["evidence_name"], seen["evidence_sha256"],
            seen["proposed_by"], seen["organization"]) == ("", "", "", "", None, None)
    own = officer.get(f"/api/v1/proposals/{mine['id']}/").json()
    assert own["restricted"] is False and own["source_url"] == "https://intranet.example/secret"


def test_evidence_is_checked_by_content(world):
    response = token_client(world["users"]["officer"]).post("/api/v1/proposals/", {
        "kind": "alias_add", "vendor": world["vendor"].pk, "payload": '{"name": "X Brand"}',
        "evidence": SimpleUploadedFile("a.pdf", b"MZ\x90\x00binary", content_type="application/pdf")},
        format="multipart")
    assert response.status_code == 400
    assert not ChangeProposal.objects.exists()


def test_a_proposal_that_could_never_be_accepted_is_refused_at_once(world):
    officer = token_client(world["users"]["officer"])
    cycle = officer.post("/api/v1/ownerships/", {"owner": world["vendor"].pk, "owned": world["parent"].pk},
                         format="json")
    assert cycle.status_code == 400  # a cycle: Ownership.clean, as for a curator
    assert not ChangeProposal.objects.exists()


def test_services_refuse_an_officer_writing_a_shared_fact_directly(world):
    from apps.accounts.policies import Denied

    with pytest.raises(Denied):
        vendor_services.ownership_delete(ownership=world["ownership"], actor=world["users"]["officer"])
    assert Ownership.objects.filter(pk=world["ownership"].pk).exists()
    assert ProposalKind.OWNERSHIP_REMOVE in ProposalKind.values


def test_alias_proposals_say_they_take_effect_in_screening_only_once_accepted(world):
    officer = token_client(world["users"]["officer"])
    body = officer.post("/api/v1/proposals/", {
        "kind": "alias_add", "vendor": world["vendor"].pk, "payload": {"name": "CMC Cranes"},
        "apply_to_own_view": True}, format="json").json()
    assert (body["applies_to_own_view"], body["may_apply_to_own_view"]) == (False, False)
    assert "only once a curator accepts it" in body["screening_effect"]
    refused = officer.post(f"/api/v1/proposals/{body['id']}/apply-to-own-view/", {"apply": True}, format="json")
    assert refused.status_code == 400 and "only once a curator accepts" in str(refused.json())
    assert ChangeProposal.objects.get(pk=body["id"]).applies_to_own_view is False
    removal = officer.delete(f"/api/v1/ownerships/{world['ownership'].pk}/").json()
    assert (removal["applies_to_own_view"], removal["may_apply_to_own_view"]) == (True, True)
    assert removal["screening_effect"].startswith("Applied to the proposing organisation's view")
