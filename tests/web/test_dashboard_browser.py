"""The dashboard in Debian's Chromium at a desktop (1400 px) and a phone (390 px) width: screenshots under
var/screenshots/, no WCAG 2.1 AA violation axe-core can find, and no chart label or card wider than the page."""
from __future__ import annotations

import pytest

from tests.web.test_accessibility import WCAG_AA, _report
from tests.web.test_browser import SHOTS, Session, browser, demo  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1400, 390])
def test_dashboard_at_desktop_and_phone_width(browser, live_server, demo, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    session = Session(browser, live_server.url, width=width, height=900)
    session.login("officer")
    page = session.page
    page.goto("/")
    page.screenshot(path=str(SHOTS / f"30-dashboard-{width}.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the viewport"
    violations = Axe().run(page, options=WCAG_AA).response["violations"]
    assert not violations, _report(violations)
    assert session.problems == [], session.problems
    session.close()
