"""apps.common.cache: an unreachable cache is a miss, a dropped write, a None counter, one warning per interval;
a programming error still raises."""
import logging

import pytest
import redis

from apps.common import cache as c


class DownCache:
    """A cache backend whose every call fails like Django's RedisCache with Redis stopped."""

    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def _fail(self, *args, **kwargs):
        DownCache.calls += 1
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    get = set = add = incr = delete = _fail

    def close(self, **kwargs):
        pass


@pytest.fixture
def down(settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "down": {"BACKEND": "tests.common.test_cache.DownCache"}}
    settings.CACHE_RETRY_SECONDS = 0
    settings.CACHE_WARNING_INTERVAL = 60
    DownCache.calls = 0
    c.cache_state_reset()
    yield "down"
    c.cache_state_reset()


def test_reads_fail_open_and_writes_are_dropped(down):
    assert c.cache_get("k", alias=down) is None
    assert c.cache_get("k", 7, alias=down) == 7
    assert c.cache_get("k", 0, alias=down, when_down=c.CACHE_DOWN) is c.CACHE_DOWN
    assert c.cache_set("k", 1, alias=down) is False
    assert c.cache_add("k", 1, alias=down) is None
    assert c.cache_incr("k", alias=down) is None
    assert c.cache_delete("k", alias=down) is False


def test_a_working_cache_behaves_like_djangos(settings):
    c.cache_state_reset()
    assert c.cache_get("missing", 3) == 3
    assert c.cache_get("missing", 0, when_down=c.CACHE_DOWN) == 0  # absent is not down
    assert c.cache_set("n", 1) is True and c.cache_get("n") == 1
    assert c.cache_add("n", 5) is False and c.cache_incr("n") == 2
    with pytest.raises(ValueError):
        c.cache_incr("never-set")  # absent key: Django's ValueError, for the caller to handle
    assert c.cache_delete("n") is True and c.cache_get("n") is None


def test_programming_errors_are_not_swallowed(settings):
    c.cache_state_reset()
    c.cache_set("n", 1)
    with pytest.raises(TypeError):
        c.cache_incr("n", delta="one")  # a bug, not an outage
    with pytest.raises(Exception, match="pickle"):
        c.cache_set("f", lambda: 1)  # an unpicklable value: the caller's mistake


def test_one_warning_per_interval_then_one_recovery_line(down, settings, caplog):
    caplog.set_level(logging.INFO, logger="vendorrisk.cache")
    for _ in range(20):
        c.cache_get("k", alias=down)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
    settings.CACHES = {**settings.CACHES, "down": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # settings change resets the state; simulate a recovery of the same alias without the reset
    c._failed(down, "get", redis.exceptions.ConnectionError("x"))
    caplog.clear()
    assert c.cache_set("k", 1, alias=down) is True
    assert [r.getMessage() for r in caplog.records] == ["cache 'down' answers again"]


def test_the_breaker_leaves_a_failed_cache_alone_for_a_while(down, settings):
    settings.CACHE_RETRY_SECONDS = 30
    c.cache_state_reset()
    for _ in range(10):
        assert c.cache_get("k", 5, alias=down) == 5
    assert DownCache.calls == 1  # one connection attempt, then misses without touching the backend
    settings.CACHE_RETRY_SECONDS = 0
    c.cache_get("k", alias=down)
    assert DownCache.calls == 2


def test_health_reports_the_cache(down, settings, client, officer):
    settings.CACHES = {"default": {"BACKEND": "tests.common.test_cache.DownCache"}}
    assert client.get("/api/v1/health/").json() == {"status": "unavailable"}  # anonymous: no details
    client.force_login(officer)
    body = client.get("/api/v1/health/").json()
    assert body["status"] == "degraded" and body["checks"]["cache"]["ok"] is False
    assert "ConnectionError" in body["checks"]["cache"]["error"]
