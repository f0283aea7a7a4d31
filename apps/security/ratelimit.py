"""Rate limits that hold under concurrent requests: fixed windows counted with atomic increments.

* Redis cache configured (CACHE_URL=redis://...): `cache.add(key, 0, window)` (SET NX EX) then
  `cache.incr(key)` (INCR) - both atomic in Redis, shared by every web process.
* Otherwise (embedded default, or Redis unreachable): one SQL statement
  `INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count` on the database,
  atomic on PostgreSQL and SQLite alike.

Never a read-modify-write, so 50 concurrent requests against a limit of 10 let exactly 10 through.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from apps.common.cache import cache_add, cache_incr

logger = logging.getLogger("vendorrisk.security")

_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window resets


def rate_parse(rate: str) -> tuple[int, int]:
    """"100/m", "5/10s", "1000/h" -> (limit, window seconds)."""
    num, _, period = rate.partition("/")
    period = period.strip().lower() or "s"
    digits = "".join(c for c in period if c.isdigit())
    unit = period[len(digits):][:1] or "s"
    if unit not in _RATE_UNITS:
        raise ValueError(f"unknown rate period in {rate!r} (use s, m, h or d)")
    return int(num), int(digits or 1) * _RATE_UNITS[unit]


def _is_redis_cache(cache) -> bool:
    module = type(cache).__module__
    return "redis" in module.lower()


def _incr_cache(alias: str, key: str, window: int) -> int | None:
    """SET NX EX then INCR through apps.common.cache; None when the cache is unreachable (or was a moment ago:
    the breaker), so the caller counts in the database instead."""
    if cache_add(key, 0, window + 1, alias=alias) is None:
        return None
    try:
        return cache_incr(key, alias=alias)
    except ValueError:  # expired between add and incr: start the window again
        if cache_add(key, 0, window + 1, alias=alias) is None:
            return None
        return cache_incr(key, alias=alias)


def _incr_database(key: str, expires_at: datetime) -> int:
    from .models import RateCounter

    q = connection.ops.quote_name
    table, key_col, count_col, exp_col = q(RateCounter._meta.db_table), q("key"), q("count"), q("expires_at")
    sql = (
        f"INSERT INTO {table} ({key_col}, {count_col}, {exp_col}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 RETURNING {count_col}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [key, expires_at])
        return int(cur.fetchone()[0])


def rate_limit_hit(key: str, *, limit: int, window: int, now: float | None = None) -> RateDecision:
    """Count one hit against `key` in the current window and say whether it is within `limit`."""
    now = time.time() if now is None else now
    bucket = int(now // window)
    full_key = f"rl:{key}:{window}:{bucket}"[:200]
    retry_after = max(1, int((bucket + 1) * window - now))
    alias = getattr(settings, "SECURITY_RATELIMIT_CACHE", "default")
    count: int | None = None
    if _is_redis_cache(caches[alias]):
        # Only the cache's connection/timeout errors fall through to the database (apps.common.cache logs
        # them, rate-limited); anything else is a bug and raises.
        count = _incr_cache(alias, full_key, window)
    if count is None:
        expires_at = timezone.now() + timedelta(seconds=retry_after + 1)
        count = _incr_database(full_key, expires_at)
    return RateDecision(allowed=count <= limit, count=count, limit=limit, retry_after=retry_after)


def rate_counters_purge(*, now: datetime | None = None) -> int:
    """Delete expired database counters (the Redis ones expire by themselves)."""
    from .models import RateCounter

    deleted, _ = RateCounter.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
