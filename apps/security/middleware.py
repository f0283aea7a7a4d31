"""Security middleware: request size cap, idle/absolute session timeouts, per-path CSP exceptions,
and the audit of authorisation failures (401/403 responses)."""
from __future__ import annotations

import logging
import time

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect

logger = logging.getLogger("vendorrisk.security")

SESSION_AUTH_TIME = "_security_auth_time"
SESSION_LAST_SEEN = "_security_last_seen"


class RequestSizeLimitMiddleware:
    """413 for a request whose declared body is larger than SECURITY_MAX_REQUEST_BYTES, before anything
    reads it (Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not cap file uploads)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "SECURITY_MAX_REQUEST_BYTES", None)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if limit and length > limit:
            logger.warning("request body of %s bytes refused (limit %s): %s", length, limit, request.path)
            return HttpResponse(
                f"Request too large (limit {limit} bytes).", status=413, content_type="text/plain"
            )
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Logs a user out after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_ABSOLUTE_TIMEOUT
    seconds after logging in, whatever the activity (ASVS 3.3.1/3.3.2). Place after AuthenticationMiddleware.

    The last-seen stamp is written at most once per SESSION_ACTIVITY_RESOLUTION seconds, so a busy user does
    not rewrite the session row on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            auth_time = session.get(SESSION_AUTH_TIME)
            last_seen = session.get(SESSION_LAST_SEEN)
            if auth_time is None:
                session[SESSION_AUTH_TIME] = auth_time = now
            if last_seen is None:
                session[SESSION_LAST_SEEN] = last_seen = now
            idle = getattr(settings, "SESSION_IDLE_TIMEOUT", 1800)
            absolute = getattr(settings, "SESSION_ABSOLUTE_TIMEOUT", 8 * 3600)
            reason = ""
            if idle and now - last_seen > idle:
                reason = "idle"
            elif absolute and now - auth_time > absolute:
                reason = "absolute"
            if reason:
                from apps.audit.services import audit_record

                audit_record(action=f"auth.session_expired.{reason}", actor=user, object_type="accounts.user",
                             object_id=str(user.pk), object_repr=user.get_username())
                logout(request)
                return self._expired_response(request)
            if now - last_seen >= getattr(settings, "SESSION_ACTIVITY_RESOLUTION", 60):
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _expired_response(request):
        wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
        if wants_json:
            return HttpResponse(
                '{"error": {"code": "session_expired", "message": "Session expired; log in again.", "fields": {}}}',
                status=401, content_type="application/json",
            )
        login_url = settings.LOGIN_URL
        response = redirect(login_url)
        if request.method == "GET":
            from django.contrib.auth.views import redirect_to_login

            response = redirect_to_login(request.get_full_path(), login_url)
        return response


class SecureCSPMiddleware(CSPMiddleware):
    """django-csp's middleware plus SECURITY_CSP_PATH_UPDATES: {path prefix: {directive: [sources]}} for the
    few third-party pages (API docs) that need more than the global policy. Never adds inline scripts."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        for prefix, update in (getattr(settings, "SECURITY_CSP_PATH_UPDATES", None) or {}).items():
            if request.path_info.startswith(prefix):
                merged = dict(parts.update or {})
                for directive, sources in update.items():
                    merged[directive] = [*merged.get(directive, []), *sources]
                parts.update = merged
        return parts


class AccessDeniedAuditMiddleware:
    """Audits every 401/403 response (who, which path, IP and request id come from the audit context) through
    `apps.security.denials.access_denied_audit`: the first refusal of a kind is chained, repeated ones are
    counted and summarised in one event per window; anonymous ones are capped per IP. Object-scope denials
    answered with 404 are recorded by the views through `apps.security.services.access_denied_record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (401, 403) and not getattr(response, "_security_audited", False):
            from .denials import access_denied_audit

            try:
                access_denied_audit(request=request, status=response.status_code)
            except Exception:  # noqa: BLE001 - never turn a refusal into a 500; the log keeps it
                logger.exception("could not audit access denial on %s", request.path)
        return response
