"""Projection reports: which units will be non-compliant on a future day, computed in the background."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Least
from django.utils import timezone

from apps.accounts.models import Organization
from apps.accounts.policies import Action, require
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError
from apps.security.enqueue import enqueue_on_commit

from ..context import FindingsProvider
from ..models import ProjectionLine, ProjectionReport
from ..selectors import remediation_projection_chunks, remediation_projection_scope, remediation_projection_summary

logger = logging.getLogger(__name__)


PROJECTION_MAX_YEARS = 10
PROJECTION_MAX_DAYS = 3653  # ten years
PROJECTION_REPORTS_KEPT = 20  # per organisation; older ones are deleted when a new one is requested


@transaction.atomic
def projection_request(*, organization: Organization, user, on: dt.date, site=None,
                       today: dt.date | None = None) -> ProjectionReport:
    """Ask which units will be non-compliant on `on` (the organisation's, or one site's); computed in the
    background (`projection_run`). Only writers of the organisation may ask (it stores a report)."""
    today = today or timezone.localdate()
    require(user, Action.WRITE, organization_id=organization.pk)
    if site is not None and site.organization_id != organization.pk:
        raise ApplicationError("Not a site of this organisation.", code="invalid",
                               fields={"site": ["Not a site of this organisation."]})
    if on < today:
        raise ApplicationError("Pick today or a later day; the past is answered by the as_of history.",
                               code="invalid", fields={"on": ["Pick today or a later day."]})
    if on > today + dt.timedelta(days=PROJECTION_MAX_DAYS):
        raise ApplicationError(f"Pick a day within {PROJECTION_MAX_YEARS} years.", code="invalid",
                               fields={"on": [f"Pick a day within {PROJECTION_MAX_YEARS} years."]})
    # The units it will look at, counted now: the progress bar shows "0 of n" while queued, not "0 of ?".
    _, scope = remediation_projection_scope(organization_ids=[organization.pk],
                                            site_ids=[site.pk] if site is not None else None)
    report = ProjectionReport.objects.create(organization=organization, site=site, requested_by=user, on=on,
                                             computed_on=today, units_total=scope.count())
    audit_record(action="remediation.projection_request", actor=user, obj=report, organization_id=organization.pk,
                 changes={"on": on.isoformat(), "site": site.pk if site else None})
    enqueue_on_commit("apps.remediation.tasks.projection_run_task", report.pk)
    return report


def projection_run(*, report: ProjectionReport, findings_provider: FindingsProvider | None = None,
                   chunk_size: int = 2000) -> ProjectionReport:
    """Compute the report: chunk by chunk of units, its lines written as they come and its progress saved.
    Idempotent: a report computed again (a worker that died half-way) starts from nothing; a done one is left."""
    if report.status == ProjectionReport.Status.DONE:
        return report
    site_ids = [report.site_id] if report.site_id else None
    _, scope = remediation_projection_scope(organization_ids=[report.organization_id], site_ids=site_ids)
    with transaction.atomic():
        report.lines.all().delete()
        report.status, report.units_done, report.error = ProjectionReport.Status.RUNNING, 0, ""
        report.units_total = scope.count()
        report.save(update_fields=["status", "units_done", "units_total", "error"])
    by_rule: dict[str, int] = defaultdict(int)
    total = newly = 0
    try:
        for done, items in remediation_projection_chunks(
                on=report.on, today=report.computed_on, organization_ids=[report.organization_id],
                site_ids=site_ids, findings_provider=findings_provider, chunk_size=chunk_size):
            ProjectionLine.objects.bulk_create([ProjectionLine(
                report=report, equipment_id=i.equipment_id, site_id=i.site_id, category=i.category,
                rule_code=i.rule_code, action=i.action, deadline=i.deadline, already_due=i.already_due_today,
                explanation=i.explanation, also=list(i.also)) for i in items], batch_size=1000)
            chunk_summary = remediation_projection_summary(items)
            total += chunk_summary["total"]
            newly += chunk_summary["newly_due"]
            for code, n in chunk_summary["by_rule"].items():
                by_rule[code] += n
            ProjectionReport.objects.filter(pk=report.pk).update(units_done=done)
    except Exception as exc:
        logger.exception("projection report %s failed", report.pk)
        ProjectionReport.objects.filter(pk=report.pk).update(status=ProjectionReport.Status.FAILED,
                                                             error=f"{exc.__class__.__name__}: {exc}"[:2000],
                                                             finished_at=timezone.now())
        raise
    report.summary = {"total": total, "newly_due": newly, "already_due": total - newly,
                      "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))}
    report.units_done = report.units_total
    report.status = ProjectionReport.Status.DONE
    report.finished_at = timezone.now()
    report.save(update_fields=["summary", "units_done", "status", "finished_at"])
    projection_reports_prune(organization_id=report.organization_id)
    return report


PROJECTION_RANGE_TASK = "apps.remediation.tasks.projection_range_task"
PROJECTION_FINISH_TASK = "apps.remediation.tasks.projection_finish_task"
PROJECTION_FAILED_TASK = "apps.remediation.tasks.projection_failed_task"


def _report_scope(report: ProjectionReport):
    site_ids = [report.site_id] if report.site_id else None
    _, scope = remediation_projection_scope(organization_ids=[report.organization_id], site_ids=site_ids)
    return site_ids, scope


def projection_run_in_workers(*, report: ProjectionReport) -> ProjectionReport:
    """Compute the report. With WORK_FANOUT: its units split into ranges of WORK_FANOUT_UNITS by id, each range's
    lines written by a task on whichever worker takes it (projection_run_range), then projection_finish adds up
    the summary from the lines and marks it done (a chord; the report is `running` until then, `failed` with the
    error when a range fails). Without: projection_run, in this process. A done report is left as it is."""
    from django.conf import settings

    from apps.common.chunks import id_ranges
    from apps.security.enqueue import fan_out

    if report.status == ProjectionReport.Status.DONE:
        return report
    if not settings.WORK_FANOUT:
        return projection_run(report=report)
    _, scope = _report_scope(report)
    with transaction.atomic():
        report.lines.all().delete()
        report.status, report.units_done, report.error = ProjectionReport.Status.RUNNING, 0, ""
        report.units_total = scope.count()
        report.save(update_fields=["status", "units_done", "units_total", "error"])
    ranges = id_ranges(scope, settings.WORK_FANOUT_UNITS)
    if not ranges:
        return projection_finish(report_id=report.pk)
    try:
        fan_out([(PROJECTION_RANGE_TASK, {"report_id": report.pk, "id_from": a, "id_to": b}) for a, b in ranges],
                (PROJECTION_FINISH_TASK, {"report_id": report.pk}),
                on_error=(PROJECTION_FAILED_TASK, {"report_id": report.pk}))
    except Exception as exc:  # the parts were not sent (broker down): the report says so; a retry starts again
        projection_failed(report_id=report.pk, error=f"{exc.__class__.__name__}: {exc}")
        raise
    return report


def projection_run_range(*, report_id: int, id_from: int, id_to: int,
                         findings_provider: FindingsProvider | None = None) -> dict:
    """One range of a report computed by several workers: its lines for the units with id_from <= id <= id_to,
    replacing whatever lines a previous attempt left for that range (one transaction: run again, the same
    lines). A report that is done or gone is left alone."""
    report = ProjectionReport.objects.filter(pk=report_id).first()
    if report is None or report.status == ProjectionReport.Status.DONE:
        return {"units": 0, "lines": 0, "skipped": True}
    site_ids, _ = _report_scope(report)
    looked_at = lines = 0
    with transaction.atomic():
        ProjectionLine.objects.filter(report_id=report_id, equipment_id__gte=id_from, equipment_id__lte=id_to).delete()
        for done, items in remediation_projection_chunks(
                on=report.on, today=report.computed_on, organization_ids=[report.organization_id], site_ids=site_ids,
                findings_provider=findings_provider, id_from=id_from, id_to=id_to):
            ProjectionLine.objects.bulk_create([ProjectionLine(
                report=report, equipment_id=i.equipment_id, site_id=i.site_id, category=i.category,
                rule_code=i.rule_code, action=i.action, deadline=i.deadline, already_due=i.already_due_today,
                explanation=i.explanation, also=list(i.also)) for i in items], batch_size=1000)
            looked_at, lines = done, lines + len(items)
        # Progress only (the final step sets the exact figure): a range run twice cannot pass the total.
        ProjectionReport.objects.filter(pk=report_id).update(
            units_done=Least(F("units_done") + looked_at, F("units_total")))
    return {"units": looked_at, "lines": lines}


def projection_finish(*, report_id: int) -> ProjectionReport:
    """The final step of a report computed by several workers: the summary from its lines (the same figures as
    projection_run adds up as it goes), done, and the organisation's old reports pruned. Idempotent."""
    report = ProjectionReport.objects.get(pk=report_id)
    if report.status == ProjectionReport.Status.DONE:
        return report
    lines = ProjectionLine.objects.filter(report_id=report_id).order_by()
    by_rule = dict(lines.values_list("rule_code").annotate(n=Count("id")).values_list("rule_code", "n"))
    total = sum(by_rule.values())
    newly = lines.filter(already_due=False).count()
    report.summary = {"total": total, "newly_due": newly, "already_due": total - newly,
                      "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))}
    report.units_done = report.units_total
    report.status = ProjectionReport.Status.DONE
    report.finished_at = timezone.now()
    report.save(update_fields=["summary", "units_done", "status", "finished_at"])
    projection_reports_prune(organization_id=report.organization_id)
    return report


def projection_failed(*, report_id: int, error: str) -> None:
    """A range of a report computed by several workers failed for good: the report says so (not `running`)."""
    ProjectionReport.objects.filter(pk=report_id).exclude(status=ProjectionReport.Status.DONE).update(
        status=ProjectionReport.Status.FAILED, error=error[:2000], finished_at=timezone.now())


def projection_reports_prune(*, organization_id: int) -> int:
    """Keep the PROJECTION_REPORTS_KEPT newest reports of an organisation (in the background, after a run:
    a big report's lines take a while to delete). Returns the reports deleted."""
    old = list(ProjectionReport.objects.filter(organization_id=organization_id).order_by("-created_at", "-pk")
               .values_list("pk", flat=True)[PROJECTION_REPORTS_KEPT:])
    for pk in old:
        ProjectionLine.objects.filter(report_id=pk).delete()
        ProjectionReport.objects.filter(pk=pk).delete()
    return len(old)
