"""The default rule set: seeded with citations, idempotent, and it flags the cases the registry is for."""
import datetime as dt

import pytest
from django.core.management import call_command

from apps.remediation.defaults import DEFAULT_RULES
from apps.remediation.models import PolicyRule, RemediationPlan
from apps.remediation.services import policy_rule_update, policy_rules_seed_defaults, remediation_evaluate

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_seed_is_idempotent_and_every_rule_cites_its_source(capsys):
    assert policy_rules_seed_defaults() == (len(DEFAULT_RULES), 0)
    call_command("remediation_seed_rules")
    assert f"0 created, {len(DEFAULT_RULES)} already present" in capsys.readouterr().out
    assert PolicyRule.objects.count() == len(DEFAULT_RULES)
    for rule in PolicyRule.objects.all():
        rule.full_clean()
        assert rule.citation and rule.citation_url.startswith("https://")
    assert PolicyRule.objects.get(code="dod1260h-products").requires_verification
    coc = PolicyRule.objects.get(code="coc-vendor-remote-access")
    assert set(coc.countries) == {"CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"}


def test_seed_never_overwrites_an_admin_edit(verified_curator):
    policy_rules_seed_defaults()
    rule = PolicyRule.objects.get(code="bis-entity-list")
    policy_rule_update(rule=rule, user=verified_curator, deadline_days=180)
    policy_rules_seed_defaults()
    rule.refresh_from_db()
    assert rule.deadline_days == 180 and rule.version == 2
    assert [h.deadline_days for h in rule.history.order_by("history_id")] == [365, 180]


def _profile(org, country, kinds, subdivision="", target=None):
    org.country, org.subdivision, org.legal_kinds, org.remediation_target_days = country, subdivision, kinds, target
    org.save()


def _also(plan) -> set[str]:
    return {a["rule_code"] for a in plan.also_applied}


def test_defaults_us_port_gets_marsec_and_procurement_bans_no_dod_deadline(org, camera, crane, findings):
    """A US MTSA port: FCC procurement ban on the Hikvision cameras (its own target, not a passed statute date),
    MARSEC and the remote-access rule on the ZPMC crane; no DoD-only rule, nothing overdue or in breach."""
    _profile(org, "US", ["mtsa_port_facility", "us_state_local"], subdivision="CA")
    policy_rules_seed_defaults()
    findings.add(camera, regime="us_ndaa", source_code="ndaa_889")
    findings.add(camera, regime="us_fcc", source_code="fcc_covered", finding_id=8,
                 entry_scope_categories=["camera", "nvr_vms"])
    findings.add(camera, regime="us_dod", source_code="dod_1260h", finding_id=7)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    cam = RemediationPlan.objects.get(equipment=camera)
    codes = {cam.rule.code} | _also(cam)
    assert "fcc-covered-list-authorization" in codes
    assert not {c for c in codes if c.startswith(("dod1260h", "ndaa889", "cfr200"))}
    # The site is critical (the crane's): the country-of-concern review (a year, the rule's period) decides;
    # the FCC ban is listed with the registry's default target (the law sets no removal date).
    assert cam.rule.code == "coc-critical-site-review" and cam.deadline_source == "relative"
    fcc = next(a for a in cam.also_applied if a["rule_code"] == "fcc-covered-list-authorization")
    assert fcc["obligation"] == "do_not_procure" and fcc["deadline_source"] == "default_target"
    assert cam.deadline == TODAY + dt.timedelta(days=365) and cam.in_breach_since is None and not cam.is_overdue
    crane_plan = RemediationPlan.objects.get(equipment=crane)
    crane_codes = {crane_plan.rule.code} | _also(crane_plan)
    assert {"marsec-105-4-sts-cranes", "marsec-105-5-sts-cranes", "coc-vendor-remote-access"} <= crane_codes
    assert crane_plan.rule.code == "coc-vendor-remote-access" and crane_plan.deadline_source == "relative"
    assert crane_plan.deadline == dt.date(2027, 2, 23) and not crane_plan.is_overdue
    assert not RemediationPlan.objects.filter(in_breach_since__isnull=False).exists()


def test_defaults_australian_agency_sees_its_direction_and_no_us_statute(org, camera, findings):
    _profile(org, "AU", ["au_commonwealth_entity"], subdivision="ACT")
    policy_rules_seed_defaults()
    findings.add(camera, regime="us_ndaa", source_code="ndaa_889")
    findings.add(camera, regime="us_fcc", source_code="fcc_covered", finding_id=8, entry_scope_categories=["camera"])
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=camera)
    assert plan.rule.code == "au-covered-surveillance-2023" and plan.also_applied == []
    assert plan.deadline == dt.date(2023, 4, 30) and plan.deadline_source == "legal"
    assert plan.in_breach_since == dt.date(2023, 4, 30) and plan.is_overdue


def test_defaults_federal_agency_and_dod(org, camera, findings):
    """A federal agency: s.889 Part A procurement ban (no removal date: its own target of 180 days); Part B binds
    contractors only. A DoD component also gets the 1260H rules once they are in force."""
    _profile(org, "US", ["us_federal_executive"], target=180)
    policy_rules_seed_defaults()
    findings.add(camera, regime="us_ndaa", source_code="ndaa_889")
    findings.add(camera, regime="us_dod", source_code="dod_1260h", finding_id=7)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=camera)
    assert plan.rule.code == "ndaa889-a-procurement" and plan.deadline_source == "organization_target"
    assert plan.deadline == TODAY + dt.timedelta(days=180) and plan.in_breach_since is None
    assert not any(c.startswith(("dod1260h", "ndaa889-b")) for c in _also(plan))
    _profile(org, "US", ["dod_component"], target=180)
    remediation_evaluate(today=dt.date(2027, 7, 1), findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=camera)
    assert {"dod1260h-contracting", "dod1260h-products"} <= {plan.rule.code} | _also(plan)


def test_defaults_kaspersky_gets_the_fcc_rule_not_s889(org, site, findings):
    from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory

    _profile(org, "US", ["us_federal_executive"])
    policy_rules_seed_defaults()
    kas = VendorFactory(name="AO Kaspersky Lab", country_of_incorporation="RU")
    unit = EquipmentFactory(site=site, product_model=ProductModelFactory(brand=kas, category="network"))
    findings.add(unit, regime="us_fcc", source_code="fcc_covered", entry_name="AO Kaspersky Lab",
                 listed_on=dt.date(2022, 3, 25), entry_scope_categories=["network", "camera", "other"])
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=unit)
    assert plan.rule.code == "fcc-covered-list-authorization"
    assert not any(c.startswith("ndaa889") for c in _also(plan))


def test_seeded_s889_part_a_is_a_procurement_ban_without_a_removal_date():
    """s.889(a)(1)(A) forbids procuring, it orders no removal by 2019-08-13 (the old default did)."""
    policy_rules_seed_defaults()
    rule = PolicyRule.objects.get(code="ndaa889-a-procurement")
    assert rule.obligation == "do_not_procure" and rule.deadline_kind == "none" and rule.deadline_date is None


def test_rule_edit_permissions(officer, admin_user, org):
    from apps.common.exceptions import ApplicationError
    from apps.remediation.services import policy_rule_create

    policy_rules_seed_defaults()
    with pytest.raises(ApplicationError):
        policy_rule_update(rule=PolicyRule.objects.get(code="bis-entity-list"), user=admin_user, deadline_days=1)
    own = policy_rule_create(user=admin_user, code="harbor-drones", name="Drones", citation="internal policy",
                             organization=org, regimes=["us_dod"], action="remove", deadline_days=30)
    with pytest.raises(ApplicationError):
        policy_rule_update(rule=own, user=officer, deadline_days=1)
    with pytest.raises(ApplicationError) as exc:
        policy_rule_update(rule=own, user=admin_user, deadline_days=None)
    assert exc.value.code == "validation_error"
    with pytest.raises(ApplicationError):
        policy_rule_update(rule=own, user=admin_user, categories=["spaceship"])
    own.refresh_from_db()
    assert own.version == 1 and own.deadline_days == 30
