"""Review decisions: recorded, re-applied on re-screen, re-opened when either side changes."""
import pytest

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.screening.models import Match, ReviewDecision
from apps.screening.selectors import review_queue
from apps.screening.services import review_decide, screening_run_full, screening_run_list_version
from apps.vendors.services import vendor_alias_add, vendor_create
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(sdn, no_auto_confirm):
    version = make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor = vendor_create(name="Zorblax Holdings")
    screening_run_full()
    return vendor, version


def open_match(vendor) -> Match:
    return Match.objects.get(vendor=vendor, closed_at__isnull=True)


def test_unreviewed_match_is_in_the_queue_and_gives_potential_match(listed):
    vendor, _ = listed
    vendor.refresh_from_db()
    assert vendor.risk_status == "potential_match"
    assert list(review_queue()) == [open_match(vendor)]


def test_confirm_records_who_when_why_and_sets_the_status(listed, officer):
    vendor, _ = listed
    decision = review_decide(match=open_match(vendor), decision="confirm", reason="Same company, same address.",
                             user=officer)
    assert (decision.decided_by, decision.reason) == (officer, "Same company, same address.")
    vendor.refresh_from_db()
    assert vendor.risk_status == "prohibited"
    assert open_match(vendor).review_state == "confirmed"
    assert list(review_queue()) == []
    event = AuditEvent.objects.filter(action="screening.match.confirm").get()
    assert event.actor == officer and event.changes["reason"] == "Same company, same address."


def test_decision_survives_a_rescreen(listed, officer):
    vendor, _ = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=officer)
    vendor.refresh_from_db()
    assert vendor.risk_status == "clear"
    screening_run_full()
    screening_run_full()
    match = open_match(vendor)
    assert match.review_state == "dismissed"
    vendor.refresh_from_db()
    assert vendor.risk_status == "clear"


def test_decision_reopens_when_the_vendor_names_change(listed, officer):
    vendor, _ = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=officer)
    vendor_alias_add(vendor=vendor, name="Zorblax")
    screening_run_full()
    assert open_match(vendor).review_state == "unreviewed"
    vendor.refresh_from_db()
    assert vendor.risk_status == "potential_match"
    assert ReviewDecision.objects.count() == 1  # kept, just no longer applies


def test_decision_reopens_when_the_entry_content_changes(listed, sdn, officer):
    vendor, v1 = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=officer)
    v2 = make_version(sdn, [listed_entry("Zorblax Holdings", "1", programs=["SDGT"])], previous=v1)
    run = screening_run_list_version(version_id=v2.pk)
    assert run.counts["entries_changed"] == 1
    match = open_match(vendor)
    assert match.review_state == "unreviewed"
    assert match.list_version_id == v2.pk
    assert run.counts["matches_reopened"] == 1


def test_decision_applies_wherever_the_vendor_identity_appears(listed, officer):
    vendor, _ = listed
    twin = vendor_create(name="ZORBLAX  HOLDINGS ")  # same identity: names fold case and spacing
    screening_run_full()
    review_decide(match=open_match(vendor), decision="confirm", reason="Confirmed with registry.", user=officer)
    assert open_match(twin).review_state == "confirmed"


def test_a_newer_decision_supersedes_the_older(listed, officer):
    vendor, _ = listed
    first = review_decide(match=open_match(vendor), decision="dismiss", reason="Looks different.", user=officer)
    second = review_decide(match=open_match(vendor), decision="confirm", reason="Registry says same.", user=officer)
    first.refresh_from_db()
    assert first.superseded_by == second and first.superseded_at is not None
    assert open_match(vendor).review_state == "confirmed"


@pytest.mark.parametrize(("decision", "reason", "field"), [("maybe", "x", "decision"), ("confirm", "  ", "reason")])
def test_bad_decision_is_refused_and_changes_nothing(listed, officer, decision, reason, field):
    vendor, _ = listed
    with pytest.raises(ApplicationError) as exc:
        review_decide(match=open_match(vendor), decision=decision, reason=reason, user=officer)
    assert field in exc.value.fields
    assert ReviewDecision.objects.count() == 0
    assert open_match(vendor).review_state == "unreviewed"
