"""The dashboard (#18 item 2): the list coverage panel (one state per list in the organisation's view, with what
to do), the alert cards (quarantined versions, waivers awaiting a decision, imports needing attention, overdue
plans) or a calm line when none, counts in units everywhere (records in a tooltip), the burn-down from the first
plan, and a constant number of queries."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import ImportJob
from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.models import ListSource
from apps.lists.selectors import list_coverage_states
from tests.factories import EquipmentFactory, ImportJobFactory, RemediationPlanFactory, WaiverFactory
from tests.factories.lists import FetchRunFactory, ListSourceFactory, ListVersionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def sources(org, other_org):
    """One list per coverage state, an in-house list of the organisation and a private list of another one."""
    ListSource.objects.all().delete()  # the seeded defaults: this test names its own
    day = dt.timedelta(days=1)
    current = ListSourceFactory(code="current", name="Current list", url="https://example.org/c.csv",
                                last_success_at=NOW - dt.timedelta(hours=1))
    ListVersionFactory(source=current, active=True, fetched_at=NOW - day)
    stale = ListSourceFactory(code="stale", name="Stale list", url="https://example.org/s.csv",
                              freshness_limit_hours=24, last_success_at=NOW - 5 * day)
    ListVersionFactory(source=stale, active=True, fetched_at=NOW - 5 * day)
    ListSourceFactory(code="missing-url", name="Never fetched list", url="https://example.org/m.csv")
    ListSourceFactory(code="missing-offline", name="Offline list", url="", required=False)
    failed = ListSourceFactory(code="failed", name="Failing list", url="https://example.org/f.csv")
    FetchRunFactory(source=failed, status=RunStatus.FAILED, error="HTTP 503 from the publisher\nmore",
                    started_at=NOW - day)
    quarantined = ListSourceFactory(code="quarantined", name="Quarantined list", url="https://example.org/q.csv",
                                    last_success_at=NOW - dt.timedelta(hours=2))
    ListVersionFactory(source=quarantined, active=True, fetched_at=NOW - 2 * day)
    waiting = ListVersionFactory(source=quarantined, status=VersionStatus.QUARANTINED, fetched_at=NOW)
    own = ListSourceFactory(code="own", name="Our in-house list", regime="custom", organization=org,
                            freshness_limit_hours=0)
    ListVersionFactory(source=own, active=True, fetched_at=NOW - 30 * day)
    theirs = ListSourceFactory(code="theirs", name="Their secret list", regime="custom", organization=other_org)
    ListVersionFactory(source=theirs, status=VersionStatus.QUARANTINED, fetched_at=NOW)
    return {"quarantined_version": waiting, "theirs": theirs}


def test_coverage_gives_each_list_in_the_organisations_view_a_state_and_what_to_do(org, sources):
    rows = {r["code"]: r for r in list_coverage_states(organization_id=org.pk, now=NOW)}
    assert {c: r["state"] for c, r in rows.items()} == {
        "current": "current", "stale": "stale", "missing-url": "missing", "missing-offline": "missing",
        "failed": "failed", "quarantined": "quarantined", "own": "loaded"}
    assert "theirs" not in rows  # another organisation's private list never shows
    assert rows["current"]["todo"] == ""
    assert "Refresh now" in rows["stale"]["todo"] and "cannot say clear" in rows["stale"]["todo"]
    assert "Refresh now" in rows["missing-url"]["todo"] and "import_list missing-url" in rows["missing-url"]["todo"]
    assert "manage.py import_list missing-offline FILE" in rows["missing-offline"]["todo"]
    assert "cannot say clear" not in rows["missing-offline"]["todo"]  # not required
    assert rows["failed"]["error"] == "HTTP 503 from the publisher"
    assert "curator" in rows["quarantined"]["todo"]
    assert "cannot say clear" not in rows["quarantined"]["todo"]  # the active version is fresh: checks go on
    assert "cannot say clear" in rows["failed"]["todo"]  # required and never loaded
    assert rows["quarantined"]["quarantined_id"] == sources["quarantined_version"].pk
    assert "never marked stale" in rows["own"]["todo"] and rows["own"]["in_house"]
    assert rows["stale"]["age"] >= dt.timedelta(days=5) and rows["current"]["activated_at"] is not None
    order = [r["state"] for r in list_coverage_states(organization_id=org.pk, now=NOW)]
    assert order[0] == "quarantined" and order[-1] == "loaded"  # worst first


def test_coverage_panel_and_quarantine_card_on_the_page(client_for, officer, sources):
    body = client_for(officer).get(reverse("web:dashboard")).content.decode()
    for name in ("Current list", "Stale list", "Never fetched list", "Offline list", "Failing list",
                 "Quarantined list", "Our in-house list"):
        assert name in body
    assert "Their secret list" not in body
    assert reverse("web:list-version", args=[sources["quarantined_version"].pk]) in body
    assert reverse("web:list-version", args=[sources["theirs"].versions.get().pk]) not in body
    assert "List versions in quarantine" in body
    assert "7 lists, 1 quarantined, 1 failed, 2 missing, 1 stale, 1 current, 1 loaded" in body


def test_no_alert_shows_the_calm_line(client_for, officer, site):
    ListSource.objects.all().delete()
    body = client_for(officer).get(reverse("web:dashboard")).content.decode()
    assert "Nothing needs you right now" in body
    assert 'class="alert-card' not in body


@pytest.fixture
def overdue_plan(site):
    unit = EquipmentFactory(site=site, asset_tag="LATE-1")
    return RemediationPlanFactory(equipment=unit, deadline=timezone.localdate() - dt.timedelta(days=3),
                                  opened_at=NOW - dt.timedelta(days=40))


def test_waiver_card_for_a_decider_and_for_the_requester(client_for, admin_user, officer, overdue_plan):
    WaiverFactory(plan=overdue_plan, requested_by=officer)
    admin_page = client_for(admin_user).get(reverse("web:dashboard")).content.decode()
    assert "Waivers awaiting a decision" in admin_page and "1 waiting for your decision" in admin_page
    assert reverse("web:plan-detail", args=[overdue_plan.pk]) + "#waivers" in admin_page
    officer_page = client_for(officer).get(reverse("web:dashboard")).content.decode()
    assert "Waivers awaiting a decision" in officer_page
    assert "your own requests wait for another administrator" in officer_page
    assert "waiting for your decision" not in officer_page


def test_overdue_card_links_to_the_filtered_board_and_equipment(client_for, auditor, overdue_plan):
    body = client_for(auditor).get(reverse("web:dashboard")).content.decode()
    assert "Overdue remediation plans" in body
    assert reverse("web:remediation-board") + "?overdue=true" in body
    assert reverse("web:equipment-list") + "?overdue=true" in body
    assert "Nothing needs you" not in body


def test_import_card_for_members_who_may_import(client_for, officer, auditor, org, other_org):
    checked = ImportJobFactory(organization=org, status=ImportJob.Status.VALID, filename="cameras.csv")
    ImportJobFactory(organization=org, status=ImportJob.Status.FAILED, filename="broken.csv")
    ImportJobFactory(organization=org, status=ImportJob.Status.VALID, path="", filename="purged.csv")
    ImportJobFactory(organization=org, status=ImportJob.Status.COMMITTED, filename="done.csv")
    ImportJobFactory(organization=other_org, status=ImportJob.Status.VALID, filename="theirs.csv")
    old = ImportJobFactory(organization=org, status=ImportJob.Status.INVALID, filename="old.csv")
    ImportJob.objects.filter(pk=old.pk).update(created_at=NOW - dt.timedelta(days=30))
    body = client_for(officer).get(reverse("web:dashboard")).content.decode()
    assert "Imports needing attention" in body
    assert reverse("web:import-preview", args=[checked.token]) in body
    assert "cameras.csv (checked, not imported yet" in body and "broken.csv (failed" in body
    for hidden in ("purged.csv", "done.csv", "theirs.csv", "old.csv"):
        assert hidden not in body
    assert "Imports needing attention" not in client_for(auditor).get(reverse("web:dashboard")).content.decode()


def test_tiles_and_sites_page_count_units_with_records_in_a_tooltip(client_for, officer, site):
    EquipmentFactory(site=site, quantity=12, risk_status="prohibited")
    EquipmentFactory(site=site, quantity=1, risk_status="clear")
    c = client_for(officer)
    dashboard = c.get(reverse("web:dashboard")).content.decode()
    assert 'title="12 units in 1 equipment record"><span class="n">12</span>Prohibited' in dashboard
    sites = c.get(reverse("web:site-list")).content.decode()
    assert 'title="13 units in 2 equipment records">13<' in sites
    assert '<span class="badge prohibited">12</span><span class="sr-only"> units in 1 equipment record</span>' in sites
    detail = c.get(reverse("web:site-detail", args=[site.pk])).content.decode()
    assert "Installed units" in detail and "(in 2 records)" in detail
    export = c.get(reverse("web:site-export"), {"format": "csv"})
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].endswith("units,equipment_records,prohibited_units,restricted_units,potential_match_units")
    assert lines[1].endswith(",13,2,12,0,0")
    as_of = c.get(reverse("web:as-of-report")).content.decode()
    assert '<div class="stat prohibited" title="in 1 equipment record"><span class="n">12</span>' in as_of
    from tests.api.conftest import token_client

    summary = token_client(officer).get("/api/v1/summary/").json()["equipment"]
    assert (summary["units"], summary["units_by_status"]["prohibited"]) == (13, 12)
    assert (summary["equipment"], summary["by_status"]["prohibited"]) == (2, 1)  # records, as before


def test_burndown_starts_on_the_day_of_the_first_plan(org, overdue_plan):
    from apps.web.selectors import burndown_chart

    today = timezone.localdate()
    chart, start = burndown_chart(organization_id=org.pk, today=today, with_start=True)
    assert start == timezone.localtime(overdue_plan.opened_at).date()
    svg = str(chart)
    assert f"<title>{start.isoformat()}: 1</title>" in svg  # the line starts with the plan open, not at 0
    assert ": 0</title>" not in svg
    assert "per week since the first plan" in svg  # 40 days: weekly points


def test_burndown_periods_include_the_start_day():
    from apps.remediation.selectors import burndown_periods

    d = dt.date(2026, 3, 4)
    assert burndown_periods(d, d, "day", include_start=True) == [d]
    assert burndown_periods(d, d + dt.timedelta(days=2), "day", include_start=True) == [
        d, d + dt.timedelta(days=1), d + dt.timedelta(days=2)]
    assert burndown_periods(dt.date(2026, 3, 1), dt.date(2026, 3, 10), "week", include_start=True) == [
        dt.date(2026, 3, 1), dt.date(2026, 3, 8), dt.date(2026, 3, 10)]  # a Sunday start is not repeated


def _dashboard_queries(client) -> list[str]:
    from django.core.cache import cache

    cache.clear()  # the computed page, not the per-organisation caches' hits (apps/web/caches.py)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("web:dashboard")).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_dashboard_query_count_is_constant(client_for, admin_user, officer, org, site, sources):
    c = client_for(admin_user)

    def grow(n: int) -> None:
        for i in range(n):
            unit = EquipmentFactory(site=site, quantity=2, risk_status="prohibited")
            plan = RemediationPlanFactory(equipment=unit, deadline=timezone.localdate() - dt.timedelta(days=i + 1))
            WaiverFactory(plan=plan, requested_by=officer)
            ImportJobFactory(organization=org, status=ImportJob.Status.VALID)
            source = ListSourceFactory(url="https://example.org/x.csv")
            ListVersionFactory(source=source, status=VersionStatus.QUARANTINED)
            FetchRunFactory(source=source, status=RunStatus.FAILED)

    grow(1)
    few = _dashboard_queries(c)
    grow(8)
    assert len(few) <= 25  # 22 in December 2026: session, memberships, menus, then the dashboard's own reads
    many = _dashboard_queries(c)
    assert len(many) == len(few), "\n\n".join(q for q in many if q not in few)


def test_bar_labels_are_escaped_html_text_never_cut():
    from apps.web.svg import stacked_bars_html

    long = "Middle Harbor Container Terminal, North Gate and Rail Yard <b>"
    html = str(stacked_bars_html([(long, {"prohibited": 12, "restricted": 3})], title="Flagged units by site"))
    escaped = "Middle Harbor Container Terminal, North Gate and Rail Yard &lt;b&gt;"
    assert f'<span class="hbar-label">{escaped}</span>' in html
    assert f'aria-label="{escaped}: 12 prohibited, 3 restricted"' in html
    assert '<span class="hbar-n">15</span>' in html and "<b>" not in html
    assert "Nothing flagged." in str(stacked_bars_html([], title="t"))
