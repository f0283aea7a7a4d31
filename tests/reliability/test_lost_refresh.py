"""(4) A "refresh now" whose message the broker lost (Redis restarted empty before a worker took it): after
LISTS_QUEUED_RESEND_SECONDS the next "refresh now", or the beat dispatcher's sweep without anyone clicking,
sends the same run again and a real worker completes it. The dead run is never handed back as if alive."""
import datetime as dt
import time

import pytest

from apps.lists.choices import Propagation, Regime, RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListSource, ListVersion
from apps.lists.services import list_source_refresh_request
from apps.lists.services.refresh import REFRESH_TASK
from apps.lists.tasks import refresh_due_list_sources
from tests.reliability.harness import app_env, start_worker, wait_for, worker_database_url
from tests.reliability.private_broker import private_broker  # noqa: F401 - fixture

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RESEND_SECONDS = 2
HEADER = "name,aliases,country,identifiers,reason\n"
BODY = (HEADER + "".join(f"Terminal Scanner Vendor {i} Co,,China,,Listed {i}\n" for i in range(25))).encode()


def _lose_the_queue(broker) -> None:
    # The refresh's message is there (once), beside any follow-up a stopped worker left (the screening that a new
    # list version starts)...
    assert broker.queued_tasks().count(REFRESH_TASK) == 1
    broker.restart_empty()  # ...and the fault loses it
    assert broker.queue_length() == 0


def test_lost_refresh_message_is_resent(private_broker, fault_server, settings, tmp_path):  # noqa: F811
    db_url = worker_database_url()
    if db_url is None:
        pytest.skip("the worker cannot share an in-memory SQLite test database: run on PostgreSQL (DATABASE_URL)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LISTS_QUEUED_RESEND_SECONDS = RESEND_SECONDS
    fault_server.body = BODY
    source = ListSource.objects.create(
        code="lost-message", name="Lost message list", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url,
        refresh_interval_hours=0,  # only the runs this test requests, none from the dispatcher's schedule
    )
    env = app_env(database_url=db_url, broker_url=private_broker.url, var_dir=tmp_path / "var",
                  MEDIA_ROOT=settings.MEDIA_ROOT)

    # 1. "Refresh now" while no worker runs; the broker restarts empty: the message is gone.
    run = list_source_refresh_request(source=source)
    _lose_the_queue(private_broker)
    again = list_source_refresh_request(source=source, now=run.sent_at + dt.timedelta(seconds=1))
    assert again.pk == run.pk and private_broker.queue_length() == 0  # too young to be called lost: not re-sent

    # 2. After the resend age, the next "refresh now" sends the same run again and a worker completes it.
    time.sleep(RESEND_SECONDS + 0.5)
    worker = start_worker(env, tmp_path / "worker1.log")
    try:
        resent = list_source_refresh_request(source=source)
        assert resent.pk == run.pk

        def finished(r=run):
            r.refresh_from_db()
            return r.status not in (RunStatus.QUEUED, RunStatus.RUNNING)

        wait_for(finished, timeout=40, what=f"the re-sent run\n{worker.log()[-2000:]}")
    finally:
        worker.stop()
    assert run.status == RunStatus.ACTIVE, run.error
    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).entry_count == 25

    # 3. Lost again, and nobody clicks: the beat dispatcher's sweep re-sends it.
    second = list_source_refresh_request(source=source)
    assert second.pk != run.pk and second.status == RunStatus.QUEUED
    _lose_the_queue(private_broker)
    time.sleep(RESEND_SECONDS + 0.5)
    worker = start_worker(env, tmp_path / "worker2.log")
    try:
        swept = refresh_due_list_sources.apply().get()  # what the beat runs hourly
        assert swept["resent"] == [second.pk] and swept["enqueued"] == []

        def second_finished():
            second.refresh_from_db()
            return second.status not in (RunStatus.QUEUED, RunStatus.RUNNING)

        wait_for(second_finished, timeout=40, what=f"the swept run\n{worker.log()[-2000:]}")
        assert refresh_due_list_sources.apply().get()["resent"] == []  # nothing queued any more
    finally:
        worker.stop()
    assert second.status == RunStatus.UNCHANGED, second.error  # same bytes as the active version
    assert FetchRun.objects.filter(source=source).count() == 2  # re-sending never added a run
    assert ListVersion.objects.filter(source=source).count() == 1
