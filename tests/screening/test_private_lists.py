"""Private lists stay private (issue #15 item 4): an organisation's in-house list entries, matches, findings and
the statuses they give exist only in that organisation's view: not in another organisation's API answers, pages,
exports, counts or equipment statuses; only that organisation's writers may decide on its matches."""
import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.api.services import api_token_create
from apps.common.exceptions import ApplicationError
from apps.inventory.models import SiteEquipmentCount
from apps.screening.models import Finding, Match, VendorOrgStatus
from apps.screening.selectors import vendor_status_in_view
from apps.screening.services import review_decide, screen_name, screening_run_full
from tests.factories import (
    EquipmentFactory,
    ListSourceFactory,
    MembershipFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
)
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db

SECRET_NAME = "Quillfeather Optics Ltd"
SECRET_REASON = "Confidential: failed our 2025 supply-chain audit"


def api(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def private(org, other_org, officer, other_officer):
    """`org`'s in-house list names a vendor whose cameras both organisations run; screened."""
    source = ListSourceFactory(code="harbor-inhouse", name="Harbor in-house blocklist", regime="custom",
                               organization=org, publisher="Harbor Authority")
    make_version(source, [listed_entry(SECRET_NAME, "H-1", programs=[SECRET_REASON])])
    vendor = VendorFactory(name=SECRET_NAME)
    model = ProductModelFactory(brand=vendor, model_number="QF-CAM")
    mine = EquipmentFactory(site=SiteFactory(organization=org, code="T1"), product_model=model)
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org, code="X1"), product_model=model)
    screening_run_full()
    return {"source": source, "vendor": vendor, "mine": mine, "theirs": theirs,
            "match": Match.objects.get(vendor=vendor, closed_at__isnull=True)}


def test_private_finding_and_status_are_in_the_owners_view_only(private, org, other_org):
    vendor = private["vendor"]
    finding = Finding.objects.get(vendor=vendor, closed_at__isnull=True)
    assert finding.organization == org
    vendor.refresh_from_db()
    assert vendor.risk_status == "clear"  # the public view
    assert vendor_status_in_view(vendor.pk, org.pk) == "restricted"
    assert vendor_status_in_view(vendor.pk, other_org.pk) == "clear"
    assert list(VendorOrgStatus.objects.values_list("organization_id", "risk_status")) == [(org.pk, "restricted")]


def test_equipment_status_and_counts_follow_each_units_organisation(private, other_org):
    mine, theirs = private["mine"], private["theirs"]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.risk_status == "restricted" and "Harbor in-house blocklist" in mine.risk_reason
    assert (theirs.risk_status, theirs.risk_reason) == ("clear", "")
    counts = dict(SiteEquipmentCount.objects.filter(site__organization=other_org).values_list("risk_status")
                  .annotate(n=Sum("records")))
    assert counts == {"clear": 1}


def test_api_answers_of_another_organisation_show_nothing_of_the_private_list(private, other_officer):
    client, vendor = api(other_officer), private["vendor"]
    assert client.get("/api/v1/findings/").json()["results"] == []
    assert client.get("/api/v1/matches/").json()["results"] == []
    assert client.get(f"/api/v1/matches/{private['match'].pk}/").status_code == 404
    assert client.get(f"/api/v1/vendors/{vendor.pk}/").json()["risk_status"] == "clear"
    assert client.get(f"/api/v1/vendors/{vendor.pk}/findings/").json() == []
    assert client.get("/api/v1/vendors/?risk_status=restricted").json()["results"] == []
    equipment = client.get(f"/api/v1/equipment/{private['theirs'].pk}/").json()
    assert equipment["risk_status"] == "clear"
    for path in ("/api/v1/findings/?format=csv", "/api/v1/matches/?format=csv", "/api/v1/equipment/?format=csv"):
        body = b"".join(client.get(path).streaming_content).decode()
        assert "in-house" not in body and SECRET_REASON not in body, path


def test_api_answers_of_the_owner_show_it(private, officer):
    client, vendor = api(officer), private["vendor"]
    findings = client.get("/api/v1/findings/").json()["results"]
    assert [f["source"] for f in findings] == ["harbor-inhouse"]
    assert client.get(f"/api/v1/vendors/{vendor.pk}/").json()["risk_status"] == "restricted"
    assert [m["id"] for m in client.get("/api/v1/matches/").json()["results"]] == [private["match"].pk]


def test_a_member_of_several_organisations_asks_for_a_view_and_cannot_ask_for_anothers(private, org, other_org):
    both = UserFactory(username="both")
    MembershipFactory(user=both, organization=org, role=Role.VIEWER)
    MembershipFactory(user=both, organization=other_org, role=Role.VIEWER)
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, organization=other_org, role=Role.VIEWER)
    vendor = private["vendor"]
    client = api(both)
    assert client.get(f"/api/v1/vendors/{vendor.pk}/").json()["risk_status"] == "clear"  # several: public view
    assert client.get(f"/api/v1/vendors/{vendor.pk}/?organization={org.pk}").json()["risk_status"] == "restricted"
    assert api(outsider).get(f"/api/v1/findings/?organization={org.pk}").status_code == 404


def test_only_the_owners_writers_may_decide_on_its_matches(private, org, other_officer, viewer, officer):
    match = private["match"]
    assert api(other_officer).post(f"/api/v1/matches/{match.pk}/review/",
                                   {"decision": "dismiss", "reason": "Not them."}, format="json").status_code == 404
    with pytest.raises(ApplicationError) as exc:
        review_decide(match=match, decision="dismiss", reason="Not them.", user=other_officer)
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        review_decide(match=match, decision="dismiss", reason="Not them.", user=viewer)
    assert exc.value.code == "forbidden"
    assert vendor_status_in_view(private["vendor"].pk, org.pk) == "restricted"
    decision = review_decide(match=match, decision="dismiss", reason="Another Quillfeather.", user=officer)
    assert decision.organization == org
    assert vendor_status_in_view(private["vendor"].pk, org.pk) == "clear"
    private["mine"].refresh_from_db()
    assert private["mine"].risk_status == "clear"


def test_a_curator_cannot_decide_a_private_match_registry_wide(private, verified_curator):
    with pytest.raises(ApplicationError):
        review_decide(match=private["match"], decision="dismiss", reason="x", user=verified_curator,
                      registry_wide=True)


def test_pages_of_another_organisation_show_nothing_of_the_private_list(private, other_officer, client):
    other_officer.save()
    client.force_login(other_officer)
    vendor = private["vendor"]
    for url in (f"/vendors/{vendor.pk}/", "/vendors/", "/review/", f"/check/?name={SECRET_NAME}",
                "/vendors/export/?format=csv", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode() if not getattr(response, "streaming", False) else \
            b"".join(response.streaming_content).decode()
        assert "in-house blocklist" not in body and SECRET_REASON not in body, url
        assert 'class="badge restricted"' not in body, url
    assert client.post(f"/review/{private['match'].pk}/decide/",
                       {f"m{private['match'].pk}-decision": "dismiss",
                        f"m{private['match'].pk}-reason": "x"}).status_code == 404


def test_pages_of_the_owner_show_it(private, officer, client):
    officer.save()
    client.force_login(officer)
    vendor = private["vendor"]
    page = client.get(f"/vendors/{vendor.pk}/").content.decode()
    assert "Harbor in-house blocklist" in page and 'class="badge restricted"' in page
    assert "Harbor in-house blocklist" in client.get(f"/check/?name={SECRET_NAME}").content.decode()


def test_a_pre_purchase_check_reads_the_asking_organisations_view(private, org, other_org):
    theirs = screen_name(name=SECRET_NAME, organization=other_org)
    # nothing of the private list, not even its name in the coverage; no list at all in view: not cleared
    assert (theirs["verdict"], theirs["matches"], theirs["coverage"]["missing"]) == ("not_cleared", [], [])
    assert "harbor-inhouse" not in str(theirs)
    make_version(ListSourceFactory(code="public-list"), [listed_entry("Somebody Else Entirely", "P-1")])
    assert screen_name(name=SECRET_NAME, organization=other_org)["verdict"] == "clear"
    assert screen_name(name=SECRET_NAME)["verdict"] == "clear"
    mine = screen_name(name=SECRET_NAME, organization=org)
    assert mine["verdict"] == "restricted"
    assert [m["source"] for m in mine["matches"]] == ["harbor-inhouse"]
    assert [v["source"] for v in mine["coverage"]["searched"]] == ["harbor-inhouse", "public-list"]


def test_the_overlay_row_goes_when_the_views_agree_again(private, org):
    make_version(private["source"], [listed_entry("Somebody Else Entirely", "H-2")])
    screening_run_full()
    assert not VendorOrgStatus.objects.exists()
    assert vendor_status_in_view(private["vendor"].pk, org.pk) == "clear"
    private["mine"].refresh_from_db()
    assert private["mine"].risk_status == "clear"
