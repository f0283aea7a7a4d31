"""Review decisions: recorded, re-applied on re-screen, re-opened when either side changes.

An officer decides for their organisation's view (tests/screening/test_review_organizations.py has the views
side by side); the public view (Vendor.risk_status, Match.review_state) follows registry-wide decisions only."""
import pytest

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.screening.models import Match, ReviewDecision
from apps.screening.selectors import matches_in_view, review_queue, vendor_status_in_view
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


def state_in(org, vendor) -> str:
    """The review state in force for `vendor`'s open match in the organisation's view."""
    return matches_in_view(org.pk).get(vendor=vendor, closed_at__isnull=True).view_review_state


def test_unreviewed_match_is_in_the_queue_and_gives_potential_match(listed):
    vendor, _ = listed
    vendor.refresh_from_db()
    assert vendor.risk_status == "potential_match"
    assert list(review_queue()) == [open_match(vendor)]


def test_confirm_records_who_when_why_and_sets_the_status(listed, officer, org):
    vendor, _ = listed
    decision = review_decide(match=open_match(vendor), decision="confirm", reason="Same company, same address.",
                             user=officer)
    assert (decision.decided_by, decision.reason, decision.organization) == (
        officer, "Same company, same address.", org)
    assert vendor_status_in_view(vendor.pk, org.pk) == "prohibited"
    assert state_in(org, vendor) == "confirmed"
    assert list(review_queue(org.pk)) == []
    vendor.refresh_from_db()  # the public view waits for a registry-wide decision
    assert (vendor.risk_status, open_match(vendor).review_state) == ("potential_match", "unreviewed")
    event = AuditEvent.objects.filter(action="screening.match.confirm").get()
    assert event.actor == officer and event.changes["reason"] == "Same company, same address."


def test_decision_survives_a_rescreen(listed, officer, org):
    vendor, _ = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=officer)
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"
    screening_run_full()
    screening_run_full()
    assert state_in(org, vendor) == "dismissed"
    assert vendor_status_in_view(vendor.pk, org.pk) == "clear"


def test_decision_reopens_when_the_vendor_names_change(listed, officer, org):
    vendor, _ = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=officer)
    vendor_alias_add(vendor=vendor, name="Zorblax")
    screening_run_full()
    assert state_in(org, vendor) == "unreviewed"
    assert vendor_status_in_view(vendor.pk, org.pk) == "potential_match"
    assert ReviewDecision.objects.count() == 1  # kept, just no longer applies


def test_decision_reopens_when_the_entry_content_changes(listed, sdn, verified_curator):
    vendor, v1 = listed
    review_decide(match=open_match(vendor), decision="dismiss", reason="Different company.", user=verified_curator,
                  registry_wide=True)
    v2 = make_version(sdn, [listed_entry("Zorblax Holdings", "1", programs=["SDGT"])], previous=v1)
    run = screening_run_list_version(version_id=v2.pk)
    assert run.counts["entries_changed"] == 1
    match = open_match(vendor)
    assert match.review_state == "unreviewed"
    assert match.list_version_id == v2.pk
    assert run.counts["matches_reopened"] == 1


def test_decision_applies_wherever_the_vendor_identity_appears(listed, officer, org):
    vendor, _ = listed
    # The same identity (the same names, case and spacing folded) recorded as two vendors: legal names are unique
    # without regard to case, so the twin holds the vendor's names the other way round.
    vendor_alias_add(vendor=vendor, name="ZB Holdings")
    twin = vendor_create(name="zb  holdings ", aliases=[{"name": "ZORBLAX  HOLDINGS "}])
    screening_run_full()
    review_decide(match=open_match(vendor), decision="confirm", reason="Confirmed with registry.", user=officer)
    assert state_in(org, twin) == "confirmed"
    assert vendor_status_in_view(twin.pk, org.pk) == "prohibited"


def test_a_newer_decision_supersedes_the_older(listed, officer, org):
    vendor, _ = listed
    first = review_decide(match=open_match(vendor), decision="dismiss", reason="Looks different.", user=officer)
    second = review_decide(match=open_match(vendor), decision="confirm", reason="Registry says same.", user=officer)
    first.refresh_from_db()
    assert first.superseded_by == second and first.superseded_at is not None
    assert state_in(org, vendor) == "confirmed"


@pytest.mark.parametrize(("decision", "reason", "field"), [("maybe", "x", "decision"), ("confirm", "  ", "reason")])
def test_bad_decision_is_refused_and_changes_nothing(listed, officer, decision, reason, field):
    vendor, _ = listed
    with pytest.raises(ApplicationError) as exc:
        review_decide(match=open_match(vendor), decision=decision, reason=reason, user=officer)
    assert field in exc.value.fields
    assert ReviewDecision.objects.count() == 0
    assert open_match(vendor).review_state == "unreviewed"


def test_a_registry_wide_confirmation_announces_the_finding_status_change(listed, verified_curator):
    from apps.common import events
    from apps.screening.models import Finding
    from tests.conftest import events_recorded

    vendor, _ = listed
    finding = Finding.objects.get(vendor=vendor, closed_at__isnull=True, organization=None)
    assert finding.status == "potential_match"
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        review_decide(match=open_match(vendor), decision="confirm", reason="Registry: same company.",
                      user=verified_curator, registry_wide=True)
    finding.refresh_from_db()
    changed = [a for b in seen for a in b.items if a.type == "finding.status_changed"]
    assert finding.status != "potential_match"
    assert [(a.organization_id, a.object_ids) for a in changed] == [(None, (finding.pk,))]
