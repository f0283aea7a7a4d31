"""Rate limits hold under concurrent requests: atomic counters in the database (no Redis) and in Redis
(a private redis-server), never a read-modify-write (ASVS 11.1.4, 2.2.1)."""
import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.security.ratelimit import rate_limit_hit, rate_parse
from apps.security.throttling import ApiRateThrottle


def test_rate_parse():
    assert rate_parse("100/m") == (100, 60)
    assert rate_parse("5/10s") == (5, 10)
    assert rate_parse("1000/hour") == (1000, 3600)
    assert rate_parse("7/d") == (7, 86400)


@pytest.mark.django_db
def test_database_counter_counts_every_hit():
    decisions = [rate_limit_hit("t:db", limit=3, window=60, now=1000.0) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[-1].count == 5
    assert rate_limit_hit("t:db", limit=3, window=60, now=1061.0).allowed  # next window


@pytest.mark.django_db(transaction=True)
def test_database_counter_is_atomic_under_concurrency():
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory shared-cache SQLite locks whole tables across threads; CI runs this on PostgreSQL")
    def hit(_):
        from django.db import connection as conn

        try:
            return rate_limit_hit("t:concurrent", limit=10, window=60, now=5000.0).allowed
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = list(pool.map(hit, range(40)))
    assert sum(allowed) == 10
    assert rate_limit_hit("t:concurrent", limit=10, window=60, now=5000.0).count == 41


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_redis():
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.skip("private redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait(timeout=10)


@pytest.mark.django_db
def test_redis_counter_is_atomic_under_concurrency(private_redis, settings):
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES,
                       "ratelimit": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                     "LOCATION": private_redis}}
    settings.SECURITY_RATELIMIT_CACHE = "ratelimit"
    from apps.security.models import RateCounter

    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = list(pool.map(lambda _: rate_limit_hit("t:redis", limit=25, window=60, now=9000.0).allowed,
                                range(100)))
    assert sum(allowed) == 25
    assert not RateCounter.objects.exists()  # counted in Redis, not the database
    assert int(caches["ratelimit"].get("rl:t:redis:60:150")) == 100


@pytest.mark.django_db
def test_redis_down_falls_back_to_the_database(settings):
    port = _free_port()  # nothing listens there
    settings.CACHES = {**settings.CACHES,
                       "ratelimit": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                     "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    settings.SECURITY_RATELIMIT_CACHE = "ratelimit"
    from apps.security.models import RateCounter

    decisions = [rate_limit_hit("t:fallback", limit=2, window=60, now=100.0) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert RateCounter.objects.get().count == 3


@pytest.mark.django_db
def test_api_throttle_refuses_over_the_rate_with_retry_after(rf, officer, settings):
    from rest_framework.response import Response
    from rest_framework.test import force_authenticate
    from rest_framework.views import APIView

    settings.API_THROTTLE_RATE = "3/m"

    class Probe(APIView):
        throttle_classes = [ApiRateThrottle]

        def get(self, request):
            return Response({"ok": True})

    view = Probe.as_view()
    statuses = []
    for _ in range(5):
        request = rf.get("/probe/")
        force_authenticate(request, user=officer)
        statuses.append(view(request))
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert int(statuses[-1]["Retry-After"]) > 0
