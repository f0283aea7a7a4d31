"""A broker that does not answer never breaks the request; the task waits in the outbox and is sent when the
broker is back (the in-process part; tests/reliability stops a real Redis)."""
import socket

import pytest
from django.db import transaction

from apps.security.enqueue import enqueue_on_commit
from apps.security.models import OutboxJob, OutboxStatus
from apps.security.services import outbox_flush

pytestmark = pytest.mark.django_db(transaction=True)


def _dead_broker_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there


@pytest.fixture(autouse=True)
def _celery_env_does_not_override_private_brokers(monkeypatch):
    """Celery gives the CELERY_BROKER_URL *environment variable* precedence over any app's configured broker
    (CI sets it to the shared Redis), which would send these tests' tasks past their private brokers. The
    project's app keeps its broker from Django settings; worker subprocesses get theirs explicitly."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)


@pytest.fixture
def celery_broker(monkeypatch):
    """Points apps.security.enqueue at a Celery app with the given broker (never the shared one)."""
    from celery import Celery

    apps = []

    def use(url: str):
        app = Celery("outbox-test", broker=url, set_as_current=False)
        app.conf.broker_connection_timeout = 1
        apps.append(app)
        monkeypatch.setattr("apps.security.enqueue.celery_app", lambda: app)
        return app

    yield use
    for app in apps:
        app.close()


def test_enqueue_with_broker_down_keeps_the_task_in_the_outbox(celery_broker):
    celery_broker(_dead_broker_url())
    with transaction.atomic():
        enqueue_on_commit("security.probe", "token-1")
        assert not OutboxJob.objects.exists()  # nothing before the commit
    job = OutboxJob.objects.get()
    assert job.task_name == "security.probe" and job.args == ["token-1"] and job.status == OutboxStatus.PENDING
    assert job.last_error


def test_rolled_back_transaction_enqueues_nothing(celery_broker):
    celery_broker(_dead_broker_url())
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("security.probe", "token-2")
        raise RuntimeError("rollback")
    assert not OutboxJob.objects.exists()


def test_flush_keeps_jobs_while_the_broker_is_down_and_sends_them_after(celery_broker):
    celery_broker(_dead_broker_url())
    enqueue_on_commit("security.probe", "a")
    enqueue_on_commit("security.probe", "b")
    assert outbox_flush() == {"sent": 0, "failed": 0, "pending": 2}
    app = celery_broker("memory://")
    result = outbox_flush()
    assert result == {"sent": 2, "failed": 0, "pending": 0}, OutboxJob.objects.values_list("last_error", flat=True)
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        names = [queue.get(timeout=2).headers["task"] for _ in range(2)]
        queue.close()
    assert names == ["security.probe", "security.probe"]
