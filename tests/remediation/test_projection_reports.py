"""Projection reports: "which units will be non-compliant on this day?" computed in the background, kept with
its lines, shown and exported in the officers' UI."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from apps.common.exceptions import ApplicationError
from apps.lists.models import ListSource
from apps.remediation.models import PolicyRule, ProjectionLine, ProjectionReport
from apps.remediation.selectors import remediation_projection
from apps.remediation.services import PROJECTION_REPORTS_KEPT, projection_request, projection_run
from tests.factories import EquipmentFactory, FindingFactory, ProjectionReportFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)
JULY = dt.date(2027, 7, 1)


def _listed(equipment, *, regime="us_dod", code="dod_1260h"):
    source, _ = ListSource.objects.get_or_create(code=code, defaults={
        "name": code.upper(), "publisher": "test", "regime": regime, "format": "custom_csv"})
    vendor = equipment.product_model.brand
    return FindingFactory(vendor=vendor, key=f"{code}:{vendor.pk}", source=source, regime=regime,
                          path_text=f"{vendor.name} <- listed: {code}", status="restricted",
                          listed_on=dt.date(2021, 1, 1))


@pytest.fixture
def dod_rule(make_rule):
    return make_rule(code="dod1260h-products", regimes=["us_dod"], action="replace",
                     deadline_date=dt.date(2027, 6, 30), deadline_days=None)


def test_a_report_holds_exactly_the_projection_and_its_summary(camera, crane, site, findings, dod_rule, make_rule,
                                                                officer):
    make_rule(code="future-rule", regimes=["us_bis"], action="remove", deadline_days=0,
              effective_from=dt.date(2027, 3, 1))
    findings.add(camera, regime="us_dod", source_code="dod_1260h")
    findings.add(crane, regime="us_bis", source_code="us_csl", listed_on=dt.date(2020, 12, 18), discovered_on=TODAY)
    extra = [EquipmentFactory(site=site, product_model=camera.product_model) for _ in range(5)]
    for unit in extra:
        findings.add(unit, regime="us_dod", source_code="dod_1260h")
    report = ProjectionReportFactory(organization=site.organization, requested_by=officer, on=JULY,
                                     computed_on=TODAY)
    projection_run(report=report, findings_provider=findings, chunk_size=3)  # several chunks
    report.refresh_from_db()
    expected = remediation_projection(on=JULY, today=TODAY, organization_ids=[site.organization_id],
                                      findings_provider=findings)
    lines = list(report.lines.order_by("equipment_id"))
    assert [(ln.equipment_id, ln.rule_code, ln.deadline) for ln in lines] == sorted(
        (i.equipment_id, i.rule_code, i.deadline) for i in expected)
    assert report.status == "done" and report.units_done == report.units_total == 7
    assert report.summary == {"total": 7, "newly_due": 7, "already_due": 0,
                              "by_rule": {"dod1260h-products": 6, "future-rule": 1}}
    # Computing it again (a task delivered twice) changes nothing; a failed run restarts from nothing.
    projection_run(report=report, findings_provider=findings)
    assert report.lines.count() == 7
    report.status = "running"
    report.save()
    projection_run(report=report, findings_provider=findings)
    assert report.lines.count() == 7 and ProjectionLine.objects.count() == 7


def test_requests_are_checked_and_old_reports_pruned(org, site, other_site, officer, viewer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queued only (enqueue_on_commit never runs in this transaction)
    with pytest.raises(ApplicationError) as exc:
        projection_request(organization=org, user=viewer, on=JULY, today=TODAY)
    assert exc.value.code == "forbidden"
    with pytest.raises(ApplicationError) as exc:
        projection_request(organization=org, user=officer, on=TODAY - dt.timedelta(days=1), today=TODAY)
    assert set(exc.value.fields) == {"on"}
    with pytest.raises(ApplicationError) as exc:
        projection_request(organization=org, user=officer, on=dt.date(2040, 1, 1), today=TODAY)
    assert set(exc.value.fields) == {"on"}
    with pytest.raises(ApplicationError) as exc:
        projection_request(organization=org, user=officer, on=JULY, site=other_site, today=TODAY)
    assert set(exc.value.fields) == {"site"}
    assert not ProjectionReport.objects.exists()
    for _ in range(PROJECTION_REPORTS_KEPT + 3):
        last = projection_request(organization=org, user=officer, on=JULY, site=site, today=TODAY)
    assert ProjectionReport.objects.count() == PROJECTION_REPORTS_KEPT + 3
    projection_run(report=last)  # a finished run keeps the newest ones
    assert ProjectionReport.objects.count() == PROJECTION_REPORTS_KEPT
    assert ProjectionReport.objects.filter(pk=last.pk, status="done").exists()


def _login(client, user):
    user.save()
    client.force_login(user)
    return client


def test_officer_computes_reads_and_exports_a_projection(client, camera, site, dod_rule, officer, other_officer,
                                                         auditor, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _listed(camera)
    c = _login(client, officer)
    assert c.get(reverse("web:projection")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("web:projection"), {"on": "2027-07-01", "site": ""})
    report = ProjectionReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:projection-report", args=[report.pk])
    report.refresh_from_db()
    assert report.status == "done" and report.summary["total"] == 1
    page = c.get(reverse("web:projection-report", args=[report.pk]))
    assert page.status_code == 200
    assert [(ln.equipment_id, unit.pk) for ln, unit, _site in page.context["rows"]] == [(camera.pk, camera.pk)]
    assert b"dod1260h-products" in page.content and b"2027-06-30" in page.content
    poll = c.get(reverse("web:projection-report", args=[report.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Redirect"] == reverse("web:projection-report", args=[report.pk])

    export = c.get(reverse("web:projection-export", args=[report.pk]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["equipment_id", "site", "category", "rule", "action", "deadline"]
    title = PolicyRule.objects.get(code="dod1260h-products").name  # people read titles; the code stays beside
    assert rows[1][:6] == [str(camera.pk), site.code, "camera", title, "replace", "2027-06-30"]
    assert rows[0][9] == "rule_code" and rows[1][9] == "dod1260h-products"

    bad = c.post(reverse("web:projection"), {"on": "2001-01-01"})
    assert bad.status_code == 200 and "on" in bad.context["form"].errors
    assert ProjectionReport.objects.count() == 1

    reader = _login(client, auditor)  # reads the reports, may not compute one
    assert reader.get(reverse("web:projection-report", args=[report.pk])).status_code == 200
    assert reader.post(reverse("web:projection"), {"on": "2027-07-01"}).status_code == 403
    other = _login(client, other_officer)
    assert other.get(reverse("web:projection-report", args=[report.pk])).status_code == 404
    assert other.get(reverse("web:projection-export", args=[report.pk]), {"format": "csv"}).status_code == 404


def test_a_real_worker_computes_the_report(camera, site, dod_rule, officer, celery_worker_process):
    _listed(camera)
    report = projection_request(organization=site.organization, user=officer, on=JULY)
    celery_worker_process.wait_for(
        lambda: ProjectionReport.objects.filter(pk=report.pk, status__in=["done", "failed"]).exists(), timeout=90)
    report.refresh_from_db()
    assert report.status == "done", (report.error, celery_worker_process.log()[-3000:])
    assert list(report.lines.values_list("equipment_id", "rule_code")) == [(camera.pk, "dod1260h-products")]


def test_auditors_read_projections_through_the_api_and_officers_ask(camera, site, other_site, dod_rule, officer,
                                                                     auditor, settings,
                                                                     django_capture_on_commit_callbacks):
    from tests.api.conftest import token_client

    settings.CELERY_TASK_ALWAYS_EAGER = True
    _listed(camera)
    asker = token_client(officer)
    refused = asker.post("/api/v1/projections/", {"organization": site.organization_id, "on": "2027-07-01",
                                                  "site": other_site.pk}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"site"}
    with django_capture_on_commit_callbacks(execute=True):
        asked = asker.post("/api/v1/projections/", {"organization": site.organization_id, "on": "2027-07-01"},
                           format="json")
    assert asked.status_code == 202 and asked.json()["status"] == "queued"
    report_id = asked.json()["id"]

    reader = token_client(auditor)
    report = reader.get(f"/api/v1/projections/{report_id}/").json()
    assert report["status"] == "done" and report["summary"]["by_rule"] == {"dod1260h-products": 1}
    lines = reader.get(f"/api/v1/projections/{report_id}/lines/").json()["results"]
    assert [(ln["equipment"], ln["rule_code"], ln["deadline"]) for ln in lines] == [
        (camera.pk, "dod1260h-products", "2027-06-30")]
    assert reader.post("/api/v1/projections/", {"organization": site.organization_id, "on": "2027-07-01"},
                       format="json").status_code == 403
