"""(5) A list source that hangs, answers 500 for days, or serves a truncated file: the last good version stays
active, the source turns stale after its limit, and the alert fires once."""
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.choices import Role
from apps.audit.models import AuditEvent
from apps.lists.choices import Propagation, Regime, RunStatus, VersionStatus
from apps.lists.downloads import DownloadError
from apps.lists.models import FetchRun, ListSource, ListVersion
from apps.lists.selectors import list_source_freshness, list_versions_active
from apps.lists.services import list_source_refresh, list_sources_stale_alert
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

HEADER = "name,aliases,country,identifiers,reason\n"


def _csv(n: int) -> bytes:
    return (HEADER + "".join(f"Harbour Vendor {i} Ltd,,China,,Board decision {i}\n" for i in range(n))).encode()


@pytest.fixture
def source(fault_server, settings, tmp_path, org):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LISTS_DOWNLOAD_TIMEOUT = 0.5
    admin = UserFactory(username="list-admin", email="lists@example.gov")
    MembershipFactory(user=admin, organization=org, role=Role.ADMIN)
    return ListSource.objects.create(
        code="flaky", name="Flaky publisher", publisher="Tests", regime=Regime.CUSTOM,
        propagation=Propagation.NAMED_ONLY, format="custom_csv", url=fault_server.url, organization=org,
        freshness_limit_hours=72,
    )


def _refresh(source, now):
    try:
        return list_source_refresh(source=source, now=now).status
    except DownloadError as exc:  # retryable: the task would retry with backoff; the run is already recorded
        assert exc.retryable
        return RunStatus.FAILED


def _active(source):
    return ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)


def test_bad_publisher_never_replaces_the_good_version_and_alerts_once(source, fault_server):
    t0 = timezone.now()
    fault_server.body = _csv(20)
    assert _refresh(source, t0) == RunStatus.ACTIVE
    good = _active(source)
    assert good.entry_count == 20

    # hangs (read timeout), 500s for days, an HTML error page, a body shorter than its Content-Length
    faults = [("hang", 1), ("error", 6), ("error", 30), ("html", 48), ("short", 60), ("error", 80)]
    for mode, hours in faults:
        fault_server.mode = mode
        assert _refresh(source, t0 + dt.timedelta(hours=hours)) == RunStatus.FAILED, mode
        assert _active(source).pk == good.pk
        assert list(list_versions_active().filter(source=source)) == [good]
    # a complete-looking file that lost most of its rows (cut off upstream): quarantined, not activated
    fault_server.mode, fault_server.body = "ok", _csv(5)
    assert _refresh(source, t0 + dt.timedelta(hours=70)) == RunStatus.QUARANTINED
    assert _active(source).pk == good.pk
    assert ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).count() == 0
    assert FetchRun.objects.filter(source=source, status=RunStatus.FAILED).count() == len(faults)

    # freshness: fine within the limit, stale after it; the alert fires exactly once
    source.refresh_from_db()
    assert list_source_freshness(source, now=t0 + dt.timedelta(hours=71)) == "fresh"
    late = t0 + dt.timedelta(hours=73)
    assert list_source_freshness(source, now=late) == "stale"
    assert list_sources_stale_alert(now=late)["alerted"] == ["flaky"]
    assert list_sources_stale_alert(now=late + dt.timedelta(hours=1))["alerted"] == []
    assert list_sources_stale_alert(now=late + dt.timedelta(hours=30))["alerted"] == []
    assert len(mail.outbox) == 1 and "flaky" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="listsource.stale").count() == 1

    # the publisher recovers with the good file: fresh again, still the same version
    fault_server.body = _csv(20)
    assert _refresh(source, late + dt.timedelta(hours=2)) == RunStatus.UNCHANGED
    source.refresh_from_db()
    assert list_source_freshness(source, now=late + dt.timedelta(hours=2)) == "fresh"
    assert _active(source).pk == good.pk
    assert ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).count() == 1
