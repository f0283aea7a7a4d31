"""Remediation cards and reports (issue #18 item 5): overdue by how much, waived until when, rule titles instead
of codes, the waiver request form in sight, a known unit total while a projection is queued, export links with
one `?`."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.remediation.choices import Outcome, PlanStatus, WaiverStatus
from apps.remediation.models import ProjectionReport
from apps.remediation.selectors import plan_timings, projection_summary_by_rule, rule_titles
from tests.factories import (
    EquipmentFactory,
    PolicyRuleFactory,
    ProjectionLineFactory,
    ProjectionReportFactory,
    RemediationPlanFactory,
    UserFactory,
    WaiverFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def rule(db):
    return PolicyRuleFactory(code="test-contracting-ban", name="DoD 1260H contracting ban")


def _plan(site, rule, *, deadline, status=PlanStatus.OPEN, tag="U"):
    return RemediationPlanFactory(equipment=EquipmentFactory(site=site, asset_tag=tag), rule=rule, status=status,
                                  deadline=deadline, outcome=Outcome.REPLACED if status == PlanStatus.DONE else "")


def test_plan_timings_days_overdue_left_and_waiver_expiry(site, rule, django_assert_num_queries):
    late = _plan(site, rule, deadline=TODAY - dt.timedelta(days=12), tag="LATE")
    soon = _plan(site, rule, deadline=TODAY + dt.timedelta(days=3), tag="SOON")
    due = _plan(site, rule, deadline=TODAY, tag="DUE")
    waived = _plan(site, rule, deadline=TODAY - dt.timedelta(days=40), status=PlanStatus.WAIVED, tag="W")
    WaiverFactory(plan=waived, status=WaiverStatus.APPROVED, expires_on=TODAY + dt.timedelta(days=60),
                  decided_by=UserFactory())
    done = _plan(site, rule, deadline=TODAY - dt.timedelta(days=5), status=PlanStatus.DONE, tag="D")
    with django_assert_num_queries(1):
        t = plan_timings([late, soon, due, waived, done], today=TODAY)
    assert (t[late.pk].days_overdue, t[late.pk].days_left, t[late.pk].overdue) == (12, None, True)
    assert (t[soon.pk].days_overdue, t[soon.pk].days_left) == (None, 3)
    assert (t[due.pk].days_overdue, t[due.pk].days_left) == (None, 0)
    assert (t[waived.pk].days_overdue, t[waived.pk].days_left) == (None, None)  # its clock is stopped
    assert t[waived.pk].waiver_expires_on == TODAY + dt.timedelta(days=60)
    assert (t[done.pk].days_overdue, t[done.pk].days_left, t[done.pk].waiver_expires_on) == (None, None, None)
    with django_assert_num_queries(0):
        assert plan_timings([late], today=TODAY)[late.pk].days_overdue == 12


def test_rule_titles_map_unknown_codes_to_themselves(rule):
    assert rule_titles(["test-contracting-ban", "gone-rule"]) == {
        "test-contracting-ban": "DoD 1260H contracting ban", "gone-rule": "gone-rule"}
    assert projection_summary_by_rule({"by_rule": {"gone-rule": 1, "test-contracting-ban": 3}}) == [
        {"code": "test-contracting-ban", "title": "DoD 1260H contracting ban", "units": 3},
        {"code": "gone-rule", "title": "gone-rule", "units": 1}]


def test_board_cards_say_overdue_by_and_waived_until(client_for, officer, site, rule):
    today = timezone.localdate()
    _plan(site, rule, deadline=today - dt.timedelta(days=12), tag="LATE-1")
    _plan(site, rule, deadline=today + dt.timedelta(days=1), tag="SOON-1")
    waived = _plan(site, rule, deadline=today - dt.timedelta(days=3), status=PlanStatus.WAIVED, tag="WAIVED-1")
    WaiverFactory(plan=waived, status=WaiverStatus.APPROVED, expires_on=today + dt.timedelta(days=30),
                  decided_by=UserFactory())
    text = client_for(officer).get(reverse("web:remediation-board")).content.decode()
    assert "overdue by 12 days" in text
    assert "1 day left" in text
    assert f"waived until {(today + dt.timedelta(days=30)).isoformat()}" in text
    assert "DoD 1260H contracting ban" in text and "test-contracting-ban" not in text
    assert "??" not in text
    assert f'{reverse("web:plan-export")}?format=csv' in text


def test_export_links_have_one_question_mark(client_for, officer, inventory):
    c = client_for(officer)
    for name in ("web:equipment-list", "web:vendor-list", "web:remediation-board"):
        text = c.get(reverse(name), {"q": "x"}).content.decode()
        assert "??" not in text, name
        assert "?q=x&amp;format=csv" in text or "?format=csv" in text, name


def test_waiver_form_is_in_sight_for_writers_only(client_for, officer, auditor, site, rule):
    plan = _plan(site, rule, deadline=timezone.localdate() - dt.timedelta(days=2), tag="P-1")
    text = client_for(officer).get(reverse("web:plan-detail", args=[plan.pk])).content.decode()
    assert '<section class="waiver-request"' in text and 'name="waiver-justification"' in text
    assert "<summary>Request a waiver" not in text  # not folded away
    assert "overdue by 2 days" in text
    reader = client_for(auditor).get(reverse("web:plan-detail", args=[plan.pk])).content.decode()
    assert 'name="waiver-justification"' not in reader


def test_projection_report_shows_rule_titles_and_export_has_both(client_for, officer, org, site, rule):
    other = PolicyRuleFactory(code="test-use-ban", name="NDAA s.889(b) use ban")
    report = ProjectionReportFactory(organization=org, status=ProjectionReport.Status.DONE,
                                     summary={"total": 1, "newly_due": 1, "already_due": 0,
                                              "by_rule": {"test-contracting-ban": 1}})
    ProjectionLineFactory(report=report, equipment=EquipmentFactory(site=site), rule_code="test-contracting-ban",
                          also=["test-use-ban"])
    c = client_for(officer)
    text = c.get(reverse("web:projection-report", args=[report.pk])).content.decode()
    assert "DoD 1260H contracting ban" in text and other.name in text
    assert "<code>test-contracting-ban</code>" not in text
    assert "??" not in text
    export = c.get(reverse("web:projection-export", args=[report.pk]), {"format": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    header, row = body.splitlines()[:2]
    assert header.endswith("rule_code,also_codes")
    assert "DoD 1260H contracting ban" in row and "NDAA s.889(b) use ban" in row and "test-contracting-ban" in row


def test_queued_projection_shows_the_known_unit_total(client_for, officer, site, django_capture_on_commit_callbacks):
    EquipmentFactory.create_batch(3, site=site)
    c = client_for(officer)
    c.post(reverse("web:projection"), {"on": (timezone.localdate() + dt.timedelta(days=30)).isoformat()})
    report = ProjectionReport.objects.get()  # on-commit enqueue never ran: still queued
    assert report.units_total == 3
    text = c.get(reverse("web:projection-report", args=[report.pk])).content.decode()
    assert "0 of 3 units looked at" in text and "?" not in text.split("looked at")[0].rsplit(">", 1)[-1]
