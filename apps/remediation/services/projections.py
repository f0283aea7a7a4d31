"""Projection reports: which units will be non-compliant on a future day, computed in the background."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
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


def projection_reports_prune(*, organization_id: int) -> int:
    """Keep the PROJECTION_REPORTS_KEPT newest reports of an organisation (in the background, after a run:
    a big report's lines take a while to delete). Returns the reports deleted."""
    old = list(ProjectionReport.objects.filter(organization_id=organization_id).order_by("-created_at", "-pk")
               .values_list("pk", flat=True)[PROJECTION_REPORTS_KEPT:])
    for pk in old:
        ProjectionLine.objects.filter(report_id=pk).delete()
        ProjectionReport.objects.filter(pk=pk).delete()
    return len(old)
