"""The one policy for the shared cache (`CACHE_URL`, Redis in production): it speeds things up, it is never a
source of truth, so an outage of it must degrade the registry, never answer 500.

* **Reads fail open.** An unreachable backend is a miss: `cache_get` returns the default (or `CACHE_DOWN`
  when the caller must tell "down" from "absent", e.g. a generation counter) and the caller computes
  without the cache.
* **Writes are best effort.** `cache_set`/`cache_add`/`cache_delete` return False, `cache_incr` returns
  None, when the backend is unreachable; nothing is raised.
* **Rate limits do not depend on it.** The one rate limiter (`apps.security.ratelimit`, behind the API
  throttle and the security limits) counts in the database while the cache is down.
* **Only the backend's connection and timeout errors are caught** (`CACHE_ERRORS`). A bad key, an object
  that cannot be pickled, a wrong argument still raise: an outage is absorbed, a programming error is not.
* **Logging is rate-limited.** One WARNING per alias per `CACHE_WARNING_INTERVAL` seconds (60) with the number
  of failed operations since the previous line, on the `vendorrisk.cache` logger; one INFO line when the cache
  answers again.
* **A short circuit breaker.** After a failure the alias is not tried again for `CACHE_RETRY_SECONDS` (5) in
  this process, so a Redis that black-holes packets costs one connect timeout per five seconds, not one
  (or several) per request. The socket timeouts themselves are set on the cache (settings.py, `OPTIONS`).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.signals import setting_changed
from redis import exceptions as redis_errors

logger = logging.getLogger("vendorrisk.cache")


def _backend_errors() -> tuple[type[BaseException], ...]:
    """Connection/timeout error classes of the cache backends the registry can be configured with."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]  # socket level (memcached clients too)
    # BusyLoadingError (Redis loading its dump after a restart) is a ConnectionError; ReadOnlyError is a replica
    # that was promoted away from under us during a failover. Neither is a programming error.
    errors += [redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.ReadOnlyError]
    return tuple(errors)


CACHE_ERRORS: tuple[type[BaseException], ...] = _backend_errors()


class _Down:
    """The type of `CACHE_DOWN`, returned by `cache_get(..., when_down=CACHE_DOWN)` when the backend failed."""

    _instance: _Down | None = None

    def __new__(cls) -> _Down:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "CACHE_DOWN"


CACHE_DOWN = _Down()
_SAME_AS_DEFAULT: Any = object()


class _AliasState:
    __slots__ = ("down_until", "failures", "last_warning", "down")

    def __init__(self) -> None:
        self.down_until = 0.0
        self.failures = 0  # failed (or skipped) operations not yet reported in a log line
        self.last_warning = float("-inf")
        self.down = False


_states: dict[str, _AliasState] = {}
_lock = threading.Lock()


def _state(alias: str) -> _AliasState:
    with _lock:
        return _states.setdefault(alias, _AliasState())


def _retry_seconds() -> float:
    return float(getattr(settings, "CACHE_RETRY_SECONDS", 5.0))


def _warning_interval() -> float:
    return float(getattr(settings, "CACHE_WARNING_INTERVAL", 60.0))


def _skip(alias: str) -> bool:
    """True while the breaker is open: the backend failed less than CACHE_RETRY_SECONDS ago."""
    state = _state(alias)
    if state.down and time.monotonic() < state.down_until:
        with _lock:
            state.failures += 1
        return True
    return False


def _failed(alias: str, op: str, exc: BaseException) -> None:
    now = time.monotonic()
    state = _state(alias)
    with _lock:
        state.down = True
        state.down_until = now + _retry_seconds()
        state.failures += 1
        due = now - state.last_warning >= _warning_interval()
        if due:
            failures, state.failures, state.last_warning = state.failures, 0, now
    if due:
        logger.warning(
            "cache %r unavailable (%s: %s): %d operation(s) failed since the last report; reads miss, writes are "
            "dropped, rate limits count in the database until it answers again (next try in %g s)",
            alias, op, exc.__class__.__name__ + (f": {exc}" if str(exc) else ""), failures, _retry_seconds(),
        )


def _succeeded(alias: str) -> None:
    state = _state(alias)
    if not state.down:
        return
    with _lock:
        was_down, state.down, state.failures = state.down, False, 0
        state.last_warning = float("-inf")  # the next outage is reported at once
    if was_down:
        logger.info("cache %r answers again", alias)


def _call(alias: str, op: str, fn, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """(True, result) or (False, None) when the backend is unreachable (or was a moment ago)."""
    if _skip(alias):
        return False, None
    try:
        result = fn(*args, **kwargs)
    except CACHE_ERRORS as exc:
        _failed(alias, op, exc)
        return False, None
    _succeeded(alias)
    return True, result


def cache_get(key: str, default: Any = None, *, alias: str = "default", when_down: Any = _SAME_AS_DEFAULT) -> Any:
    """The cached value, `default` when absent, and `when_down` (by default `default` too) when the backend is
    unreachable. Pass `when_down=CACHE_DOWN` when an outage must not be taken for "absent"."""
    ok, value = _call(alias, "get", caches[alias].get, key, default)
    if ok:
        return value
    return default if when_down is _SAME_AS_DEFAULT else when_down


def cache_set(key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, *, alias: str = "default") -> bool:
    """Store `value`; False when the backend is unreachable (the caller carries on without it)."""
    ok, _ = _call(alias, "set", caches[alias].set, key, value, timeout)
    return ok


def cache_add(key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, *,
              alias: str = "default") -> bool | None:
    """Store `value` if `key` is absent: True if stored, False if present, None when unreachable."""
    ok, added = _call(alias, "add", caches[alias].add, key, value, timeout)
    return bool(added) if ok else None


def cache_incr(key: str, delta: int = 1, *, alias: str = "default") -> int | None:
    """Increment atomically (Redis INCRBY). None when unreachable; ValueError, as Django's, when `key` is absent."""
    ok, value = _call(alias, "incr", caches[alias].incr, key, delta)
    return int(value) if ok else None


def cache_delete(key: str, *, alias: str = "default") -> bool:
    """Delete `key`; False when the backend is unreachable."""
    ok, _ = _call(alias, "delete", caches[alias].delete, key)
    return ok


def cache_ping(*, alias: str = "default") -> dict[str, Any]:
    """The health check of the cache: a round trip, ignoring the breaker (the check must see a recovery)."""
    backend = caches[alias]
    kind = type(backend).__module__.rsplit(".", 1)[-1]
    try:
        backend.set("health:ping", 1, 10)
        backend.get("health:ping")
    except CACHE_ERRORS as exc:
        _failed(alias, "ping", exc)
        return {"ok": False, "backend": kind, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    _succeeded(alias)
    return {"ok": True, "backend": kind}


def cache_state_reset() -> None:
    """Forget breaker and logging state (tests; a process that knows the cache was replaced)."""
    with _lock:
        _states.clear()


def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "CACHE_RETRY_SECONDS", "CACHE_WARNING_INTERVAL"):
        cache_state_reset()


setting_changed.connect(_reset_on_settings_change)


# --- Generations: caches invalidated by events ---------------------------------------------------------------
#
# A cache that an event invalidates keys its entries with a generation counter, and the event's handler bumps
# the counter after the commit: the next read computes again under the new key, in every process, and the old
# entries expire with their timeout. A counter that is missing (never set, evicted, the cache flushed) starts
# again from a fresh value (the clock in nanoseconds), never from one an old entry may still be stored under.

def cache_generation(key: str, *, alias: str = "default") -> Any:
    """The current generation under `key` (created when missing); `CACHE_DOWN` when the backend is unreachable
    (the caller then computes without the cache: a bump may have been lost meanwhile)."""
    generation = cache_get(key, alias=alias, when_down=CACHE_DOWN)
    if generation is None:
        if cache_add(key, time.time_ns(), None, alias=alias) is None:
            return CACHE_DOWN
        generation = cache_get(key, alias=alias, when_down=CACHE_DOWN)
    return CACHE_DOWN if generation is None else generation


def cache_generation_bump(key: str, *, alias: str = "default") -> None:
    """Move the generation under `key` on (best effort, as every write: with the backend down the bump is lost and
    logged, and the entries stored before the outage live until their timeout)."""
    try:
        cache_incr(key, alias=alias)
    except ValueError:  # missing: any fresh value is a new generation
        cache_set(key, time.time_ns(), None, alias=alias)
