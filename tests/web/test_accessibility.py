"""axe-core (bundled by the axe-playwright-python package) on the officer's pages in Debian's Chromium: no colour
contrast failure and no other WCAG 2.1 A/AA violation axe can detect, on the pages where axe-core found the 26
contrast failures (#18 item 9) and on the error pages. The contrast of every badge is also computed from the
CSS file without a browser (test_contrast.py)."""
from __future__ import annotations

import pytest

from tests.web.test_browser import Session, browser, demo  # noqa: F401 - fixtures shared with the officer's day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


def _pages() -> list[tuple[str, str]]:
    """(name, path) of the pages to check, with real objects of the demo (flagged units, plans, a vendor)."""
    from apps.inventory.models import Equipment
    from apps.remediation.models import RemediationPlan
    from apps.vendors.models import Vendor

    unit = Equipment.objects.exclude(risk_status="clear").order_by("pk").first()
    plan = RemediationPlan.objects.order_by("pk").first()
    vendor = Vendor.objects.order_by("pk").first()
    pages = [("dashboard", "/"), ("sites", "/sites/"), ("equipment", "/equipment/"),
             ("equipment-due", "/equipment/?sort=due"), ("vendors", "/vendors/"), ("review", "/review/"),
             ("remediation", "/remediation/"), ("lists", "/lists/"), ("check", "/check/?name=Hikvision"),
             ("not-found", "/sites/999999/"), ("import-help", "/import/help/")]
    if unit:
        pages.append(("equipment-detail", f"/equipment/{unit.pk}/"))
    if plan:
        pages.append(("plan", f"/remediation/{plan.pk}/"))
    if vendor:
        pages.append(("vendor", f"/vendors/{vendor.pk}/"))
    crane = Equipment.objects.filter(boms__isnull=False).order_by("pk").first()  # the demo's BOM (issue #21)
    if crane:
        pages.append(("equipment-bom", f"/equipment/{crane.pk}/"))
    return pages


def _report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(n["target"]) + (f" ({n.get('failureSummary', '')[:160]})" if v["id"] == "color-contrast"
                                             else "") for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}: {targets}")
    return "\n".join(lines)


def test_axe_finds_no_wcag_aa_violation(browser, live_server, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe  # requirements-dev.txt: a missing install fails here

    axe = Axe()
    found = {}
    for username in ("officer", "auditor"):
        session = Session(browser, live_server.url)
        session.login(username)
        for name, path in _pages():
            session.page.goto(path)
            violations = axe.run(session.page, options=WCAG_AA).response["violations"]
            if violations:
                found[f"{username} {name} {path}"] = _report(violations)
        if username == "auditor":  # the styled 403
            session.page.goto("/equipment/new/")
            assert session.page.get_by_role("heading", name="Not allowed").is_visible()
            violations = axe.run(session.page, options=WCAG_AA).response["violations"]
            if violations:
                found["auditor 403 /equipment/new/"] = _report(violations)
        session.close()
    assert not found, "\n\n".join(f"{page}:\n{report}" for page, report in found.items())


def test_axe_bom_preview_with_the_mapping_control(browser, live_server, demo):  # noqa: F811
    """The BOM preview's "map this name to a suggested vendor" control (issue #21), before and after mapping."""
    from axe_playwright_python.sync_playwright import Axe
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.inventory.bom import bom_upload_store
    from apps.inventory.models import Equipment
    from apps.vendors.models import Vendor
    from tests.inventory.bom_docs import Part, cyclonedx

    crane = Equipment.objects.filter(boms__isnull=False).select_related("site__organization", "product_model") \
        .order_by("pk").first()
    vendor = Vendor.objects.filter(name__iregex=r"^[a-z]{2}").order_by("pk").first()
    typo = vendor.name + "x"
    data = cyclonedx([Part("Wind sensor", "device", supplier=typo)], subject=crane.product_model.model_number)
    job = bom_upload_store(organization=crane.site.organization, user=get_user_model().objects.get(username="officer"),
                           upload=SimpleUploadedFile("sensor.cdx.json", data), equipment=crane, for_model=False)
    axe = Axe()
    session = Session(browser, live_server.url)
    session.login("officer")
    session.page.goto(f"/bom/import/{job.token}/")
    found = {"before": axe.run(session.page, options=WCAG_AA).response["violations"]}
    session.page.get_by_label(f"Map \u201c{typo}\u201d to").select_option(str(vendor.pk))
    session.page.get_by_role("button", name="Apply the mapping").click()
    assert session.page.get_by_text("(mapped by you)").is_visible()
    found["after"] = axe.run(session.page, options=WCAG_AA).response["violations"]
    session.close()
    assert not any(found.values()), {k: _report(v) for k, v in found.items() if v}
