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


def test_defaults_flag_cameras_and_cranes(camera, crane, findings):
    policy_rules_seed_defaults()
    findings.add(camera, regime="us_ndaa", source_code="ndaa_889")
    findings.add(camera, regime="us_dod", source_code="dod_1260h", finding_id=7)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    cam = RemediationPlan.objects.get(equipment=camera)
    # installed 2018: grandfathered from Part A; Part B (in use) wins with the earliest date
    assert cam.rule.code == "ndaa889-b-use" and cam.deadline == dt.date(2020, 8, 13) and cam.action == "replace"
    also = {a["rule_code"] for a in cam.also_applied}
    assert {"dod1260h-contracting", "dod1260h-products", "coc-critical-site-review"} <= also
    assert "ndaa889-a-procurement" not in also
    crane_plan = RemediationPlan.objects.get(equipment=crane)
    assert crane_plan.rule.code == "coc-vendor-remote-access" and crane_plan.action == "mitigate"
    assert crane_plan.deadline == dt.date(2027, 2, 23)


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
