"""The officer's day in a real browser (Debian's Chromium through Playwright, against live_server):
log in, check "Hikvision" before buying, import a CSV with one bad row (see the error, nothing saved), fix
it and import, confirm the potential match the import raised, see the deadline on the board, request a
waiver and have a second admin approve it. Every page visited is saved under var/screenshots/.

Background tasks run eagerly so the screening -> remediation chain completes inside the requests.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "browser-demo-password-42"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (make browser) to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (requirements-dev.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def demo(settings, tmp_path):
    """The demo registry with its bundled lists screened and remediation evaluated; tasks eager."""
    from apps.demo.services import demo_load, demo_webhook_ensure
    from apps.lists.services import lists_demo_load
    from apps.remediation.services import remediation_evaluate_all
    from apps.screening.services import screening_demo_run
    from vendorrisk.celery import app

    settings.DEMO_PASSWORD = PASSWORD
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    eager_before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    _seed_migration_data()
    demo_load()
    lists_demo_load()
    screening_demo_run()
    remediation_evaluate_all()
    demo_webhook_ensure()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield
    app.conf.task_always_eager = eager_before


def _seed_migration_data() -> None:
    """A transactional test flushes the rows that data migrations seeded (risk policies, propagation and
    remediation rules); put them back (the seeds are get_or_create, so this is a no-op when present)."""
    import importlib

    from django.apps import apps

    for module in ("apps.screening.migrations.0002_seed_policies",
                   "apps.remediation.migrations.0002_seed_default_rules"):
        importlib.import_module(module).seed(apps, None)


class Session:
    """One browser context (one user), with CSP and JS errors collected."""

    def __init__(self, browser, base_url: str, *, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" and "Failed to load resource" not in m.text else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", lambda r: self.problems.append(f"{r.status} {r.url}")
                     if r.status >= 400 and not r.url.endswith("/login/") else None)

    def login(self, username: str) -> None:
        page = self.page
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r".*/$"))

    def shot(self, name: str) -> None:
        """Save the page, and check what a screenshot cannot show: unique ids (labels point at the right
        field) and a label for every visible form field."""
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        duplicates = self.page.evaluate(
            "() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id]||0)+1);"
            " return Object.keys(seen).filter(k => seen[k] > 1); }")
        assert duplicates == [], f"{name}: duplicate ids {duplicates}"
        unlabelled = self.page.evaluate(
            "() => Array.from(document.querySelectorAll("
            "'input:not([type=hidden]):not([type=submit]), select, textarea'))"
            ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)")
        assert unlabelled == [], f"{name}: fields without a label {unlabelled}"

    def close(self) -> None:
        self.context.close()


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("site_code,category,brand,model_number,quantity,asset_tag,installed_date\n" + "\n".join(rows)
                    + "\n", encoding="utf-8")
    return path


def test_officer_day_in_the_browser(browser, live_server, demo, tmp_path):
    from apps.inventory.models import Equipment
    from apps.remediation.models import RemediationPlan, Waiver

    officer = Session(browser, live_server.url)
    page = officer.page
    officer.login("officer")
    assert page.get_by_role("heading", name=re.compile("Dashboard")).is_visible()
    assert page.locator(".stat.prohibited .n").inner_text() != "0"
    officer.shot("01-dashboard")

    # Pre-purchase check: Hikvision is on the lists.
    page.get_by_role("link", name="Pre-purchase check").click()
    page.get_by_label("Company name").fill("Hikvision")
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.locator("#verdict")
    assert "prohibited" in verdict.inner_text()
    assert page.get_by_role("cell", name=re.compile("Hikvision")).first.is_visible()
    officer.shot("02-check-hikvision")
    page.get_by_role("button", name="Save as evidence").click()
    page.wait_for_url(re.compile(r"/check/\d+/$"))
    assert page.get_by_text("evidence record").is_visible()
    officer.shot("03-check-evidence")

    # Import with one bad row: the error names row and column; nothing is saved.
    bad = _csv(tmp_path, "cameras.csv", ["PT-T1,camera,Dahua Vision,DV-100,2,NEW-CAM-1,2024-03-01",
                                         "XX-9,camera,Dahua Vision,DV-100,1,NEW-CAM-2,2024-03-01"])
    page.get_by_role("link", name="Import").click()
    page.get_by_label("CSV or XLSX file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator("#import-errors")
    assert "No site with code 'XX-9'" in errors.inner_text()
    assert "site_code" in errors.inner_text()
    assert not Equipment.objects.filter(asset_tag__startswith="NEW-CAM").exists()
    officer.shot("04-import-errors")
    fixed = _csv(tmp_path, "cameras-fixed.csv", ["PT-T1,camera,Dahua Vision,DV-100,2,NEW-CAM-1,2024-03-01",
                                                 "MH-T2,camera,Dahua Vision,DV-100,1,NEW-CAM-2,2024-03-01"])
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("CSV or XLSX file").set_input_files(str(fixed))
    page.get_by_role("button", name="Check the file").click()
    officer.shot("05-import-preview")
    page.get_by_label("I have checked the preview").check()
    page.get_by_role("button", name=re.compile(r"Import 2 rows")).click()
    assert page.get_by_text("Imported 2 equipment rows").is_visible()
    assert Equipment.objects.filter(asset_tag__startswith="NEW-CAM").count() == 2
    officer.shot("06-import-done")

    # The new brand is a potential match: confirm it in the review queue.
    page.goto("/review/?mine=1")
    # The s.889 match (the port is bound by s.889 as a grant recipient; the DoD 1260H one binds DoD only).
    card = page.locator("article", has_text="Dahua Vision").filter(has_text="889").first
    assert card.is_visible()
    officer.shot("07-review-queue")
    card.get_by_label(re.compile("Confirm")).check()
    card.get_by_label("Reason").fill("Same maker: Dahua Vision cameras are Zhejiang Dahua hardware (label, FCC ID).")
    card.get_by_role("button", name="Record decision").click()
    assert page.get_by_text(re.compile("Confirmed for .+: Dahua Vision")).is_visible()

    # The deadline appears on the board.
    page.get_by_role("link", name="Remediation").click()
    plan_card = page.locator("article.plan", has_text="NEW-CAM-1")
    assert plan_card.is_visible()
    plan = RemediationPlan.objects.get(equipment__asset_tag="NEW-CAM-1")
    assert plan.deadline.isoformat() in plan_card.inner_text()
    officer.shot("08-remediation-board")

    # Request a waiver as the officer...
    plan_card.get_by_role("link").first.click()
    page.get_by_text("Request a waiver").click()
    page.get_by_label("Justification").fill("Replacement cameras arrive in the next budget year.")
    page.get_by_label("Compensating controls").fill("Cameras moved to an isolated VLAN; no internet access.")
    page.get_by_label("Waiver expires on").fill((dt.date.today() + dt.timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Request waiver").click()
    assert page.get_by_text(re.compile("Waiver requested")).first.is_visible()
    officer.shot("09-waiver-requested")
    plan_url = page.url
    assert officer.problems == [], officer.problems
    officer.close()

    # ... and approve it as a second admin (four eyes).
    admin = Session(browser, live_server.url)
    admin.login("admin2")
    admin.page.goto(plan_url)
    admin.page.get_by_label("Decision note").fill("Compensating controls checked on site.")
    admin.page.get_by_role("button", name="Approve waiver").click()
    assert admin.page.get_by_text(re.compile("Waiver approved")).is_visible()
    admin.shot("10-waiver-approved")
    waiver = Waiver.objects.get(plan=plan)
    assert waiver.status == "approved"
    assert waiver.decision_note == "Compensating controls checked on site."
    plan.refresh_from_db()
    assert plan.status == "waived"
    assert admin.problems == [], admin.problems
    admin.close()


def test_pages_render_at_desktop_and_tablet_width(browser, live_server, demo):
    """Screenshots of the remaining pages; an auditor sees them without any write button; no CSP or JS error."""
    from apps.inventory.models import Equipment
    from apps.lists.models import ListSource
    from apps.vendors.models import Vendor

    crane = Equipment.objects.filter(product_model__brand__name__startswith="Shanghai Zhenhua").first()
    zpmc = crane.product_model.brand
    hik = Vendor.objects.filter(name__icontains="Hikvision").first()
    source = ListSource.objects.filter(versions__isnull=False).first()
    pages = {
        "11-sites": "/sites/", "12-site-detail": f"/sites/{crane.site_id}/", "13-equipment-list": "/equipment/",
        "14-equipment-detail": f"/equipment/{crane.pk}/", "15-vendor-zpmc": f"/vendors/{zpmc.pk}/",
        "16-vendor-hikvision": f"/vendors/{hik.pk}/", "17-lists": "/lists/", "18-list-source": f"/lists/{source.pk}/",
        "19-import": "/import/", "23-list-changes": "/lists/changes/?since=2000-01-01",
        "24-projection": "/remediation/projection/", "25-as-of": "/reports/as-of/?day=2026-01-01",
    }
    officer = Session(browser, live_server.url)
    officer.login("officer")
    for name, url in pages.items():
        officer.page.goto(url)
        assert officer.page.locator("h1").first.is_visible()
        officer.shot(name)
    # The equipment list narrows without a reload (htmx) and keeps the filter in the URL.
    officer.page.goto("/equipment/")
    officer.page.get_by_label("Risk status").select_option("prohibited")
    officer.page.wait_for_url(re.compile(r"risk_status=prohibited"))
    officer.page.locator("#results .badge.prohibited").first.wait_for()
    officer.page.wait_for_function("document.querySelectorAll('#results .badge.clear').length === 0")
    assert officer.page.locator("#results .badge.clear").count() == 0
    # A projection: asked on the remediation board, computed (eagerly here, by the worker in production),
    # then read with its summary and lines.
    officer.page.goto("/remediation/")
    officer.page.get_by_role("link", name=re.compile("Projection")).click()
    officer.page.get_by_label(re.compile("^Non-compliant on")).fill("2031-01-01")
    officer.page.get_by_role("button", name="Compute").click()
    officer.page.locator("#projection-summary").wait_for()
    assert int(officer.page.locator("#projection-summary .stat .n").first.inner_text()) > 0
    officer.shot("26-projection-report")
    assert officer.problems == [], officer.problems
    officer.close()

    tablet = Session(browser, live_server.url, width=768, height=1024)
    tablet.login("auditor")
    for name, url in {"20-tablet-dashboard": "/", "21-tablet-equipment-detail": f"/equipment/{crane.pk}/",
                      "22-tablet-board": "/remediation/"}.items():
        tablet.page.goto(url)
        tablet.shot(name)
    tablet.page.goto("/review/")
    assert tablet.page.get_by_role("button", name="Record decision").count() == 0
    assert tablet.page.get_by_role("link", name="Import").count() == 0
    assert tablet.problems == [], tablet.problems
    tablet.close()


def test_redoc_renders_under_the_enforced_csp(browser, live_server, auditor):
    """The ReDoc page at /api/v1/redoc/ renders the API's operations with the enforced CSP (script-src 'self'):
    no CSP violation, no console or page error, and no request to another origin."""
    from urllib.parse import urlsplit

    auditor.set_password(PASSWORD)
    auditor.save()
    reader = Session(browser, live_server.url)
    page = reader.page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    # Collected in the page too: Chromium fires securitypolicyviolation for every blocked script, style,
    # font, worker or connection, report-only or enforced.
    reader.context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push("
        "e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));")
    origin = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != origin else None)
    reader.login(auditor.username)

    response = page.goto("/api/v1/redoc/")
    assert response.status == 200
    assert re.search(r"(^|;)\s*script-src 'self'\s*(;|$)", response.headers["content-security-policy"])
    # ReDoc has run, fetched the schema (session cookie) and rendered the API's title and its operations.
    page.get_by_role("heading", name=re.compile("Vendor-risk registry API")).wait_for()
    operations = page.locator("[data-section-id^='operation/']")
    operations.first.wait_for()
    assert operations.count() > 20
    assert page.locator("[data-section-id='operation/equipment_list']").is_visible()
    # Search runs in ReDoc's blob: worker (worker-src blob: on this path only).
    page.get_by_placeholder("Search...").fill("verify")
    page.locator("[data-role='search:results'] [data-item-id$='operation/audit_verify_retrieve']").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "30-api-redoc.png"))
    assert page.evaluate("window.__cspViolations") == []
    assert violations == [], violations
    assert elsewhere == [], elsewhere
    assert reader.problems == [], reader.problems
    reader.close()


def test_officer_records_a_site_and_a_unit_and_corrects_them(browser, live_server, officer):
    """Single records in the browser: a new site, a camera recorded there by brand name (a misspelt brand is
    refused on its field and nothing is stored), the unit retired through its edit page, an alias and an owner
    added to its vendor; every page labelled, no CSP or JS error."""
    from apps.inventory.models import Equipment, Site
    from apps.vendors.models import ChangeProposal, VendorAlias
    from tests.factories import VendorFactory

    brand = VendorFactory(name="Hangzhou Example Vision")
    VendorFactory(name="Example Holding Group")
    officer.set_password(PASSWORD)
    officer.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    s = Session(browser, live_server.url)
    page = s.page
    s.login(officer.username)

    def field(label: str):
        return page.get_by_label(re.compile(rf"^{label}( \*)?$"))  # required fields' labels end in " *"

    page.goto("/sites/")
    page.get_by_role("link", name="New site").click()
    page.wait_for_url(re.compile(r".*/sites/new/$"))
    field("Name").fill("Pier 400")
    field("Code").fill("P400")
    field("Kind").select_option("seaport")
    field("Country").select_option("US")
    field("Criticality").select_option("critical")
    s.shot("40-site-new")
    page.get_by_role("button", name="Record site").click()
    page.get_by_role("heading", name=re.compile("Pier 400")).wait_for()
    site = Site.objects.get(code="P400")
    assert (site.organization_id, site.criticality) == (officer.memberships.get().organization_id, "critical")

    page.get_by_role("link", name="Record equipment here").click()
    assert field("Site").input_value() == str(site.pk)
    field("Category").select_option("camera")
    field("Brand").fill("Hangzhou Exmaple Vision")
    field("Model number").fill("DS-2CD2143G2-I")
    field("Asset tag").fill("CAM-0001")
    page.locator("#id_vendor_remote_access").check()
    page.get_by_role("button", name="Record equipment").click()
    page.locator("#id_brand_error").wait_for()
    assert "No vendor is recorded" in page.locator("#id_brand_error").inner_text()
    assert not Equipment.objects.filter(site=site).exists()
    s.shot("41-equipment-new-error")
    field("Brand").fill("Hangzhou Example Vision")
    page.get_by_role("button", name="Record equipment").click()
    page.get_by_role("link", name="Edit", exact=True).wait_for()
    unit = Equipment.objects.get(site=site, asset_tag="CAM-0001")
    assert (unit.product_model.brand_id, unit.connectivity) == (brand.pk, "vendor_remote")
    s.shot("42-equipment-recorded")

    page.get_by_role("link", name="Edit", exact=True).click()
    assert field("Brand").input_value() == "Hangzhou Example Vision"
    field("Status").select_option("removed")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Edit", exact=True).wait_for()
    unit.refresh_from_db()
    assert unit.status == "removed"

    # A vendor's names and owners are shared facts: the officer proposes them to the registry's curators.
    page.goto(f"/vendors/{brand.pk}/")
    page.get_by_text("Add an alias").click()
    field("Other name").fill("ExampleVision")
    page.get_by_role("button", name="Propose alias").click()
    page.locator("#pending-proposals").wait_for()
    assert not VendorAlias.objects.filter(vendor=brand, name="ExampleVision").exists()
    assert ChangeProposal.objects.get(kind="alias_add").payload["name"] == "ExampleVision"
    page.get_by_text("Add an owner").click()
    field("Owner").fill("Example Holding Group")
    field("Share \\(%\\)").fill("42.5")
    page.locator("#ownership-form").get_by_label("Source URL").fill("https://register.example/holding")
    page.get_by_role("button", name="Propose owner").click()
    page.get_by_text("Proposed to the registry's curators").first.wait_for()
    assert not brand.owner_links.exists()  # nothing shared changes until a curator accepts
    assert ChangeProposal.objects.get(kind="ownership_add").payload["share_percent"] == "42.5"
    s.shot("43-vendor-proposals")
    assert s.problems == [], s.problems
    s.close()


def test_curator_verifies_and_accepts_the_demo_proposal(browser, live_server, demo):
    """The demo's curator verifies its authenticator code, opens the queue, accepts the port authority's pending
    ownership proposal; the fact is written with its provenance."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.vendors.models import ChangeProposal, Ownership

    proposal = ChangeProposal.objects.get(status="pending")
    device = TOTPDevice.objects.get(user__username="curator")
    s = Session(browser, live_server.url)
    page = s.page
    s.login("curator")
    page.goto("/account/verify/")
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Authenticator code").fill(f"{code:06d}")
    page.get_by_role("button", name="Verify").click()
    page.goto("/proposals/queue/")
    card = page.locator(f"#proposal-{proposal.pk}")
    card.wait_for()
    s.shot("60-curator-queue")
    card.get_by_role("button", name="Accept").click()
    page.get_by_text(f"Proposal #{proposal.pk} accepted.").wait_for()
    link = Ownership.objects.get(owned_id=proposal.vendor_id, owner_id=proposal.payload["owner"])
    assert link.provenance["proposal"] == proposal.pk
    page.goto("/proposals/")
    s.shot("61-proposals")
    assert s.problems == [], s.problems
    s.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_summary_header_is_above_the_fold(browser, live_server, demo, width, height):
    """Issue #18 item 1: the unit, plan and vendor pages open on their summary header (status, obligation, due
    date, plan and owner, next action), visible without scrolling on a desktop and on a phone; the crane's
    near-identical path blocks are folded into blocks that say which roles they apply to."""
    from apps.inventory.models import Equipment
    from apps.remediation.models import RemediationPlan

    crane = Equipment.objects.filter(product_model__brand__name__startswith="Shanghai Zhenhua").first()
    plan = RemediationPlan.objects.filter(equipment=crane).order_by("-opened_at").first() \
        or RemediationPlan.objects.order_by("deadline").first()
    pages = {"equipment": f"/equipment/{crane.pk}/", "plan": f"/remediation/{plan.pk}/",
             "vendor": f"/vendors/{crane.product_model.brand_id}/"}
    officer = Session(browser, live_server.url, width=width, height=height)
    officer.login("officer")
    for name, url in pages.items():
        officer.page.goto(url)
        header = officer.page.locator("#summary")
        assert header.is_visible(), f"{name}: no summary header"
        for part in ("#summary-due", "#summary-plan", "#summary-next"):
            box = officer.page.locator(part).bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, f"{name} at {width}px: {part} below the fold"
        assert officer.page.locator("#summary-next").inner_text().strip()
        officer.page.screenshot(path=str(SHOTS / f"30-summary-{name}-{width}.png"))  # the first screen only
    officer.page.goto(pages["equipment"])
    blocks = officer.page.locator(".finding-block")
    if blocks.count():
        assert officer.page.locator(".finding-block .applies-to").first.inner_text().startswith(
            crane.product_model.brand.name)
    officer.page.locator("section[aria-labelledby=h-chain]").screenshot(
        path=str(SHOTS / f"31-folded-paths-{width}.png"))
    assert officer.problems == [], officer.problems
    officer.close()
