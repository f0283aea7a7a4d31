"""(2) Redis stopped while users work: pages and API reads and writes keep answering, tasks produced meanwhile
wait in the outbox, and after Redis comes back they (and new ones) reach a real worker. Nothing committed is
lost."""
import pytest

from apps.screening.models import ScreeningRun
from apps.security.models import OutboxJob, OutboxStatus
from apps.security.services import outbox_flush
from apps.vendors.models import Vendor
from tests.reliability.harness import PrivateRedis, app_env, start_worker, wait_for, worker_database_url

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_broker():
    """A private Redis as the broker of this process's Celery app (restored afterwards)."""
    from vendorrisk.celery import app

    redis = PrivateRedis()
    redis.start()
    keys = ("broker_url", "CELERY_BROKER_URL", "broker_transport_options", "CELERY_BROKER_TRANSPORT_OPTIONS")
    saved = {k: app.conf[k] for k in keys if k in app.conf}

    def reset_pools():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    options = {"visibility_timeout": 3600}
    app.conf.update(broker_url=redis.url, CELERY_BROKER_URL=redis.url, broker_transport_options=options,
                    CELERY_BROKER_TRANSPORT_OPTIONS=options)
    reset_pools()
    try:
        yield redis
    finally:
        redis.stop()
        for key in keys:
            if key in saved:
                app.conf[key] = saved[key]
        reset_pools()


def _screened(vendor_id: int) -> bool:
    return any(vendor_id in (run.scope or {}).get("vendor_ids", []) and run.finished_at
               for run in ScreeningRun.objects.all())


def test_web_keeps_working_without_redis_and_queued_work_runs_after(client, officer, redis_broker, tmp_path):
    db_url = worker_database_url()
    if db_url is None:
        pytest.skip("the worker cannot share an in-memory SQLite test database: run on PostgreSQL (DATABASE_URL) "
                    "or set SQLITE_TEST_DB_FILE")
    officer.save()
    client.force_login(officer)
    worker = start_worker(app_env(database_url=db_url, broker_url=redis_broker.url, var_dir=tmp_path / "w"),
                          tmp_path / "worker.log")
    try:
        before = client.post("/api/v1/vendors/", {"name": "Before Outage Cranes Ltd"}, content_type="application/json")
        assert before.status_code == 201, before.content
        wait_for(lambda: _screened(before.json()["id"]), timeout=40, what="screening of the first vendor")

        redis_broker.stop()  # the fault
        for url in ("/", "/vendors/", "/api/v1/vendors/", "/equipment/"):
            assert client.get(url).status_code == 200, url
        during = client.post("/api/v1/vendors/", {"name": "During Outage Scanners Co"},
                             content_type="application/json")
        assert during.status_code == 201, during.content
        patched = client.patch(f"/api/v1/vendors/{before.json()['id']}/", {"website": "https://example.com"},
                               content_type="application/json")
        assert patched.status_code == 202, patched.content  # an officer's change to a shared fact: a proposal
        assert Vendor.objects.filter(name="During Outage Scanners Co").exists()
        health = client.get("/api/v1/health/")
        assert health.status_code == 503 and health.json()["checks"]["broker"]["ok"] is False
        pending = list(OutboxJob.objects.filter(status=OutboxStatus.PENDING))
        assert pending and all(job.task_name == "apps.screening.tasks.screen_vendors" for job in pending)
        assert outbox_flush()["sent"] == 0  # the beat's flush while Redis is still down keeps them

        redis_broker.start()  # back, same port
        result = outbox_flush()
        assert result["sent"] == len(pending) and result["pending"] == 0
        after = client.post("/api/v1/vendors/", {"name": "After Outage Switches GmbH"},
                            content_type="application/json")
        assert after.status_code == 201
        for vendor in (during.json()["id"], after.json()["id"]):
            wait_for(lambda v=vendor: _screened(v), timeout=40, what=f"screening of vendor {vendor}")
        assert Vendor.objects.filter(name__in=["Before Outage Cranes Ltd", "During Outage Scanners Co",
                                               "After Outage Switches GmbH"]).count() == 3
    finally:
        worker.stop()
