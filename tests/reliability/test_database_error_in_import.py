"""(7) A database error while a new list version is diffed and activated: a real PostgreSQL error (a trigger that
refuses the activation UPDATE on the version table). The run and the version fail with the reason, the partial
entries are deleted, the previous version stays active, the lease is released, `import_list` answers with its
JSON and exit code 1, and the worker's task retries the same run and activates the version once the fault is
gone."""
import json
import subprocess
import sys

import pytest
from django.db import connection

from apps.lists.choices import Propagation, Regime, RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.services import list_source_refresh
from apps.lists.tasks import refresh_list_source
from tests.reliability.harness import ROOT, app_env, worker_database_url

pytestmark = [pytest.mark.reliability, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEADER = "name,aliases,country,identifiers,reason\n"
BACKOFF_SECONDS = 3
FAULT = "injected fault: activation refused by the database"
INSTALL_FAULT = f"""
CREATE OR REPLACE FUNCTION vr_test_refuse_activation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{FAULT}'; END $$;
CREATE TRIGGER vr_test_refuse_activation BEFORE UPDATE ON lists_listversion FOR EACH ROW
WHEN (NEW.status = 'active' AND OLD.status <> 'active') EXECUTE FUNCTION vr_test_refuse_activation();
"""
REMOVE_FAULT = """
DROP TRIGGER IF EXISTS vr_test_refuse_activation ON lists_listversion;
DROP FUNCTION IF EXISTS vr_test_refuse_activation();
"""


def _csv(n: int) -> bytes:
    return (HEADER + "".join(f"Crane Controller Maker {i} Ltd,,China,,Listed {i}\n" for i in range(n))).encode()


@pytest.fixture
def fast_retries(monkeypatch, settings, tmp_path):
    """Before the worker starts: a short retry backoff and a media folder shared with the worker."""
    if connection.vendor != "postgresql":
        pytest.skip("injects the fault with a PostgreSQL trigger (run with DATABASE_URL=postgres://...)")
    monkeypatch.setenv("LISTS_RETRY_BACKOFF_SECONDS", str(BACKOFF_SECONDS))
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def activation_fault():
    """Install/remove the trigger; always removed at the end."""
    def install():
        with connection.cursor() as cur:
            cur.execute(INSTALL_FAULT)

    def remove():
        with connection.cursor() as cur:
            cur.execute(REMOVE_FAULT)

    try:
        yield install, remove
    finally:
        remove()


def _assert_failed_cleanly(run: FetchRun, good: ListVersion) -> ListVersion:
    assert run.status == RunStatus.FAILED and FAULT in run.error and "activating" in run.error, run.error
    failed = ListVersion.objects.get(pk=run.version_id)
    assert failed.status == VersionStatus.FAILED and FAULT in failed.status_reason
    assert failed.entry_count == 0 and not ListEntry.objects.filter(version=failed).exists()
    good.refresh_from_db()
    assert good.status == VersionStatus.ACTIVE and good.superseded_at is None  # the supersede was rolled back
    assert ListEntry.objects.filter(version=good).count() == good.entry_count == 10
    assert list(ListVersion.objects.filter(source=good.source, status=VersionStatus.ACTIVE)) == [good]
    return failed


def test_database_error_during_activation_fails_the_run_and_retries(fast_retries, fault_server, activation_fault,
                                                                    celery_worker_process, tmp_path):
    install_fault, remove_fault = activation_fault
    worker = celery_worker_process
    source = ListSource.objects.create(
        code="db-fault", name="Database fault list", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url,
    )
    fault_server.body = _csv(10)
    assert list_source_refresh(source=source).status == RunStatus.ACTIVE
    good = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)
    install_fault()

    # 1. The offline import meets the fault: one JSON answer and exit code 1, no traceback.
    offline = tmp_path / "offline.csv"
    offline.write_bytes(_csv(11))
    env = app_env(database_url=worker_database_url(), broker_url="filesystem://", var_dir=tmp_path / "cli",
                  MEDIA_ROOT=str(tmp_path / "media"))
    cli = subprocess.run([sys.executable, "manage.py", "import_list", source.code, str(offline), "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1, (cli.stdout, cli.stderr[-2000:])
    assert "Traceback" not in cli.stderr, cli.stderr[-2000:]
    data = json.loads(cli.stdout)
    assert data["status"] == "failed" and FAULT in data["reason"] and data["retryable"] is True
    _assert_failed_cleanly(FetchRun.objects.get(pk=data["run"]), good)
    assert ListSource.objects.get(pk=source.pk).lock_until is None

    # 2. A refresh on a real worker meets the same fault: recorded, cleaned up, lease released, retried.
    fault_server.body = _csv(12)
    refresh_list_source.apply_async(args=[source.pk, RunTrigger.SCHEDULE], queue=worker.queue)

    def failed_run():
        run = FetchRun.objects.filter(source=source, trigger=RunTrigger.SCHEDULE, status=RunStatus.FAILED).first()
        if run is None:
            return None
        return run, ListSource.objects.filter(pk=source.pk).values_list("lock_until", flat=True).first()

    run, lock_until = worker.wait_for(failed_run, timeout=40, interval=0.05)
    assert lock_until is None  # released at once, not left to expire
    first_failed = _assert_failed_cleanly(run, good)

    # 3. The fault goes away: the task's retry (same run, exponential backoff) activates the new version.
    remove_fault()

    def activated():
        run.refresh_from_db()
        return run.status == RunStatus.ACTIVE

    worker.wait_for(activated, timeout=40)
    new = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)
    assert new.pk == run.version_id and new.pk not in (good.pk, first_failed.pk) and new.entry_count == 12
    assert ListEntry.objects.filter(version=new).count() == 12
    good.refresh_from_db()
    assert good.status == VersionStatus.SUPERSEDED
    # one row per logical run: the first refresh, the offline import, the scheduled refresh and its retries
    assert FetchRun.objects.filter(source=source).count() == 3
    assert "Retry in" in worker.log()
    assert not ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).exists()
    failed_versions = ListVersion.objects.filter(source=source, status=VersionStatus.FAILED)
    assert not ListEntry.objects.filter(version__in=failed_versions).exists()
