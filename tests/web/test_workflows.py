"""Pages that drive the other apps' services: pre-purchase check, review, remediation, lists. Read-only roles
are refused on every state-changing URL; writers go through the services."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from tests.factories import (
    EquipmentFactory,
    ListEntryFactory,
    ListSourceFactory,
    ListVersionFactory,
    MembershipFactory,
    PolicyRuleFactory,
    ProductModelFactory,
    RemediationPlanFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

WRITE_URLS = [
    ("web:import", []),
    ("web:check", []),
    ("web:review-decide", [1]),
    ("web:plan-action", [1, "advance"]),
    ("web:plan-action", [1, "waiver"]),
    ("web:list-refresh", [1]),
    ("web:list-upload", [1]),
    ("web:list-version-decide", [1, "approve"]),
]


@pytest.mark.parametrize(("name", "args"), WRITE_URLS)
@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_read_only_roles_cannot_post(client_for, org, name, args, role):
    user = MembershipFactory(organization=org, role=role, user=UserFactory(username=f"ro-{role}")).user
    response = client_for(user).post(reverse(name, args=args), {"name": "x", "reason": "because"})
    assert response.status_code == 403


def test_anonymous_post_redirects_to_login(client):
    response = client.post(reverse("web:review-decide", args=[1]), {"decision": "confirm"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_csrf_is_enforced(officer, site):
    from django.test import Client

    officer.save()
    c = Client(enforce_csrf_checks=True)
    c.force_login(officer)
    response = c.post(reverse("web:org-switch"), {"organization": site.organization_id})
    assert response.status_code == 403


@pytest.fixture
def screened(org, site):
    """A Hikvision-like vendor on an active list version, screened; one camera at the site."""
    from apps.lists.choices import Regime
    from apps.screening.services import screening_run_full

    now = timezone.now()
    source = ListSourceFactory(code="test-list", name="Test list", publisher="Test", regime=Regime.US_NDAA,
                               last_success_at=now)
    version = ListVersionFactory(source=source, active=True, fetched_at=now, sha256="a" * 64, entry_count=1)
    ListEntryFactory(version=version, external_id="E1", primary_name="Hangzhou Hikvision Digital Technology Co., Ltd.",
                     aliases=["Hikvision"], countries=["CN"], content_hash="h1")
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co., Ltd.", country_of_incorporation="CN")
    near = VendorFactory(name="Hikvision Digital", country_of_incorporation="")
    EquipmentFactory(site=site, product_model=ProductModelFactory(brand=hik), asset_tag="CAM-HIK")
    EquipmentFactory(site=site, product_model=ProductModelFactory(brand=near), asset_tag="CAM-NEAR")
    screening_run_full()
    return {"source": source, "version": version, "hik": hik, "near": near}


def test_check_page_runs_and_saves_evidence(client_for, officer, screened):
    c = client_for(officer)
    response = c.get(reverse("web:check"), {"name": "Hikvision"})
    assert response.status_code == 200
    assert b'id="verdict"' in response.content
    assert "Hangzhou Hikvision" in response.content.decode()
    response = c.post(reverse("web:check"), {"name": "Hikvision", "country": ""})
    assert response.status_code == 302
    record = c.get(response["Location"])
    assert b"evidence record" in record.content
    assert b"data-print" in record.content


def test_check_errors_are_next_to_the_field(client_for, officer, screened):
    response = client_for(officer).get(reverse("web:check"), {"name": ""})
    assert b"errorlist" in response.content
    assert b'id="verdict"' not in response.content


def test_saved_check_of_other_organisation_is_404(client_for, officer, other_officer, screened):
    from apps.screening.services import screen_name

    result = screen_name(name="Hikvision", user=other_officer, organization=other_officer.memberships.get()
                         .organization, save=True)
    response = client_for(officer).get(reverse("web:check-record", args=[result["check_id"]]))
    assert response.status_code == 404


def test_review_confirm_with_reason(client_for, officer, screened):
    from apps.screening.models import Match

    match = Match.objects.filter(vendor=screened["near"], review_state="unreviewed").first()
    assert match is not None
    c = client_for(officer)
    page = c.get(reverse("web:review-queue"))
    assert "Hikvision Digital" in page.content.decode()
    response = c.post(reverse("web:review-decide", args=[match.pk]),
                      {f"m{match.pk}-decision": "confirm", f"m{match.pk}-reason": "Same company, same address."})
    assert response.status_code == 302
    from apps.screening.selectors import matches_in_view

    # the officer's organisation's own decision: in force in its view; the public view is left alone
    in_view = matches_in_view(officer.memberships.get().organization_id).get(pk=match.pk)
    assert (in_view.view_review_state, in_view.decision_in_force) == ("confirmed", "own")
    match.refresh_from_db()
    assert match.review_state == "unreviewed"


def _curator_viewer(org):
    """A curator who is a viewer of `org` (read-only there), signed in with a verified second factor."""
    from django.test import Client

    from tests.conftest import second_factor_login
    from tests.factories import CuratorFactory, MembershipFactory, UserFactory

    user = UserFactory(username="curator-viewer")
    user.save()
    MembershipFactory(user=user, organization=org, role=Role.VIEWER)
    CuratorFactory(user=user)
    return user, second_factor_login(Client(), user)


def test_a_verified_curator_decides_registry_wide_on_the_web(org, other_org, screened):
    from apps.screening.models import Match
    from apps.screening.selectors import matches_in_view

    match = Match.objects.filter(vendor=screened["near"], review_state="unreviewed").first()
    _user, c = _curator_viewer(org)
    page = c.get(reverse("web:review-queue")).content.decode()
    assert f'name="m{match.pk}-registry_wide" value="on"' in page and "decide registry-wide" in page
    response = c.post(reverse("web:review-decide", args=[match.pk]), {
        f"m{match.pk}-decision": "dismiss", f"m{match.pk}-reason": "Different company: a reseller in Ohio.",
        f"m{match.pk}-registry_wide": "on"})
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.review_state == "dismissed"  # the public view
    for organization in (org, other_org):  # in force for every organisation without its own decision
        in_view = matches_in_view(organization.pk).get(pk=match.pk)
        assert (in_view.view_review_state, in_view.decision_in_force) == ("dismissed", "registry")


def test_registry_wide_on_the_web_is_for_curators_and_a_curator_viewer_cannot_decide_for_the_organisation(
        client_for, officer, org, screened):
    from apps.screening.models import Match, ReviewDecision

    match = Match.objects.filter(vendor=screened["near"], review_state="unreviewed").first()
    body = {f"m{match.pk}-decision": "confirm", f"m{match.pk}-reason": "Same company, same address."}
    assert 'registry_wide' not in client_for(officer).get(reverse("web:review-queue")).content.decode()
    response = client_for(officer).post(reverse("web:review-decide", args=[match.pk]),
                                        {**body, f"m{match.pk}-registry_wide": "on"})
    assert response.status_code == 403  # an officer is not a curator
    _user, c = _curator_viewer(org)
    assert c.post(reverse("web:review-decide", args=[match.pk]), body).status_code == 403  # a viewer there
    assert not ReviewDecision.objects.exists()
    match.refresh_from_db()
    assert match.review_state == "unreviewed"


def test_review_needs_a_reason(client_for, officer, screened):
    from apps.screening.models import Match

    match = Match.objects.filter(vendor=screened["near"], review_state="unreviewed").first()
    response = client_for(officer).post(reverse("web:review-decide", args=[match.pk]),
                                        {f"m{match.pk}-decision": "dismiss", f"m{match.pk}-reason": ""})
    assert response.status_code == 400
    assert b"errorlist" in response.content
    match.refresh_from_db()
    assert match.review_state == "unreviewed"


@pytest.fixture
def plan(org, site, admin_user):
    from apps.remediation.choices import Action

    rule = PolicyRuleFactory(code="test-rule", name="Test rule", citation="Test s.1", action=Action.REPLACE,
                             deadline_days=30)
    unit = EquipmentFactory(site=site, asset_tag="PLAN-UNIT")
    return RemediationPlanFactory(equipment=unit, rule=rule, deadline=timezone.localdate() + dt.timedelta(days=30))


def test_board_and_plan_pages(client_for, officer, plan):
    c = client_for(officer)
    board = c.get(reverse("web:remediation-board"))
    assert "PLAN-UNIT" in board.content.decode()
    detail = c.get(reverse("web:plan-detail", args=[plan.pk]))
    assert detail.status_code == 200
    assert b"Request a waiver" in detail.content


def test_plan_of_other_organisation_is_404(client_for, other_officer, plan):
    assert client_for(other_officer).get(reverse("web:plan-detail", args=[plan.pk])).status_code == 404
    response = client_for(other_officer).post(reverse("web:plan-action", args=[plan.pk, "advance"]))
    assert response.status_code == 404


def test_plan_advance_step_and_waiver_four_eyes(client_for, officer, admin_user, plan, org):
    c = client_for(officer)
    assert c.post(reverse("web:plan-action", args=[plan.pk, "advance"]), {}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "planned"
    assert c.post(reverse("web:plan-action", args=[plan.pk, "step"]), {"step-title": "Order replacement"}
                  ).status_code == 302
    expires = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    response = c.post(reverse("web:plan-action", args=[plan.pk, "waiver"]),
                      {"waiver-justification": "Budget", "waiver-compensating_controls": "VLAN",
                       "waiver-expires_on": expires})
    assert response.status_code == 302
    waiver = plan.waivers.get()
    # The officer is not an admin: approving is refused by the service, shown on the page.
    response = c.post(reverse("web:plan-action", args=[plan.pk, "waiver-approve"]), {"waiver": waiver.pk})
    assert response.status_code == 400
    second = MembershipFactory(organization=org, role=Role.ADMIN, user=UserFactory(username="admin-two")).user
    response = client_for(second).post(reverse("web:plan-action", args=[plan.pk, "waiver-approve"]),
                                       {"waiver": waiver.pk, "decision-note": "ok"})
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert waiver.status == "approved"


def test_waiver_request_errors_next_to_fields(client_for, officer, plan):
    response = client_for(officer).post(reverse("web:plan-action", args=[plan.pk, "waiver"]),
                                        {"waiver-justification": "", "waiver-compensating_controls": "",
                                         "waiver-expires_on": "nope"})
    assert response.status_code == 400
    assert response.content.count(b"errorlist") >= 2


def test_lists_pages_and_refresh(client_for, officer, screened):
    c = client_for(officer)
    assert "Test list" in c.get(reverse("web:list-sources")).content.decode()
    source = screened["source"]
    assert c.get(reverse("web:list-source", args=[source.pk])).status_code == 200
    assert c.get(reverse("web:list-version", args=[screened["version"].pk])).status_code == 200


def test_quarantined_version_needs_a_verified_curator_for_public_lists(client, client_for, admin_user, screened):
    """An organisation admin, even with Django's staff flag, cannot decide a public list; a curator can, once
    the session is verified by the second factor."""
    from apps.lists.choices import VersionStatus
    from tests.conftest import second_factor_login
    from tests.factories import CuratorFactory

    q = ListVersionFactory(source=screened["source"], status=VersionStatus.QUARANTINED, sha256="b" * 64,
                           status_reason="dropped 50%")
    url = reverse("web:list-version-decide", args=[q.pk, "reject"])
    admin_user.is_staff = True
    admin_user.save()
    assert client_for(admin_user).post(url, {"reason": "truncated file"}).status_code == 403
    CuratorFactory(user=admin_user)
    assert client_for(admin_user).post(url, {"reason": "truncated file"}).status_code == 403  # not verified
    q.refresh_from_db()
    assert q.status == VersionStatus.QUARANTINED
    response = second_factor_login(client, admin_user).post(url, {"reason": "truncated file"})
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.status == "rejected"


def test_review_decision_does_not_redirect_off_site(client_for, officer, screened):
    from apps.screening.models import Match

    match = Match.objects.filter(vendor=screened["near"], review_state="unreviewed").first()
    response = client_for(officer).post(reverse("web:review-decide", args=[match.pk]), {
        f"m{match.pk}-decision": "dismiss", f"m{match.pk}-reason": "Different company.",
        "next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:review-queue")


def test_dashboard_hides_other_organisations_in_house_lists(client_for, officer, other_org):
    ListSourceFactory(code="their-list", name="Their secret list", publisher="Them", regime="custom",
                      organization=other_org)
    response = client_for(officer).get(reverse("web:dashboard"))
    assert b"Their secret list" not in response.content
    assert b"Their secret list" not in client_for(officer).get(reverse("web:list-sources")).content


def test_equipment_list_overdue_filter(client_for, officer, plan, site):
    EquipmentFactory(site=site, asset_tag="ON-TIME")
    plan.deadline = timezone.localdate() - dt.timedelta(days=1)
    plan.save()
    response = client_for(officer).get(reverse("web:equipment-list"), {"overdue": "true"})
    body = response.content.decode()
    assert "PLAN-UNIT" in body
    assert "ON-TIME" not in body
    dashboard = client_for(officer).get(reverse("web:dashboard")).content.decode()
    assert "PLAN-UNIT" in dashboard


def test_refresh_now_shows_a_polling_progress_bar(client_for, admin_user, django_capture_on_commit_callbacks):
    from apps.lists.models import FetchRun, ListSource
    from apps.lists.services import list_sources_setup

    list_sources_setup()
    source = ListSource.objects.get(code="ndaa_889")  # bundled with the app: refreshable offline
    c = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=False):  # the worker is not part of this test
        response = c.post(reverse("web:list-refresh", args=[source.pk]), HTTP_HX_REQUEST="true")
    run = FetchRun.objects.get(source=source)
    body = response.content.decode()
    assert "<progress" in body
    assert reverse("web:list-run", args=[run.pk]) in body
    FetchRun.objects.filter(pk=run.pk).update(status="active", progress=100, message="New version active")
    done = c.get(reverse("web:list-run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<progress" not in done
    assert "hx-get" not in done


def test_board_query_count_is_constant(client_for, officer, plan, org, site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(officer)
    c.get(reverse("web:remediation-board"))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("web:remediation-board"))
    for i in range(10):
        unit = EquipmentFactory(site=site, asset_tag=f"MORE-{i}")
        RemediationPlanFactory(equipment=unit, rule=plan.rule, deadline=plan.deadline,
                               discovered_on=plan.discovered_on, opened_at=plan.opened_at)
    with CaptureQueriesContext(connection) as many:
        response = c.get(reverse("web:remediation-board"))
    assert "MORE-9" in response.content.decode()
    assert len(many) == len(few)


def test_review_queue_query_count_is_constant(client_for, officer, screened):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.screening.models import Match

    c = client_for(officer)
    c.get(reverse("web:review-queue"))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("web:review-queue"))
    base = Match.objects.filter(review_state="unreviewed").first()
    for i in range(5):
        base.pk = None
        base.external_id = f"X{i}"
        base.save()
    with CaptureQueriesContext(connection) as many:
        c.get(reverse("web:review-queue"))
    assert Match.objects.filter(review_state="unreviewed").count() > 5
    assert len(many) == len(few)


def test_review_queue_sorts_by_the_organisations_units_and_counts_what_waits(client_for, officer, site, screened):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.screening.models import Match

    queued = list(Match.objects.filter(review_state="unreviewed").select_related("vendor"))
    assert queued
    first = queued[0].vendor.name
    # Another vendor with a weaker match but many more of the organisation's units.
    other = VendorFactory(name="Hikvision Distribution Partner")
    EquipmentFactory(site=site, product_model=ProductModelFactory(brand=other), asset_tag="CAM-MANY", quantity=40)
    weak = queued[0]
    weak.pk, weak.vendor, weak.score, weak.external_id = None, other, 0.80, "WEAK-1"
    weak.save()
    c = client_for(officer)
    by_score = c.get(reverse("web:review-queue")).content.decode()
    assert by_score.index("Hikvision Distribution Partner ↔") > by_score.index(first + " ↔")
    c.get(reverse("web:review-queue"), {"sort": "units"})
    with CaptureQueriesContext(connection) as queries:
        by_units = c.get(reverse("web:review-queue"), {"sort": "units"}).content.decode()
    assert by_units.index("Hikvision Distribution Partner ↔") < by_units.index(first + " ↔")
    assert 'value="units" selected' in by_units
    waiting = Match.objects.filter(review_state="unreviewed").count()
    assert f"({waiting} matches)" in by_units
    for i in range(5):  # more queued matches: the same number of queries
        weak.pk, weak.external_id = None, f"WEAK-X{i}"
        weak.save()
    with CaptureQueriesContext(connection) as more:
        c.get(reverse("web:review-queue"), {"sort": "units"})
    assert len(more) == len(queries)


def test_refresh_of_a_source_without_url_explains_in_place(client_for, admin_user, screened):
    response = client_for(admin_user).post(reverse("web:list-refresh", args=[screened["source"].pk]),
                                        HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert b"<html" not in response.content


def test_an_officer_may_not_refresh_a_public_list_on_the_web_as_in_the_api(client_for, officer, screened):
    """"Refresh now" is for organisation administrators (and curators), on the web as in the API."""
    from apps.lists.models import FetchRun

    response = client_for(officer).post(reverse("web:list-refresh", args=[screened["source"].pk]))
    assert response.status_code == 403
    assert not FetchRun.objects.filter(source=screened["source"]).exists()
