"""Reads: scoping to the user's organisations, board, risk score, projection, burn-down."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.remediation.models import RemediationPlan
from apps.remediation.selectors import (
    burndown_periods,
    equipment_risk_scores,
    plan_board,
    plan_get_for_user,
    plan_history,
    plan_list_for_user,
    remediation_burndown,
    remediation_projection,
    remediation_projection_summary,
    waivers_awaiting_decision,
)
from apps.remediation.services import plan_transition, remediation_evaluate, waiver_request
from tests.factories import EquipmentFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def plan(camera, findings, make_rule):
    make_rule(regimes=["us_ndaa"], deadline_date=dt.date(2020, 8, 13), deadline_days=None)
    findings.add(camera)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    return RemediationPlan.objects.get()


def test_officers_of_another_organisation_see_nothing(plan, officer, auditor, other_officer):
    assert list(plan_list_for_user(officer)) == [plan]
    assert list(plan_list_for_user(auditor)) == [plan]
    assert list(plan_list_for_user(other_officer)) == []
    assert plan_get_for_user(other_officer, plan.pk) is None
    assert plan_get_for_user(officer, plan.pk) == plan
    assert plan_board(user=other_officer, today=TODAY)["open"] == 0


def test_board_counts(plan, officer):
    board = plan_board(user=officer, today=TODAY)
    assert board["open"] == 1 and board["overdue"] == 1 and board["due_30"] == 0


def test_waivers_awaiting_decision_excludes_own_requests(plan, officer, admin_user, second_admin):
    waiver_request(plan=plan, user=admin_user, justification="j", compensating_controls="c",
                   expires_on=TODAY, today=TODAY)
    assert list(waivers_awaiting_decision(admin_user)) == []
    assert len(waivers_awaiting_decision(second_admin)) == 1
    assert list(waivers_awaiting_decision(officer)) == []


def test_plan_history_lists_versions(plan, officer):
    plan_transition(plan=plan, to_status="planned", user=officer, today=TODAY)
    assert [h["status"] for h in plan_history(plan)] == ["open", "planned"]


def test_risk_score_selector_explains_crane(crane):
    scores = equipment_risk_scores(equipment_ids=[crane.pk])
    terms = {t.name: t for t in scores[crane.pk].terms}
    assert terms["country_of_concern"].points > 0 and "China Communications" in terms["country_of_concern"].reason
    assert terms["connectivity"].points == 15 and terms["site"].points == 15
    assert terms["data_collection"].points == 10


def test_projection_shows_what_becomes_non_compliant_on_a_future_date(camera, crane, findings, make_rule, officer,
                                                                      other_officer):
    make_rule(code="dod1260h-products", regimes=["us_dod"], action="replace", deadline_date=dt.date(2027, 6, 30),
              deadline_days=None)
    make_rule(code="future-rule", regimes=["us_bis"], action="remove", deadline_days=0,
              effective_from=dt.date(2027, 3, 1))
    findings.add(camera, regime="us_dod", source_code="dod_1260h")
    findings.add(crane, regime="us_bis", source_code="us_csl", listed_on=dt.date(2020, 12, 18),
                 discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    assert RemediationPlan.objects.count() == 1  # the future rule is not in force today

    assert remediation_projection(on=dt.date(2027, 1, 1), today=TODAY, findings_provider=findings, user=officer) == []
    spring = remediation_projection(on=dt.date(2027, 3, 1), today=TODAY, findings_provider=findings, user=officer)
    assert [(i.equipment_id, i.rule_code) for i in spring] == [(crane.pk, "future-rule")]
    july = remediation_projection(on=dt.date(2027, 7, 1), today=TODAY, findings_provider=findings, user=officer)
    assert {(i.equipment_id, i.rule_code) for i in july} == {(camera.pk, "dod1260h-products"),
                                                             (crane.pk, "future-rule")}
    summary = remediation_projection_summary(july)
    assert summary["total"] == 2 and summary["newly_due"] == 2
    assert remediation_projection(on=dt.date(2027, 7, 1), today=TODAY, findings_provider=findings,
                                  user=other_officer) == []


def test_projection_respects_done_plans_and_waivers(camera, findings, make_rule, officer, admin_user):
    from apps.remediation.services import waiver_approve

    make_rule(code="p", regimes=["us_dod"], deadline_date=dt.date(2027, 6, 30), deadline_days=None)
    findings.add(camera, regime="us_dod")
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    w = waiver_request(plan=plan, user=officer, justification="j", compensating_controls="c",
                       expires_on=dt.date(2027, 12, 31), today=TODAY)
    waiver_approve(waiver=w, user=admin_user, today=TODAY)
    assert remediation_projection(on=dt.date(2027, 7, 1), today=TODAY, findings_provider=findings, user=officer) == []
    assert len(remediation_projection(on=dt.date(2028, 1, 1), today=TODAY, findings_provider=findings,
                                      user=officer)) == 1


def test_burndown_periods():
    assert burndown_periods(dt.date(2026, 1, 1), dt.date(2026, 1, 20), "week") == [
        dt.date(2026, 1, 4), dt.date(2026, 1, 11), dt.date(2026, 1, 18), dt.date(2026, 1, 20)]
    assert burndown_periods(dt.date(2024, 1, 15), dt.date(2024, 3, 31), "month") == [
        dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]


def test_burndown_open_overdue_done_over_time(site, findings, make_rule, officer, org):
    make_rule(code="r", regimes=["x"], deadline_days=30, deadline_anchor="discovery")
    pm = ProductModelFactory(category="camera")
    units = [EquipmentFactory(site=site, product_model=pm) for _ in range(3)]
    for u in units:
        findings.add(u, regime="x", discovered_on=dt.date(2026, 1, 1))
    t0 = timezone.make_aware(dt.datetime(2026, 1, 1, 12))
    remediation_evaluate(today=dt.date(2026, 1, 1), now=t0, findings_provider=findings)
    plan = RemediationPlan.objects.filter(equipment=units[0]).get()
    for s in ("planned", "in_progress"):
        plan_transition(plan=plan, to_status=s, user=officer, today=dt.date(2026, 1, 10))
    plan_transition(plan=plan, to_status="done", outcome="replaced", user=officer,
                    now=timezone.make_aware(dt.datetime(2026, 1, 20, 9)), today=dt.date(2026, 1, 20))
    rows = remediation_burndown(organization_ids=[org.pk], start=dt.date(2025, 12, 25), end=dt.date(2026, 2, 15),
                                interval="week")
    by_day = {r["period_end"]: r for r in rows}
    assert by_day[dt.date(2025, 12, 28)] == {"period_end": dt.date(2025, 12, 28), "group": None, "open": 0,
                                             "overdue": 0, "done": 0}
    assert (by_day[dt.date(2026, 1, 4)]["open"], by_day[dt.date(2026, 1, 4)]["done"]) == (3, 0)
    assert (by_day[dt.date(2026, 1, 25)]["open"], by_day[dt.date(2026, 1, 25)]["done"]) == (2, 1)
    assert by_day[dt.date(2026, 2, 8)]["overdue"] == 2  # deadline 31 Jan passed
    grouped = remediation_burndown(organization_ids=[org.pk], start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                                   interval="month", group_by="category")
    assert grouped == [{"period_end": dt.date(2026, 1, 31), "group": "camera", "open": 2, "overdue": 0, "done": 1}]
    assert remediation_burndown(organization_ids=[], start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                                interval="month")[0]["open"] == 0
    assert remediation_burndown(user=officer, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31),
                                interval="month")[0]["open"] == 2


def test_burndown_for_a_user_of_another_organisation_is_empty(plan, other_officer, org):
    rows = remediation_burndown(user=other_officer, organization_ids=[org.pk], start=TODAY, end=TODAY,
                                interval="week")
    assert rows == [{"period_end": TODAY, "group": None, "open": 0, "overdue": 0, "done": 0}]
