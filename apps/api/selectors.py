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


def health_report() -> dict:
    checks = {"database": health_check_database(), "broker": health_check_broker()}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "degraded", "checks": checks}
