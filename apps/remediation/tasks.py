"""Celery tasks: thin, idempotent, acks_late; each calls one service."""
from __future__ import annotations

import datetime as dt
import logging
import smtplib

from celery import shared_task
from django.db import OperationalError

from . import services

logger = logging.getLogger(__name__)


# SMTPException too: a digest whose send failed is marked failed and sent by the retry (one per org and day).
@shared_task(acks_late=True, autoretry_for=(ConnectionError, TimeoutError, smtplib.SMTPException), retry_backoff=True,
             max_retries=5)
def remediation_daily_task(today: str | None = None) -> dict:
    """Daily: re-evaluate every unit (rules that took effect or whose suspension ended today), then expire
    waivers, flag overdue plans and send digests (idempotent per organisation, day and item): the evaluation
    spread over the workers when WORK_FANOUT is on, the rest its final step."""
    return services.remediation_daily_in_workers(today=dt.date.fromisoformat(today) if today else None)


# The final step of the daily job spread over workers (after the remediation_evaluate_range_task parts): the
# digests' send errors retried as the daily task's are.
@shared_task(acks_late=True, ignore_result=False, autoretry_for=(ConnectionError, TimeoutError, OperationalError,
             smtplib.SMTPException), retry_backoff=True, max_retries=5)
def remediation_daily_finish_task(results: list[dict], today: str) -> dict:
    return services.remediation_daily_finish(results=results, today=dt.date.fromisoformat(today))


@shared_task(acks_late=True, autoretry_for=(ConnectionError, TimeoutError, OperationalError, smtplib.SMTPException),
             retry_backoff=True, max_retries=5)
def remediation_daily_failed_task(task_id: str | None = None, *, today: str) -> dict:
    """A part of the daily evaluation failed for good: said in the log (the chunks done stand; tomorrow's run
    does the rest), and the daily steps still run on the plans as they are, so waivers expire, overdue plans are
    flagged and the digests go out."""
    logger.error("daily remediation evaluation of %s failed in part task %s; digests sent on the plans as they are",
                 today, task_id)
    return services.remediation_daily(today=dt.date.fromisoformat(today))


@shared_task(acks_late=True)
def remediation_digest_retry_task() -> dict:
    """Hourly: today's digests whose send failed (the daily task's retries ran out) or whose run died."""
    return services.digests_retry_failed()


@shared_task(acks_late=True, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def remediation_evaluate_vendors_task(vendor_ids: list[int]) -> dict:
    """Re-evaluate the plans of the units of vendors whose screening status changed."""
    return services.remediation_evaluate_vendors(vendor_ids=vendor_ids).as_dict()


@shared_task(acks_late=True, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5,
             time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def remediation_evaluate_organization_task(organization_id: int) -> dict:
    """Re-evaluate an organisation's plans after its profile changed (the rules that bind it may differ): spread
    over the workers when WORK_FANOUT is on."""
    return services.remediation_evaluate_in_workers(organization_id=int(organization_id))


@shared_task(acks_late=True, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def remediation_evaluate_all_task(today: str | None = None) -> dict:
    """Evaluate every unit: spread over the workers when WORK_FANOUT is on (the chunks below)."""
    return services.remediation_evaluate_in_workers(today=dt.date.fromisoformat(today) if today else None)


# The parts of an evaluation spread over workers (services.remediation_evaluate_in_workers). A part stores its
# result (ignore_result=False): the chord's final step receives them.
@shared_task(acks_late=True, ignore_result=False, autoretry_for=(ConnectionError, TimeoutError, OperationalError),
             retry_backoff=True, max_retries=5, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def remediation_evaluate_range_task(id_from: int, id_to: int, today: str, now: str,
                                    organization_id: int | None = None) -> dict:
    return services.remediation_evaluate_range(
        id_from=int(id_from), id_to=int(id_to), today=dt.date.fromisoformat(today),
        now=dt.datetime.fromisoformat(now), organization_id=organization_id).as_dict()


@shared_task(acks_late=True, ignore_result=False)  # its result: the evaluation's totals
def remediation_evaluate_totals_task(results: list[dict], today: str, organization_id: int | None = None) -> dict:
    return services.remediation_evaluation_totals(results)


@shared_task(acks_late=True)
def remediation_evaluate_failed_task(task_id: str | None = None, *, today: str,
                                     organization_id: int | None = None) -> None:
    """A part failed for good: said in the log (the chunks done stand; the next evaluation does the rest)."""
    logger.error("remediation evaluation of %s (organisation %s) failed in part task %s", today, organization_id,
                 task_id)


@shared_task(acks_late=True, name="apps.remediation.tasks.projection_run_task", time_limit=4 * 3600,
             soft_time_limit=4 * 3600 - 60)
def projection_run_task(report_id: int) -> str:
    """Compute a projection report (idempotent: a done report is left as it is), spread over the workers when
    WORK_FANOUT is on: then "running" until the final step."""
    from .models import ProjectionReport

    report = ProjectionReport.objects.filter(pk=report_id).first()
    if report is None:
        return "missing"
    return services.projection_run_in_workers(report=report).status


@shared_task(acks_late=True, ignore_result=False, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def projection_range_task(report_id: int, id_from: int, id_to: int) -> dict:
    return services.projection_run_range(report_id=int(report_id), id_from=int(id_from), id_to=int(id_to))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def projection_finish_task(results: list[dict], report_id: int) -> str:
    return services.projection_finish(report_id=int(report_id)).status


@shared_task(acks_late=True)
def projection_failed_task(task_id: str | None = None, *, report_id: int) -> None:
    services.projection_failed(report_id=int(report_id), error=f"a part of the report failed (task {task_id})")


@shared_task(acks_late=True, name="apps.remediation.tasks.fact_change_notices_task", autoretry_for=(ConnectionError,
             TimeoutError), retry_backoff=True, max_retries=5)
def fact_change_notices_task(proposal_id: int) -> dict:
    """An accepted change proposal: re-screen its vendors, keep the notices of organisations whose units moved."""
    return services.fact_change_notices_compute(proposal_id=int(proposal_id))
