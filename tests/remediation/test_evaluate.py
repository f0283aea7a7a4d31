"""Plans created by the rules: idempotent re-screening, stricter rule wins, vendor cleared, reopen, country
rule through the ownership chain."""
import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.inventory.choices import EquipmentStatus
from apps.remediation.models import RemediationPlan
from apps.remediation.services import plan_transition, remediation_evaluate

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_evaluate_creates_one_plan_and_rerun_creates_nothing(camera, findings, make_rule):
    make_rule(code="ndaa889-b", regimes=["us_ndaa"], action="replace", deadline_date=dt.date(2020, 8, 13),
              deadline_days=None)
    findings.add(camera)
    first = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert first.created == 1
    plan = RemediationPlan.objects.get()
    assert (plan.equipment_id, plan.rule.code, plan.action, plan.deadline) == (
        camera.pk, "ndaa889-b", "replace", dt.date(2020, 8, 13))
    assert plan.is_overdue and plan.status == "open" and plan.organization_id == camera.site.organization_id
    history_rows = plan.history.count()
    events = AuditEvent.objects.count()
    second = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert (second.created, second.updated, second.closed, second.unchanged) == (0, 0, 0, 1)
    assert RemediationPlan.objects.count() == 1
    assert plan.history.count() == history_rows
    assert AuditEvent.objects.count() == events


def test_stricter_rule_wins_and_plan_records_the_others(camera, findings, make_rule):
    make_rule(code="late-remove", regimes=["us_dod"], action="remove", deadline_date=dt.date(2027, 6, 30),
              deadline_days=None)
    make_rule(code="early-mitigate", regimes=["us_dod"], action="mitigate", deadline_date=dt.date(2026, 6, 30),
              deadline_days=None)
    make_rule(code="not-matching", regimes=["us_bis"], action="remove", deadline_days=1)
    findings.add(camera, regime="us_dod", source_code="dod_1260h")
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    assert plan.rule.code == "early-mitigate"
    assert [a["rule_code"] for a in plan.also_applied] == ["late-remove"]
    assert "early-mitigate" in plan.why and "late-remove" in plan.why
    assert plan.basis["source_code"] == "dod_1260h"


def test_vendor_cleared_closes_plan_not_required_kept_in_history_and_relisting_reopens(camera, findings,
                                                                                    make_rule):
    make_rule(regimes=["us_ndaa"], deadline_days=90)
    findings.add(camera)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    findings.clear()  # entry removed / finding dismissed
    res = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert res.closed == 1
    plan.refresh_from_db()
    assert plan.status == "not_required" and plan.closed_at is not None and "cleared" in plan.closing_note
    assert list(plan.history.order_by("history_id").values_list("status", flat=True)) == ["open", "not_required"]
    assert remediation_evaluate(today=TODAY, findings_provider=findings).closed == 0
    findings.add(camera)
    res = remediation_evaluate(today=TODAY + dt.timedelta(days=10), findings_provider=findings)
    assert res.reopened == 1 and res.created == 0
    plan.refresh_from_db()
    assert plan.status == "open" and plan.closed_at is None
    assert RemediationPlan.objects.count() == 1


def test_new_stricter_finding_updates_the_live_plan_in_place(camera, findings, make_rule):
    make_rule(code="entity", regimes=["us_bis"], action="replace", deadline_days=365)
    make_rule(code="blocked", regimes=["us_ofac"], action="mitigate", deadline_days=30,
              deadline_anchor="discovery")
    findings.add(camera, regime="us_bis", source_code="us_csl", discovered_on=TODAY, listed_on=dt.date(2019, 10, 9))
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    assert plan.rule.code == "entity" and plan.deadline == dt.date(2027, 11, 25)
    findings.add(camera, regime="us_ofac", source_code="ofac_sdn", discovered_on=TODAY, finding_id=999)
    res = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert res.updated == 1 and res.created == 0
    plan.refresh_from_db()
    assert plan.rule.code == "blocked" and plan.deadline == dt.date(2026, 12, 25) and plan.action == "mitigate"


def test_rule_done_for_a_unit_is_not_applied_again_but_next_rule_is(camera, findings, make_rule, officer):
    make_rule(code="mitigate-first", regimes=["us_dod"], action="mitigate", deadline_date=dt.date(2026, 12, 31),
              deadline_days=None)
    make_rule(code="replace-later", regimes=["us_dod"], action="replace", deadline_date=dt.date(2027, 6, 30),
              deadline_days=None)
    findings.add(camera, regime="us_dod")
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    for status in ("planned", "in_progress"):
        plan_transition(plan=plan, to_status=status, user=officer, today=TODAY)
    plan_transition(plan=plan, to_status="done", outcome="mitigated", user=officer, today=TODAY)
    res = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert res.created == 1
    new = RemediationPlan.objects.exclude(pk=plan.pk).get()
    assert new.rule.code == "replace-later" and new.status == "open"
    assert remediation_evaluate(today=TODAY, findings_provider=findings).created == 0


def test_retired_equipment_closes_its_plan(camera, findings, make_rule):
    make_rule(regimes=["us_ndaa"])
    findings.add(camera)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    camera.status = EquipmentStatus.REMOVED
    camera.save()
    assert remediation_evaluate(today=TODAY, findings_provider=findings).closed == 1
    assert RemediationPlan.objects.get().status == "not_required"


def test_hand_changed_deadline_survives_re_evaluation(camera, findings, make_rule, officer):
    from apps.remediation.services import plan_change_deadline

    make_rule(regimes=["us_ndaa"], deadline_days=30, deadline_anchor="discovery")
    findings.add(camera, discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    plan_change_deadline(plan=plan, deadline=dt.date(2027, 3, 1), reason="Crane outage window", user=officer,
                         today=TODAY)
    res = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert res.updated == 0
    plan.refresh_from_db()
    assert plan.deadline == dt.date(2027, 3, 1) and plan.computed_deadline == dt.date(2026, 12, 25)


def test_country_rule_flags_prc_crane_with_vendor_remote_access_without_any_list(crane, findings, make_rule):
    make_rule(code="coc-remote", basis="country", countries=["CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"],
              country_tests=["manufacturer", "ultimate_owner"], connectivities=["vendor_remote"],
              action="mitigate", deadline_days=90, deadline_anchor="discovery")
    res = remediation_evaluate(today=TODAY, findings_provider=findings)
    assert res.created == 1
    plan = RemediationPlan.objects.get()
    assert plan.action == "mitigate" and plan.deadline == dt.date(2027, 2, 23)
    owners = {f["subject"] for f in plan.basis["facts"]}
    assert owners == {"China Communications Construction Company Limited",
                      "China Communications Construction Group (Limited)"}
    # the clock of a country rule counts from first discovery, not from each evaluation
    res = remediation_evaluate(today=TODAY + dt.timedelta(days=30), findings_provider=findings)
    assert res.updated == 0
    assert RemediationPlan.objects.get().deadline == dt.date(2027, 2, 23)


def test_rule_of_another_organisation_does_not_apply(camera, findings, make_rule, other_org):
    make_rule(regimes=["us_ndaa"], organization=other_org)
    findings.add(camera)
    assert remediation_evaluate(today=TODAY, findings_provider=findings).created == 0


def test_suspended_rule_creates_no_plan(camera, findings, make_rule):
    make_rule(regimes=["us_ndaa"], suspended_from=dt.date(2026, 11, 1), suspended_until=dt.date(2026, 12, 31))
    findings.add(camera)
    assert remediation_evaluate(today=TODAY, findings_provider=findings).created == 0
    assert remediation_evaluate(today=dt.date(2027, 1, 1), findings_provider=findings).created == 1


def test_hand_set_deadline_gives_way_when_another_rule_decides(camera, findings, make_rule, officer):
    from apps.remediation.services import plan_change_deadline

    make_rule(code="entity", regimes=["us_bis"], deadline_days=365, deadline_anchor="discovery")
    make_rule(code="blocked", regimes=["us_ofac"], action="mitigate", deadline_days=30, deadline_anchor="discovery")
    findings.add(camera, regime="us_bis", discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    plan_change_deadline(plan=plan, deadline=dt.date(2028, 6, 30), reason="Budget", user=officer, today=TODAY)
    findings.add(camera, regime="us_ofac", discovered_on=TODAY, finding_id=5)
    assert remediation_evaluate(today=TODAY, findings_provider=findings).updated == 1
    plan.refresh_from_db()
    assert plan.rule.code == "blocked" and plan.deadline == dt.date(2026, 12, 25)
    assert not plan.deadline_overridden and plan.deadline_reason == ""


def test_one_evaluation_publishes_its_plans_as_one_batch(camera, findings, make_rule):
    from apps.common import events as domain_events
    from tests.conftest import events_recorded

    make_rule(regimes=["us_ndaa"], deadline_days=90)
    findings.add(camera)
    with events_recorded(domain_events.RegistryActivities, phase=domain_events.IN_TRANSACTION) as seen:
        remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get()
    assert [[(a.type, a.object_id) for a in e.items] for e in seen] == [[("plan.created", plan.pk)]]
