"""The import's near-duplicate vendor choice in a real browser (Debian's Chromium through Playwright): a file
whose brand is a typo of a recorded vendor, the recorded vendor chosen in the preview (no re-upload), the
import, and the done page's risk summary. Screenshots under var/screenshots/."""
from __future__ import annotations

import re

import pytest

from tests.web.test_browser import PASSWORD, SHOTS, Session, browser  # noqa: F401  (the module-scoped fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe(page, name: str) -> None:
    """No WCAG 2.1 AA violation (axe-core, as tests/web/test_accessibility.py checks the main pages)."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.web.test_accessibility import WCAG_AA, _report

    violations = Axe().run(page, options=WCAG_AA).response["violations"]
    assert not violations, f"{name}:\n{_report(violations)}"


def test_officer_chooses_the_recorded_vendor_in_the_preview(browser, live_server, officer, site, tmp_path,  # noqa: F811
                                                           settings):
    from apps.inventory.models import Equipment
    from apps.vendors.models import Vendor
    from tests.factories import VendorFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co., Ltd.")
    officer.set_password(PASSWORD)
    officer.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    typo = "Hangzhou Hikvsion Digital Technology Co. Ltd"
    path = tmp_path / "typo.csv"
    path.write_text("site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"
                    f"T1,camera,{typo},DS-1,2,TYPO-1,2023-01-01\n", encoding="utf-8")
    s = Session(browser, live_server.url)
    page = s.page
    s.login(officer.username)
    page.goto("/import/")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    choices = page.locator("#close-names")
    assert "did you mean" in choices.inner_text()
    s.shot("30-import-near-duplicate")
    _axe(page, "preview with choices")
    choices.get_by_label(re.compile("Use the recorded vendor")).check()
    choices.get_by_role("button", name="Apply these choices and check again").click()
    assert page.get_by_text("Vendor choices saved").is_visible()
    assert page.locator("#close-names").get_by_label(re.compile("Use the recorded vendor")).is_checked()
    s.shot("31-import-vendor-chosen")
    page.get_by_label("I have checked the preview").check()
    page.get_by_role("button", name=re.compile(r"Import 1 row")).click()
    assert page.get_by_text("Imported 1 equipment row").is_visible()
    assert page.locator("#risk-summary").is_visible()
    s.shot("32-import-done-summary")
    _axe(page, "done page")
    unit = Equipment.objects.select_related("product_model").get(asset_tag="TYPO-1")
    assert unit.product_model.brand_id == hik.pk
    assert not Vendor.objects.filter(name=typo).exists()
    page.get_by_role("link", name="See the imported equipment").click()
    assert page.locator("#import-filter").is_visible()
    page.goto("/import/help/")
    assert page.get_by_role("heading", name="How an import runs").is_visible()
    s.shot("33-import-help")
    assert s.problems == [], s.problems
    s.close()
