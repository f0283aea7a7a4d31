"""Change proposals on the web: an officer's change to a shared vendor fact is a proposal of the selected
organisation (with its source), listed on the proposals page (other organisations see it pending without its
source), decided in the curators' queue (never by the proposer), and its notices are on the Notifications page
and in the digest."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.remediation.models import FactChangeNotice
from apps.remediation.services import _digest_entries
from apps.vendors.choices import ProposalStatus
from apps.vendors.models import ChangeProposal, Ownership, Vendor
from tests.api.conftest import world  # noqa: F401  (the fixture: two organisations with one of everything)
from tests.conftest import second_factor_login
from tests.factories import CuratorFactory, FactChangeNoticeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _login(user) -> Client:
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def curator(world):  # noqa: F811
    user = MembershipFactory(organization=world["org"], role="viewer", user=UserFactory(username="curator-w")).user
    CuratorFactory(user=user)
    user.save()
    return user


def test_an_officer_removing_an_owner_on_the_vendor_page_proposes_it(world):  # noqa: F811
    vendor, link = world["vendor"], world["ownership"]
    response = _login(world["users"]["other_officer"]).post(
        reverse("web:vendor-ownership-remove", args=[vendor.pk, link.pk]))
    assert response.status_code == 302
    assert Ownership.objects.filter(pk=link.pk).exists()
    proposal = ChangeProposal.objects.get()
    assert (proposal.kind, proposal.target_id, proposal.organization_id) == (
        "ownership_remove", link.pk, world["other_org"].pk)
    assert _said(response)[0].startswith(f"Proposed to the registry's curators (proposal #{proposal.pk})")


def test_an_officer_proposes_an_owner_with_source_and_evidence(world):  # noqa: F811
    client = _login(world["users"]["officer"])
    owner = Vendor.objects.create(name="New Holding Ltd")
    response = client.post(reverse("web:vendor-ownership-add", args=[world["parent"].pk]), {
        "owner-owner": "New Holding Ltd", "owner-share_percent": "51", "owner-kind": "shareholding",
        "owner-source_url": "https://register.example/123", "owner-source_document": "Register extract",
        "owner-evidence": SimpleUploadedFile("extract.pdf", b"%PDF-1.4\nextract\n")})
    assert response.status_code == 302, response.content[:500]
    proposal = ChangeProposal.objects.get()
    assert proposal.payload["owner"] == owner.pk and proposal.payload["share_percent"] == "51"
    assert proposal.source_url == "https://register.example/123" and proposal.evidence_name == "extract.pdf"
    assert not Ownership.objects.filter(owner=owner).exists()
    page = client.get(reverse("web:vendor-detail", args=[world["parent"].pk]))
    assert b"Pending changes" in page.content and b"Propose owner" in page.content
    evidence = reverse("web:proposal-evidence", args=[proposal.pk])
    download = _login(world["users"]["viewer"]).get(evidence)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    assert _login(world["users"]["other_officer"]).get(evidence).status_code == 404


def test_the_vendor_edit_page_proposes_only_what_changed(world):  # noqa: F811
    vendor = world["vendor"]
    response = _login(world["users"]["officer"]).post(reverse("web:vendor-edit", args=[vendor.pk]), {
        "name": vendor.name, "country_of_incorporation": "CN", "country_of_headquarters": "",
        "website": "", "description": "", "source_url": "https://example.org/profile"})
    assert response.status_code == 302
    proposal = ChangeProposal.objects.get()
    assert proposal.payload == {"country_of_incorporation": "CN"} and proposal.base == {
        "country_of_incorporation": "US"}
    assert str(Vendor.objects.get(pk=vendor.pk).country_of_incorporation) == "US"


def test_proposals_page_shows_the_source_to_the_proposer_only(world):  # noqa: F811
    _login(world["users"]["officer"]).post(reverse("web:vendor-alias-add", args=[world["vendor"].pk]), {
        "alias-name": "Secret Brand", "alias-kind": "trade_name", "alias-source_url": "https://intranet.example/x"})
    proposal = ChangeProposal.objects.get()
    own = _login(world["users"]["officer"]).get(reverse("web:proposal-list"))
    withdraw = reverse("web:proposal-action", args=[proposal.pk, "withdraw"]).encode()
    assert b"https://intranet.example/x" in own.content and withdraw in own.content
    other = _login(world["users"]["other_officer"]).get(reverse("web:proposal-list"))
    assert other.status_code == 200 and f"proposal-{proposal.pk}".encode() in other.content
    assert b"intranet.example" not in other.content and b"another organisation" in other.content
    assert withdraw not in other.content


def test_withdraw_and_own_view_toggle_on_the_proposals_page(world):  # noqa: F811
    client = _login(world["users"]["officer"])
    client.post(reverse("web:vendor-ownership-remove", args=[world["vendor"].pk, world["ownership"].pk]))
    proposal = ChangeProposal.objects.get()
    assert client.post(reverse("web:proposal-action", args=[proposal.pk, "unapply"])).status_code == 302
    assert ChangeProposal.objects.get().applies_to_own_view is False
    assert client.post(reverse("web:proposal-action", args=[proposal.pk, "withdraw"])).status_code == 302
    assert ChangeProposal.objects.get().status == ProposalStatus.WITHDRAWN
    other = _login(world["users"]["other_officer"])
    assert other.post(reverse("web:proposal-action", args=[proposal.pk, "withdraw"])).status_code == 404


def test_the_curator_queue_accepts_and_the_proposer_cannot_decide(world, curator):  # noqa: F811
    _login(world["users"]["other_officer"]).post(
        reverse("web:vendor-ownership-remove", args=[world["vendor"].pk, world["ownership"].pk]))
    proposal = ChangeProposal.objects.get()
    assert _login(world["users"]["admin"]).get(reverse("web:proposal-queue")).status_code == 403
    unverified = _login(curator)
    assert unverified.get(reverse("web:proposal-queue")).status_code == 403  # no second factor yet
    client = second_factor_login(Client(), curator)
    queue = client.get(reverse("web:proposal-queue"))
    assert queue.status_code == 200 and f"proposal-{proposal.pk}".encode() in queue.content
    rejected = client.post(reverse("web:proposal-decide", args=[proposal.pk, "reject"]), {"reason": ""})
    assert rejected.status_code == 400  # a rejection says why
    accepted = client.post(reverse("web:proposal-decide", args=[proposal.pk, "accept"]), {"reason": ""})
    assert accepted.status_code == 302
    assert ChangeProposal.objects.get().status == ProposalStatus.ACCEPTED
    assert not Ownership.objects.filter(pk=world["ownership"].pk).exists()
    # A curator who proposed (an officer too, with an unverified session) cannot decide it when verified.
    officer_curator = world["users"]["other_officer"]
    CuratorFactory(user=officer_curator)
    _login(officer_curator).post(reverse("web:vendor-alias-add", args=[world["vendor"].pk]),
                                 {"alias-name": "Mine", "alias-kind": "trade_name"})
    own = ChangeProposal.objects.get(status=ProposalStatus.PENDING)
    assert own.proposed_by_id == officer_curator.pk
    refused = second_factor_login(Client(), officer_curator).post(
        reverse("web:proposal-decide", args=[own.pk, "accept"]), {"reason": ""})
    assert refused.status_code == 403
    assert ChangeProposal.objects.get(pk=own.pk).status == ProposalStatus.PENDING


def test_notifications_page_and_digest_list_a_notice_once(world):  # noqa: F811
    notice = FactChangeNoticeFactory(organization=world["org"], title="Accepted change to Crane Maker Co")
    FactChangeNoticeFactory(organization=world["other_org"], title="Not yours")
    page = _login(world["users"]["viewer"]).get(reverse("web:notifications"))
    assert page.status_code == 200 and b"Accepted change to Crane Maker Co" in page.content
    assert b"Not yours" not in page.content
    from django.utils import timezone

    entries = _digest_entries(organization_id=world["org"].pk, today=timezone.localdate())
    facts = [e for e in entries if e.kind == "fact_change"]
    assert [e.key for e in facts] == [f"fact-change:{notice.pk}"]
    assert FactChangeNotice.objects.count() == 2


def test_the_proposals_page_says_an_alias_takes_effect_once_accepted(world):  # noqa: F811
    client = _login(world["users"]["officer"])
    client.post(reverse("web:vendor-alias-add", args=[world["vendor"].pk]), {
        "alias-name": "Secret Brand", "alias-kind": "trade_name"})
    proposal = ChangeProposal.objects.get()
    assert proposal.applies_to_own_view is False
    page = client.get(reverse("web:proposal-list"))
    assert b"takes effect in screening once accepted" in page.content
    assert reverse("web:proposal-action", args=[proposal.pk, "apply"]).encode() not in page.content


def test_the_notifications_page_shows_my_webhook_alerts_in_constant_queries(world):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.remediation.models import Notification

    admin, viewer = world["users"]["admin"], world["users"]["viewer"]

    def alert(user, title, kind="webhook_disabled", org=None):
        return Notification.objects.create(organization=org or world["org"], user=user, kind=kind, title=title,
                                           body="Disabled automatically after 20 failed deliveries in a row.",
                                           created_at=timezone.now())

    alert(admin, "Webhook disabled: SIEM")
    alert(viewer, "Webhook disabled: not for the admin")
    alert(admin, "A digest", kind="digest")
    client = _login(admin)
    url = reverse("web:notifications")
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert page.status_code == 200
    assert b"Webhook disabled: SIEM" in page.content and reverse("web:webhook-list").encode() in page.content
    assert b"not for the admin" not in page.content and b"A digest" not in page.content
    for i in range(5):
        alert(admin, f"Webhook disabled: more {i}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert b"Webhook disabled: more 4" in page.content
    assert len(many.captured_queries) == len(one.captured_queries)
