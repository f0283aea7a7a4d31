"""What every screening write shares: batching, the advisory lock, the auto-confirm setting and the event that
tells other apps which vendors' findings or status changed."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import connection

from apps.common import events

CHUNK = 500
_LOCK_KEY = 0x5343_524E  # advisory lock serialising screening writes on PostgreSQL


def _auto_confirm_strengths() -> frozenset[str]:
    return frozenset(getattr(settings, "SCREENING_AUTO_CONFIRM_STRENGTHS", ("identifier", "strong")))


def _chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# ---------------------------------------------------------------------------------------------------------------
# Remediation (and anyone else) learns which vendors' findings or status changed


def _screening_changed(vendor_ids: set[int]) -> None:
    """Findings or the status of these vendors changed: ScreeningChanged, delivered on commit, each subscriber
    isolated (apps.common.events)."""
    if vendor_ids:
        events.publish(events.ScreeningChanged(vendor_ids=frozenset(vendor_ids)))
