"""Writes for restricted-party lists: the one ingestion engine and everything around it.

Every entry point (the beat task, "refresh now", `import_list` for air-gapped sites, the demo loader) calls
`list_version_import()` (files already on disk) or `list_source_refresh()` (download, then import):

1. sha256 of the raw bytes; equal to the active version -> the run is recorded `unchanged`, nothing else.
2. A LOADING version is created; the parser streams entries, which are inserted in batches (PostgreSQL
   COPY, bulk_create elsewhere). Batches commit one by one so that memory and transactions stay bounded and
   the run's progress is visible to other processes; readers never see LOADING versions (selectors read
   ACTIVE ones only).
3. The raw files are stored gzip-compressed as evidence; the diff against the active version is computed
   in SQL (external_id + content_hash).
4. The guard: an empty parse, or a drop beyond the allowed share, quarantines the version and the previous
   one stays active. Otherwise one transaction supersedes the previous version and activates the new one;
   activation hooks run on commit with the new version's id.

A worker killed during step 2 leaves a LOADING version and a RUNNING run behind; the next refresh of the
source (which holds the source's lease) marks them FAILED and deletes the partial entries.

A database error in any step (entry load, diff, guard, activation) fails the run and the version with the
reason, deletes the version's entries and releases the lease at once; the active version is untouched
(activation is one transaction). The failure is marked retryable (`RunRetryable` out of a refresh) so the task
retries the same run with backoff. If the database is gone even for that clean-up, the next run's
`list_source_leftovers_clean` does it.

A queued "refresh now" whose message was lost (broker restarted empty) is re-sent after
LISTS_QUEUED_RESEND_SECONDS, by the next click or by the beat sweep; a run is claimed under the source's lease,
so a message delivered twice runs it once.

Where each part lives (callers import from `apps.lists.services`; patch a name in the submodule that uses it):

- `setup`: default sources, an organisation's in-house list, the offline demo load.
- `ingest`: `list_version_import()`, the engine; database errors in any phase.
- `entries`: loading entries (COPY / executemany, deltas) and storing the raw files.
- `diff`: the diff against the active version, in SQL.
- `guard`: the drop guard and the loss-shape checks that quarantine a version.
- `versions`: activate, fail, mark the source fresh (shared by the engine and the decisions).
- `failures`: a failed refresh or import in words (what happened, the version still in use, what to do).
- `upload`: a list file uploaded in the browser, through `list_version_import()` like `import_list`.
- `decisions`: approve or reject a quarantined version.
- `leases`: the per-source lease and the clean-up of what a dead holder left.
- `runs`: fetch-run bookkeeping (progress, finish, claim, wait, give up).
- `refresh`: download-then-import, "refresh now", re-sending lost queued runs, due dispatch.
- `alerts`: stale-list alerts and mails.
- `results`: `ImportResult` and the refusals (`SourceBusy`, `RunAlreadyFinished`, `RunRetryable`).
"""
from __future__ import annotations

from .alerts import list_sources_stale_alert
from .decisions import list_version_approve, list_version_reject
from .diff import DIFF_FIELDS, _diff_compute
from .entries import BATCH_SIZE, _EntryWriter, _raw_store
from .failures import FailureExplanation, fetch_run_failure_explain, list_version_in_use_text
from .ingest import files_sha256, list_version_import
from .leases import (
    BUSY_RETRY_MARGIN_SECONDS,
    LEASE_MIN_SECONDS,
    _lease_renew,
    _lease_seconds,
    list_source_busy_countdown,
    list_source_leftovers_clean,
    list_source_lock_acquire,
    list_source_lock_release,
)
from .refresh import (
    REFRESH_TASK,
    fetch_run_resend,
    fetch_runs_queued_recover,
    list_source_refresh,
    list_source_refresh_request,
    list_sources_refresh_due,
)
from .results import ImportResult, RunAlreadyFinished, RunRetryable, SourceBusy
from .runs import (
    QUEUED_RUN_MAX_AGE,
    fetch_run_claimable_statuses,
    fetch_run_for_task,
    fetch_run_give_up,
    fetch_run_wait,
)
from .setup import DAY_HOURS, list_source_custom_create, list_sources_setup, lists_demo_load
from .upload import UploadOutcome, list_version_upload
from .versions import _activate, _version_fail

__all__ = [
    # results
    "ImportResult", "RunAlreadyFinished", "RunRetryable", "SourceBusy",
    # setup
    "DAY_HOURS", "list_source_custom_create", "list_sources_setup", "lists_demo_load",
    # ingest, entries, diff
    "BATCH_SIZE", "DIFF_FIELDS", "files_sha256", "list_version_import",
    # failures explained, uploads
    "FailureExplanation", "UploadOutcome", "fetch_run_failure_explain", "list_version_in_use_text",
    "list_version_upload",
    # decisions
    "list_version_approve", "list_version_reject",
    # leases
    "BUSY_RETRY_MARGIN_SECONDS", "LEASE_MIN_SECONDS", "list_source_busy_countdown", "list_source_leftovers_clean",
    "list_source_lock_acquire", "list_source_lock_release",
    # runs and refresh
    "QUEUED_RUN_MAX_AGE", "REFRESH_TASK", "fetch_run_claimable_statuses", "fetch_run_for_task", "fetch_run_give_up",
    "fetch_run_resend", "fetch_run_wait", "fetch_runs_queued_recover", "list_source_refresh",
    "list_source_refresh_request", "list_sources_refresh_due",
    # alerts
    "list_sources_stale_alert",
    # private names the tests read (patch them in the submodule that uses them, not here)
    "_EntryWriter", "_activate", "_diff_compute", "_lease_renew", "_lease_seconds", "_raw_store", "_version_fail",
]
