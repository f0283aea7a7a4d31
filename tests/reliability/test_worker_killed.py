"""(1) A worker killed with SIGKILL in the middle of a list refresh: no half version is visible, the previous
version stays active, the next run completes, and each source has exactly one active version."""
import os
import signal

import pytest
from django.utils import timezone

from apps.lists.choices import Propagation, Regime, RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.selectors import list_versions_active
from apps.lists.services import list_source_refresh
from apps.lists.tasks import refresh_list_source
from tests.reliability.harness import start_worker, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.worker]

HEADER = "name,aliases,country,identifiers,reason\n"
LEASE_SECONDS = 6


def _csv(n: int) -> bytes:
    return (HEADER + "".join(f"Port Equipment Supplier {i} Ltd,PES{i},China,,Listed {i}\n" for i in range(n))).encode()


@pytest.fixture
def short_lease(monkeypatch, settings, tmp_path):
    """Before the worker starts: a short lease (so the dead worker's lock expires within the test) and a media
    folder shared with the worker."""
    monkeypatch.setenv("LISTS_LOCK_LEASE_SECONDS", str(LEASE_SECONDS))
    settings.LISTS_LOCK_LEASE_SECONDS = LEASE_SECONDS
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _one_active(source) -> ListVersion:
    active = list(ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE))
    assert len(active) == 1, active
    assert list(list_versions_active().filter(source=source)) == active
    return active[0]


def test_sigkill_mid_refresh_leaves_the_previous_version_active(short_lease, fault_server, celery_worker_process,
                                                                 tmp_path):
    worker = celery_worker_process
    source = ListSource.objects.create(
        code="kill-test", name="Kill test list", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url,
    )
    fault_server.body = _csv(10)
    assert list_source_refresh(source=source).status == RunStatus.ACTIVE
    good = _one_active(source)

    fault_server.body = _csv(30_000)
    refresh_list_source.apply_async(args=[source.pk, RunTrigger.SCHEDULE], queue=worker.queue)

    def loading_with_entries():
        version = ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).first()
        return version if version and ListEntry.objects.filter(version=version).exists() else None

    half = worker.wait_for(loading_with_entries, timeout=40, interval=0.05)
    os.killpg(worker.process.pid, signal.SIGKILL)  # the fault: no chance to clean up
    worker.process.wait(timeout=10)

    half.refresh_from_db()
    assert half.status == VersionStatus.LOADING  # left behind, half loaded...
    assert _one_active(source).pk == good.pk  # ...but not visible: the previous version is still the one
    assert good.entry_count == ListEntry.objects.filter(version=good).count() == 10

    # the next run (here: the next scheduled one, on a new worker) completes once the dead worker's lease ends
    source.refresh_from_db()
    wait_for(lambda: ListSource.objects.get(pk=source.pk).lock_until < timezone.now(), timeout=LEASE_SECONDS + 5,
             what="the dead worker's lease to expire")
    second = start_worker(worker.env, tmp_path / "worker2.log", queue=worker.queue, name="w2")
    try:
        refresh_list_source.apply_async(args=[source.pk, RunTrigger.SCHEDULE], queue=worker.queue)
        new = wait_for(
            lambda: ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).exclude(pk=good.pk).first(),
            timeout=45, interval=0.2, what=f"the next refresh to activate a version\n{second.log()[-2000:]}",
        )
    finally:
        second.stop()
    assert _one_active(source).pk == new.pk and new.entry_count == 30_000
    half.refresh_from_db()
    assert half.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=half).exists()
    good.refresh_from_db()
    assert good.status == VersionStatus.SUPERSEDED and good.superseded_at is not None
    assert not FetchRun.objects.filter(source=source, status=RunStatus.RUNNING).exists()
