"""The main pages at a desktop width (1400x900) and a phone width (390x844) in Debian's Chromium (#18 item 8):
a screenshot of each under var/screenshots/ named by page and width, no sideways scrolling of the page at 390 px,
and axe-core (WCAG 2.1 A/AA) on every page at both widths with no violation. At 390 px the navigation folds
behind the "Menu" button (which opens it with the organisation switcher and "Log out"), the equipment filters
behind "Filters (n active)", the equipment table becomes cards with the risk badge and the due date first
(other tables too, labelled from their headers), and the charts switch to their compact drawing. One browser;
one login for the officer, one for the auditor (403)."""
from __future__ import annotations

import re

import pytest

from tests.web.test_accessibility import WCAG_AA, _report
from tests.web.test_browser import Session, browser, demo  # noqa: F401 - fixtures shared with the officer's day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = (1400, 900)
PHONE = (390, 844)


def _pages() -> list[tuple[str, str]]:
    """(name, path) of the main pages, with real objects of the demo."""
    from apps.integrations.models import WebhookEndpoint
    from apps.inventory.models import Equipment
    from apps.lists.models import ListSource
    from apps.remediation.models import RemediationPlan
    from apps.vendors.models import Vendor

    unit = Equipment.objects.exclude(risk_status="clear").order_by("pk").first()
    plan = RemediationPlan.objects.order_by("pk").first()
    vendor = Vendor.objects.filter(name__icontains="Hikvision").order_by("pk").first()
    source = ListSource.objects.filter(versions__isnull=False).order_by("pk").first()
    crane = Equipment.objects.filter(boms__isnull=False).order_by("pk").first()  # the demo's BOM (issue #21)
    endpoint = WebhookEndpoint.objects.order_by("pk").first()  # the harbour's, the officer's first organisation
    return [
        ("dashboard", "/"), ("equipment", "/equipment/"), ("equipment-detail", f"/equipment/{unit.pk}/"),
        ("sites", "/sites/"), ("site-detail", f"/sites/{unit.site_id}/"), ("vendors", "/vendors/"),
        ("vendor-detail", f"/vendors/{vendor.pk}/"), ("check", "/check/?name=Hikvision"), ("review", "/review/"),
        ("remediation", "/remediation/"), ("plan", f"/remediation/{plan.pk}/"), ("lists", "/lists/"),
        ("list-source", f"/lists/{source.pk}/"), ("list-changes", "/lists/changes/?since=2000-01-01"),
        ("import", "/import/"), ("report-as-of", "/reports/as-of/?day=2026-01-01"),
        ("projection", "/remediation/projection/"), ("proposals", "/proposals/"),
        ("notifications", "/notifications/"), ("not-found", "/sites/999999/"), ("import-help", "/import/help/"),
        ("equipment-bom", f"/equipment/{crane.pk}/"), ("webhooks", "/webhooks/"),
        ("webhook-detail", f"/webhooks/{endpoint.pk}/"),
    ]


def _overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - window.innerWidth")


def _check(session: Session, axe, name: str, width: int, found: dict, overflowing: dict) -> None:
    session.shot(f"resp-{name}-{width}")
    if width <= PHONE[0] and (over := _overflow(session.page)) > 0:
        overflowing[f"{name} @{width}"] = over
    violations = axe.run(session.page, options=WCAG_AA).response["violations"]
    if violations:
        found[f"{name} @{width}"] = _report(violations)


def _phone_menu(page) -> None:
    """The navigation is folded behind the Menu button; opened, it shows the links, the organisation switcher
    and Log out; Escape folds it again."""
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Equipment").is_visible()
    assert not page.get_by_role("button", name="Log out").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Equipment").is_visible()
    assert nav.get_by_role("link", name="Remediation").is_visible()
    assert page.get_by_label("Organisation").is_visible()  # the officer works for two organisations
    assert page.get_by_role("button", name="Log out").is_visible()
    assert _overflow(page) <= 0
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("button", name="Log out").is_visible()


def _phone_equipment(page) -> None:
    """Filters folded behind their button (which counts the active ones); the first card's risk badge and due
    date are on the first screen."""
    page.goto("/equipment/?risk_status=prohibited")
    toggle = page.get_by_role("button", name=re.compile(r"^Filters"))
    assert toggle.inner_text() == "Filters (1 active)"
    assert not page.get_by_label("Risk status").is_visible()
    card = page.locator("#results tbody tr").first
    badge = card.locator("td[data-label='Risk'] .badge")
    due = card.locator("td[data-label='Due']")
    assert badge.is_visible() and due.is_visible()
    assert badge.inner_text() == "prohibited"
    # Risk and due come first in the card, above the site, the model and the reasons.
    assert badge.bounding_box()["y"] < card.locator("td[data-label='Site']").bounding_box()["y"]
    assert due.bounding_box()["y"] + due.bounding_box()["height"] <= PHONE[1]
    assert card.locator("td[data-label='Why']").bounding_box()["x"] >= 0
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.get_by_label("Risk status").is_visible()
    assert page.get_by_label("Risk status").input_value() == "prohibited"


def _phone_charts(page) -> None:
    """The dashboard's burn-down is drawn compact (the wide drawing hidden) and the bar charts' labels are HTML
    text that wraps on screen; all chart text is at least 11 px."""
    page.goto("/")
    assert page.locator("svg.chart-wide").first.is_hidden()
    compact = page.locator("svg.chart-compact")  # the burn-down; the bar charts' labels are HTML text
    assert compact.count() >= 1
    smallest = page.evaluate(
        "() => Math.min(...Array.from(document.querySelectorAll('svg.chart-compact text, .hbar-label, .hbar-n'))"
        ".filter(t => t.getBoundingClientRect().height > 0).map(t => t.getBoundingClientRect().height))")
    assert smallest >= 11, smallest
    label = page.locator(".hbar-label").first
    assert label.is_visible()
    box = label.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # on screen, wrapped rather than cut


def _phone_other_tables(page) -> None:
    """A table the template did not mark as cards becomes cards too (app.js labels each cell with its column's
    header): the lists' freshness, off-screen to the right in a 7-column table, is in each card."""
    page.goto("/lists/")
    table = page.locator("main table").first
    assert "cards" in table.get_attribute("class")
    freshness = table.locator("tbody tr").first.locator("td[data-label='Freshness']")
    assert freshness.is_visible()
    box = freshness.bounding_box()
    assert box["x"] + box["width"] <= PHONE[0]


def test_main_pages_at_desktop_and_phone_width(browser, live_server, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe  # requirements-dev.txt: a missing install fails here

    axe = Axe()
    found: dict[str, str] = {}
    overflowing: dict[str, int] = {}
    pages = _pages()

    officer = Session(browser, live_server.url, width=DESKTOP[0], height=DESKTOP[1])
    page = officer.page
    officer.login("officer")
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages:
            page.goto(path)
            assert page.locator("h1").first.is_visible(), f"{name} @{width}"
            _check(officer, axe, name, width, found, overflowing)
    _phone_menu(page)
    _phone_equipment(page)
    _phone_charts(page)
    _phone_other_tables(page)
    assert [p for p in officer.problems if "/sites/999999/" not in p] == [], officer.problems
    officer.close()

    auditor = Session(browser, live_server.url, width=DESKTOP[0], height=DESKTOP[1])
    auditor.login("auditor")
    for width, height in (DESKTOP, PHONE):
        auditor.page.set_viewport_size({"width": width, "height": height})
        auditor.page.goto("/equipment/new/")
        assert auditor.page.get_by_role("heading", name="Not allowed").is_visible()
        _check(auditor, axe, "forbidden", width, found, overflowing)
    auditor.close()

    assert not overflowing, f"pages wider than {PHONE[0]} px (extra px): {overflowing}"
    assert not found, "\n\n".join(f"{page}:\n{report}" for page, report in found.items())
