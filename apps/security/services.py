"""Security events into the audit chain, and the task outbox."""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError

from .models import OutboxJob, OutboxStatus

logger = logging.getLogger("vendorrisk.security")

_SENSITIVE = ("password", "token", "secret", "otp")


def _username_from_credentials(credentials: dict[str, Any] | None) -> str:
    credentials = credentials or {}
    user_model_field = getattr(settings, "AUTH_USER_MODEL_USERNAME_FIELD", "username")
    value = credentials.get(user_model_field) or credentials.get("username") or ""
    return str(value)[:150]


def login_failed_record(*, credentials: dict[str, Any] | None, request=None) -> None:
    """A failed login: the username tried (never the password), where from, and which login page."""
    username = _username_from_credentials(credentials)
    path = getattr(request, "path", "") if request is not None else ""
    locked = bool(getattr(request, "axes_locked_out", False)) if request is not None else False
    audit_record(
        action="auth.login_failed",
        object_type="accounts.user",
        object_id="",
        object_repr=username,
        changes={"username": username, "path": path, "locked_out": locked},
    )
    logger.warning("login failed for %r on %s (locked out: %s)", username, path, locked)


def login_succeeded_record(*, user, request=None) -> None:
    """Successful logins go to the security log (with IP and request id), not the audit chain: every page
    view of a test or a script would otherwise add a row. Set SECURITY_AUDIT_LOGINS to chain them too."""
    path = getattr(request, "path", "") if request is not None else ""
    logger.info("login succeeded for %r on %s", user.get_username(), path)
    if getattr(settings, "SECURITY_AUDIT_LOGINS", False):
        audit_record(action="auth.login", actor=user, obj=user, changes={"path": path})


def logout_record(*, user, request=None) -> None:
    if user is None:
        return
    logger.info("logout of %r", user.get_username())
    if getattr(settings, "SECURITY_AUDIT_LOGINS", False):
        audit_record(action="auth.logout", actor=user, obj=user)


def access_denied_record(*, request, status: int = 403, object_type: str = "", object_id: str = "",
                         reason: str = "") -> AuditEvent:
    """An authorisation failure: 401/403, or a 404 a view gives because the object is outside the user's
    organisations (views call this directly for those, with the object they refused). Chains one event per
    call; the middleware's 401/403 go through `apps.security.denials.access_denied_audit`, which aggregates
    repeated ones."""
    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else None
    event = audit_record(
        action="authz.denied",
        actor=actor,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=f"{request.method} {request.path}"[:300],
        changes={"status": status, "path": request.path[:500], "method": request.method, "reason": reason[:300]},
    )
    logger.warning("access denied (%s) %s %s for %s", status, request.method, request.path,
                   actor.get_username() if actor else "anonymous")
    return event


def admin_action_record(*, user, action_flag: str, object_type: str, object_id: str, object_repr: str,
                        message: Any = "", path: str = "") -> None:
    audit_record(
        action=f"admin.{action_flag}",
        actor=user,
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        changes={"message": message, "path": path[:500]},
    )


# --- outbox: tasks that could not reach the broker -------------------------------------------------

def outbox_job_create(*, task_name: str, args: list | tuple = (), kwargs: dict | None = None,
                      error: str = "") -> OutboxJob:
    """Keep a task for later: the broker refused it. Runs in its own transaction (after the commit that
    produced the task), so the job survives whatever the caller does next."""
    with transaction.atomic():
        return OutboxJob.objects.create(task_name=task_name, args=list(args), kwargs=dict(kwargs or {}),
                                        last_error=error[:2000], attempts=1)


def outbox_flush(*, limit: int = 500, max_attempts: int = 50) -> dict[str, int]:
    """Re-send pending jobs in order. Safe to run from two beats at once: rows are claimed with
    SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite serialises writers)."""
    from .enqueue import celery_app

    app = celery_app()
    sent = failed = 0
    with transaction.atomic():
        qs = OutboxJob.objects.filter(status=OutboxStatus.PENDING).order_by("id")
        qs = qs.select_for_update(skip_locked=True)
        for job in list(qs[:limit]):
            try:
                app.send_task(job.task_name, args=job.args, kwargs=job.kwargs, retry=False)
            except Exception as exc:  # noqa: BLE001 - broker still down: keep the job, try again later
                job.attempts += 1
                job.last_error = str(exc)[:2000]
                if job.attempts >= max_attempts:
                    job.status = OutboxStatus.FAILED
                    failed += 1
                job.save(update_fields=["attempts", "last_error", "status"])
                logger.warning("outbox: %s still not sent (%s)", job.task_name, exc)
                break  # the broker is down: the rest would fail the same way
            job.status = OutboxStatus.SENT
            job.sent_at = timezone.now()
            job.save(update_fields=["status", "sent_at"])
            sent += 1
    pending = OutboxJob.objects.filter(status=OutboxStatus.PENDING).count()
    return {"sent": sent, "failed": failed, "pending": pending}


def second_factor_verify(*, request, token: str) -> bool:
    """Verify the signed-in user's authenticator code and mark the session verified (django-otp), which the
    curator powers need (apps.accounts.policies). Tries are rate-limited per user
    (SECURITY_OTP_VERIFY_RATE, default 5 per 5 minutes), so the six digits cannot be guessed; each outcome is
    in the audit chain."""
    from django_otp import login as otp_login
    from django_otp import match_token

    from .ratelimit import rate_limit_hit, rate_parse

    user = request.user
    limit, window = rate_parse(getattr(settings, "SECURITY_OTP_VERIFY_RATE", "5/300s"))
    if not rate_limit_hit(f"otp-verify:{user.pk}", limit=limit, window=window).allowed:
        audit_record(action="auth.second_factor_throttled", actor=user, obj=user)
        raise ApplicationError("Too many tries; wait a few minutes and try again.", code="throttled")
    device = match_token(user, (token or "").strip())
    audit_record(action="auth.second_factor" if device else "auth.second_factor_failed", actor=user, obj=user)
    if device is None:
        return False
    otp_login(request, device)
    return True
