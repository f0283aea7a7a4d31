"""Runs that lose their message, meet a database error or a busy source: re-sent, failed cleanly and retried,
retried when the lease ends. (The same faults against real services: tests/reliability.)"""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from apps.lists.choices import RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListEntry, ListSource, ListVersion
from apps.lists.services import (
    QUEUED_RUN_MAX_AGE,
    RunAlreadyFinished,
    RunRetryable,
    fetch_run_for_task,
    fetch_runs_queued_recover,
    ingest,
    leases,
    list_source_busy_countdown,
    list_source_lock_acquire,
    list_source_refresh,
    list_source_refresh_request,
    list_sources_setup,
    list_version_import,
)
from apps.lists.tasks import refresh_list_source
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def ndaa(db, settings, tmp_path):
    """A bundled source: a refresh imports its file without network."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    list_sources_setup()
    return ListSource.objects.get(code="ndaa_889")


def _import(source, tmp_path, rows, name="list.jsonl", **kwargs):
    return list_version_import(source=source, paths=[write_list(tmp_path / name, rows)], **kwargs)


# --- (4) a queued run whose message was lost is re-sent ------------------------------------------------------


def test_refresh_now_resends_a_queued_run_once_it_is_older_than_the_resend_age(ndaa, settings):
    settings.LISTS_QUEUED_RESEND_SECONDS = 120
    with mock.patch("apps.lists.services.refresh.enqueue_on_commit") as send:
        run = list_source_refresh_request(source=ndaa, now=T0)
        assert list_source_refresh_request(source=ndaa, now=T0 + dt.timedelta(seconds=60)).pk == run.pk
        assert send.call_count == 1  # a double click: same run, not sent twice
        resent = list_source_refresh_request(source=ndaa, now=T0 + dt.timedelta(seconds=121))
        assert resent.pk == run.pk and send.call_count == 2  # no worker took it: its message is sent again
        assert send.call_args.args == (refresh_list_source.name, ndaa.pk, RunTrigger.MANUAL, run.pk)
        list_source_refresh_request(source=ndaa, now=T0 + dt.timedelta(seconds=180))
        assert send.call_count == 2  # the resend age counts from the last send
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.sent_at == T0 + dt.timedelta(seconds=121)
    assert FetchRun.objects.filter(source=ndaa).count() == 1


def test_beat_sweep_resends_lost_queued_runs_once_and_gives_up_after_the_max_age(ndaa, settings):
    settings.LISTS_QUEUED_RESEND_SECONDS = 120
    queued = {"fresh": T0 - dt.timedelta(seconds=30), "lost": T0 - dt.timedelta(minutes=10),
              "ancient": T0 - QUEUED_RUN_MAX_AGE - dt.timedelta(minutes=1)}
    runs = {name: FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED,
                                          started_at=at, sent_at=at) for name, at in queued.items()}
    FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.ACTIVE,
                            started_at=T0 - dt.timedelta(hours=1))
    with mock.patch("apps.lists.services.refresh.enqueue_on_commit") as send:
        assert fetch_runs_queued_recover(now=T0) == {"resent": [runs["lost"].pk], "given_up": [runs["ancient"].pk]}
        send.assert_called_once_with(refresh_list_source.name, ndaa.pk, RunTrigger.MANUAL, runs["lost"].pk)
        assert fetch_runs_queued_recover(now=T0 + dt.timedelta(seconds=60)) == {"resent": [], "given_up": []}
    ancient = FetchRun.objects.get(pk=runs["ancient"].pk)
    assert ancient.status == RunStatus.FAILED and "Never started" in ancient.error


def test_the_dispatcher_task_runs_the_sweep(ndaa):
    ListSource.objects.update(enabled=False)
    with mock.patch("apps.lists.tasks.fetch_runs_queued_recover", return_value={"resent": [7], "given_up": []}):
        assert refresh_list_source.app.tasks["apps.lists.tasks.refresh_due_list_sources"].apply().get() == {
            "enqueued": [], "resent": [7], "given_up": []}


def test_the_sweep_runs_every_two_minutes_on_its_own(ndaa, settings):
    from apps.common.schedules import DEFAULT_SCHEDULES

    assert ("lists: re-send lost queued refreshes", "apps.lists.tasks.recover_queued_runs", {"minute": "*/2"},
            {}) in DEFAULT_SCHEDULES
    settings.LISTS_QUEUED_RESEND_SECONDS = 120
    lost = FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED,
                                   started_at=timezone.now() - dt.timedelta(minutes=10),
                                   sent_at=timezone.now() - dt.timedelta(minutes=10))
    with mock.patch("apps.lists.services.refresh.enqueue_on_commit") as send:
        result = refresh_list_source.app.tasks["apps.lists.tasks.recover_queued_runs"].apply().get()
    assert result == {"resent": [lost.pk], "given_up": []} and send.called


def test_a_run_delivered_twice_runs_once(ndaa):
    run = FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED, started_at=T0)
    stale = FetchRun.objects.get(pk=run.pk)  # what a second delivery loaded before the first one finished
    assert list_source_refresh(source=ndaa, run=run).status == RunStatus.ACTIVE
    with pytest.raises(RunAlreadyFinished):
        list_source_refresh(source=ndaa, run=stale)  # claimed under the lease: it is finished, nothing runs
    run.refresh_from_db()
    assert run.status == RunStatus.ACTIVE and ListVersion.objects.filter(source=ndaa).count() == 1
    result = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.MANUAL, run.pk]).get()
    assert result["status"] == "skipped"


# --- (7) database errors in every phase -----------------------------------------------------------------------


@pytest.mark.parametrize(("target", "phase"), [
    ("apps.lists.services.entries._EntryWriter._write", "loading the entries"),
    ("apps.lists.services.ingest._raw_store", "storing the raw files"),
    ("apps.lists.services.ingest._diff_compute", "computing the diff"),
    ("apps.lists.services.ingest._activate", "activating the version"),
])
def test_a_database_error_in_any_phase_fails_run_and_version_deletes_entries_and_keeps_the_active_one(
        source, tmp_path, target, phase):
    first = _import(source, tmp_path, entries(10))
    with mock.patch(target, side_effect=OperationalError("server closed the connection unexpectedly")):
        result = _import(source, tmp_path, entries(11), name="v2.jsonl")
    assert result.status == RunStatus.FAILED and result.extra["retryable"] is True
    assert result.reason.startswith(f"Database error while {phase}: OperationalError: server closed")
    run = FetchRun.objects.get(pk=result.run)
    assert run.status == RunStatus.FAILED and run.error == result.reason and run.finished_at is not None
    version = ListVersion.objects.get(pk=result.version)
    assert version.status == VersionStatus.FAILED and version.status_reason == result.reason
    assert not ListEntry.objects.filter(version=version).exists()
    active = ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE)
    assert active.pk == first.version and ListEntry.objects.filter(version=active).count() == 10
    assert ListSource.objects.get(pk=source.pk).lock_until is None  # released at once
    assert _import(source, tmp_path, entries(11), name="v3.jsonl").status == RunStatus.ACTIVE  # fault gone


def test_a_real_database_error_during_copy_is_a_retryable_failure(source, tmp_path):
    """A trigger refusing the entry rows: the COPY's driver error is classified like any database error."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY and the trigger are PostgreSQL's")
    first = _import(source, tmp_path, entries(10))
    with connection.cursor() as cur:
        cur.execute("CREATE FUNCTION vr_test_refuse_rows() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'injected fault: no more rows'; END $$; "
                    "CREATE TRIGGER vr_test_refuse_rows BEFORE INSERT ON lists_listentry FOR EACH ROW "
                    "EXECUTE FUNCTION vr_test_refuse_rows();")  # rolled back with the test's transaction
    result = _import(source, tmp_path, entries(11), name="v2.jsonl")
    assert result.status == RunStatus.FAILED and result.extra["retryable"] is True
    assert "loading the entries" in result.reason and "injected fault" in result.reason
    assert ListVersion.objects.get(pk=result.version).status == VersionStatus.FAILED
    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).pk == first.version


def test_bad_data_from_the_database_is_not_retryable(source, tmp_path):
    from django.db import DataError

    with mock.patch("apps.lists.services.ingest._diff_compute", side_effect=DataError("value too long")):
        result = _import(source, tmp_path, entries(3))
    assert result.status == RunStatus.FAILED and result.extra["retryable"] is False


def test_when_the_database_is_gone_even_for_the_cleanup_the_next_run_cleans_up(source, tmp_path):
    first = _import(source, tmp_path, entries(10))
    down = OperationalError("could not connect to server")
    with mock.patch("apps.lists.services.ingest._activate", side_effect=down), \
            mock.patch("apps.lists.services.ingest._version_fail", side_effect=down), pytest.raises(OperationalError):
        _import(source, tmp_path, entries(11), name="v2.jsonl")
    left = ListVersion.objects.get(source=source, status=VersionStatus.LOADING)
    assert ListEntry.objects.filter(version=left).count() == 11  # nothing could be cleaned...
    assert ListSource.objects.get(pk=source.pk).lock_until is None
    result = _import(source, tmp_path, entries(12), name="v3.jsonl")  # ...until the next run
    assert result.status == RunStatus.ACTIVE
    left.refresh_from_db()
    assert left.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=left).exists()
    assert not FetchRun.objects.filter(source=source, status=RunStatus.RUNNING).exists()
    assert ListVersion.objects.get(pk=first.version).status == VersionStatus.SUPERSEDED


def test_a_refresh_raises_retryable_after_a_database_error_and_its_retry_resumes_the_same_run(ndaa):
    with mock.patch("apps.lists.services.ingest._activate", side_effect=OperationalError("terminating connection")), \
            pytest.raises(RunRetryable) as caught:
        list_source_refresh(source=ndaa, task_id="task-1")
    run = FetchRun.objects.get(pk=caught.value.run_id)
    assert run.status == RunStatus.FAILED and "terminating connection" in run.error
    assert not ListVersion.objects.filter(source=ndaa, status=VersionStatus.ACTIVE).exists()
    assert fetch_run_for_task(source=ndaa, run_id=None, task_id="task-1") == run  # a retry finds its run
    with pytest.raises(RunAlreadyFinished):
        list_source_refresh(source=ndaa, run=run)  # a plain duplicate delivery does not take a failed run
    result = list_source_refresh(source=ndaa, run=run, task_id="task-1", resume_failed=True)
    assert result.status == RunStatus.ACTIVE and result.run == run.pk
    assert FetchRun.objects.filter(source=ndaa).count() == 1


def test_the_task_retries_a_database_error_with_backoff_for_the_same_run(ndaa, settings):
    settings.LISTS_RETRY_BACKOFF_SECONDS = 30

    class Retried(Exception):
        pass

    with mock.patch("apps.lists.services.ingest._activate", side_effect=OperationalError("terminating connection")), \
            mock.patch.object(refresh_list_source, "retry", side_effect=Retried) as retry, pytest.raises(Retried):
        refresh_list_source.apply(args=[ndaa.pk, RunTrigger.SCHEDULE], throw=True)
    run = FetchRun.objects.get(source=ndaa)
    assert run.status == RunStatus.FAILED
    assert retry.call_args.kwargs["countdown"] == 30
    assert retry.call_args.kwargs["args"] == [ndaa.pk, RunTrigger.SCHEDULE, run.pk]
    assert retry.call_args.kwargs["kwargs"] == {"resume_failed": True}
    result = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.SCHEDULE, run.pk],
                                       kwargs={"resume_failed": True}).get()
    assert result["status"] == "active" and result["run"] == run.pk


def test_import_list_prints_json_and_exits_non_zero_on_a_database_error(source, tmp_path):
    path = write_list(tmp_path / "a.jsonl", entries(3))

    def call() -> tuple[int, dict]:
        out = io.StringIO()
        with pytest.raises(SystemExit) as exited:
            call_command("import_list", "fake", str(path), "--json", stdout=out)
        return exited.value.code, json.loads(out.getvalue())

    with mock.patch("apps.lists.services.ingest._activate", side_effect=OperationalError("connection reset")):
        code, data = call()
    assert code == 1 and data["status"] == "failed" and "connection reset" in data["reason"] and data["retryable"]
    with mock.patch("apps.lists.management.commands.import_list.list_version_import",
                    side_effect=OperationalError("could not connect to server")):
        code, data = call()
    assert code == 1 and data == {**data, "source": "fake", "status": "failed", "retryable": True}
    assert "could not connect" in data["reason"]


# --- (8) a busy source retries when its lease ends ------------------------------------------------------------


def test_busy_countdown_is_the_rest_of_the_lease_plus_a_margin_bounded_by_one_lease(settings):
    settings.LISTS_LOCK_LEASE_SECONDS = 300
    now = timezone.now()
    assert list_source_busy_countdown(until=now + dt.timedelta(seconds=40), now=now) == 42
    assert list_source_busy_countdown(until=now + dt.timedelta(seconds=0.2), now=now) == 3
    assert list_source_busy_countdown(until=now - dt.timedelta(seconds=5), now=now) == 1  # already expired
    assert list_source_busy_countdown(until=None, now=now) == 2  # released meanwhile
    assert list_source_busy_countdown(until=now + dt.timedelta(hours=12), now=now) == 302
    settings.LISTS_LOCK_LEASE_SECONDS = 0  # a lease must exist to serialise runs
    assert leases._lease_seconds() == leases.LEASE_MIN_SECONDS


def test_a_busy_task_retries_when_the_lease_ends_then_cleans_up_and_continues_the_same_run(ndaa, settings):
    settings.LISTS_LOCK_LEASE_SECONDS = 60
    now = timezone.now()
    # a worker process killed mid-import: its run, its half version, its lease
    half = ListVersion.objects.create(source=ndaa, status=VersionStatus.LOADING, fetched_at=now, sha256="d" * 64)
    ListEntry.objects.create(version=half, external_id="1", primary_name="half", content_hash="e" * 64)
    dead = FetchRun.objects.create(source=ndaa, trigger=RunTrigger.SCHEDULE, status=RunStatus.RUNNING,
                                   started_at=now, version=half, task_id="redelivered-task")
    assert list_source_lock_acquire(source_id=ndaa.pk, token="dead-process", now=now)

    class Retried(Exception):
        pass

    with mock.patch.object(refresh_list_source, "retry", side_effect=Retried) as retry, pytest.raises(Retried):
        refresh_list_source.apply(args=[ndaa.pk, RunTrigger.SCHEDULE], task_id="redelivered-task", throw=True)
    assert 55 <= retry.call_args.kwargs["countdown"] <= 62
    assert retry.call_args.kwargs["args"] == [ndaa.pk, RunTrigger.SCHEDULE, None]

    ListSource.objects.filter(pk=ndaa.pk).update(lock_until=now - dt.timedelta(seconds=1))  # the lease ends
    result = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.SCHEDULE], task_id="redelivered-task",
                                       retries=1).get()
    assert result["status"] == "active" and result["run"] == dead.pk  # the same run, not a second row
    assert FetchRun.objects.filter(source=ndaa).count() == 1
    half.refresh_from_db()
    assert half.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=half).exists()


def test_a_queued_run_waiting_for_the_lease_says_so_and_is_not_resent_meanwhile(ndaa, settings):
    settings.LISTS_QUEUED_RESEND_SECONDS = 120
    now = timezone.now()
    run = FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED,
                                  started_at=now - dt.timedelta(minutes=10), sent_at=now - dt.timedelta(minutes=10))
    assert list_source_lock_acquire(source_id=ndaa.pk, token="live", now=now)

    class Retried(Exception):
        pass

    with mock.patch.object(refresh_list_source, "retry", side_effect=Retried), pytest.raises(Retried):
        refresh_list_source.apply(args=[ndaa.pk, RunTrigger.MANUAL, run.pk], throw=True)
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.message.startswith("Waiting") and run.sent_at > now
    with mock.patch("apps.lists.services.refresh.enqueue_on_commit") as send:
        assert fetch_runs_queued_recover(now=now + dt.timedelta(seconds=60))["resent"] == []
    assert not send.called


def test_a_task_that_stays_busy_gives_up_a_manual_run_and_skips_a_scheduled_one(ndaa):
    run = FetchRun.objects.create(source=ndaa, trigger=RunTrigger.MANUAL, status=RunStatus.QUEUED, started_at=T0)
    assert list_source_lock_acquire(source_id=ndaa.pk, token="live", now=timezone.now())
    manual = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.MANUAL, run.pk], retries=5).get()
    assert manual["status"] == "failed" and "Another refresh" in manual["reason"]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "Another refresh" in run.error
    scheduled = refresh_list_source.apply(args=[ndaa.pk, RunTrigger.SCHEDULE], retries=5).get()
    assert scheduled["status"] == "skipped"  # the scheduler comes back at the next due time


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("target", "phase"), [
    ("_raw_store", "storing the raw files"),  # between statements, outside any transaction
    ("_diff_compute", "computing the diff"),  # inside the activation transaction
])
def test_a_connection_terminated_mid_import_is_recovered_for_the_cleanup(source, tmp_path, target, phase):
    """A real lost connection (the backend terminated): the clean-up reconnects, records it, releases the lease."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    first = _import(source, tmp_path, entries(10))
    real = getattr(ingest, target)

    def then_lose_the_connection(*args):
        value = real(*args)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return value

    with mock.patch(f"apps.lists.services.ingest.{target}", side_effect=then_lose_the_connection):
        result = _import(source, tmp_path, entries(11), name="v2.jsonl")
    assert result.status == RunStatus.FAILED and result.extra["retryable"] is True, result.reason
    assert phase in result.reason
    assert FetchRun.objects.get(pk=result.run).status == RunStatus.FAILED
    assert ListVersion.objects.get(pk=result.version).status == VersionStatus.FAILED
    assert not ListEntry.objects.filter(version_id=result.version).exists()
    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).pk == first.version
    assert ListSource.objects.get(pk=source.pk).lock_until is None


def test_a_parse_error_in_the_middle_of_a_streamed_copy_is_a_parse_error(source, tmp_path, monkeypatch):
    """The parser raising inside the COPY's read (PostgreSQL streams entries into COPY segments) fails the run
    as a parse error, not a retryable database error; the segments already written go with the version."""
    import apps.lists.services.entries as entries_module

    monkeypatch.setattr(entries_module, "SEGMENT_SIZE", 4)  # several segments, the error in the third
    first = _import(source, tmp_path, entries(3))
    path = tmp_path / "v2.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries(10)) + "BROKEN\n", encoding="utf-8")
    result = list_version_import(source=source, paths=[path])
    assert result.status == RunStatus.FAILED and result.reason == "Parse error: v2.jsonl: broken line"
    assert "retryable" not in result.extra
    version = ListVersion.objects.get(pk=result.version)
    assert version.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=version).exists()
    assert ListVersion.objects.get(source=source, status=VersionStatus.ACTIVE).pk == first.version
