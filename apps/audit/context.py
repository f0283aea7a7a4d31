"""Who is acting, from where: set per request by the middleware, read by audit_record()."""
from __future__ import annotations

import contextvars
import uuid

request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_ip", default=None)
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class AuditContextMiddleware:
    """Gives each request an id (honouring an upstream X-Request-ID) and remembers the client IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = (request.headers.get("X-Request-ID") or "")[:64] or uuid.uuid4().hex
        ip = request.META.get("REMOTE_ADDR")
        request.request_id = rid
        t1, t2 = request_id.set(rid), request_ip.set(ip)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(t1)
            request_ip.reset(t2)
        response["X-Request-ID"] = rid
        return response
