"""Risk policies are data: choosing, editing, and the admin queuing a re-screen."""
import datetime as dt

import pytest

from apps.screening.engine import PolicyView, policy_choose
from apps.screening.models import RiskPolicy
from apps.screening.services import screening_run_full
from apps.vendors.services import vendor_create
from tests.factories import RiskPolicyFactory
from tests.screening.conftest import listed_entry, make_source, make_version

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 25)


def seeded() -> list[PolicyView]:
    from apps.screening.services import _policies

    return _policies()


@pytest.mark.parametrize(("regime", "code", "sub_list", "programs", "expected"), [
    ("us_csl", "us_csl", "Specially Designated Nationals (SDN) - Treasury Department", [], "prohibited"),
    ("us_csl", "us_csl", "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department",
     [], "restricted"),
    ("us_csl", "us_csl", "Entity List (EL) - Bureau of Industry and Security", [], "restricted"),
    ("us_ofac", "ofac_cons", "", ["CMIC-EO13959"], "restricted"),
    ("us_ofac", "ofac_sdn", "", ["SDGT"], "prohibited"),
    ("us_fcc", "fcc_covered", "", [], "prohibited"),
    ("eu", "eu_fsf", "", [], "prohibited"),
])
def test_default_policies(regime, code, sub_list, programs, expected):
    policy = policy_choose(seeded(), regime=regime, source_code=code, sub_list=sub_list, programs=programs, day=DAY)
    assert policy is not None and policy.status == expected


def test_csl_sub_lists_pick_their_propagation():
    sdn = policy_choose(seeded(), regime="us_csl", source_code="us_csl", day=DAY, programs=[],
                        sub_list="Specially Designated Nationals (SDN) - Treasury Department")
    el = policy_choose(seeded(), regime="us_csl", source_code="us_csl", day=DAY, programs=[],
                       sub_list="Entity List (EL) - Bureau of Industry and Security")
    assert (sdn.propagation, el.propagation) == ("ofac_50", "bis_affiliates_50")


def test_editing_a_policy_changes_the_status_on_the_next_run(db):
    source = make_source("inhouse", regime="custom", name="In-house list")
    make_version(source, [listed_entry("Zorblax Holdings", "1")])
    vendor = vendor_create(name="Zorblax Holdings")
    screening_run_full(today=DAY)
    vendor.refresh_from_db()
    assert vendor.risk_status == "restricted"
    RiskPolicyFactory(name="In-house: prohibited", regime="custom", status="prohibited", priority=50)
    screening_run_full(today=DAY)
    vendor.refresh_from_db()
    assert vendor.risk_status == "prohibited"


def test_policy_rejects_a_bad_pattern_and_unknown_categories():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        RiskPolicy(name="x", status="restricted", sub_list_pattern="(", categories=["spaceship"]).full_clean()
    assert "sub_list_pattern" in exc.value.message_dict


def test_admin_change_queues_a_full_run(client, settings, django_capture_on_commit_callbacks):
    from apps.accounts.models import User
    from apps.screening.models import ScreeningRun

    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(User.objects.create_superuser("root-admin", "root@example.invalid", "x" * 20))
    policy = RiskPolicy.objects.get(name="BIS Entity List: restricted")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/screening/riskpolicy/{policy.pk}/change/", {
            "name": policy.name, "regime": policy.regime, "source_code": "", "sub_list_pattern": "",
            "status": "prohibited", "categories": "[]", "other_status": "", "propagation": "", "priority": "10",
            "effective_from": "", "effective_until": "", "enabled": "on", "citation": "", "notes": "",
        })
    assert response.status_code == 302 and "/login" not in response["Location"], response.content[:500]
    policy.refresh_from_db()
    assert policy.status == "prohibited"
    assert ScreeningRun.objects.filter(trigger="manual", status="succeeded").exists()
