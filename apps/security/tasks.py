"""Periodic security/reliability jobs. Thin: they call services."""
from celery import shared_task

from .ratelimit import rate_counters_purge
from .services import outbox_flush


@shared_task(name="security.outbox_flush", acks_late=True, ignore_result=True)
def outbox_flush_task() -> dict:
    """Re-send tasks that could not reach the broker; purge expired rate-limit counters."""
    result = outbox_flush()
    result["purged_counters"] = rate_counters_purge()
    return result


@shared_task(name="security.probe", acks_late=True, ignore_result=True)
def probe_task(token: str) -> str:
    """End-to-end probe: a worker that runs it appends `security.probe` to the audit chain (used by the
    reliability tests and by operators checking that queued work reaches a worker)."""
    from apps.audit.services import audit_record

    audit_record(action="security.probe", object_type="security.probe", object_id=token[:64], object_repr=token)
    return token
