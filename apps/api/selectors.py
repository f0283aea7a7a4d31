"""Health of the parts the registry depends on."""
from __future__ import annotations

from django.conf import settings
from django.db import connection


def health_check_database() -> dict:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; the reason is reported
        return {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]}


def health_check_broker(timeout: float = 2.0) -> dict:
    from vendorrisk.celery import app

    url = settings.CELERY_BROKER_URL
    scheme = url.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return {"ok": True, "transport": scheme}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": scheme, "error": str(exc)[:200]}


def health_check_cache() -> dict:
    """A round trip to the shared cache. Failing means degraded, not down: pages and the API answer without
    it (apps.common.cache): rate limits count in the database and the vendor filter is computed per request."""
    from apps.common.cache import cache_ping

    return cache_ping()


def health_check_lists(*, now=None) -> dict:
    """Freshness of the enabled list sources. Stale ones (no good fetch within their freshness limit) make
    the check fail; never-fetched ones are reported but do not (a fresh install has not fetched yet)."""
    from django.utils import timezone

    from apps.lists.models import ListSource
    from apps.lists.selectors import list_source_freshness

    now = now or timezone.now()
    try:
        by_state: dict[str, list[str]] = {"fresh": [], "stale": [], "never": []}
        for source in ListSource.objects.filter(enabled=True).order_by("code"):
            by_state[list_source_freshness(source, now=now)].append(source.code)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: health must answer
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": not by_state["stale"], **by_state}


def health_report() -> dict:
    checks = {"database": health_check_database(), "broker": health_check_broker(), "cache": health_check_cache()}
    checks["lists"] = health_check_lists() if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "degraded", "checks": checks}
