"""(6) A publisher's body cut short without Content-Length, and a server that trickles bytes: found by fault
injection against the real services. A US CSL cut at 97 % went live (the lenient CSV reader accepted the cut
last record and a 3 % loss passed the 10 % drop guard); a one-byte-every-2-s server kept a download with a 10 s
deadline running for minutes while the source's lease lapsed. Here both run against a real local HTTP server."""
import csv
import datetime as dt
import io
import time

import pytest
from django.utils import timezone

from apps.lists.choices import Propagation, Regime, RunStatus, VersionStatus
from apps.lists.downloads import DownloadError
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.services import leases, list_source_lock_acquire, list_source_refresh
from apps.lists.sources.us_csl_csv import COLUMNS

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

# (CSL `source` label, type, programs): the sub-lists in the order trade.gov groups them
SUB_LISTS = [
    ("Specially Designated Nationals (SDN) - Treasury Department", "Entity", "SDGT; IRAN-EO13846"),
    ("Entity List (EL) - Bureau of Industry and Security", "", ""),
    ("ITAR Debarred (DTC) - State Department", "Individual", ""),
    ("Denied Persons List (DPL) - Bureau of Industry and Security", "", ""),
    ("Military End User (MEU) List - Bureau of Industry and Security", "", ""),
]
CITIES = [("Shenzhen", "518000", "CN"), ("Moscow", "101000", "RU"), ("Tehran", "11369", "IR"),
          ("Dubai", "00000", "AE"), ("Minsk", "220030", "BY")]


def csl_csv(n: int) -> bytes:
    """n rows in the trade.gov CSL layout (29 columns, quoted where a value has a comma, LF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(n):
        label, kind, programs = SUB_LISTS[i * len(SUB_LISTS) // n]
        city, postcode, cc = CITIES[i % len(CITIES)]
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            _id=str(30000 + i) if "Treasury" in label else f"{i:040x}",
            source=label, type=kind, programs=programs,
            name=f"Harbour Technology Co., Ltd. {i}" if kind != "Individual" else f"IVANOV, Pyotr {i}",
            addresses=f"No. {i} Industrial Road, {city}, {postcode}, {cc}",
            federal_register_notice=f"8{i % 10} FR {54000 + i}", start_date=f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
            remarks=f"Listed for diversion risk; case {i}.", source_list_url="https://www.trade.gov/csl",
            alt_names=f"HARBOUR TECH {i}; HT{i} LIMITED",
            ids=f"{cc}, 91330000{i:010d}, Unified Social Credit Code (USCC); Website www.harbour{i}.example",
        )
        writer.writerow(row.values())
    return buf.getvalue().encode()


@pytest.fixture
def csl_source(fault_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LISTS_DOWNLOAD_TIMEOUT = 5.0
    return ListSource.objects.create(
        code="us-csl-test", name="US CSL (test server)", publisher="trade.gov", regime=Regime.US_TRADE_CSL,
        propagation=Propagation.NAMED_ONLY, format="us_csl_csv", url=fault_server.url, freshness_limit_hours=72,
    )


def _refresh(source, now):
    try:
        return list_source_refresh(source=source, now=now)
    except DownloadError as exc:
        assert exc.retryable
        return None


def _nothing_half_loaded(source, active):
    assert not ListVersion.objects.filter(source=source, status=VersionStatus.LOADING).exists()
    assert list(ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE)) == [active]
    for version in ListVersion.objects.filter(source=source).exclude(pk=active.pk):
        stored = ListEntry.objects.filter(version=version).count()
        if version.status == VersionStatus.QUARANTINED:  # kept whole, for the admin to inspect
            assert stored == version.entry_count > 0
        else:  # failed: no orphan entries
            assert stored == 0 and version.status == VersionStatus.FAILED
    assert not FetchRun.objects.filter(source=source, status=RunStatus.RUNNING).exists()


def test_truncated_list_without_content_length_never_goes_live(csl_source, fault_server):
    t0 = timezone.now()
    full = csl_csv(500)
    fault_server.body = full
    first = _refresh(csl_source, t0)
    assert first.status == RunStatus.ACTIVE and first.entries == 500
    good = ListVersion.objects.get(pk=first.version)

    # cut at 97 % inside a record, served without Content-Length: HTTP cannot tell, the format must
    cut = len(full) * 97 // 100
    while full[cut - 1 : cut] == b"\n" or full[cut : cut + 1] == b"\n":
        cut += 7
    fault_server.mode, fault_server.body = "unframed", full[:cut]
    for attempt in range(3):  # the defect went live 3 times out of 3
        result = _refresh(csl_source, t0 + dt.timedelta(hours=1 + attempt))
        assert result.status == RunStatus.FAILED, result.reason
        run = FetchRun.objects.get(pk=result.run)
        assert run.status == RunStatus.FAILED and run.error == (
            "Parse error: list.csv: the last line is not terminated (no final line break): the file is truncated "
            "(this format always ends with a line break)")
        _nothing_half_loaded(csl_source, good)

    # cut exactly at a record boundary: every record is whole, the CSV is valid, 3 % is lost from the end
    boundary = full.rindex(b"\n", 0, len(full) * 97 // 100) + 1
    fault_server.body = full[:boundary]
    result = _refresh(csl_source, t0 + dt.timedelta(hours=5))
    assert result.status == RunStatus.QUARANTINED, result.reason
    assert 0 < result.removed < 0.1 * 500  # under the size limit: only the shape gives it away
    assert result.reason.startswith(f"The new file looks cut off: the last {result.removed} entries")
    quarantined = ListVersion.objects.get(pk=result.version)
    assert quarantined.status == VersionStatus.QUARANTINED and quarantined.status_reason == result.reason
    assert FetchRun.objects.get(pk=result.run).message == result.reason[:300]
    _nothing_half_loaded(csl_source, good)

    # the publisher recovers: the complete file is the same bytes as the active version
    fault_server.mode, fault_server.body = "ok", full
    assert _refresh(csl_source, t0 + dt.timedelta(hours=6)).status == RunStatus.UNCHANGED
    assert ListVersion.objects.get(source=csl_source, status=VersionStatus.ACTIVE).pk == good.pk


def test_download_deadline_is_enforced_against_a_trickling_server(csl_source, fault_server, settings, monkeypatch):
    settings.LISTS_DOWNLOAD_TOTAL_TIMEOUT = 6.0
    settings.LISTS_DOWNLOAD_TIMEOUT = 5.0  # per read: a byte every 50 ms never trips it
    settings.LISTS_LOCK_LEASE_SECONDS = 5  # the shortest lease allowed; shorter than the download: renewed meanwhile
    fault_server.mode, fault_server.body, fault_server.trickle_seconds = "trickle", csl_csv(200), 0.05

    renewals = []
    real_renew = leases._lease_renew

    def spy(source_id, token):
        # before each renewal the lease still holds: a second refresh cannot start in the middle of this one
        assert not list_source_lock_acquire(source_id=source_id, token="second-worker")
        real_renew(source_id, token)
        renewals.append((time.monotonic(), ListSource.objects.get(pk=source_id).lock_until))

    monkeypatch.setattr(leases, "_lease_renew", spy)  # the lease keeper renews there
    started = time.monotonic()
    with pytest.raises(DownloadError) as exc:
        list_source_refresh(source=csl_source, now=timezone.now())
    elapsed = time.monotonic() - started

    assert elapsed < 6.0 + 1.0, f"the download ran {elapsed:.1f} s past a 6 s deadline"
    assert exc.value.retryable and "did not finish within its deadline of 6 s" in exc.value.reason
    run = FetchRun.objects.get(source=csl_source)
    assert run.status == RunStatus.FAILED and "deadline" in run.error and run.counts.get("retryable") == 1
    assert not ListVersion.objects.filter(source=csl_source).exists()

    # renewed by time (every lease/3 s), not every 8 MB: a few bytes were enough
    assert len(renewals) >= 3, renewals
    times = [started, *(t for t, _until in renewals)]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < settings.LISTS_LOCK_LEASE_SECONDS
    untils = [until for _t, until in renewals]
    assert untils == sorted(untils) and untils[-1] - untils[0] >= dt.timedelta(seconds=3)
    csl_source.refresh_from_db()
    assert csl_source.lock_until is None  # released at the end
