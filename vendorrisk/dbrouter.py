"""A read replica for the API's reads: DATABASE_REPLICA_URL adds the database alias `replica`; then the reads
of a safe request to the API (GET, HEAD, OPTIONS under /api/) go to it, and every write and every other read
(the web UI, workers, POSTs to the API, the transaction of a write) to `default`.

Always from `default`, even inside an API read: who may do what (users, organisations and memberships, API tokens,
sessions, second factors, lockouts), so a permission revoked on the primary is never honoured from a replica
that lags behind it. Without DATABASE_REPLICA_URL the router and the middleware change nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
# Apps whose rows decide access (users, memberships, API tokens, sessions...): read from the primary only.
PRIMARY_ONLY_APPS = frozenset({"accounts", "api", "auth", "sessions", "contenttypes", "otp_totp", "otp_static",
                               "django_otp", "security", "admin"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return bool(getattr(settings, "DATABASE_REPLICA_URL", "")) and REPLICA in connections.settings


class ReadReplicaRouter:
    """Sends the reads of an API read request (ReplicaReadsMiddleware) to `replica`; nothing else is routed."""

    def db_for_read(self, model, **hints) -> str | None:
        if (_replica_reads.get() and replica_configured() and model._meta.app_label not in PRIMARY_ONLY_APPS
                and not transaction.get_connection("default").in_atomic_block):
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the same data on both aliases

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        return db != REPLICA  # the replica follows the primary; it is never migrated itself


class ReplicaReadsMiddleware:
    """Marks the reads of a safe request under /api/ for the replica (a no-op without DATABASE_REPLICA_URL)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.method in SAFE_METHODS and request.path.startswith("/api/") and replica_configured()):
            return self.get_response(request)
        token = _replica_reads.set(True)
        try:
            return self.get_response(request)
        finally:
            _replica_reads.reset(token)
