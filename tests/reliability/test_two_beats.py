"""(4) Two beat processes started by mistake: the periodic dispatchers run twice as often, yet there are no
duplicate versions and the stale alert (audit event + e-mail, sent together) goes out once."""
import datetime as dt
import json

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.audit.models import AuditEvent
from apps.lists.choices import Propagation, Regime, RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListSource, ListVersion
from tests.reliability.harness import PrivateRedis, Proc, app_env, start_worker, wait_for, worker_database_url

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSV = b"name,aliases,country,identifiers,reason\nTwin Beat Cranes Ltd,,China,,Listed\nOther Co,,China,,Listed\n"


@pytest.fixture
def redis():
    server = PrivateRedis()  # a private broker: the beats and the worker use the default queue
    server.start()
    yield server
    server.stop()


def test_two_beats_do_not_duplicate_versions_or_alerts(settings, tmp_path, fault_server, redis):
    db_url = worker_database_url()
    if db_url is None:
        pytest.skip("the worker cannot share an in-memory SQLite test database: run on PostgreSQL (DATABASE_URL) "
                    "or set SQLITE_TEST_DB_FILE")
    env = app_env(database_url=db_url, broker_url=redis.url, var_dir=tmp_path / "var")
    settings.MEDIA_ROOT = env["MEDIA_ROOT"]
    ListSource.objects.update(enabled=False)  # only this test's sources are refreshed
    fault_server.body = CSV
    fresh = ListSource.objects.create(
        code="twin-fresh", name="Twin fresh", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url,
    )
    stale = ListSource.objects.create(
        code="twin-stale", name="Twin stale", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url="", freshness_limit_hours=24,
        refresh_interval_hours=0, last_success_at=timezone.now() - dt.timedelta(days=5),
    )
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    for name, task in (("twin: refresh due", "apps.lists.tasks.refresh_due_list_sources"),
                       ("twin: freshness", "apps.lists.tasks.check_list_freshness")):
        PeriodicTask.objects.create(name=name, task=task, interval=every_second, kwargs=json.dumps({}))
    worker = start_worker(env, tmp_path / "worker.log")

    beats = [Proc(["beat", "--loglevel=INFO", "-S", "django_celery_beat.schedulers:DatabaseScheduler",
                   f"--pidfile={tmp_path / f'beat{i}.pid'}"], env, tmp_path / f"beat{i}.log")
             for i in (1, 2)]
    try:
        wait_for(lambda: all(b.log().count("Sending due task twin: refresh due") >= 3 for b in beats), timeout=40,
                 interval=0.5, what="both beats to dispatch several times")
        wait_for(lambda: ListVersion.objects.filter(source=fresh, status=VersionStatus.ACTIVE).exists(), timeout=30,
                 what=f"the refresh to activate a version\n{worker.log()[-2000:]}")
        for beat in beats:
            beat.stop()
        # let the worker drain what the beats sent
        wait_for(lambda: not FetchRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists(),
                 timeout=30, what="queued refreshes to finish")
    finally:
        for beat in beats:
            beat.stop()
        worker.stop()
    dispatches = sum(b.log().count("Sending due task twin: refresh due") for b in beats)
    assert dispatches >= 6  # both beats really ran

    assert ListVersion.objects.filter(source=fresh).count() == 1  # one version, however many dispatches
    assert ListVersion.objects.filter(source=fresh, status=VersionStatus.ACTIVE).count() == 1
    runs = FetchRun.objects.filter(source=fresh)
    assert runs.filter(status=RunStatus.ACTIVE).count() == 1
    assert set(runs.values_list("status", flat=True)) <= {RunStatus.ACTIVE, RunStatus.UNCHANGED}
    stale.refresh_from_db()
    assert stale.stale_alerted_at is not None
    assert AuditEvent.objects.filter(action="listsource.stale", object_id=str(stale.pk)).count() == 1
    assert not AuditEvent.objects.filter(action="listsource.stale", object_id=str(fresh.pk)).exists()
