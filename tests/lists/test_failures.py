"""A failed refresh in words (apps.lists.services.failures): every reason the downloader and the engine record is
classified (a reworded message fails here rather than falling through to the generic text), with the version
still in use and what to do."""
from __future__ import annotations

import datetime as dt
import socket
from unittest import mock

import pytest
from django.utils import timezone

from apps.lists import downloads
from apps.lists.services import fetch_run_failure_explain
from tests.factories import ListSourceFactory, ListVersionFactory

URL = "https://ofac.treasury.gov/downloads/sdn.csv"


@pytest.mark.parametrize(("reason", "kind", "says", "retry"), [
    ("Cannot resolve ofac.treasury.gov: [Errno -2] Name or service not known", "offline",
     "could not reach ofac.treasury.gov", True),
    (f"Network error fetching {URL}: ConnectionError: Max retries exceeded", "unreachable",
     "could not connect to ofac.treasury.gov", True),
    (f"Network error fetching {URL}: ConnectTimeout: timed out", "timeout", "did not answer in time", True),
    (f"Network error reading {URL} after 1024 bytes: ProtocolError", "interrupted", "broke off", True),
    (f"{URL}: the download did not finish within its deadline of 1800 s (LISTS_DOWNLOAD_TOTAL_TIMEOUT); stopped",
     "timeout", "took longer than allowed", True),
    (f"{URL}: body truncated: 10 of 20 bytes.", "truncated", "cut off", True),
    (f"{URL}: body truncated after 10 bytes (IncompleteRead).", "truncated", "cut off", True),
    (f"HTTP 503 from {URL}.", "server", "HTTP 503", True),
    (f"HTTP 404 from {URL}.", "not_found", "HTTP 404", False),
    (f"Refused {URL!r}: plain http is allowed only with LISTS_ALLOW_HTTP (DEBUG).", "refused", "refused for safety",
     False),
    (f"More than 5 redirects from {URL}.", "redirects", "kept redirecting", False),
    (f"{URL} returned an HTML page (Content-Type text/html), not a list file.", "not_a_list", "web page", False),
    (f"{URL} returned an empty body.", "empty", "empty file", False),
    (f"{URL} is larger than LISTS_DOWNLOAD_MAX_BYTES=10; stopped.", "too_large", "larger than", False),
    ("Parse error: sdn.csv: line 3: unterminated quote", "bad_file", "line 3: unterminated quote.", False),
    ("Another refresh of ofac_sdn is running (lease until 2026-12-06).", "busy", "Another refresh", True),
    ("Database error while loading the entries: OperationalError: server closed", "database", "database error",
     True),
    ("The source has no URL; upload its file on the list's page.", "no_url", "no download address", False),
    ("something nobody foresaw", "other", "failed", True),
])
def test_every_recorded_reason_is_classified(reason, kind, says, retry):
    explained = fetch_run_failure_explain(reason=reason)
    assert explained.kind == kind
    assert says in explained.headline
    assert explained.retry_helps is retry
    assert explained.detail == reason
    assert explained.headline.endswith((".", "…"))


@pytest.mark.django_db
def test_the_version_in_use_is_named_with_its_date_and_age():
    now = timezone.now()
    source = ListSourceFactory(name="OFAC SDN")
    version = ListVersionFactory(source=source, active=True, fetched_at=now - dt.timedelta(days=32), entry_count=1204)
    explained = fetch_run_failure_explain(reason="Cannot resolve ofac.treasury.gov: [Errno -2]", source=source,
                                          active=version, now=now)
    day = timezone.localtime(version.fetched_at)
    assert explained.in_use == (f"The list in use is still version #{version.pk} of {day.day} {day:%b %Y}, "
                                "32 days old (1,204 entries).")
    assert explained.text.startswith("The registry could not reach ofac.treasury.gov")
    assert "upload the file" in explained.text
    none = fetch_run_failure_explain(reason="x", source=source, active=None)
    assert "No version of this list is loaded yet" in none.in_use
    assert fetch_run_failure_explain(reason="x", trigger="import").title == "Last import failed"


def test_the_downloaders_own_messages_are_classified(settings, tmp_path):
    """Real DownloadErrors, not copies of their text: no DNS, and a closed port on an allowed local mirror."""
    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    with mock.patch("apps.lists.downloads.socket.getaddrinfo", no_dns), pytest.raises(downloads.DownloadError) as exc:
        downloads.url_check(URL)
    assert fetch_run_failure_explain(reason=exc.value.reason).kind == "offline"

    with pytest.raises(downloads.DownloadError) as exc:
        downloads.url_check("https://127.0.0.1/sdn.csv", allowed_hosts=set())
    assert fetch_run_failure_explain(reason=exc.value.reason).kind == "refused"

    settings.LISTS_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(downloads.DownloadError) as exc:
        downloads.download(f"https://127.0.0.1:{port}/sdn.csv", tmp_path / "sdn.csv")
    assert fetch_run_failure_explain(reason=exc.value.reason).kind == "unreachable"
