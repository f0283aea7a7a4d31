"""(8) A scheduled refresh whose pool process is SIGKILLed mid-import (the OOM killer's way): the message comes
back (acks_late + reject on worker lost) to a new process, which meets the dead process's lease. It retries when
that lease ends, cleans up the half-loaded version and finishes the same run within seconds, instead of being
skipped as "busy" until the next due time (12 h for the CSL)."""
import os
import signal
from pathlib import Path

import pytest
from django.utils import timezone

from apps.lists.choices import Propagation, Regime, RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.services import list_source_refresh
from apps.lists.tasks import refresh_list_source
from tests.reliability.harness import Proc, app_env, wait_for, worker_database_url
from tests.reliability.private_broker import private_broker  # noqa: F401 - fixture

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEADER = "name,aliases,country,identifiers,reason\n"
LEASE_SECONDS = 6
ROWS = 30_000


def _csv(n: int) -> bytes:
    return (HEADER + "".join(f"Port Equipment Supplier {i} Ltd,PES{i},China,,Listed {i}\n" for i in range(n))).encode()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _prefork_worker(env: dict, log_path: Path) -> Proc:
    proc = Proc(["worker", "--pool=prefork", "--concurrency=1", "-Q", "celery", "-n", "prefork@%h", "--loglevel=INFO",
                 "--without-heartbeat", "--without-mingle", "--without-gossip"], env, log_path)
    wait_for(lambda: "ready." in proc.log() or not proc.alive(), timeout=60, what="the prefork worker to start")
    if not proc.alive():
        pytest.fail(f"worker did not start:\n{proc.log()[-3000:]}")
    return proc


def test_killed_scheduled_refresh_retries_when_lease_ends(private_broker, fault_server, settings, tmp_path):  # noqa: F811
    db_url = worker_database_url()
    if db_url is None:
        pytest.skip("the worker cannot share an in-memory SQLite test database: run on PostgreSQL (DATABASE_URL)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    source = ListSource.objects.create(
        code="kill-scheduled", name="Killed scheduled refresh", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url,
    )
    fault_server.body = _csv(10)
    assert list_source_refresh(source=source).status == RunStatus.ACTIVE
    good = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)

    env = app_env(database_url=db_url, broker_url=private_broker.url, var_dir=tmp_path / "var",
                  MEDIA_ROOT=settings.MEDIA_ROOT, LISTS_LOCK_LEASE_SECONDS=str(LEASE_SECONDS))
    worker = _prefork_worker(env, tmp_path / "worker.log")
    try:
        fault_server.body = _csv(ROWS)
        refresh_list_source.apply_async(args=[source.pk, RunTrigger.SCHEDULE])  # as the beat dispatcher sends it

        def loading_with_entries():
            version = ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).first()
            return version if version and ListEntry.objects.filter(version=version).exists() else None

        half = wait_for(loading_with_entries, timeout=40, interval=0.05, what=f"the import\n{worker.log()[-2000:]}")
        children = _children(worker.proc.pid)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)  # the fault: the pool process dies, its lease is still held
        killed_at = timezone.now()
        run = FetchRun.objects.get(source=source, trigger=RunTrigger.SCHEDULE, status=RunStatus.RUNNING)
        assert ListSource.objects.get(pk=source.pk).lock_until > killed_at  # the dead process's lease

        def finished():
            run.refresh_from_db()
            return run.status not in (RunStatus.RUNNING, RunStatus.QUEUED)

        wait_for(finished, timeout=LEASE_SECONDS + 40, what=f"the redelivered refresh\n{worker.log()[-3000:]}")
        log = worker.log()
    finally:
        worker.stop()

    assert "WorkerLostError" in log or "SIGKILL" in log, log[-3000:]
    assert "Retry in" in log and "Another refresh" in log, log[-3000:]  # met the lease, retried when it ended
    assert run.status == RunStatus.ACTIVE, (run.error, log[-3000:])
    assert (run.finished_at - killed_at).total_seconds() < LEASE_SECONDS + 30  # seconds, not the next due time
    new = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)
    assert new.pk == run.version_id and new.entry_count == ROWS == ListEntry.objects.filter(version=new).count()
    half.refresh_from_db()
    assert half.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=half).exists()
    good.refresh_from_db()
    assert good.status == VersionStatus.SUPERSEDED
    # the redelivery and its retry continued the dead process's run: no second row for the same refresh
    assert FetchRun.objects.filter(source=source, trigger=RunTrigger.SCHEDULE).count() == 2  # first + this one
    assert not FetchRun.objects.filter(source=source, status=RunStatus.RUNNING).exists()
    assert ListSource.objects.get(pk=source.pk).lock_until is None
