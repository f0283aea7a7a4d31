"""The dashboard in Debian's Chromium at a desktop (1400 px) and a phone (390 px) width, calm and then with every
alert card: screenshots under var/screenshots/, no WCAG 2.1 AA violation axe-core can find, nothing wider than
the viewport (bar labels wrap instead of being cut)."""
from __future__ import annotations

import pytest

from tests.web.test_accessibility import WCAG_AA, _report
from tests.web.test_browser import SHOTS, Session, browser, demo  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _alerts() -> None:
    """A waiver requested by an admin, a checked import, a quarantined version of a public list."""
    from django.contrib.auth import get_user_model

    from apps.inventory.models import ImportJob
    from apps.lists.choices import VersionStatus
    from apps.lists.models import ListSource
    from apps.remediation.models import RemediationPlan
    from tests.factories import ImportJobFactory, WaiverFactory
    from tests.factories.lists import ListVersionFactory

    user = get_user_model().objects
    plan = RemediationPlan.objects.filter(organization__slug="harbor").order_by("pk").first() or \
        RemediationPlan.objects.order_by("pk").first()
    WaiverFactory(plan=plan, requested_by=user.get(username="admin"))
    ImportJobFactory(organization=plan.organization, user=user.get(username="officer"),
                     status=ImportJob.Status.VALID, filename="cameras-2026.csv")
    ListVersionFactory(source=ListSource.objects.get(code="fcc_covered"), status=VersionStatus.QUARANTINED)


def _check(session: Session, axe, name: str) -> None:
    page = session.page
    page.goto("/")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the viewport"
    violations = axe.run(page, options=WCAG_AA).response["violations"]
    assert not violations, f"{name}:\n{_report(violations)}"


@pytest.mark.parametrize("width", [1400, 390])
def test_dashboard_at_desktop_and_phone_width(browser, live_server, demo, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe  # requirements-dev.txt: a missing install fails here

    axe = Axe()
    session = Session(browser, live_server.url, width=width, height=900)
    session.login("officer")
    _check(session, axe, f"30-dashboard-{width}")
    assert session.page.get_by_text("Nothing needs you right now").is_visible()
    _alerts()
    _check(session, axe, f"31-dashboard-alerts-{width}")
    for title in ("Waivers awaiting a decision", "Imports needing attention", "List versions in quarantine"):
        assert session.page.get_by_role("heading", name=title).is_visible()
    assert session.problems == [], session.problems
    session.close()
