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

    def boom(**kwargs):
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


def test_a_run_announces_its_opened_and_closed_findings_in_one_event_each(sdn):
    from apps.common import events
    from apps.screening.models import Finding
    from tests.conftest import events_recorded

    make_version(sdn, [listed_entry("Zorblax Holdings", "1"), listed_entry("Quuxcorp Trading", "2")])
    vendor_create(name="Zorblax Holdings")
    vendor_create(name="Quuxcorp Trading")
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        screening_run_full()
    found = sorted(Finding.objects.filter(closed_at__isnull=True).values_list("pk", flat=True))
    assert len(found) >= 2
    opened = [a for b in seen for a in b.items if a.type == "finding.opened"]
    assert [(a.organization_id, a.object_kind, sorted(a.object_ids)) for a in opened] == [(None, "finding", found)]
    make_version(sdn, [listed_entry("Someone Else Ltd", "3")])
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        screening_run_full()
    closed = [a for b in seen for a in b.items if a.type == "finding.closed"]
    assert [sorted(a.object_ids) for a in closed] == [found]
