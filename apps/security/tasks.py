"""Periodic security/reliability jobs. Thin: they call services."""
import time

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .denials import denial_windows_flush
from .ratelimit import rate_counters_purge
from .services import outbox_flush


@shared_task(name="security.outbox_flush", acks_late=True, ignore_result=True)
def outbox_flush_task() -> dict:
    """The security housekeeping of every minute (beat entry "security: outbox flush"): re-send tasks that could
    not reach the broker, purge expired rate-limit counters, chain the summaries of closed windows of repeated
    access denials. Each step is idempotent; the outbox goes first, so a failing audit append (no signing key)
    never holds back queued work."""
    result = outbox_flush()
    result["purged_counters"] = rate_counters_purge()
    result["denial_summaries"] = denial_windows_flush()
    return result


# Database errors are transient (a restart, a failover): retry with backoff instead of losing the task.
DB_RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 1, "retry_backoff_max": 10,
            "retry_jitter": False, "max_retries": 30}


@shared_task(name="security.probe", acks_late=True, ignore_result=True, **DB_RETRY)
def probe_task(token: str, hold_seconds: float = 0.0) -> str:
    """End-to-end probe: a worker that runs it appends `security.probe` to the audit chain (used by the
    reliability tests and by operators checking that queued work reaches a worker). `hold_seconds` keeps a
    database connection open that long first, so a test can restart the database under a running task."""
    from django.db import connection

    from apps.audit.models import AuditEvent
    from apps.audit.services import audit_record

    if AuditEvent.objects.filter(action="security.probe", object_id=token[:64]).exists():
        return token  # redelivered after it was recorded: idempotent
    if hold_seconds:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        time.sleep(min(hold_seconds, 30))
    audit_record(action="security.probe", object_type="security.probe", object_id=token[:64], object_repr=token)
    return token
