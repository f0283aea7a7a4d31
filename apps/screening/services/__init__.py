"""Screening writes: runs (full, per vendor, per list version), review decisions, pre-purchase checks.

One module per responsibility; import from here (`apps.screening.services`), which re-exports what callers
use. To replace a name in a test, patch it in the module that looks it up (e.g. `services.runs`), not here.

- base: batching, the advisory lock, the auto-confirm setting, the ScreeningChanged event;
- index: vendor profiles and the candidate index over the active list versions (cached per process);
- match: phase 1, matches upserted and closed, review decisions re-applied;
- derive: phases 2 and 3, findings through ownership and OEM relations, vendor statuses;
- equipment: phase 4, equipment risk status in bulk, and for a few units at once;
- runs: full / vendor / list-version / one organisation's view runs and their one bookkeeping (screening_run_recorded);
- review: review decisions;
- declarations: declared risk on units (UnitDeclaration), opened and closed by apps.outreach;
- checks: pre-purchase checks (screen_name) kept as evidence.

Vendor and equipment risk fields are derived data, outside simple-history on purpose: their history is the
findings (discovered_at/closed_at) and the runs (which list versions, with sha256, were used).
"""
from .base import CHUNK, _chunks, _lock, _screening_changed
from .checks import pre_purchase_check_save, screen_name
from .declarations import unit_declarations_close, unit_declarations_open
from .derive import FINDING_FIELDS, _derive_phase, _policies
from .equipment import equipment_ids_for_vendors, equipment_risk_refresh, equipment_risk_refresh_units
from .index import (
    _SNAPSHOT_CACHE,
    EntryMeta,
    ListSnapshot,
    VendorProfile,
    list_snapshot,
    snapshot_cache_clear,
    vendor_identity_hash,
    vendor_profiles,
    versions_describe,
)
from .match import MATCH_UPDATE_FIELDS, _match_phase
from .review import review_decide
from .runs import (
    RunRecorder,
    screening_demo_run,
    screening_run_failed,
    screening_run_full,
    screening_run_full_finish,
    screening_run_full_in_workers,
    screening_run_full_range,
    screening_run_list_version,
    screening_run_recorded,
    screening_run_vendors,
    screening_run_view,
)

__all__ = [
    "CHUNK",
    "FINDING_FIELDS",
    "MATCH_UPDATE_FIELDS",
    "_SNAPSHOT_CACHE",
    "EntryMeta",
    "ListSnapshot",
    "RunRecorder",
    "VendorProfile",
    "_chunks",
    "_derive_phase",
    "_lock",
    "_match_phase",
    "_policies",
    "_screening_changed",
    "equipment_ids_for_vendors",
    "equipment_risk_refresh",
    "equipment_risk_refresh_units",
    "list_snapshot",
    "pre_purchase_check_save",
    "review_decide",
    "screen_name",
    "screening_demo_run",
    "screening_run_failed",
    "screening_run_full",
    "screening_run_full_finish",
    "screening_run_full_in_workers",
    "screening_run_full_range",
    "screening_run_list_version",
    "screening_run_recorded",
    "screening_run_vendors",
    "screening_run_view",
    "snapshot_cache_clear",
    "unit_declarations_close",
    "unit_declarations_open",
    "vendor_identity_hash",
    "vendor_profiles",
    "versions_describe",
]
