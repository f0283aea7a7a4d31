"""Who is acting, from where: set per request by the middleware, read by audit_record()."""
from __future__ import annotations

import contextvars
import re
import uuid

request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_ip", default=None)
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


# What an upstream proxy's request id may look like (a UUID, a hex or base64url token, a trace id). Anything
# else (line breaks, spaces, quotes: a forged log line or a value that breaks out of a log field) is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,64}")


def request_id_accepted(value: str | None) -> str:
    """The upstream X-Request-ID when it is a plain token, else a fresh id (never the caller's text)."""
    return value if value and _REQUEST_ID.fullmatch(value) else uuid.uuid4().hex


class AuditContextMiddleware:
    """Gives each request an id (honouring an upstream X-Request-ID that is a plain token: it is written to
    every log line and audit event of the request) and remembers the client IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_accepted(request.headers.get("X-Request-ID"))
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
