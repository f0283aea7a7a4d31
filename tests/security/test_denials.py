"""Repeated authorisation failures are aggregated in the audit chain: the first one is chained, the following
ones are counted exactly (atomic, in the database) and chained as one summary when the window closes
(ASVS 4.1.5, 7.1.3, 7.2.2; apps.security.denials)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.security.denials import COUNTED, RECORDED, access_denied_audit, denial_windows_flush
from apps.security.models import DenialWindow

pytestmark = pytest.mark.django_db

SITES = "/api/v1/sites/"


def _chained(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="authz.denied", **filters).order_by("id"))


def _close_windows() -> None:
    DenialWindow.objects.update(closes_at=timezone.now() - timedelta(seconds=1))


def _burst(client, n: int, *, ip: str = "192.0.2.40", path: str = SITES) -> None:
    for _ in range(n):
        assert client.post(path, {"code": "X", "name": "X"}, REMOTE_ADDR=ip).status_code == 403


def test_burst_of_denied_posts_adds_two_chained_events_with_the_exact_count(client, viewer, login):
    login(viewer)
    before = AuditEvent.objects.count()
    _burst(client, 30)
    first = AuditEvent.objects.get(action="authz.denied")
    assert first.actor_id == viewer.pk and first.ip == "192.0.2.40" and first.changes["method"] == "POST"
    window = DenialWindow.objects.get()
    assert window.count == 29 and window.first_event_id == first.pk and window.subject == f"user:{viewer.pk}"

    assert denial_windows_flush() == 0  # still open: nothing yet
    _close_windows()
    assert denial_windows_flush() == 1
    summary = AuditEvent.objects.get(action="authz.denied.repeated")
    assert summary.object_repr.startswith("29 further denials of POST api:inventory-api:site-list between ")
    assert summary.changes["count"] == 29 and summary.changes["first_event_id"] == first.pk
    assert summary.actor_id == viewer.pk and summary.ip == "192.0.2.40" and summary.request_id
    assert AuditEvent.objects.count() - before == 2
    assert not DenialWindow.objects.exists()
    assert audit_chain_verify().ok


def test_next_denial_after_the_window_chains_the_summary_and_opens_a_new_window(client, viewer, login):
    login(viewer)
    _burst(client, 5)
    _close_windows()
    _burst(client, 1, ip="192.0.2.41")
    events = _chained()
    assert [e.action for e in events] == ["authz.denied", "authz.denied.repeated", "authz.denied"]
    assert events[1].changes["count"] == 4 and events[1].ip == "192.0.2.40"  # the window's address, not the new one
    assert events[2].ip == "192.0.2.41"
    window = DenialWindow.objects.get()
    assert window.count == 0 and window.first_event_id == events[2].pk
    _burst(client, 3, ip="192.0.2.41")
    assert DenialWindow.objects.get().count == 3 and len(_chained()) == 3
    assert audit_chain_verify().ok


def test_closed_window_without_further_denials_leaves_no_summary(client, viewer, login):
    login(viewer)
    _burst(client, 1)
    _close_windows()
    assert denial_windows_flush() == 0
    assert not DenialWindow.objects.exists()
    assert [e.action for e in _chained()] == ["authz.denied"]


def test_other_users_and_other_kinds_are_counted_apart(client, viewer, auditor, login):
    login(viewer)
    _burst(client, 3)
    _burst(client, 2, path="/api/v1/vendors/")
    login(auditor)
    _burst(client, 4)
    assert len(_chained(action="authz.denied")) == 3
    counts = {(w.subject, w.kind): w.count for w in DenialWindow.objects.all()}
    assert counts == {
        (f"user:{viewer.pk}", "403 POST api:inventory-api:site-list"): 2,
        (f"user:{viewer.pk}", "403 POST api:vendors-api:vendor-list"): 1,
        (f"user:{auditor.pk}", "403 POST api:inventory-api:site-list"): 3,
    }


def test_anonymous_denials_are_aggregated_per_ip(client):
    for _ in range(6):
        assert client.get("/api/v1/schema/", REMOTE_ADDR="198.51.100.7").status_code in (401, 403)
    client.get("/api/v1/schema/", REMOTE_ADDR="198.51.100.8")
    assert len(_chained(ip="198.51.100.7")) == 1
    assert len(_chained(ip="198.51.100.8")) == 1
    assert DenialWindow.objects.get(subject="ip:198.51.100.7").count == 5


def test_anonymous_denials_from_one_ip_are_capped_in_the_chain(client, settings, monkeypatch):
    """The per-IP cap limits the windows an anonymous caller opens per minute (each is one chained event plus
    at most one summary); refusals over it are only logged."""
    settings.SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE = 3
    monkeypatch.setattr("apps.security.ratelimit.time.time", lambda: 1_800_000_000.0)  # one window throughout
    paths = ["/api/v1/schema/", "/api/v1/sites/", "/api/v1/vendors/", "/api/v1/ownerships/", "/api/v1/summary/",
             "/api/v1/oem-relations/"]
    for path in paths:
        assert client.get(path, REMOTE_ADDR="198.51.100.9").status_code in (401, 403)
    client.get("/api/v1/schema/", REMOTE_ADDR="198.51.100.10")
    assert len(_chained(ip="198.51.100.9")) == 3
    assert len(_chained(ip="198.51.100.10")) == 1
    assert DenialWindow.objects.filter(subject="ip:198.51.100.9").count() == 3


def test_window_zero_chains_every_denial(client, viewer, login, settings):
    settings.SECURITY_DENIAL_AUDIT_WINDOW = 0
    login(viewer)
    _burst(client, 4)
    assert len(_chained(action="authz.denied")) == 4
    assert not DenialWindow.objects.exists()


def test_cache_down_changes_nothing_the_count_is_in_the_database(client, viewer, login, settings):
    """The cache fails open (apps.common.cache): counting there would lose refusals in an outage, so the
    aggregation never uses it. With the cache unreachable, a burst is still two events and an exact count."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }}
    login(viewer)
    _burst(client, 30)
    anonymous = Client()
    for _ in range(4):  # anonymous ones too (their per-IP cap counts in the database while the cache is down)
        assert anonymous.get("/api/v1/schema/", REMOTE_ADDR="198.51.100.11").status_code in (401, 403)
    assert DenialWindow.objects.get(subject=f"user:{viewer.pk}").count == 29
    assert DenialWindow.objects.get(subject="ip:198.51.100.11").count == 3
    _close_windows()
    assert denial_windows_flush() == 2
    assert sorted(e.changes["count"] for e in _chained(action="authz.denied.repeated")) == [3, 29]
    assert len(_chained()) == 4


def test_a_database_error_while_counting_chains_each_denial_on_its_own(client, viewer, login, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("window table unavailable")

    monkeypatch.setattr("apps.security.denials._window_count", broken)
    login(viewer)
    _burst(client, 3)
    assert len(_chained(action="authz.denied")) == 3
    assert audit_chain_verify().ok


def test_beat_task_flushes_closed_windows(client, viewer, login):
    from apps.common.schedules import DEFAULT_SCHEDULES
    from apps.security.tasks import outbox_flush_task

    login(viewer)
    _burst(client, 3)
    assert outbox_flush_task()["denial_summaries"] == 0
    _close_windows()
    assert outbox_flush_task()["denial_summaries"] == 1
    assert _chained(action="authz.denied.repeated")[0].changes["count"] == 2
    assert any(task == "security.outbox_flush" and cron == {"minute": "*"} for _, task, cron, _ in DEFAULT_SCHEDULES)


# --- concurrency (PostgreSQL in CI: one atomic statement per refusal, a window summarised exactly once) ---

def _concurrent(user, n: int, *, workers: int = 8) -> list[str]:
    factory = RequestFactory()
    barrier = threading.Barrier(min(workers, n))

    def deny(i):
        from django.db import connection

        request = factory.post(SITES, REMOTE_ADDR=f"192.0.2.{100 + i % 50}")
        request.user = user
        try:
            if i < workers:
                barrier.wait(timeout=10)
            return access_denied_audit(request=request, status=403)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(deny, range(n)))


def _skip_on_memory_sqlite():
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory shared-cache SQLite locks whole tables across threads; CI runs this on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_concurrent_denials_are_counted_exactly():
    _skip_on_memory_sqlite()
    from tests.factories import UserFactory

    user = UserFactory(username="reader")
    user.save()
    outcomes = _concurrent(user, 40)
    assert outcomes.count(RECORDED) == 1 and outcomes.count(COUNTED) == 39
    assert DenialWindow.objects.get().count == 39
    assert len(_chained()) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_denials_after_the_window_closed_summarise_it_once():
    _skip_on_memory_sqlite()
    from tests.factories import UserFactory

    user = UserFactory(username="reader")
    user.save()
    _concurrent(user, 6)
    _close_windows()

    def flush():
        from django.db import connection

        try:
            return denial_windows_flush()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:  # a beat flushing while the refusals keep coming
        flushed = pool.submit(flush)
        outcomes = _concurrent(user, 20)
        flushed.result()
    summaries = _chained(action="authz.denied.repeated")
    assert len(summaries) == 1 and summaries[0].changes["count"] == 5
    assert outcomes.count(RECORDED) == 1 and outcomes.count(COUNTED) == 19
    assert DenialWindow.objects.get().count == 19
    assert len(_chained(action="authz.denied")) == 2
    assert audit_chain_verify().ok
