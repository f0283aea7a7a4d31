"""The lists pages for people (#18 item 6): a failed refresh explained once with the version still in use and a
retry; a list file uploaded in the browser through the `import_list` pipeline (sha256, parser, guard,
quarantine), refused for those who may not and for bad files (nothing loaded); what a quarantined version means
for an officer."""
from __future__ import annotations

import datetime as dt
import re
import socket
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from tests.factories import (
    CuratorFactory,
    FetchRunFactory,
    ListDiffFactory,
    ListSourceFactory,
    ListVersionFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BLOCKLIST = Path(__file__).parent / "fixtures" / "blocklist.csv"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def public_list(db):
    source = ListSourceFactory(code="ofac-test", name="OFAC test list", url="https://ofac.treasury.gov/sdn.csv",
                               format="custom_csv")
    fetched = timezone.now() - dt.timedelta(days=32)
    version = ListVersionFactory(source=source, active=True, fetched_at=fetched, entry_count=3)
    return source, version


@pytest.fixture
def in_house(org):
    return ListSourceFactory(code="harbor-blocklist", name="Harbor blocklist", organization=org, format="custom_csv",
                             regime="custom")


def _upload(client, source, *files: tuple[str, bytes]):
    uploads = [SimpleUploadedFile(name, data, content_type="text/csv") for name, data in files]
    return client.post(reverse("web:list-upload", args=[source.pk]), {"files": uploads})


def _fail_refresh(source: ListSource, run: FetchRun | None = None) -> FetchRun:
    """The worker's refresh with no network: DNS cannot resolve the publisher (the lowest-level call patched)."""
    from apps.lists.downloads import DownloadError
    from apps.lists.services import list_source_refresh

    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    with mock.patch("apps.lists.downloads.socket.getaddrinfo", no_dns), pytest.raises(DownloadError):
        list_source_refresh(source=source, trigger="manual", run=run)
    return FetchRun.objects.filter(source=source).latest("started_at")


# --- failed refreshes -----------------------------------------------------------------------------------------

def test_failed_refresh_is_explained_once_with_the_version_in_use_and_a_retry(client_for, admin_user, public_list,
                                                                            django_capture_on_commit_callbacks):
    source, version = public_list
    c = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=False):  # no worker: the test runs the refresh itself
        response = c.post(reverse("web:list-refresh", args=[source.pk]), HTTP_HX_REQUEST="true")
    assert "<progress" in response.content.decode()
    run = _fail_refresh(source, FetchRun.objects.get(source=source))
    assert run.status == RunStatus.FAILED and "[Errno -2]" in run.error

    body = c.get(reverse("web:list-run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert body.count("could not reach ofac.treasury.gov") == 1  # once, in words
    day = timezone.localtime(version.fetched_at)
    assert f"still version #{version.pk} of {day.day} {day:%b %Y}, 32 days old" in body
    assert ">Retry</button>" in body  # the button stays
    assert body.count("[Errno -2]") == 1  # the technical reason once, folded for the admin
    assert re.search(r"<details><summary>Technical detail</summary>.*\[Errno -2\]", body, re.S)
    assert "hx-get" not in body  # no more polling

    page = c.get(reverse("web:list-source", args=[source.pk])).content.decode()
    assert page.count("could not reach ofac.treasury.gov") == 1
    assert page.count("[Errno -2]") == 1
    assert ">Retry</button>" in page
    listing = c.get(reverse("web:list-sources")).content.decode()
    assert listing.count("could not reach ofac.treasury.gov") == 1
    assert ">Retry</button>" in listing and "[Errno" not in listing


def test_retry_after_a_failure_queues_a_new_run(client_for, admin_user, public_list,
                                                 django_capture_on_commit_callbacks):
    source, _version = public_list
    failed = _fail_refresh(source)
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(admin_user).post(reverse("web:list-refresh", args=[source.pk]), HTTP_HX_REQUEST="true")
    queued = FetchRun.objects.filter(source=source).exclude(pk=failed.pk).get()
    assert queued.status == RunStatus.QUEUED
    assert reverse("web:list-run", args=[queued.pk]) in response.content.decode()


def test_officer_sees_the_failure_in_words_without_the_technical_detail(client_for, officer, public_list):
    source, _version = public_list
    _fail_refresh(source)
    page = client_for(officer).get(reverse("web:list-source", args=[source.pk])).content.decode()
    assert "could not reach ofac.treasury.gov" in page
    assert "The list in use is still version" in page
    assert "[Errno" not in page and "Technical detail" not in page
    assert ">Retry</button>" not in page  # officers do not refresh


def test_a_refused_connection_on_a_closed_local_port_is_explained(client_for, admin_user, settings):
    """A real failing download (an allowed internal mirror on a closed loopback port), no patching."""
    from apps.lists.downloads import DownloadError
    from apps.lists.services import list_source_refresh

    settings.LISTS_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = ListSourceFactory(url=f"https://127.0.0.1:{port}/list.csv", format="custom_csv")
    with pytest.raises(DownloadError):
        list_source_refresh(source=source, trigger="manual")
    page = client_for(admin_user).get(reverse("web:list-source", args=[source.pk])).content.decode()
    assert "could not connect to 127.0.0.1" in page
    assert "No version of this list is loaded yet" in page
    assert ">Retry</button>" in page


def test_refresh_refused_in_place_keeps_the_button(client_for, admin_user):
    source = ListSourceFactory(url="", format="custom_csv")
    response = client_for(admin_user).post(reverse("web:list-refresh", args=[source.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'role="alert"' in body and "upload its file" in body
    assert "<button" in body and "<html" not in body


# --- upload ---------------------------------------------------------------------------------------------------

def test_admin_uploads_the_in_house_list_through_the_import_pipeline(client_for, admin_user, in_house):
    c = client_for(admin_user)
    response = _upload(c, in_house, ("Blocklist.CSV", BLOCKLIST.read_bytes()))
    assert response.status_code == 302
    version = ListVersion.objects.get(source=in_house)
    assert version.status == VersionStatus.ACTIVE and version.entry_count == 10
    assert version.raw_filenames == ["blocklist.csv"]
    import hashlib
    assert version.sha256 == hashlib.sha256(BLOCKLIST.read_bytes()).hexdigest()
    run = FetchRun.objects.get(source=in_house)
    assert run.trigger == "import" and run.requested_by == admin_user
    page = c.get(response["Location"]).content.decode()
    assert f"version #{version.pk} of Harbor blocklist is now in use, 10 entries" in page
    from apps.audit.models import AuditEvent
    assert AuditEvent.objects.filter(action="listsource.upload").exists()


def test_the_same_file_again_says_it_is_already_loaded(client_for, admin_user, in_house):
    c = client_for(admin_user)
    _upload(c, in_house, ("blocklist.csv", BLOCKLIST.read_bytes()))
    response = _upload(c, in_house, ("copy.csv", BLOCKLIST.read_bytes()))
    assert response.status_code == 302
    assert ListVersion.objects.filter(source=in_house).count() == 1
    assert "This file is already loaded" in c.get(response["Location"]).content.decode()


@pytest.mark.parametrize(("name", "data", "says"), [
    ("list.csv", b"company,city\nAcme,Paris\n", "could not be read"),  # a CSV without the list's columns
    ("list.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "File content is png"),  # not text at all
    ("list.csv", b"", "empty"),
])
def test_a_bad_file_is_refused_with_a_clear_error_and_nothing_loaded(client_for, admin_user, in_house, name, data,
                                                                     says):
    c = client_for(admin_user)
    _upload(c, in_house, ("blocklist.csv", BLOCKLIST.read_bytes()))
    active = ListVersion.objects.get(source=in_house, status=VersionStatus.ACTIVE)
    entries = ListEntry.objects.count()
    response = _upload(c, in_house, (name, data))
    assert response.status_code == 400
    body = response.content.decode()
    assert says in body and 'role="alert"' in body
    assert ListEntry.objects.count() == entries
    assert ListVersion.objects.get(source=in_house, status=VersionStatus.ACTIVE) == active
    assert not ListVersion.objects.filter(source=in_house).exclude(
        status__in=[VersionStatus.ACTIVE, VersionStatus.FAILED]).exists()
    assert not ListVersion.objects.filter(source=in_house, status=VersionStatus.FAILED).exclude(raw_file="").exists()


def test_a_file_over_the_upload_limit_is_refused_before_anything_is_recorded(client_for, admin_user, in_house,
                                                                           settings):
    settings.LISTS_UPLOAD_MAX_BYTES = 100
    response = _upload(client_for(admin_user), in_house, ("blocklist.csv", BLOCKLIST.read_bytes()))
    assert response.status_code == 400
    assert "File too large" in response.content.decode()
    assert not FetchRun.objects.filter(source=in_house).exists()
    assert not ListVersion.objects.filter(source=in_house).exists()


def test_a_shrunken_upload_is_quarantined_like_a_download(client_for, admin_user, in_house):
    c = client_for(admin_user)
    _upload(c, in_house, ("blocklist.csv", BLOCKLIST.read_bytes()))
    short = b"\n".join(BLOCKLIST.read_bytes().splitlines()[:3]) + b"\n"
    response = _upload(c, in_house, ("blocklist.csv", short))
    assert response.status_code == 302
    version = ListVersion.objects.filter(source=in_house).latest("fetched_at")
    assert version.status == VersionStatus.QUARANTINED
    page = c.get(response["Location"]).content.decode()
    assert "Quarantined" in page and "an administrator of the organisation" in page


def test_upload_is_refused_to_those_who_may_not(client_for, officer, admin_user, in_house, public_list):
    source, _version = public_list
    # an officer, for any list: 403, nothing recorded
    assert _upload(client_for(officer), in_house, ("b.csv", BLOCKLIST.read_bytes())).status_code == 403
    # an organisation admin, for a public list (shared by every organisation): curators only
    assert _upload(client_for(admin_user), source, ("b.csv", BLOCKLIST.read_bytes())).status_code == 403
    # a curator without a verified second factor
    CuratorFactory(user=admin_user)
    assert _upload(client_for(admin_user), source, ("b.csv", BLOCKLIST.read_bytes())).status_code == 403
    assert not FetchRun.objects.exists()
    assert ListVersion.objects.filter(source__in=[source, in_house]).count() == 1


def test_a_verified_curator_uploads_a_public_list(client, org, public_list):
    from tests.conftest import second_factor_login

    source, version = public_list
    curator = MembershipFactory(organization=org, role=Role.VIEWER, user=UserFactory(username="cur")).user
    CuratorFactory(user=curator)
    curator.save()
    c = second_factor_login(client, curator)
    response = _upload(c, source, ("sdn.csv", BLOCKLIST.read_bytes()))
    assert response.status_code == 302
    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).entry_count == 10


def test_only_authorised_users_see_the_upload_form(client_for, officer, admin_user, in_house):
    url = reverse("web:list-source", args=[in_house.pk])
    assert 'id="h-upload"' in client_for(admin_user).get(url).content.decode()
    assert 'id="h-upload"' not in client_for(officer).get(url).content.decode()


# --- quarantine for officers ------------------------------------------------------------------------------------

def test_officer_is_told_what_a_quarantined_version_means(client_for, officer, public_list):
    source, active = public_list
    held = ListVersionFactory(source=source, status=VersionStatus.QUARANTINED, entry_count=1,
                              status_reason="Entries fell from 3 to 1 (66.7%).")
    ListDiffFactory(version=held, previous=active, added=0, removed=2, changed=0)
    c = client_for(officer)
    day = timezone.localtime(active.fetched_at)
    in_use = f"version #{active.pk} of {day.day} {day:%b %Y}, 32 days old"
    for url in (reverse("web:list-sources"), reverse("web:list-source", args=[source.pk]),
                reverse("web:list-version", args=[held.pk])):
        page = c.get(url).content.decode()
        assert in_use in page, url
        assert "not used for screening" in page, url
        assert "a registry curator" in page, url
        assert "−2" in page or "2 removed" in page, url
    version_page = c.get(reverse("web:list-version", args=[held.pk])).content.decode()
    assert "Nothing to do for you" in version_page
    assert "Approve and activate" not in version_page


def _troubled_source(i: int) -> None:
    source = ListSourceFactory(code=f"more-{i}", url="https://example.org/x.csv")
    active = ListVersionFactory(source=source, active=True, entry_count=5)
    held = ListVersionFactory(source=source, status=VersionStatus.QUARANTINED)
    ListDiffFactory(version=held, previous=active, removed=3)
    FetchRunFactory(source=source, status=RunStatus.FAILED, error=f"Cannot resolve host{i}.example: [Errno -2]",
                    finished_at=timezone.now())


def test_lists_page_query_count_is_constant(client_for, admin_user, public_list):
    c = client_for(admin_user)
    _troubled_source(0)
    c.get(reverse("web:list-sources"))
    with CaptureQueriesContext(connection) as before:
        c.get(reverse("web:list-sources"))
    for i in range(1, 5):
        _troubled_source(i)
    with CaptureQueriesContext(connection) as after:
        page = c.get(reverse("web:list-sources")).content.decode()
    assert page.count("Last refresh failed") == 5
    assert len(after) == len(before)


def test_list_source_page_query_count_is_constant(client_for, admin_user, public_list):
    source, active = public_list
    c = client_for(admin_user)
    url = reverse("web:list-source", args=[source.pk])
    FetchRunFactory(source=source, status=RunStatus.FAILED, error="HTTP 503 from https://ofac.treasury.gov/sdn.csv.")
    ListDiffFactory(version=ListVersionFactory(source=source, status=VersionStatus.QUARANTINED), previous=active)
    c.get(url)
    with CaptureQueriesContext(connection) as before:
        c.get(url)
    for i in range(5):
        FetchRunFactory(source=source, status=RunStatus.FAILED, error=f"HTTP 50{i} from https://x.example/a.csv.",
                        started_at=timezone.now() - dt.timedelta(hours=i + 1))
        held = ListVersionFactory(source=source, status=VersionStatus.QUARANTINED)
        ListDiffFactory(version=held, previous=active, removed=1)
    with CaptureQueriesContext(connection) as after:
        assert c.get(url).status_code == 200
    assert len(after) == len(before)
