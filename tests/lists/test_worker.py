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
