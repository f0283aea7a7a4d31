"""Entry points: import_list, refresh_lists, setup_lists, the demo loader, "refresh now", the dispatcher."""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.lists.choices import RunStatus, RunTrigger, VersionStatus
from apps.lists.defaults import DEFAULT_SOURCES
from apps.lists.models import ListEntry, ListSource, ListVersion
from apps.lists.selectors import list_sources_due
from apps.lists.services import (
    list_source_custom_create,
    list_source_refresh_request,
    list_sources_setup,
    lists_demo_load,
)
from apps.lists.tasks import refresh_list_source
from tests.factories import FetchRunFactory
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401

pytestmark = pytest.mark.django_db

MARCH_1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _call(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("import_list", *args, "--json", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def test_import_list_prints_one_json_object_and_exits_non_zero_on_failure(source, tmp_path):
    path = write_list(tmp_path / "a.jsonl", entries(7))
    code, data = _call("fake", str(path))
    assert code == 0
    assert data["source"] == "fake" and data["status"] == "active" and data["entries"] == 7
    assert {"version", "added", "removed", "changed"} <= data.keys() and data["added"] == 7
    code, data = _call("fake", str(path))
    assert code == 0 and data["status"] == "unchanged"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("BROKEN\n")
    code, data = _call("fake", str(bad))
    assert code == 1 and data["status"] == "failed" and data["reason"]
    assert ListVersion.objects.filter(source=source, status=VersionStatus.ACTIVE).count() == 1


def test_import_list_refuses_an_unknown_source(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown source"):
        call_command("import_list", "nope", "x.csv")


def test_setup_lists_creates_the_defaults_once_and_keeps_admin_edits(db):
    assert list_sources_setup()["created"] == len(DEFAULT_SOURCES)
    sdn = ListSource.objects.get(code="ofac_sdn")
    sdn.url = "https://mirror.example.org/sdn.xml"
    sdn.save()
    out = io.StringIO()
    call_command("setup_lists", stdout=out)
    assert "0 created" in out.getvalue()
    assert ListSource.objects.get(code="ofac_sdn").url == "https://mirror.example.org/sdn.xml"
    codes = set(ListSource.objects.values_list("code", flat=True))
    assert {"ofac_sdn", "ofac_cons", "us_csl", "un_sc", "uk_ofsi", "eu_fsf", "dod_1260h", "fcc_covered",
            "ndaa_889", "opensanctions"} <= codes
    for src in ListSource.objects.all():
        assert src.url == "" or src.url.startswith("https://")
        src.full_clean()
    assert not ListSource.objects.get(code="opensanctions").enabled  # licence: an admin opts in


def test_lists_demo_load_imports_the_bundled_statutory_lists_offline(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    statuses = lists_demo_load()
    assert statuses == {"ndaa_889": "active", "fcc_covered": "active", "dod_1260h": "active"}
    assert lists_demo_load() == {"ndaa_889": "unchanged", "fcc_covered": "unchanged", "dod_1260h": "unchanged"}
    ndaa = ListEntry.objects.filter(version__source__code="ndaa_889", version__status=VersionStatus.ACTIVE)
    assert ndaa.count() == 5
    assert "Hikvision" in ndaa.get(primary_name="Hangzhou Hikvision Digital Technology Company").aliases
    fcc = ListEntry.objects.filter(version__source__code="fcc_covered", version__status=VersionStatus.ACTIVE)
    hik = fcc.get(primary_name="Hangzhou Hikvision Digital Technology Company")
    assert hik.listed_on == dt.date(2021, 3, 12) and "public safety" in hik.scope
    dod = ListEntry.objects.filter(version__source__code="dod_1260h", version__status=VersionStatus.ACTIVE)
    for name in ("Hangzhou Hikvision Digital Technology Co., Ltd.", "Zhejiang Dahua Technology Co., Ltd.",
                 "Huawei Technologies Co., Ltd.", "China Communications Construction Company Limited",
                 "ZPMC North America, Inc."):
        assert dod.filter(primary_name=name).exists(), name
    assert all(e.source_url.startswith("https://media.defense.gov/") for e in dod)


def test_custom_list_per_organisation(org, admin_user):
    src = list_source_custom_create(organization=org, name="Board blocklist", user=admin_user)
    assert src.code == "custom-harbor-board-blocklist" and src.organization == org and src.format == "custom_csv"


def test_refresh_now_records_a_queued_run_and_enqueues_on_commit(db, django_capture_on_commit_callbacks, admin_user):
    list_sources_setup()
    sdn = ListSource.objects.get(code="ofac_sdn")
    with mock.patch("apps.security.enqueue.enqueue_now") as send:
        with django_capture_on_commit_callbacks(execute=True):
            run = list_source_refresh_request(source=sdn, user=admin_user)
            assert not send.called
        send.assert_called_once_with(refresh_list_source.name, sdn.pk, RunTrigger.MANUAL, run.pk)
    assert run.status == RunStatus.QUEUED and run.requested_by == admin_user
    assert list_source_refresh_request(source=sdn, user=admin_user).pk == run.pk  # no double run


def test_task_with_bundled_source_runs_eagerly_and_is_idempotent_for_a_finished_run(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    list_sources_setup()
    ndaa = ListSource.objects.get(code="ndaa_889")
    run = FetchRunFactory(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED, started_at=MARCH_1)
    result = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.MANUAL, run.pk]).get()
    assert result["status"] == "active" and result["run"] == run.pk
    again = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.MANUAL, run.pk]).get()  # redelivered message
    assert again["status"] == "skipped"
    assert ListVersion.objects.filter(source=ndaa).count() == 1


def test_sources_due_respect_interval_enabled_and_lock(db):
    list_sources_setup()
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    due = {s.code for s in list_sources_due(now=now)}
    assert "ofac_sdn" in due and "ndaa_889" in due and "opensanctions" not in due
    ListSource.objects.filter(code="ofac_sdn").update(last_attempt_at=now - dt.timedelta(hours=1))
    ListSource.objects.filter(code="us_csl").update(lock_until=now + dt.timedelta(minutes=5))
    due = {s.code for s in list_sources_due(now=now)}
    assert "ofac_sdn" not in due and "us_csl" not in due and "un_sc" in due


def test_refresh_lists_command_runs_the_download_path_for_one_source(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    list_sources_setup()
    out = io.StringIO()
    call_command("refresh_lists", "--source", "fcc_covered", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["source"] == "fcc_covered" and data["status"] == "active" and data["entries"] >= 10


def test_task_retries_network_errors_with_backoff_and_a_busy_scheduled_source_when_the_lease_ends(db, settings):
    from apps.lists.downloads import DownloadError
    from apps.lists.services import SourceBusy

    settings.LISTS_RETRY_BACKOFF_SECONDS = 30
    list_sources_setup()
    sdn = ListSource.objects.get(code="ofac_sdn")

    class Retried(Exception):
        pass

    with mock.patch("apps.lists.tasks.list_source_refresh", side_effect=DownloadError("HTTP 503", retryable=True)), \
            mock.patch.object(refresh_list_source, "retry", side_effect=Retried) as retry:
        with pytest.raises(Retried):
            refresh_list_source.apply(args=[sdn.pk, RunTrigger.SCHEDULE], throw=True)
        assert retry.call_args.kwargs["countdown"] == 30
    until = timezone.now() + dt.timedelta(seconds=40)
    with mock.patch("apps.lists.tasks.list_source_refresh", side_effect=SourceBusy(sdn, until)), \
            mock.patch.object(refresh_list_source, "retry", side_effect=Retried) as retry, pytest.raises(Retried):
        refresh_list_source.apply(args=[sdn.pk, RunTrigger.SCHEDULE], throw=True)
    assert 40 <= retry.call_args.kwargs["countdown"] <= 43  # when the lease ends, not 12 h later


def test_refresh_now_is_not_blocked_by_a_run_a_dead_worker_left_running(db, django_capture_on_commit_callbacks):
    list_sources_setup()
    sdn = ListSource.objects.get(code="ofac_sdn")
    # A run left running, with no lease held any more.
    dead = FetchRunFactory(source=sdn, trigger=RunTrigger.SCHEDULE, status=RunStatus.RUNNING, started_at=MARCH_1)
    with mock.patch("apps.security.enqueue.enqueue_now") as send, django_capture_on_commit_callbacks(execute=True):
        run = list_source_refresh_request(source=sdn)
    assert run.pk != dead.pk and send.called


def test_a_run_whose_task_gives_up_is_recorded_failed_with_the_reason(db):
    from apps.lists.services import fetch_run_give_up

    list_sources_setup()
    sdn = ListSource.objects.get(code="ofac_sdn")
    run = FetchRunFactory(source=sdn, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED, started_at=MARCH_1)
    fetch_run_give_up(run_id=run.pk, reason="source busy: another refresh holds the lock")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.finished_at is not None and "busy" in run.error
