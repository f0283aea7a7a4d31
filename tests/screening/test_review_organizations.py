"""Per-organisation review decisions (issue #15 item 3): a confirm or dismiss applies to the deciding
organisation's view; a curator's registry-wide decision applies to every organisation that has not decided
itself; an organisation's own decision wins; the review queue shows whose decision is in force."""
import pytest
from rest_framework.test import APIClient

from apps.api.services import api_token_create
from apps.common.exceptions import ApplicationError
from apps.screening.models import Match, ReviewDecision
from apps.screening.selectors import (
    findings_open_at,
    matches_in_view,
    review_queue,
    vendor_findings,
    vendor_status_in_view,
)
from apps.screening.services import review_decide, screening_run_full
from tests.factories import EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def world(sdn, no_auto_confirm, org, other_org):
    """A potential match on a public list; both organisations run the vendor's cameras."""
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor = VendorFactory(name="Zorblax Holdings Co")
    model = ProductModelFactory(brand=vendor, model_number="ZX-1")
    mine = EquipmentFactory(site=SiteFactory(organization=org, code="T1"), product_model=model)
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org, code="X1"), product_model=model)
    screening_run_full()
    match = Match.objects.get(vendor=vendor, closed_at__isnull=True)
    assert match.review_state == "unreviewed"
    return {"vendor": vendor, "mine": mine, "theirs": theirs, "match": match}


def status_of(unit) -> str:
    unit.refresh_from_db()
    return unit.risk_status


def in_force(org, match) -> tuple[str, str]:
    m = matches_in_view(org.pk).get(pk=match.pk)
    return m.view_review_state, m.decision_in_force


def test_one_organisations_dismissal_does_not_clear_the_match_for_another(world, org, other_org, officer):
    vendor, match = world["vendor"], world["match"]
    decision = review_decide(match=match, decision="dismiss", reason="Another Zorblax.", user=officer)
    assert decision.organization == org
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"
    assert vendor_findings(vendor_id=vendor.pk, organization_id=org.pk) == []
    assert status_of(world["mine"]) == "clear"
    assert list(review_queue(org.pk)) == []
    # the other organisation and the public view are untouched
    assert vendor_status_in_view(vendor.pk, other_org.pk) == "potential_match"
    assert [f.status for f in vendor_findings(vendor_id=vendor.pk, organization_id=other_org.pk)] == [
        "potential_match"]
    assert status_of(world["theirs"]) == "potential_match"
    assert list(review_queue(other_org.pk)) == [match]
    vendor.refresh_from_db()
    match.refresh_from_db()
    assert (vendor.risk_status, match.review_state) == ("potential_match", "unreviewed")
    # and it survives a full run
    screening_run_full()
    assert (status_of(world["mine"]), status_of(world["theirs"])) == ("clear", "potential_match")


def test_a_curators_registry_wide_decision_applies_to_organisations_without_their_own(
        world, org, other_org, officer, verified_curator):
    vendor, match = world["vendor"], world["match"]
    review_decide(match=match, decision="dismiss", reason="Another Zorblax.", user=officer)
    decision = review_decide(match=match, decision="confirm", reason="Registry: same LEI.", user=verified_curator,
                             registry_wide=True)
    assert decision.organization is None
    vendor.refresh_from_db()
    assert vendor.risk_status == "prohibited"
    assert vendor_status_in_view(vendor.pk, other_org.pk) == "prohibited"
    assert status_of(world["theirs"]) == "prohibited"
    # the organisation's own decision wins in its view
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"
    assert status_of(world["mine"]) == "clear"
    assert not findings_open_at(organization_id=org.pk).filter(vendor=vendor).exists()


def test_an_organisations_own_decision_wins_over_the_registry_wide_one(world, org, other_org, other_officer,
                                                                      verified_curator):
    vendor, match = world["vendor"], world["match"]
    review_decide(match=match, decision="dismiss", reason="Registry: different company.", user=verified_curator,
                  registry_wide=True)
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"
    review_decide(match=match, decision="confirm", reason="Our due diligence says same.", user=other_officer)
    assert vendor_status_in_view(vendor.pk, other_org.pk) == "prohibited"
    assert status_of(world["theirs"]) == "prohibited"
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"
    assert status_of(world["mine"]) == "clear"


def test_the_queue_shows_whose_decision_is_in_force(world, org, other_org, officer, verified_curator):
    match = world["match"]
    assert in_force(org, match) == ("unreviewed", "")
    review_decide(match=match, decision="dismiss", reason="Registry: different company.", user=verified_curator,
                  registry_wide=True)
    assert in_force(other_org, match) == ("dismissed", "registry")
    review_decide(match=match, decision="confirm", reason="Same, per our records.", user=officer)
    assert in_force(org, match) == ("confirmed", "own")
    assert in_force(other_org, match) == ("dismissed", "registry")
    decided = review_queue(org.pk, include_decided=True)
    assert [(m.pk, m.decision_in_force) for m in decided] == [(match.pk, "own")]
    assert list(review_queue(org.pk)) == []


def test_a_registry_wide_decision_needs_a_verified_curator(world, officer, curator):
    for user in (officer, curator):  # an officer; a curator without a verified second factor
        with pytest.raises(ApplicationError) as exc:
            review_decide(match=world["match"], decision="dismiss", reason="x", user=user, registry_wide=True)
        assert exc.value.code == "forbidden"
    assert not ReviewDecision.objects.exists()


def test_a_reader_cannot_decide(world, viewer):
    with pytest.raises(ApplicationError) as exc:
        review_decide(match=world["match"], decision="dismiss", reason="x", user=viewer)
    assert exc.value.code in ("forbidden", "invalid")
    assert not ReviewDecision.objects.exists()


def test_api_decides_for_the_callers_organisation_and_answers_in_its_view(world, org, other_org, officer,
                                                                         other_officer):
    match, vendor = world["match"], world["vendor"]
    answer = api(officer).post(f"/api/v1/matches/{match.pk}/review/",
                               {"decision": "dismiss", "reason": "Another Zorblax."}, format="json")
    assert answer.status_code == 201 and answer.json()["organization"] == org.pk
    mine = api(officer).get(f"/api/v1/matches/{match.pk}/").json()
    assert (mine["view_review_state"], mine["decision_in_force"]) == ("dismissed", "own")
    theirs = api(other_officer).get(f"/api/v1/matches/{match.pk}/").json()
    assert (theirs["view_review_state"], theirs["decision_in_force"]) == ("unreviewed", "")
    assert api(other_officer).get("/api/v1/review-decisions/").json()["results"] == []
    assert api(officer).get(f"/api/v1/vendors/{vendor.pk}/").json()["risk_status"] == "clear"
    assert api(other_officer).get(f"/api/v1/vendors/{vendor.pk}/").json()["risk_status"] == "potential_match"
    refused = api(officer).post(f"/api/v1/matches/{match.pk}/review/",
                                {"decision": "confirm", "reason": "x", "registry_wide": True}, format="json")
    assert refused.status_code == 403


def test_web_decision_is_the_current_organisations(world, org, other_org, officer, client):
    officer.save()
    client.force_login(officer)
    match = world["match"]
    response = client.post(f"/review/{match.pk}/decide/", {f"m{match.pk}-decision": "dismiss",
                                                           f"m{match.pk}-reason": "Another Zorblax."})
    assert response.status_code == 302
    assert ReviewDecision.objects.get().organization == org
    assert status_of(world["theirs"]) == "potential_match"
    page = client.get("/review/?decided=1").content.decode().replace("&#x27;", "'")
    assert "Decision in force: Harbor Authority's own" in page
