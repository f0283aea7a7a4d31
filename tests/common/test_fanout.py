"""Work spread over Celery workers (WORK_FANOUT): a full re-screen, a remediation evaluation and a projection run as
a chord of chunk tasks on a REAL worker give the same rows as the single-process run, and a chunk run again
writes the same rows. Also the pieces: key ranges, the `in_ids` lookup, the fallback without fan-out and the
start-up check."""
from __future__ import annotations

import datetime as dt

import pytest
from celery.result import AsyncResult
from django.core import checks

from apps.common import events
from apps.common.chunks import id_ranges
from apps.inventory.models import Equipment
from apps.remediation.models import ProjectionLine, ProjectionReport, RemediationPlan
from apps.remediation.services import (
    policy_rules_seed_defaults,
    projection_run,
    projection_run_in_workers,
    remediation_evaluate,
    remediation_evaluate_in_workers,
)
from apps.screening.models import Finding, Match, ScreeningRun
from apps.screening.services import screening_run_full, screening_run_full_in_workers
from apps.vendors.models import Vendor
from tests.conftest import events_recorded
from tests.factories import EquipmentFactory, OrganizationFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.screening.conftest import listed_entry, make_source, make_version

TODAY = dt.date(2026, 11, 25)
CATEGORIES = ["camera", "nvr_vms", "network", "scanner"]


def _registry(n_units: int = 36):
    """Lists naming two vendors, a parent that owns one more, vendors in and out of countries of concern, an
    organisation bound by most default rules, and units on products of all of them."""
    make_version(make_source("ndaa_889", regime="us_ndaa"), [listed_entry("Hikvision Digital Technology", "1")])
    make_version(make_source("dod_1260h", regime="us_dod"), [listed_entry("Qorvana Vision Systems", "2")])
    vendors = [VendorFactory(name="Hikvision Digital Technology", country_of_incorporation="CN"),
               VendorFactory(name="Qorvana Vision Systems", country_of_incorporation="CN")]
    vendors += [VendorFactory(name=f"Plainfield Optics {i}", country_of_incorporation="CN" if i % 3 == 0 else "DE")
                for i in range(8)]
    org = OrganizationFactory(country="US", subdivision="CA", remediation_target_days=180,
                              legal_kinds=["dod_component", "mtsa_port_facility", "us_federal_contractor",
                                           "us_federal_executive"])
    sites = [SiteFactory(organization=org, kind=kind) for kind in ("seaport", "airport", "military")]
    models = [ProductModelFactory(brand=v, category=CATEGORIES[i % 4],
                                  country_of_manufacture="CN" if i % 2 else "VN") for i, v in enumerate(vendors)]
    for i in range(n_units):
        pm = models[i % len(models)]
        EquipmentFactory(site=sites[i % 3], product_model=pm, category=pm.category, internet_connected=bool(i % 2),
                         installed_date=dt.date(2016 + i % 8, 1 + i % 12, 1))
    policy_rules_seed_defaults()
    return org


def _screened() -> None:
    """A full run, its ScreeningChanged kept from the worker (which would evaluate the vendors' units meanwhile)."""
    with events_recorded(events.ScreeningChanged):
        assert screening_run_full(trigger="manual").status == "succeeded"


def _plans() -> set[tuple]:
    return set(RemediationPlan.objects.values_list(
        "equipment_id", "rule_id", "status", "deadline", "computed_deadline", "vendor_id", "evaluation_hash",
        "why", "is_overdue", "in_breach_since"))


def _screening_rows() -> tuple[set, set, set, set]:
    matches = set(Match.objects.filter(closed_at__isnull=True).values_list(
        "vendor_id", "source_id", "external_id", "strength", "score", "review_state"))
    findings = set(Finding.objects.filter(closed_at__isnull=True).values_list(
        "vendor_id", "key", "kind", "status", "organization_id"))
    vendors = set(Vendor.objects.values_list("pk", "risk_status"))
    units = set(Equipment.objects.values_list("pk", "risk_status", "risk_reason"))
    return matches, findings, vendors, units


def _screening_reset() -> None:
    Finding.objects.all().delete()
    Match.objects.all().delete()
    Vendor.objects.update(risk_status="clear")
    Equipment.objects.update(risk_status="clear", risk_reason="")


def _wait_run(worker, run_id: int) -> ScreeningRun:
    return worker.wait_for(lambda: ScreeningRun.objects.filter(pk=run_id).exclude(status="running").first(),
                           timeout=120)


@pytest.fixture
def fanout(settings):
    settings.WORK_FANOUT = True
    settings.WORK_FANOUT_UNITS = 7  # 36 units: 6 parts
    settings.WORK_FANOUT_VENDORS = 3  # 10 vendors: 4 parts
    if not settings.CELERY_RESULT_BACKEND:
        pytest.skip("a chord needs a result backend (CELERY_RESULT_BACKEND)")


@pytest.mark.worker
def test_full_rescreen_in_workers_gives_the_single_process_rows(fanout, celery_worker_process):
    _registry()
    single = screening_run_full(trigger="manual")
    assert single.status == "succeeded"
    expected = _screening_rows()
    assert expected[0] and any(status != "clear" for _pk, status, _r in expected[3])  # something to compare

    _screening_reset()
    run = screening_run_full_in_workers(trigger="manual")
    assert run.status == "running" and run.scope == {"all": True, "parts": 4}
    done = _wait_run(celery_worker_process, run.pk)
    assert done.status == "succeeded", done.error
    assert _screening_rows() == expected
    assert done.vendor_count == 10 and done.counts["matches_new"] == single.counts["matches_new"] > 0
    assert done.list_versions == single.list_versions

    # A part run again (a redelivered message) writes the same rows and changes nothing.
    ScreeningRun.objects.filter(pk=run.pk).update(status="running")
    first = Vendor.objects.order_by("pk").values_list("pk", flat=True)[:3]
    again = celery_worker_process_result("apps.screening.tasks.screen_all_range",
                                         {"run_id": run.pk, "id_from": first[0], "id_to": first[2]})
    assert again["changed"] == [] and again["vendors"] == 3
    assert _screening_rows() == expected


@pytest.mark.worker
def test_evaluation_in_workers_gives_the_single_process_plans(fanout, celery_worker_process):
    org = _registry()
    _screened()
    single = remediation_evaluate(today=TODAY)
    expected = _plans()
    assert single.created >= 5 and len(expected) == single.created

    RemediationPlan.objects.all().delete()
    started = remediation_evaluate_in_workers(today=TODAY)
    assert started["chunks"] == 6
    totals = AsyncResult(started["chord"]).get(timeout=120)
    assert totals == single.as_dict() | {"chunks": 6}
    assert _plans() == expected

    # One organisation's evaluation goes through the same parts; nothing changed, nothing is written.
    started = remediation_evaluate_in_workers(today=TODAY, organization_id=org.pk)
    totals = AsyncResult(started["chord"]).get(timeout=120)
    assert totals["created"] == totals["updated"] == totals["closed"] == 0 and totals["unchanged"] == 36
    assert _plans() == expected

    # A part run again: the same plans, nothing created or updated.
    ids = sorted(Equipment.objects.values_list("pk", flat=True))
    again = celery_worker_process_result("apps.remediation.tasks.remediation_evaluate_range_task", {
        "id_from": ids[0], "id_to": ids[6], "today": TODAY.isoformat(), "now": "2026-11-25T09:00:00+00:00"})
    assert again == {"evaluated": 7, "created": 0, "reopened": 0, "updated": 0, "closed": 0, "unchanged": 7}
    assert _plans() == expected


@pytest.mark.worker
def test_daily_job_in_workers_evaluates_in_parts_then_sends_the_digest(fanout, celery_worker_process):
    from apps.accounts.choices import Role
    from apps.remediation.models import Digest, DigestItem
    from apps.remediation.services import remediation_daily_in_workers
    from tests.factories import MembershipFactory, UserFactory

    org = _registry()
    MembershipFactory(organization=org, role=Role.ADMIN, user=UserFactory(email="officer@port.test"))
    _screened()
    single = remediation_evaluate(today=TODAY)
    expected = _plans()
    assert single.created >= 5
    RemediationPlan.objects.all().delete()

    started = remediation_daily_in_workers(today=TODAY)
    assert started["chunks"] == 6
    result = AsyncResult(started["chord"]).get(timeout=120)
    assert result["evaluate"] == single.as_dict() | {"chunks": 6}
    assert _plans() == expected  # the parts evaluated every unit, as one process does
    # the digest, after the evaluation: it lists the plans the parts created
    assert result["today"] == TODAY.isoformat() and result["digests"] == 1
    assert Digest.objects.get(organization=org, digest_date=TODAY).item_count > 0
    assert DigestItem.objects.filter(plan__in=RemediationPlan.objects.all(), digest_date=TODAY).exists()

    # Run again (a second beat, a redelivery): nothing evaluated differently, no second digest.
    again = AsyncResult(remediation_daily_in_workers(today=TODAY)["chord"]).get(timeout=120)
    assert again["evaluate"]["created"] == again["evaluate"]["updated"] == 0 and again["digests"] == 0
    assert _plans() == expected and Digest.objects.filter(organization=org, digest_date=TODAY).count() == 1


@pytest.mark.worker
def test_projection_in_workers_gives_the_single_process_report(fanout, celery_worker_process):
    org = _registry()
    _screened()
    remediation_evaluate(today=TODAY)
    on = dt.date(2028, 1, 1)
    single = projection_run(report=ProjectionReport.objects.create(organization=org, on=on, computed_on=TODAY))

    def lines(report):
        return sorted(ProjectionLine.objects.filter(report=report).values_list(
            "equipment_id", "rule_code", "action", "deadline", "already_due", "explanation", "also"))

    assert single.status == "done" and single.summary["total"] > 0
    report = ProjectionReport.objects.create(organization=org, on=on, computed_on=TODAY)
    assert projection_run_in_workers(report=report).status == "running"
    done = celery_worker_process.wait_for(
        lambda: ProjectionReport.objects.filter(pk=report.pk).exclude(status="running").first(), timeout=120)
    assert done.status == "done", done.error
    assert done.summary == single.summary and done.units_done == done.units_total == 36
    assert lines(done) == lines(single)

    # A range run again replaces its own lines with the same ones.
    ProjectionReport.objects.filter(pk=report.pk).update(status="running")
    ids = sorted(Equipment.objects.values_list("pk", flat=True))
    celery_worker_process_result("apps.remediation.tasks.projection_range_task",
                                 {"report_id": report.pk, "id_from": ids[0], "id_to": ids[20]})
    assert lines(report) == lines(single)


def celery_worker_process_result(task_name: str, kwargs: dict, timeout: float = 60):
    """Send one task by name to the test's worker (the default queue) and wait for its stored result."""
    from apps.security.enqueue import celery_app

    return celery_app().send_task(task_name, kwargs=kwargs).get(timeout=timeout)


# --- without workers, and the pieces --------------------------------------------------------------------------

@pytest.mark.django_db
def test_without_fanout_everything_runs_in_this_process(settings):
    settings.WORK_FANOUT = False
    _registry(12)
    run = screening_run_full_in_workers(trigger="manual")
    assert run.status == "succeeded" and run.scope == {"all": True}
    result = remediation_evaluate_in_workers(today=TODAY)
    assert "chord" not in result and result["evaluated"] == 12 and result["created"] == RemediationPlan.objects.count()


@pytest.mark.django_db
def test_fanout_without_a_result_backend_stops_start_up(settings):
    settings.WORK_FANOUT, settings.CELERY_RESULT_BACKEND = True, None
    errors = [m for m in checks.run_checks() if m.id == "celery.E001"]
    assert len(errors) == 1
    settings.WORK_FANOUT = False
    assert not [m for m in checks.run_checks() if m.id == "celery.E001"]


@pytest.mark.django_db
def test_id_ranges_cover_every_row_once_in_bounded_ranges():
    vendors = VendorFactory.create_batch(10)
    ids = sorted(v.pk for v in vendors)
    ranges = id_ranges(Vendor.objects.all(), 3)
    assert ranges == [(ids[0], ids[2]), (ids[3], ids[5]), (ids[6], ids[8]), (ids[9], ids[9])]
    assert id_ranges(Vendor.objects.all(), 10) == [(ids[0], ids[9])]
    assert id_ranges(Vendor.objects.none(), 3) == []
    with pytest.raises(ValueError):
        id_ranges(Vendor.objects.all(), 0)


@pytest.mark.django_db
def test_in_ids_lookup_matches_in():
    vendors = VendorFactory.create_batch(5)
    some = {vendors[0].pk, vendors[3].pk}
    assert set(Vendor.objects.filter(pk__in_ids=some).values_list("pk", flat=True)) == some
    assert list(Vendor.objects.filter(pk__in_ids=set())) == []
    unit = EquipmentFactory()
    assert list(Equipment.objects.filter(site_id__in_ids={unit.site_id})) == [unit]
    with pytest.raises((TypeError, ValueError)):
        list(Vendor.objects.filter(pk__in_ids={"1; DROP TABLE x"}))


@pytest.mark.django_db
def test_in_ids_lookup_sends_the_array_typed_as_the_column():
    """On PostgreSQL the ids go as one array literal of the column's type ('{1,2}'::bigint[] for bigint ids): one
    constant to parse (not one per id), which PostgreSQL can compare by hashing when it filters rows with it (an
    integer[] against a bigint column it compares id by id). Integer columns only."""
    from django.db import connection

    plans = RemediationPlan.objects.filter(equipment_id__in_ids={2, 1})
    sql, params = plans.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert '"equipment_id" = ANY(%s::bigint[])' in sql and "{1,2}" in params
        with pytest.raises(TypeError, match="integer columns"):
            list(Vendor.objects.filter(name__in_ids={1}))
    else:
        assert '"equipment_id" IN (%s, %s)' in sql
    assert list(plans) == []


def test_work_is_routed_to_a_queue_per_kind():
    from celery import Celery
    from kombu import Queue

    from vendorrisk import settings as production

    app = Celery(set_as_current=False)
    app.conf.update(task_routes=production.CELERY_TASK_ROUTES, task_default_queue="celery",
                    task_queues=production.CELERY_TASK_QUEUES)
    queues = {q.name for q in production.CELERY_TASK_QUEUES}
    assert queues == {"celery", "screening", "remediation", "lists", "integrations"}
    assert all(isinstance(q, Queue) for q in production.CELERY_TASK_QUEUES)
    router = app.amqp.router
    for name, queue in [("apps.screening.tasks.screen_all_range", "screening"),
                        ("apps.remediation.tasks.remediation_evaluate_range_task", "remediation"),
                        ("apps.lists.tasks.refresh_list_source", "lists"),
                        ("apps.integrations.tasks.webhook_deliver_task", "integrations"),
                        ("audit.checkpoint", "celery")]:
        routed = router.route({}, name)["queue"]
        assert (routed.name, routed.exchange.name, routed.routing_key) == (queue, queue, queue), name


@pytest.mark.django_db
def test_parts_that_cannot_be_sent_leave_the_run_and_the_report_failed(settings, monkeypatch):
    from apps.security import enqueue

    settings.WORK_FANOUT, settings.WORK_FANOUT_UNITS, settings.WORK_FANOUT_VENDORS = True, 7, 3
    org = _registry(12)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(enqueue, "fan_out", broker_down)
    with pytest.raises(ConnectionError):
        screening_run_full_in_workers(trigger="manual")
    run = ScreeningRun.objects.get()
    assert run.status == "failed" and "broker down" in run.error
    report = ProjectionReport.objects.create(organization=org, on=dt.date(2028, 1, 1), computed_on=TODAY)
    with pytest.raises(ConnectionError):
        projection_run_in_workers(report=report)
    report.refresh_from_db()
    assert report.status == "failed" and "broker down" in report.error


@pytest.mark.django_db(transaction=True)
def test_a_rescreen_part_run_twice_still_hands_its_changed_vendors_to_the_final_step():
    """A part redelivered after it committed finds its matches written and reports no changed vendor: the final
    step reads the vendors each part recorded on the run row, so their plans are still re-evaluated."""
    from django.utils import timezone

    from apps.screening.services import screening_run_full_finish, screening_run_full_range

    _registry(12)
    run = ScreeningRun.objects.create(trigger="manual", status="running", started_at=timezone.now(),
                                      scope={"all": True, "parts": 1})
    ids = sorted(Vendor.objects.values_list("pk", flat=True))
    first = screening_run_full_range(run_id=run.pk, id_from=ids[0], id_to=ids[-1])
    assert first["changed"]  # the two listed vendors matched
    again = screening_run_full_range(run_id=run.pk, id_from=ids[0], id_to=ids[-1])
    assert again["changed"] == []
    run.refresh_from_db()
    assert run.changed_vendor_ids == first["changed"]  # recorded once, not doubled, not emptied

    with events_recorded(events.ScreeningChanged) as seen:
        done = screening_run_full_finish(run_id=run.pk, results=[again])  # the redelivered part's result only
    assert done.status == "succeeded"
    announced = set().union(*(e.vendor_ids for e in seen))
    assert set(first["changed"]) <= announced
