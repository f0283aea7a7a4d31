"""Celery tasks for screening: thin wrappers (ids in, small JSON out), acks_late, idempotent.

Every service they call upserts by natural key ((vendor, source, external_id) for matches, (vendor, key) for
findings) in one transaction, so a redelivered message re-does the same work without duplicates.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from .choices import RunTrigger
from .services import (
    equipment_risk_refresh,
    screening_run_failed,
    screening_run_full_finish,
    screening_run_full_in_workers,
    screening_run_full_range,
    screening_run_list_version,
    screening_run_vendors,
    screening_run_view,
)

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 30, "retry_backoff_max": 900, "max_retries": 5}


@shared_task(acks_late=True, name="apps.screening.tasks.screen_vendors", **RETRY)
def screen_vendors(vendor_ids: list[int]) -> dict:
    """Re-screen these vendors and everything they own or brand (queued on commit by vendor changes)."""
    run = screening_run_vendors(vendor_ids=[int(v) for v in vendor_ids], trigger=RunTrigger.VENDOR_CHANGE)
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True, name="apps.screening.tasks.screen_organization_view", **RETRY)
def screen_organization_view(organization_id: int, vendor_ids: list[int]) -> dict:
    """One organisation's overlay changed (events.OwnViewChanged): re-derive its view and its units."""
    run = screening_run_view(organization_id=int(organization_id), vendor_ids=[int(v) for v in vendor_ids])
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True, name="apps.screening.tasks.screen_list_version", **RETRY)
def screen_list_version(version_id: int) -> dict:
    """A list version was activated: screen its added and changed entries, close removed ones."""
    run = screening_run_list_version(version_id=int(version_id))
    return {"run": run.pk if run else None, "status": run.status if run else "skipped"}


@shared_task(acks_late=True, name="apps.screening.tasks.screen_all", **RETRY)
def screen_all(trigger: str = RunTrigger.NIGHTLY) -> dict:
    """The nightly full run (every vendor against every active list), spread over the workers when WORK_FANOUT
    is on (the parts below; the run is then `running` until the final step)."""
    run = screening_run_full_in_workers(trigger=trigger)
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True, ignore_result=False, name="apps.screening.tasks.screen_all_range", **RETRY)
def screen_all_range(run_id: int, id_from: int, id_to: int) -> dict:
    """One part of a full run spread over workers: a range of vendors matched (its result feeds the final step)."""
    return screening_run_full_range(run_id=int(run_id), id_from=int(id_from), id_to=int(id_to))


@shared_task(acks_late=True, name="apps.screening.tasks.screen_all_finish", **RETRY)
def screen_all_finish(results: list[dict], run_id: int, changed: list[int] | None = None) -> dict:
    run = screening_run_full_finish(run_id=int(run_id), results=results, changed=changed or ())
    return {"run": run.pk, "status": run.status}


@shared_task(acks_late=True, name="apps.screening.tasks.screen_all_failed")
def screen_all_failed(task_id: str | None = None, *, run_id: int) -> None:
    screening_run_failed(run_id=int(run_id), error=f"a part of the run failed (task {task_id})")


@shared_task(acks_late=True, name="apps.screening.tasks.refresh_equipment_risk", **RETRY)
def refresh_equipment_risk(vendor_ids: list[int] | None = None, organization_id: int | None = None) -> dict:
    """Bring Equipment.risk_status up to date with the findings (new equipment, changed components): every unit
    (the catch-up schedule), or only the units `vendor_ids` reach (of `organization_id` when given)."""
    return {"written": equipment_risk_refresh(
        vendor_ids=[int(v) for v in vendor_ids] if vendor_ids is not None else None,
        organization_id=int(organization_id) if organization_id is not None else None)}
