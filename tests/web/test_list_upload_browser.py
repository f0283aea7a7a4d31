"""The lists pages in Debian's Chromium (#18 item 6): an organisation admin uploads the in-house list (it becomes
the version in use), uploads a bad file (a clear error, nothing loaded), then a shrunken one (quarantined); a
failed refresh is explained with a Retry; the officer reads what the quarantine means. Screenshots under
var/screenshots/ (30-...); axe-core finds no WCAG 2.1 AA violation on the pages visited."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from tests.web.test_accessibility import WCAG_AA, _report
from tests.web.test_browser import SHOTS, Session, browser  # noqa: F401 - the shared browser fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "list-upload-password-42"
BLOCKLIST = Path(__file__).parent / "fixtures" / "blocklist.csv"


@pytest.fixture
def people(settings, tmp_path):
    from apps.accounts.choices import Role
    from apps.lists.choices import RunStatus
    from tests.factories import (
        FetchRunFactory,
        ListSourceFactory,
        ListVersionFactory,
        MembershipFactory,
        OrganizationFactory,
        UserFactory,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    SHOTS.mkdir(parents=True, exist_ok=True)
    org = OrganizationFactory(name="Harbor Authority", slug="harbor")
    admin = MembershipFactory(organization=org, role=Role.ADMIN,
                              user=UserFactory(username="list-admin", password=PASSWORD)).user
    officer = MembershipFactory(organization=org, role=Role.OFFICER,
                                user=UserFactory(username="list-officer", password=PASSWORD)).user
    for user in (admin, officer):
        user.save()
    in_house = ListSourceFactory(code="harbor-blocklist", name="Harbor blocklist", organization=org,
                                 format="custom_csv", regime="custom")
    public = ListSourceFactory(code="ofac-test", name="OFAC test list", url="https://ofac.treasury.gov/sdn.csv")
    ListVersionFactory(source=public, active=True, fetched_at=timezone.now() - dt.timedelta(days=32), entry_count=3)
    FetchRunFactory(source=public, status=RunStatus.FAILED, finished_at=timezone.now(),
                    error="Cannot resolve ofac.treasury.gov: [Errno -2] Name or service not known",
                    message="Cannot resolve ofac.treasury.gov: [Errno -2] Name or service not known")
    return {"in_house": in_house, "public": public}


def _login(session: Session, username: str) -> None:
    page = session.page
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: not url.endswith("/login/"))


def test_admin_uploads_a_list_and_the_officer_reads_the_quarantine(browser, live_server, people, tmp_path):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}

    def check(session: Session, name: str) -> None:
        session.shot(name)
        violations = axe.run(session.page, options=WCAG_AA).response["violations"]
        if violations:
            found[name] = _report(violations)

    in_house, public = people["in_house"], people["public"]
    admin = Session(browser, live_server.url)
    _login(admin, "list-admin")
    page = admin.page

    page.goto(f"/lists/{in_house.pk}/")
    page.locator("input#id_files").set_input_files(str(BLOCKLIST))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_load_state()
    assert page.get_by_text("of Harbor blocklist is now in use, 10 entries").is_visible()
    check(admin, "30-list-upload-done")

    bad = tmp_path / "wrong.csv"
    bad.write_text("company,city\nAcme,Paris\n")
    page.locator("input#id_files").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_load_state()
    assert page.get_by_text("The file was not loaded.").first.is_visible()
    check(admin, "31-list-upload-bad-file")

    short = tmp_path / "blocklist.csv"
    short.write_bytes(b"\n".join(BLOCKLIST.read_bytes().splitlines()[:3]) + b"\n")
    page.locator("input#id_files").set_input_files(str(short))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_load_state()
    assert page.get_by_text("Quarantined:").first.is_visible()
    check(admin, "32-list-upload-quarantined")

    page.goto(f"/lists/{public.pk}/")
    assert page.get_by_text("could not reach ofac.treasury.gov").is_visible()
    assert page.get_by_role("button", name="Retry").is_visible()
    page.get_by_text("Technical detail").click()
    assert page.get_by_text("[Errno -2]").is_visible()
    check(admin, "33-list-refresh-failed")
    problems = [p for p in admin.problems if not p.startswith("400 ") or "/upload/" not in p]  # the bad file
    assert not problems, problems
    admin.close()

    officer = Session(browser, live_server.url)
    _login(officer, "list-officer")
    officer.page.goto("/lists/")
    assert officer.page.get_by_role("heading", name="Quarantined versions: not used for screening").is_visible()
    check(officer, "34-lists-officer-quarantine")
    officer.page.goto(f"/lists/{in_house.pk}/")
    assert officer.page.get_by_text("Nothing to do for you").is_visible()
    assert officer.page.locator("input#id_files").count() == 0
    check(officer, "35-list-source-officer")
    officer.close()
    assert not found, "\n\n".join(f"{page}:\n{report}" for page, report in found.items())
