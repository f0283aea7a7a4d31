"""A real Celery worker process refreshes a source end to end through the broker."""
# ruff: noqa: F811  (the server fixture is imported from test_downloads)
import pytest

from apps.lists.choices import Propagation, Regime, RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.services import list_source_refresh_request
from tests.lists.test_downloads import server  # noqa: F401

pytestmark = pytest.mark.worker

BLOCKLIST = (
    "name,aliases,country,identifiers,reason\n"
    "Acme Surveillance Ltd,Acme CCTV; ACME-SEC,China,lei:5493001KJTIIGC8Y1R12,Board decision 2024-07\n"
    "Harbour Crane Telemetry Co,,China,,Unvetted remote access\n"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def test_refresh_now_goes_through_the_broker_to_a_real_worker(media, server, celery_worker_process):
    base, root = server
    (root / "blocklist.csv").write_text(BLOCKLIST)
    source = ListSource.objects.create(
        code="worker-test", name="Worker test list", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=f"{base}/files/blocklist.csv",
    )
    run = list_source_refresh_request(source=source)  # no surrounding transaction: enqueued at once

    def finished():
        run.refresh_from_db()
        return run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)

    celery_worker_process.wait_for(finished, timeout=90)
    assert run.status == RunStatus.ACTIVE, (run.error, celery_worker_process.log()[-3000:])
    assert run.task_id and run.finished_at and run.progress == 100
    version = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)
    assert run.version_id == version.pk and version.entry_count == 2
    names = set(ListEntry.objects.filter(version=version).values_list("primary_name", flat=True))
    assert names == {"Acme Surveillance Ltd", "Harbour Crane Telemetry Co"}
    assert FetchRun.objects.filter(source=source).count() == 1


def test_a_worker_killed_mid_refresh_leaves_the_previous_version_active(media, server, celery_worker_process):
    import datetime as dt

    from django.utils import timezone

    from apps.lists.services import list_source_refresh

    base, root = server
    (root / "blocklist.csv").write_text(BLOCKLIST)
    source = ListSource.objects.create(
        code="worker-kill", name="Worker kill list", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=f"{base}/files/blocklist.csv",
    )
    first = list_source_refresh(source=source)
    assert first.status == "active"
    rows = "".join(f"Company number {i} Limited,Alias {i},China,,reason {i}\n" for i in range(300_000))
    (root / "blocklist.csv").write_text(BLOCKLIST + rows)  # the two first entries stay: the guard passes
    run = list_source_refresh_request(source=source)

    def parsing():
        run.refresh_from_db()
        return run.status == RunStatus.RUNNING and run.counts.get("parsed", 0) >= 5000

    celery_worker_process.wait_for(parsing, timeout=120)  # progress is visible while it runs
    celery_worker_process.kill()

    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).pk == first.version
    assert ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).exists()
    # The dead worker's lease runs out (LISTS_LOCK_LEASE_SECONDS); then the next refresh completes.
    ListSource.objects.filter(pk=source.pk).update(lock_until=timezone.now() - dt.timedelta(seconds=1))
    result = list_source_refresh(source=source)
    assert result.status == "active" and result.entries == 300_002
    assert not ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).exists()
    leftover = ListVersion.objects.get(source=source, status=VersionStatus.FAILED)
    assert "Interrupted" in leftover.status_reason and not ListEntry.objects.filter(version=leftover).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "Interrupted" in run.error
