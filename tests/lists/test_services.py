"""The ingestion engine: versions, unchanged sha, diffs, the guard, decisions, hooks, point in time, leftovers."""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import datetime as dt
import gzip
import json

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.lists.choices import RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from apps.lists.selectors import list_source_freshness, list_versions_active
from apps.lists.services import (
    list_source_lock_acquire,
    list_source_lock_release,
    list_sources_stale_alert,
    list_version_approve,
    list_version_import,
    list_version_reject,
)
from tests.factories import FetchRunFactory, ListEntryFactory, ListVersionFactory
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _import(source, tmp_path, rows, name="list.jsonl", now=T0, **kwargs):
    path = write_list(tmp_path / name, rows)
    return list_version_import(source=source, paths=[path], now=now, **kwargs)


def test_import_activates_first_version_with_entries_diff_and_run(source, tmp_path):
    result = _import(source, tmp_path, entries(20))
    assert result.status == "active"
    assert (result.entries, result.added, result.removed, result.changed) == (20, 20, 0, 0)
    version = ListVersion.objects.get(pk=result.version)
    assert version.status == VersionStatus.ACTIVE and version.activated_at == T0
    assert version.entry_count == 20 == ListEntry.objects.filter(version=version).count()
    entry = ListEntry.objects.get(version=version, external_id="3")
    assert entry.primary_name == "Company 3" and entry.aliases == ["C3"] and entry.countries == ["CN"]
    assert len(entry.content_hash) == 64
    assert version.diff.added == 20 and version.diff.previous is None
    run = FetchRun.objects.get(pk=result.run)
    assert run.status == RunStatus.ACTIVE and run.progress == 100 and run.counts["entries"] == 20
    assert run.trigger == RunTrigger.IMPORT and run.finished_at is not None
    source.refresh_from_db()
    assert source.last_success_at == T0


def test_same_bytes_as_active_is_recorded_unchanged_and_nothing_else(source, tmp_path):
    first = _import(source, tmp_path, entries(5))
    later = T0 + dt.timedelta(hours=3)
    again = _import(source, tmp_path, entries(5), name="again.jsonl", now=later)
    assert again.status == "unchanged" and again.version == first.version
    assert ListVersion.objects.filter(source=source).count() == 1
    assert ListDiff.objects.count() == 1
    assert FetchRun.objects.get(pk=again.run).status == RunStatus.UNCHANGED
    source.refresh_from_db()
    assert source.last_success_at == later  # the publisher confirmed the content: the source is fresh


def test_diff_counts_added_removed_changed_with_field_names(source, tmp_path):
    _import(source, tmp_path, entries(30))
    rows = entries(30)
    rows = [r for r in rows if r["id"] != "0"]  # removed
    rows[0]["name"] = "Renamed Company"  # id 1 changed (name)
    rows[1]["aliases"] = ["C2", "Another alias"]  # id 2 changed (aliases)
    rows.append({"id": "new", "name": "Brand New Co"})  # added
    result = _import(source, tmp_path, rows, name="v2.jsonl", now=T0 + dt.timedelta(days=1))
    assert result.status == "active"
    assert (result.added, result.removed, result.changed) == (1, 1, 2)
    diff = ListDiff.objects.get(version_id=result.version)
    assert diff.details["added"] == [{"external_id": "new", "name": "Brand New Co"}]
    assert diff.details["removed"] == [{"external_id": "0", "name": "Company 0"}]
    changed = {c["external_id"]: c["fields"] for c in diff.details["changed"]}
    assert changed == {"1": ["primary_name"], "2": ["aliases"]}
    assert diff.previous_id == ListVersion.objects.get(source=source, status=VersionStatus.SUPERSEDED).pk


def test_guard_quarantines_an_empty_parse_and_keeps_the_previous_version(source, tmp_path):
    first = _import(source, tmp_path, entries(10))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    from tests.conftest import events_recorded

    with events_recorded(events.RegistryActivity, phase=events.IN_TRANSACTION) as seen:
        result = list_version_import(source=source, paths=[empty], now=T0 + dt.timedelta(hours=1))
    assert result.status == "quarantined" and "no entries" in result.reason
    assert [(e.type, e.object_kind, e.object_id, e.organization_id) for e in seen] == [
        ("list_version.quarantined", "list_version", result.version, source.organization_id)]
    assert ListVersion.objects.get(pk=first.version).status == VersionStatus.ACTIVE
    assert ListVersion.objects.get(pk=result.version).status == VersionStatus.QUARANTINED
    assert AuditEvent.objects.filter(action="listversion.quarantine").exists()


def test_guard_quarantines_a_drop_beyond_ten_percent_but_not_within(source, tmp_path):
    first = _import(source, tmp_path, entries(100))
    ok = _import(source, tmp_path, entries(91), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    assert ok.status == "active" and ok.removed == 9
    dropped = _import(source, tmp_path, entries(80), name="v3.jsonl", now=T0 + dt.timedelta(hours=2))
    assert dropped.status == "quarantined"
    assert "fell from 91 to 80" in dropped.reason
    assert list_versions_active().get(source=source).pk == ok.version != first.version
    assert FetchRun.objects.get(pk=dropped.run).status == RunStatus.QUARANTINED


def test_guard_counts_disappeared_entries_even_when_the_total_holds(source, tmp_path):
    _import(source, tmp_path, entries(50))
    swapped = _import(source, tmp_path, entries(50, start=1000), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    assert swapped.status == "quarantined" and "disappeared" in swapped.reason


def test_source_max_drop_share_overrides_the_setting(source, tmp_path, settings):
    settings.LISTS_MAX_DROP_SHARE = 0.10
    source.max_drop_share = 0.5
    source.save()
    _import(source, tmp_path, entries(100))
    # 40 removals spread over the list (the last 40 would be a cut-off file, quarantined whatever the share)
    spread = [row for row in entries(100) if int(row["id"]) % 5 not in (1, 3)]
    result = _import(source, tmp_path, spread, name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    assert result.status == "active" and result.removed == 40


def test_approve_activates_a_quarantined_version_records_who_and_why_and_calls_hooks(
        source, tmp_path, verified_curator, django_capture_on_commit_callbacks):
    first = _import(source, tmp_path, entries(100))
    dropped = _import(source, tmp_path, entries(50), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    calls = []
    version = ListVersion.objects.get(pk=dropped.version)
    with (events.subscribed(events.ListVersionActivated, lambda e: calls.append(e.version_id)),
          django_capture_on_commit_callbacks(execute=True)):
        list_version_approve(version=version, user=verified_curator, reason="Program lifted by OFAC on 28 Feb",
                             now=T0 + dt.timedelta(hours=2))
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE and version.decided_by == verified_curator
    assert "Program lifted" in version.status_reason
    assert ListVersion.objects.get(pk=first.version).status == VersionStatus.SUPERSEDED
    assert calls == [version.pk]
    event = AuditEvent.objects.get(action="listversion.approve")
    assert event.actor == verified_curator and event.changes["reason"] == "Program lifted by OFAC on 28 Feb"


def test_reject_keeps_the_previous_version_and_the_same_bytes_are_not_stored_again(source, tmp_path, verified_curator):
    first = _import(source, tmp_path, entries(100))
    dropped = _import(source, tmp_path, entries(10), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    with pytest.raises(ApplicationError):
        list_version_reject(version=ListVersion.objects.get(pk=dropped.version), user=verified_curator, reason=" ")
    list_version_reject(version=ListVersion.objects.get(pk=dropped.version), user=verified_curator, reason="Bad feed")
    assert ListVersion.objects.get(pk=dropped.version).status == VersionStatus.REJECTED
    assert ListVersion.objects.get(pk=first.version).status == VersionStatus.ACTIVE
    again = _import(source, tmp_path, entries(10), name="v3.jsonl", now=T0 + dt.timedelta(hours=2))
    assert again.status == "unchanged" and again.version == dropped.version
    assert ListVersion.objects.filter(source=source).count() == 2
    with pytest.raises(ApplicationError):
        list_version_approve(version=ListVersion.objects.get(pk=dropped.version), user=verified_curator, reason="x")
    assert AuditEvent.objects.filter(action="listversion.reject", actor=verified_curator).exists()


def test_approve_refuses_when_a_newer_version_became_active(source, tmp_path, verified_curator):
    _import(source, tmp_path, entries(100))
    dropped = _import(source, tmp_path, entries(10), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    newer = _import(source, tmp_path, entries(101), name="v3.jsonl", now=T0 + dt.timedelta(hours=2))
    assert newer.status == "active"
    with pytest.raises(ApplicationError, match="roll the list back"):
        list_version_approve(version=ListVersion.objects.get(pk=dropped.version), user=verified_curator, reason="ok")
    assert list_versions_active().get(source=source).pk == newer.version


def test_one_active_version_per_source_is_enforced_by_the_database(source):
    ListVersionFactory(source=source, status=VersionStatus.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ListVersionFactory(source=source, status=VersionStatus.ACTIVE)
    ListVersionFactory(source=source, status=VersionStatus.SUPERSEDED)
    assert ListVersion.objects.filter(source=source).count() == 2


def test_activation_hooks_run_on_commit_with_the_new_version_id(source, tmp_path, django_capture_on_commit_callbacks):
    calls = []

    def broken(event):
        raise RuntimeError("a subscriber failing must not stop the others")

    with (events.subscribed(events.ListVersionActivated, broken),
          events.subscribed(events.ListVersionActivated, lambda e: calls.append(e.version_id))):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = _import(source, tmp_path, entries(3))
        assert calls == []  # nothing before commit
        for callback in callbacks:
            callback()
        assert calls == [result.version]
        with django_capture_on_commit_callbacks(execute=True):
            _import(source, tmp_path, entries(3), name="same.jsonl")  # unchanged: no activation, no call
        assert calls == [result.version]


def test_list_versions_active_answers_for_a_point_in_time(source, tmp_path):
    v1 = _import(source, tmp_path, entries(10), now=T0)
    v2 = _import(source, tmp_path, entries(11), name="v2.jsonl", now=T0 + dt.timedelta(days=10))
    assert not list_versions_active(T0 - dt.timedelta(seconds=1)).filter(source=source).exists()
    assert list_versions_active(T0).get(source=source).pk == v1.version
    assert list_versions_active(T0 + dt.timedelta(days=5)).get(source=source).pk == v1.version
    assert list_versions_active(T0 + dt.timedelta(days=10)).get(source=source).pk == v2.version
    assert list_versions_active().get(source=source).pk == v2.version


def test_parse_error_fails_the_run_with_a_reason_and_changes_nothing(source, tmp_path):
    first = _import(source, tmp_path, entries(10))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "name": "X"}) + "\nBROKEN\n")
    result = list_version_import(source=source, paths=[bad], now=T0 + dt.timedelta(hours=1))
    assert result.status == "failed" and "broken line" in result.reason
    failed = ListVersion.objects.get(pk=result.version)
    assert failed.status == VersionStatus.FAILED and not ListEntry.objects.filter(version=failed).exists()
    assert list_versions_active().get(source=source).pk == first.version
    assert FetchRun.objects.get(pk=result.run).error


def test_unknown_format_and_missing_file_fail_cleanly(source, tmp_path):
    result = list_version_import(source=source, paths=[tmp_path / "nope.jsonl"], now=T0)
    assert result.status == "failed" and "No such file" in result.reason
    path = write_list(tmp_path / "a.jsonl", entries(2))
    result = list_version_import(source=source, paths=[path], fmt="no_such_format", now=T0)
    assert result.status == "failed" and "Unknown list format" in result.reason
    assert not ListVersion.objects.filter(source=source).exists()


def test_duplicate_external_ids_keep_the_first_and_are_counted(source, tmp_path):
    rows = entries(3) + [{"id": "1", "name": "Duplicate of 1"}]
    result = _import(source, tmp_path, rows)
    assert result.status == "active" and result.entries == 3
    assert result.extra["duplicates"] == 1
    assert ListEntry.objects.get(version_id=result.version, external_id="1").primary_name == "Company 1"


def test_delta_builds_a_full_version_from_the_active_one_plus_operations(source, tmp_path):
    base = _import(source, tmp_path, entries(20))
    ops = [{"op": "DEL", "id": "0"}, {"op": "MOD", "id": "1", "name": "Changed 1"},
           {"op": "ADD", "id": "99", "name": "Added 99"}]
    delta = write_list(tmp_path / "entities.delta.json", ops)
    result = list_version_import(source=source, paths=[delta], now=T0 + dt.timedelta(hours=1))
    assert result.status == "active" and result.extra["delta"] is True
    assert (result.entries, result.added, result.removed, result.changed) == (20, 1, 1, 1)
    names = dict(ListEntry.objects.filter(version_id=result.version).values_list("external_id", "primary_name"))
    assert "0" not in names and names["1"] == "Changed 1" and names["99"] == "Added 99" and names["5"] == "Company 5"
    assert ListEntry.objects.filter(version_id=base.version).count() == 20  # the old version is untouched


def test_delta_without_an_active_version_fails(source, tmp_path):
    delta = write_list(tmp_path / "entities.delta.json", [{"op": "ADD", "id": "1", "name": "A"}])
    result = list_version_import(source=source, paths=[delta], now=T0)
    assert result.status == "failed" and "previous active version" in result.reason


def test_raw_files_are_stored_gzip_compressed(source, tmp_path):
    rows = entries(4)
    result = _import(source, tmp_path, rows)
    version = ListVersion.objects.get(pk=result.version)
    assert version.raw_file.name.endswith(".gz") and version.raw_filenames == ["list.jsonl"]
    with version.raw_file.open("rb") as fh:
        assert gzip.decompress(fh.read()) == (tmp_path / "list.jsonl").read_bytes()


def test_the_lease_is_exclusive_across_holders_and_expires(source):
    assert list_source_lock_acquire(source_id=source.pk, token="a", now=T0)
    assert not list_source_lock_acquire(source_id=source.pk, token="b", now=T0 + dt.timedelta(seconds=10))
    assert list_source_lock_acquire(source_id=source.pk, token="a", now=T0 + dt.timedelta(seconds=10))  # renew
    assert list_source_lock_acquire(source_id=source.pk, token="b", now=T0 + dt.timedelta(hours=1))  # expired
    list_source_lock_release(source_id=source.pk, token="a")  # not the holder: no effect
    assert ListSource.objects.get(pk=source.pk).lock_token == "b"
    list_source_lock_release(source_id=source.pk, token="b")
    assert ListSource.objects.get(pk=source.pk).lock_until is None


def test_import_while_another_process_holds_the_lease_fails_with_a_reason(source, tmp_path):
    assert list_source_lock_acquire(source_id=source.pk, token="other", now=timezone.now())
    path = write_list(tmp_path / "a.jsonl", entries(3))
    result = list_version_import(source=source, paths=[path])
    assert result.status == "failed" and "Another refresh" in result.reason
    assert not ListVersion.objects.filter(source=source).exists()


def test_a_killed_worker_leaves_the_previous_version_active_and_the_next_run_completes(source, tmp_path):
    first = _import(source, tmp_path, entries(10))
    # What a worker killed mid-parse leaves behind: a LOADING version with part of its entries, a RUNNING run,
    # and its lease (which expires).
    half = ListVersionFactory(source=source, status=VersionStatus.LOADING, fetched_at=T0)
    ListEntryFactory(version=half, external_id="1", primary_name="half")
    dead_run = FetchRunFactory(source=source, trigger=RunTrigger.SCHEDULE, status=RunStatus.RUNNING, started_at=T0,
                               version=half)
    list_source_lock_acquire(source_id=source.pk, token="dead-worker", now=T0)
    assert list_versions_active().get(source=source).pk == first.version  # readers still see the old one

    result = _import(source, tmp_path, entries(11), name="v2.jsonl", now=T0 + dt.timedelta(hours=1))
    assert result.status == "active"
    half.refresh_from_db()
    assert half.status == VersionStatus.FAILED and "Interrupted" in half.status_reason
    assert not ListEntry.objects.filter(version=half).exists()
    dead_run.refresh_from_db()
    assert dead_run.status == RunStatus.FAILED and "Interrupted" in dead_run.error


def test_stale_sources_alert_once_by_mail_and_audit_and_reset_when_fresh(source, tmp_path, admin_user, officer):
    admin_user.email = "admin@example.org"
    admin_user.save()
    officer.email = "officer@example.org"
    officer.save()
    _import(source, tmp_path, entries(3), now=T0)
    assert list_source_freshness(source, now=T0 + dt.timedelta(hours=47)) == "fresh"
    late = T0 + dt.timedelta(hours=49)
    assert list_source_freshness(ListSource.objects.get(pk=source.pk), now=late) == "stale"
    from tests.conftest import events_recorded

    with events_recorded(events.RegistryActivity, phase=events.IN_TRANSACTION) as seen:
        assert list_sources_stale_alert(now=late)["alerted"] == ["fake"]
        assert list_sources_stale_alert(now=late + dt.timedelta(hours=1))["alerted"] == []  # once
    assert [(e.type, e.object_kind, e.object_id) for e in seen] == [("list_version.stale", "list_source", source.pk)]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin@example.org"]
    assert "fake" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="listsource.stale").count() == 1
    assert ListSource.objects.get(pk=source.pk).stale_alerted_at == late
    _import(source, tmp_path, entries(3), name="same.jsonl", now=late + dt.timedelta(hours=2))  # good fetch
    assert ListSource.objects.get(pk=source.pk).stale_alerted_at is None


def test_freshness_is_never_before_the_first_good_fetch(source):
    assert list_source_freshness(source, now=T0) == "never"


def test_content_hash_is_the_sha256_of_the_canonical_json_of_every_field():
    import dataclasses
    import hashlib
    import json

    from apps.lists.sources.base import ParsedEntry

    def reference(entry):  # the contract, written the slow obvious way
        data = dataclasses.asdict(entry)
        data["listed_on"] = entry.listed_on.isoformat() if entry.listed_on else None
        data["end_date"] = entry.end_date.isoformat() if entry.end_date else None
        if entry.scope_categories is None:  # absent where a list states no per-entry scope (hashes kept)
            del data["scope_categories"]
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    entries_ = [
        ParsedEntry(external_id="1", primary_name="Acme"),
        ParsedEntry(external_id="2", primary_name="Zhenhua", aliases=["ZPMC", "振华"], countries=["CN"],
                    identifiers=[{"scheme": "lei", "value": "X"}], listed_on=dt.date(2021, 6, 3),
                    end_date=dt.date(2026, 2, 17), extra={"updated": ["2026-01-07"], "ns_cmic": True}),
        ParsedEntry(external_id="3", primary_name="Hikvision", scope="Video surveillance equipment",
                    scope_categories=["camera", "nvr_vms"]),
    ]
    for entry in entries_:
        assert entry.content_hash() == reference(entry)


def test_an_organisation_admin_cannot_decide_a_public_list(source, tmp_path, admin_user, curator):
    """The first attack of the tenancy review: an admin of one organisation approved a shrunk public list for
    everyone. Now only a curator with a verified second factor decides public lists; nothing changes."""
    list_version_import(source=source, paths=[write_list(tmp_path / "a.jsonl", entries(100))])
    dropped = list_version_import(source=source, paths=[write_list(tmp_path / "b.jsonl", entries(10))])
    version = ListVersion.objects.get(pk=dropped.version)
    for user in (admin_user, curator):  # a curator without the second factor is refused as well
        with pytest.raises(ApplicationError) as refused:
            list_version_approve(version=version, user=user, reason="Looks right")
        assert refused.value.code == "forbidden"
    version.refresh_from_db()
    assert version.status == VersionStatus.QUARANTINED
    assert not AuditEvent.objects.filter(action="listversion.approve").exists()
