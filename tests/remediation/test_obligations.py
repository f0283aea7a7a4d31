"""Obligations that fit the organisation (#16): applicability by jurisdiction and legal kind, each deadline kind
(fixed legal date, relative period, staged quotas, none: the organisation's target), FCC per-entry scope, the
organisation profile (who may edit it, its history) and the plan's deadline source and breach date."""
import datetime as dt

import pytest

from apps.common.exceptions import ApplicationError
from apps.remediation.models import PolicyRule, RemediationPlan
from apps.remediation.policy import (
    EquipmentContext,
    FindingFact,
    RuleSpec,
    candidates_for,
    choose,
    staged_deadline,
)
from apps.remediation.services import organization_profile_update, remediation_evaluate
from tests.factories import EquipmentFactory

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 25)


def spec(**kw) -> RuleSpec:
    data = {"id": 1, "code": "r", "version": 1, "name": "R", "basis": "finding", "action": "replace"}
    data.update(kw)
    return RuleSpec(**data)


def ctx(**kw) -> EquipmentContext:
    data = {"equipment_id": 1, "organization_id": 1, "site_id": 1, "category": "camera", "site_kind": "seaport",
            "site_criticality": "medium", "site_is_defence": False, "connectivity": "site_network",
            "country": "US", "subdivision": "CA", "legal_kinds": frozenset({"mtsa_port_facility"})}
    data.update(kw)
    return EquipmentContext(**data)


def fact(**kw) -> FindingFact:
    data = {"finding_id": 1, "vendor_id": 1, "vendor_name": "Hikvision", "vendor_role": "brand",
            "source_code": "fcc_covered", "regime": "us_fcc", "sub_list": "", "status": "prohibited",
            "listed_on": D(2021, 3, 12), "discovered_on": D(2026, 1, 10), "entry_name": "Hikvision"}
    data.update(kw)
    return FindingFact(**data)


def run(c, rules, findings=None, **kw):
    return candidates_for(c, [fact()] if findings is None else findings, rules, day=kw.pop("day", TODAY),
                          first_seen=kw.pop("first_seen", TODAY), **kw)


# --- applicability ----------------------------------------------------------------------------------------

def test_jurisdiction_country_and_subdivision():
    assert run(ctx(), [spec(jurisdictions=("US",))])
    assert run(ctx(), [spec(jurisdictions=("US-CA",))])
    assert not run(ctx(), [spec(jurisdictions=("US-TX",))])
    assert not run(ctx(country="AU", subdivision="ACT"), [spec(jurisdictions=("US",))])
    # Fail closed: a profile that does not say where the organisation is excludes nothing, and says so.
    (assumed,) = run(ctx(country="", subdivision=""), [spec(jurisdictions=("US",))])
    assert "does not say where the organisation is" in assumed.explanation and assumed.basis["profile_assumed"]


def test_organization_kinds_any_of():
    rule = spec(organization_kinds=("us_federal_executive", "dod_component"))
    assert not run(ctx(), [rule])
    assert run(ctx(legal_kinds=frozenset({"dod_component", "mtsa_port_facility"})), [rule])
    assert run(ctx(legal_kinds=frozenset()), [spec()])  # no kinds named: any organisation
    (assumed,) = run(ctx(legal_kinds=frozenset()), [rule])  # kinds unknown: applied, and said so
    assert "what it is in law" in assumed.explanation


def test_connectivity_facts_any_and_none():
    remote = ctx(connectivity_facts=frozenset({"vendor_remote_access", "cellular_modem"}))
    assert run(remote, [spec(connectivity_any=("cellular_modem",))])
    assert not run(remote, [spec(connectivity_none=("cellular_modem",))])
    assert not run(ctx(connectivity_facts=frozenset()), [spec(connectivity_any=("internet_connected",))])
    # without the separate facts, the old single value still answers
    assert run(ctx(connectivity="vendor_remote"), [spec(connectivity_any=("vendor_remote_access",))])


def test_installed_before_and_after_unknown_is_included():
    rule = spec(installed_after=D(2019, 8, 13), installed_before=D(2024, 1, 1))
    assert run(ctx(installed_date=D(2020, 1, 1)), [rule])
    assert not run(ctx(installed_date=D(2018, 1, 1)), [rule])
    assert not run(ctx(installed_date=D(2024, 1, 1)), [rule])
    assert run(ctx(installed_date=None), [rule])


def test_names_any_and_finding_kinds():
    s889 = spec(names_any=("Huawei", "ZTE", "Hytera", "Hikvision", "Dahua"))
    assert run(ctx(), [s889])
    kaspersky = fact(vendor_name="AO Kaspersky Lab", entry_name="AO Kaspersky Lab", path_text="listed: FCC")
    assert not run(ctx(category="network"), [s889], [kaspersky])
    subsidiary = fact(vendor_name="EZVIZ Inc.", entry_name="", path_text="EZVIZ <- owned by Hikvision (100%)",
                      kind="ownership")
    assert run(ctx(), [s889], [subsidiary])
    assert not run(ctx(), [spec(finding_kinds=("direct",))], [subsidiary])


def test_fcc_entry_scope_respected_unless_turned_off():
    scoped = fact(entry_scope_categories=("camera", "nvr_vms"))
    assert run(ctx(category="camera"), [spec()], [scoped])
    assert not run(ctx(category="network"), [spec()], [scoped])
    assert run(ctx(category="network"), [spec(respect_entry_scope=False)], [scoped])
    services_only = fact(entry_scope_categories=())
    assert not run(ctx(), [spec()], [services_only])
    assert run(ctx(category="network"), [spec()], [fact(entry_scope_categories=None)])  # no scope stated


# --- deadline kinds -----------------------------------------------------------------------------------------

def test_fixed_legal_date_passed_is_a_breach():
    (c,) = run(ctx(), [spec(deadline_kind="fixed", deadline_date=D(2025, 12, 31))])
    assert (c.deadline, c.deadline_source) == (D(2025, 12, 31), "legal")
    assert c.in_breach_since(TODAY) == D(2025, 12, 31)
    (future,) = run(ctx(), [spec(deadline_kind="fixed", deadline_date=D(2027, 12, 31))])
    assert future.in_breach_since(TODAY) is None


def test_relative_period_is_never_a_breach():
    (c,) = run(ctx(), [spec(deadline_kind="relative", deadline_days=30, deadline_anchor="discovery")])
    assert (c.deadline, c.deadline_source) == (D(2026, 2, 9), "relative")
    assert c.in_breach_since(TODAY) is None  # overdue by the rule's period, not in breach of the law


def test_none_uses_the_organisation_target_or_the_default():
    rule = spec(deadline_kind="none", obligation="do_not_procure", effective_from=D(2019, 8, 13))
    (own,) = run(ctx(target_days=90), [rule])
    assert (own.deadline, own.deadline_source) == (TODAY + dt.timedelta(days=90), "organization_target")
    (default,) = run(ctx(), [rule])
    assert (default.deadline, default.deadline_source) == (TODAY + dt.timedelta(days=365), "default_target")
    assert default.in_breach_since(D(2030, 1, 1)) is None


def test_staged_quotas():
    stages = ((D(2023, 4, 30), "count", 40), (D(2024, 6, 30), "percent", 100))
    assert staged_deadline(stages, done=0, total=100) == D(2023, 4, 30)
    assert staged_deadline(stages, done=40, total=100) == D(2024, 6, 30)
    assert staged_deadline(stages, done=3, total=3) == D(2024, 6, 30)  # all done: the last date
    assert staged_deadline(stages, done=0, total=3) == D(2023, 4, 30)  # fewer units than the quota: all by then
    half = ((D(2026, 1, 1), "percent", 50), (D(2027, 1, 1), "percent", 100))
    assert staged_deadline(half, done=1, total=3) == D(2026, 1, 1)  # 50% of 3 rounds up to 2
    assert staged_deadline(half, done=2, total=3) == D(2027, 1, 1)
    rule = spec(id=9, deadline_kind="staged", staged_deadlines=stages)
    (c,) = run(ctx(organization_id=5), [rule], stage_progress={(5, 9): (40, 60)})
    assert (c.deadline, c.deadline_source) == (D(2024, 6, 30), "legal")


def test_stricter_obligation_wins_on_the_same_date():
    ban = spec(id=1, code="a-ban", obligation="do_not_procure", deadline_kind="fixed", deadline_date=D(2027, 1, 1))
    remove = spec(id=2, code="b-remove", obligation="remove_or_replace", deadline_kind="fixed",
                  deadline_date=D(2027, 1, 1))
    winner, others = choose(run(ctx(), [ban, remove]))
    assert winner.rule.code == "b-remove" and [o.rule.code for o in others] == ["a-ban"]


# --- model validation --------------------------------------------------------------------------------------

def test_rule_validation(make_rule):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        make_rule(deadline_kind="staged", deadline_days=None,
                  staged_deadlines=[{"date": "2024-01-01", "count": 5}, {"date": "2023-01-01", "count": 9}])
    assert "staged_deadlines" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_rule(obligation="do_not_procure", deadline_kind="fixed", deadline_date=D(2020, 1, 1))
    assert "deadline_kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_rule(jurisdictions=["USA"], organization_kinds=["martian"], connectivity_any=["wifi"])
    assert {"jurisdictions", "organization_kinds", "connectivity_any"} <= set(exc.value.message_dict)
    ok = make_rule(jurisdictions=["us-ca"], deadline_kind="staged", deadline_days=None,
                   staged_deadlines=[{"date": "2023-04-30", "count": 40}, {"date": "2024-01-01", "percent": 100}])
    assert ok.jurisdictions == ["US-CA"]
    assert make_rule(deadline_days=10).deadline_kind == "relative"  # only days given: relative


# --- evaluation: the plan records where its date comes from -------------------------------------------------

def test_plan_records_source_and_breach(org, camera, make_rule, findings):
    org.country, org.legal_kinds = "US", ["us_federal_executive"]
    org.save()
    make_rule(code="ban", regimes=["us_fcc"], obligation="do_not_procure", deadline_kind="none", deadline_days=None,
              jurisdictions=["US"], organization_kinds=["us_federal_executive"])
    make_rule(code="au-only", regimes=["us_fcc"], deadline_kind="fixed", deadline_date=D(2023, 4, 30),
              deadline_days=None, jurisdictions=["AU"])
    findings.add(camera, regime="us_fcc", source_code="fcc_covered")
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=camera)
    assert plan.rule.code == "ban" and plan.deadline_source == "default_target" and plan.in_breach_since is None
    assert plan.also_applied == [] and not plan.is_overdue
    organization_profile_update(organization=org, actor=None, country="AU", legal_kinds=["au_commonwealth_entity"])
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=camera)
    assert plan.rule.code == "au-only" and plan.deadline_source == "legal"
    assert plan.in_breach_since == D(2023, 4, 30) and plan.is_overdue


def test_staged_rule_moves_to_the_next_stage_as_units_are_done(org, site, make_rule, findings):
    org.country = "AU"
    org.save()
    rule = make_rule(code="staged", regimes=["us_fcc"], deadline_kind="staged", deadline_days=None,
                     staged_deadlines=[{"date": "2023-04-30", "count": 1}, {"date": "2027-06-30", "percent": 100}],
                     jurisdictions=["AU"])
    units = [EquipmentFactory(site=site) for _ in range(3)]
    for u in units:
        findings.add(u, regime="us_fcc", source_code="fcc_covered")
    remediation_evaluate(today=TODAY, findings_provider=findings)
    assert set(RemediationPlan.objects.values_list("deadline", flat=True)) == {D(2023, 4, 30)}
    done = RemediationPlan.objects.get(equipment=units[0])
    done.status, done.outcome = "done", "replaced"
    done.save()
    remediation_evaluate(today=TODAY, findings_provider=findings)
    live = RemediationPlan.objects.filter(rule=rule, status="open")
    assert set(live.values_list("deadline", flat=True)) == {D(2027, 6, 30)}
    assert not live.filter(in_breach_since__isnull=False).exists()


# --- the profile -------------------------------------------------------------------------------------------

def test_profile_edit_permissions_and_history(org, other_org, admin_user, officer, auditor):
    with pytest.raises(ApplicationError) as exc:
        organization_profile_update(organization=org, actor=officer, country="US")
    assert exc.value.code == "forbidden"
    with pytest.raises(ApplicationError) as exc:
        organization_profile_update(organization=other_org, actor=admin_user, country="US")
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        organization_profile_update(organization=org, actor=admin_user, legal_kinds=["martian"])
    assert exc.value.code == "validation_error"
    with pytest.raises(ApplicationError):
        organization_profile_update(organization=org, actor=admin_user, name="Renamed")
    organization_profile_update(organization=org, actor=admin_user, country="US", subdivision="ca",
                                legal_kinds=["mtsa_port_facility", "us_state_local"], remediation_target_days=180)
    org.refresh_from_db()
    assert (org.country.code, org.subdivision, org.legal_kinds, org.remediation_target_days) == (
        "US", "CA", ["mtsa_port_facility", "us_state_local"], 180)
    last = org.history.order_by("-history_id").first()
    assert last.history_user == admin_user and last.legal_kinds == ["mtsa_port_facility", "us_state_local"]
    from apps.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="organization.update", object_id=str(org.pk)).latest("id")
    assert event.changes["remediation_target_days"] == [None, 180]
    assert event.changes["legal_kinds"] == [[], ["mtsa_port_facility", "us_state_local"]]


def test_profile_change_enqueues_the_organisation_reevaluation(org, camera, admin_user, make_rule,
                                                               django_capture_on_commit_callbacks):
    from unittest import mock

    from apps.remediation.services import remediation_evaluate_organization

    make_rule(code="us", regimes=["us_fcc"], jurisdictions=["US"], deadline_days=30)
    assert remediation_evaluate_organization(organization_id=org.pk).evaluated == 1
    with mock.patch("apps.remediation.services.profile.enqueue_on_commit") as enqueue:
        organization_profile_update(organization=org, actor=admin_user, country="US")
        organization_profile_update(organization=org, actor=admin_user, country="US")  # no change: nothing
    enqueue.assert_called_once_with("apps.remediation.tasks.remediation_evaluate_organization_task",
                                    kwargs={"organization_id": org.pk})
    assert PolicyRule.objects.filter(code="us").exists()
