"""Re-evaluation when screening changes a vendor, the daily task and its schedule."""
import datetime as dt

import pytest

from apps.common import events
from apps.common.schedules import DEFAULT_SCHEDULES
from apps.remediation import services
from apps.remediation.models import RemediationPlan
from apps.remediation.services import evaluation, on_screening_changed, remediation_equipment_ids_for_vendors

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_equipment_of_changed_vendors_includes_owned_vendors(crane, camera):
    cccg = crane.product_model.brand.owner_links.get().owner.owner_links.get().owner
    assert remediation_equipment_ids_for_vendors([cccg.pk]) == [crane.pk]
    assert remediation_equipment_ids_for_vendors([camera.product_model.brand_id]) == [camera.pk]


def test_screening_change_re_evaluates_on_commit(camera, findings, make_rule, settings, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(evaluation, "screening_findings", findings)
    make_rule(regimes=["us_ndaa"])
    findings.add(camera)
    with django_capture_on_commit_callbacks(execute=True):
        on_screening_changed(events.ScreeningChanged(vendor_ids=frozenset({camera.product_model.brand_id})))
    plan = RemediationPlan.objects.get()
    assert plan.status == "open"
    findings.clear()  # finding dismissed by a reviewer
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        on_screening_changed(events.ScreeningChanged(vendor_ids=frozenset({camera.product_model.brand_id})))
    # The evaluation's task, and the plan-closed activity for webhooks (apps.integrations).
    assert len(callbacks) == 2
    plan.refresh_from_db()
    assert plan.status == "not_required"


def test_remediation_subscribes_to_screening_changes_units_and_imports():
    from apps.remediation.services import on_equipment_changed, on_equipment_imported

    assert on_screening_changed in events.subscribers(events.ScreeningChanged)
    assert on_equipment_imported in events.subscribers(events.EquipmentImported, events.ON_COMMIT)
    assert on_equipment_changed in events.subscribers(events.EquipmentChanged, events.IN_TRANSACTION)


def test_empty_change_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        on_screening_changed(events.ScreeningChanged(vendor_ids=frozenset()))
    assert callbacks == []


def test_daily_task_is_scheduled_and_runs(settings, camera, findings, make_rule, monkeypatch):
    from apps.remediation.tasks import remediation_daily_task

    settings.WORK_FANOUT = False  # in this process (spread over workers: tests/common/test_fanout.py)
    assert any(task == "apps.remediation.tasks.remediation_daily_task" for _, task, _, _ in DEFAULT_SCHEDULES)
    make_rule(regimes=["us_ndaa"], deadline_date=dt.date(2020, 8, 13), deadline_days=None)
    findings.add(camera)
    services.remediation_evaluate(today=TODAY, findings_provider=findings)
    monkeypatch.setattr(evaluation, "screening_findings", findings)
    result = remediation_daily_task.apply(kwargs={"today": TODAY.isoformat()}).get()
    assert result["today"] == "2026-11-25" and result["digests"] == 1
    assert result["evaluate"]["unchanged"] == 1 and result["evaluate"]["created"] == 0
