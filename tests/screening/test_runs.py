"""Run bookkeeping (apps.screening.services.runs.screening_run_recorded): every run leaves one row saying what
it used, what it did and how long each phase took, or why it failed, with its writes rolled back."""
import pytest

from apps.screening.models import Match, ScreeningRun
from apps.screening.services import runs as screening_runs
from apps.screening.services import screening_run_full, screening_run_vendors
from apps.vendors.services import vendor_create
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


def test_full_run_records_versions_counts_and_phase_timings(sdn):
    version = make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor_create(name="Zorblax Holdings")
    run = screening_run_full()
    run.refresh_from_db()
    assert run.status == "succeeded" and run.error == "" and run.finished_at >= run.started_at
    assert [v["version_id"] for v in run.list_versions] == [version.pk]
    assert (run.entry_count, run.vendor_count) == (1, 1)
    assert run.counts["matches_new"] == 1 and run.counts["vendors_changed"] == 1
    assert {"index", "profiles", "search", "match", "propagate", "equipment"} <= set(run.timings)


@pytest.mark.parametrize("run_screening", [
    lambda vendor: screening_run_full(),
    lambda vendor: screening_run_vendors(vendor_ids=[vendor.pk]),
], ids=["full", "vendors"])
def test_a_failing_phase_rolls_back_the_writes_and_records_the_error(sdn, monkeypatch, run_screening):
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    vendor = vendor_create(name="Zorblax Holdings")

    def boom():
        raise RuntimeError("equipment phase down")

    # Patched where the runs look it up (the package's re-export is another binding).
    monkeypatch.setattr(screening_runs, "equipment_risk_refresh", boom)
    with pytest.raises(RuntimeError, match="equipment phase down"):
        run_screening(vendor)
    run = ScreeningRun.objects.get()
    assert run.status == "failed" and run.error == "RuntimeError: equipment phase down"
    assert run.finished_at is not None and "match" in run.timings
    assert not Match.objects.exists()  # the matches written before the failure were rolled back
    vendor.refresh_from_db()
    assert vendor.risk_status == "clear"
