"""(3) The cache (Redis, as in production: Django's RedisCache) stopped while officers work: every page and API
list answers without it (no 500), with the right content; writes go through; login works and the lockout
still holds (both are in the database); health says `degraded`; when Redis is back the cache is used again.

The policy under test is apps.common.cache: reads miss, writes are dropped, throttles fail open, one warning.
"""
from __future__ import annotations

import contextlib
import logging

import pytest
import redis as redis_lib
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from apps.vendors.models import ChangeProposal
from tests.factories import EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.reliability.harness import PrivateRedis, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


@pytest.fixture
def private_redis(settings):
    """A private redis-server as the default cache (db 1, production's RedisCache with its socket timeouts)
    and as this process's Celery broker (db 0), so nothing reaches the machine's shared Redis."""
    from vendorrisk.celery import app

    server = PrivateRedis()
    server.start()
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{server.port}/1",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    settings.CACHE_RETRY_SECONDS = 0.5
    keys = ("broker_url", "CELERY_BROKER_URL")
    saved = {k: app.conf[k] for k in keys if k in app.conf}

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    app.conf.update(broker_url=server.url, CELERY_BROKER_URL=server.url)
    reset_pools()
    try:
        yield server
    finally:
        server.stop()
        for key in keys:
            if key in saved:
                app.conf[key] = saved[key]
        reset_pools()


@pytest.fixture
def world(org, officer):
    officer.save()  # UserFactory does not save the password it sets
    site = SiteFactory(organization=org, code="CD1", name="Cache Down Terminal")
    brand = VendorFactory(name="Outage Proof Optics Ltd")
    model = ProductModelFactory(brand=brand, model_number="OPO-1")
    unit = EquipmentFactory(site=site, product_model=model, asset_tag="CACHE-UNIT-1")
    return {"site": site, "brand": brand, "unit": unit, "officer": officer}


def _cache_keys(server: PrivateRedis, pattern: str) -> list[bytes]:
    return redis_lib.Redis.from_url(f"redis://127.0.0.1:{server.port}/1").keys(pattern)


def _argless_routes(namespace: str) -> list[str]:
    """Every named route under `namespace` (web, api and the apps' API namespaces) that takes no argument."""
    names: list[str] = []

    def walk(patterns, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns))
            elif isinstance(p, URLPattern) and p.name and ns.split(":")[0] == namespace:
                with contextlib.suppress(NoReverseMatch):  # routes that take arguments are skipped
                    names.append(reverse(f"{ns}:{p.name}"))
    walk(get_resolver().url_patterns, "")
    return sorted(set(names))


def _warm(client, server: PrivateRedis) -> None:
    assert client.get("/equipment/").status_code == 200
    assert client.get("/api/v1/equipment/").status_code == 200
    assert _cache_keys(server, "*web:org-vendor-ids:*"), "the vendor filter set was not cached"
    assert _cache_keys(server, "*rl:api:user:*"), "the API throttle did not count in the cache"


def test_every_page_and_api_list_answers_without_the_cache(client, world, private_redis, caplog):
    client.force_login(world["officer"])
    _warm(client, private_redis)
    private_redis.stop()  # the fault
    caplog.set_level(logging.WARNING, logger="vendorrisk.cache")

    web, api = _argless_routes("web"), _argless_routes("api")
    assert {"/", "/equipment/", "/vendors/", "/sites/", "/lists/", "/remediation/"} <= set(web)
    assert {"/api/v1/equipment/", "/api/v1/vendors/", "/api/v1/findings/", "/api/v1/remediations/"} <= set(api)
    statuses = {url: client.get(url).status_code for url in web + api if url not in ("/logout/",)}
    assert statuses.pop("/api/v1/health/") == 503  # the one intended 5xx: monitoring must see the outage
    assert not [u for u, s in statuses.items() if s >= 500], statuses
    for url in ("/", "/equipment/", "/vendors/", "/sites/", "/lists/", "/remediation/", "/api/v1/equipment/",
                "/api/v1/vendors/", "/api/v1/findings/", "/api/v1/remediations/", "/api/v1/summary/"):
        assert statuses[url] == 200, (url, statuses[url])

    equipment_page = client.get("/equipment/").content.decode()
    assert "CACHE-UNIT-1" in equipment_page
    assert world["brand"].name in equipment_page  # the vendor filter, computed without the cache
    assert "Outage Proof Optics Ltd" in client.get("/vendors/").content.decode()
    assert "Cache Down Terminal" in client.get("/sites/").content.decode()
    units = client.get("/api/v1/equipment/").json()["results"]
    assert [u["id"] for u in units] == [world["unit"].pk]
    vendors = {v["name"] for v in client.get("/api/v1/vendors/").json()["results"]}
    assert "Outage Proof Optics Ltd" in vendors

    # dozens of failed cache operations, one warning line (rate-limited), naming what degrades
    warnings = [r.getMessage() for r in caplog.records if r.name == "vendorrisk.cache" and r.levelno >= 30]
    assert len(warnings) == 1 and "unavailable" in warnings[0] and "rate limits" in warnings[0]


def test_health_is_degraded_and_names_the_cache(client, world, private_redis):
    client.force_login(world["officer"])  # anonymous callers get only ok/unavailable, signed-in users the checks
    assert client.get("/api/v1/health/").json()["checks"]["cache"]["ok"] is True
    private_redis.stop()
    response = client.get("/api/v1/health/")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False and "ConnectionError" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_writes_go_through_without_the_cache(client, world, private_redis):
    client.force_login(world["officer"])
    _warm(client, private_redis)
    private_redis.stop()

    created = client.post("/api/v1/vendors/", {"name": "Written During Cache Outage Co"},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    patched = client.patch(f"/api/v1/vendors/{created.json()['id']}/", {"website": "https://example.com"},
                           content_type="application/json")
    # A change to a shared vendor fact by an officer is a change proposal (202), recorded without the cache too.
    assert patched.status_code == 202, patched.content
    assert ChangeProposal.objects.get(pk=patched.json()["id"]).payload == {"website": "https://example.com"}

    # edit a unit: a component by another vendor (the services bump the vendor filter's generation on commit,
    # a cache write that is dropped here)
    VendorFactory(name="Modem Maker During Outage")
    unit = world["unit"]
    added = client.post(reverse("web:component-add", args=[unit.pk]),
                        {"component-kind": "comms_module", "component-vendor": "Modem Maker During Outage",
                         "component-name": "LTE modem"})
    assert added.status_code == 302, added.content[:500]
    assert unit.components.filter(name="LTE modem").exists()
    page = client.get("/equipment/").content.decode()
    assert "Modem Maker During Outage" in page  # the filter computed fresh: no stale set served


def test_login_works_and_the_lockout_still_holds_without_the_cache(client, world, private_redis, settings):
    private_redis.stop()
    officer = world["officer"]
    ok = client.post("/login/", {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # the session is in the database
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302  # logged out for real

    # Lockout fails closed as usual: failures and lockouts are axes' database rows, not cache entries.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.post("/login/", {"username": officer.username, "password": "wrong"},
                           REMOTE_ADDR="10.1.1.2").status_code in (200, 429)
    locked = client.post("/login/", {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="10.1.1.2")
    assert locked.status_code == 429


def test_caching_resumes_when_redis_is_back(client, world, private_redis):
    from apps.common.cache import cache_ping

    client.force_login(world["officer"])
    _warm(client, private_redis)
    private_redis.stop()
    assert client.get("/equipment/").status_code == 200
    private_redis.start()  # same port, empty (no persistence)
    assert not _cache_keys(private_redis, "*")
    wait_for(lambda: cache_ping()["ok"], timeout=10, what="the cache to answer again")
    assert client.get("/equipment/").status_code == 200
    assert client.get("/api/v1/equipment/").status_code == 200
    assert _cache_keys(private_redis, "*web:org-vendor-ids:*")
    assert _cache_keys(private_redis, "*rl:api:user:*")
    assert client.get("/api/v1/health/").json()["checks"]["cache"]["ok"] is True
