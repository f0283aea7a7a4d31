"""The bill-of-materials flow in a real browser (Debian's Chromium through Playwright, against live_server), as an
officer: upload a CycloneDX file for the crane's product model, the dry-run preview with an unknown supplier shown
as a proposal with its suggestion, the name mapped to the recorded vendor, the import, the unit's status with the
path through the part, a changed version's summary (added, removed, supplier changed), and the CycloneDX exports
(the document's, and all of the unit's parts).
Screenshots under var/screenshots/."""
from __future__ import annotations

import json
import re

import pytest

from tests.inventory.bom_docs import Part, crane_parts, cyclonedx
from tests.web.test_browser import PASSWORD, SHOTS, Session, browser  # noqa: F401  (the module-scoped fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTED_PATH = ("Remote Care GmbH <- controlled by Listed Heavy Industries Co. (100%) <- listed: "
               "DoD Section 1260H list (2026)")


@pytest.fixture
def crane_world(settings, tmp_path, officer, site):
    """A crane of model PT-STS-01, the recorded vendors the crane's parts come from, and Remote Care GmbH, a
    subsidiary of a company on the DoD 1260H list (restricted through ownership). Tasks run eagerly."""
    from tests.factories import EquipmentFactory, FindingFactory, ProductModelFactory, VendorFactory
    from tests.factories.vendors import OwnershipFactory
    from tests.screening.conftest import make_source
    from vendorrisk.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    eager_before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    agent = VendorFactory(name="Remote Care GmbH")
    parent = VendorFactory(name="Listed Heavy Industries Co.")
    OwnershipFactory(owner=parent, owned=agent, share_percent=100)
    FindingFactory(vendor=agent, source=make_source("dod_1260h", regime="us_dod_1260h", name="DoD Section 1260H list"),
                   kind="ownership", status="restricted", key="1260h:remote-care", path_text=LISTED_PATH)
    for name in ("Siemens AG", "ZPMC Software", "Quectel Wireless Solutions Co., Ltd."):
        VendorFactory(name=name)
    crane = EquipmentFactory(site=site, asset_tag="CRANE-7", category="sts_crane",
                             product_model=ProductModelFactory(model_number="PT-STS-01", category="sts_crane"))
    officer.set_password(PASSWORD)
    officer.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield {"crane": crane, "agent": agent}
    app.conf.task_always_eager = eager_before


def _upload(s: Session, crane, path) -> None:
    page = s.page
    page.goto(f"/equipment/{crane.pk}/")
    page.get_by_text("Import a bill of materials").click()
    page.get_by_label("CycloneDX or SPDX file").set_input_files(str(path))
    page.get_by_label(re.compile("the product model")).check()
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r".*/bom/import/"))


def test_officer_imports_a_crane_bom_maps_a_supplier_and_sees_the_path_and_the_changes(
        browser, live_server, officer, crane_world, tmp_path):  # noqa: F811
    from apps.inventory.models import BomDocument

    crane, agent = crane_world["crane"], crane_world["agent"]
    first = tmp_path / "crane-v1.cdx.json"
    first.write_bytes(cyclonedx(crane_parts(agent_supplier="Remote Kare GmbH")))  # a typo of the recorded name
    s = Session(browser, live_server.url)
    page = s.page
    s.login(officer.username)

    # the dry run: version 1, the unknown supplier as a proposal with its suggestion, nothing stored
    _upload(s, crane, first)
    assert page.get_by_text(re.compile(r"this would be\s+version 1")).is_visible()
    vendors = page.locator("#bom-vendors")
    row = vendors.locator("tr", has_text="Remote Kare GmbH")
    assert "Not in the registry: kept as a name, not screened." in row.inner_text()
    assert "Did you mean \u201cRemote Care GmbH\u201d?" in row.inner_text()
    assert "Siemens AG" in vendors.locator("tr", has_text="Siemens AG").inner_text()  # matched by name
    assert not BomDocument.objects.exists()
    s.shot("60-bom-preview-proposal")

    # map the name to the recorded vendor it suggests; the preview says so, still nothing stored
    page.get_by_label("Map \u201cRemote Kare GmbH\u201d to").select_option(label="Remote Care GmbH")
    page.get_by_role("button", name="Apply the mapping").click()
    assert page.get_by_text("Mapping applied").is_visible()
    assert "(mapped by you)" in page.locator("#bom-vendors tr", has_text="Remote Kare GmbH").inner_text()
    assert not BomDocument.objects.exists()
    s.shot("61-bom-preview-mapped")

    # import: back on the unit, restricted through the part, with the path from the unit to the list
    page.get_by_label("I have checked the preview; import every row.").check()
    page.get_by_role("button", name="Import version 1").click()
    page.wait_for_url(re.compile(rf".*/equipment/{crane.pk}/$"))
    assert page.get_by_text("BOM version 1 imported: 5 components.").is_visible()
    assert "restricted" in page.locator("h1").inner_text().lower()
    reason = ("Component Remote maintenance agent (in Crane control software) by Remote Care GmbH: restricted "
              f"({LISTED_PATH})")
    assert page.get_by_text(reason, exact=True).is_visible()
    block = page.locator(".finding-block", has_text="Remote Care GmbH")
    assert LISTED_PATH in block.inner_text() and "component" in block.inner_text().lower()
    assert "Listed Heavy Industries Co. (100%)" in page.locator("#h-chain").locator("xpath=..").inner_text()
    document = BomDocument.objects.get()
    assert document.components.get(name="Remote maintenance agent").supplier_id == agent.pk
    s.shot("62-bom-unit-path")

    # a changed version: the firmware removed, an anemometer added, the agent's supplier and version changed
    parts = crane_parts(agent_supplier="Remote Care GmbH", agent_version="5.0")
    parts[0].children = []
    parts.append(Part("Anemometer", "device", supplier="Siemens AG"))
    second = tmp_path / "crane-v2.cdx.json"
    second.write_bytes(cyclonedx(parts))
    _upload(s, crane, second)
    diff = page.locator("#h-diff").locator("xpath=..")
    assert "What changed since version 1" in diff.inner_text()
    assert "1 added, 1 removed, 1 changed." in diff.inner_text()
    changes = page.locator("#bom-diff").inner_text()
    assert re.search(r"added: Anemometer", changes) and re.search(r"removed: PLC firmware", changes)
    assert ("changed: Remote maintenance agent \u00b7 version 4.2 \u2192 5.0; supplier Remote Kare GmbH \u2192 "
            "Remote Care GmbH") in changes
    s.shot("63-bom-preview-changes")
    page.get_by_label("I have checked the preview; import every row.").check()
    page.get_by_role("button", name="Import version 2").click()
    page.wait_for_url(re.compile(rf".*/equipment/{crane.pk}/$"))
    assert page.get_by_text("BOM version 2 imported: 5 components.").is_visible()
    assert BomDocument.objects.get(is_current=True).version == 2

    # the CycloneDX export with the registry's findings, from the unit page
    with page.expect_download() as download:
        page.locator("#boms").get_by_role("link", name="CycloneDX with findings").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert exported["bomFormat"] == "CycloneDX" and exported["specVersion"] == "1.6"

    def walk(components):
        for c in components:
            yield c
            yield from walk(c.get("components", []))

    by_name = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])}
               for c in walk(exported["components"])}
    assert by_name["Remote maintenance agent"]["vendorrisk:risk_status"] == "restricted"
    assert by_name["Remote maintenance agent"]["vendorrisk:vendor"] == "Remote Care GmbH"
    assert "Anemometer" in by_name and "PLC firmware" not in by_name
    # and all of the unit's parts (the BOMs in force for it, its recorded components)
    with page.expect_download() as download:
        page.locator("#unit-parts-export").click()
    unit_parts = json.loads(download.value.path().read_text(encoding="utf-8"))
    tops = {c["name"]: {p["name"]: p["value"] for p in c.get("properties", [])} for c in unit_parts["components"]}
    assert tops["Crane control software"]["vendorrisk:bom"] == "product model PT-STS-01 v2"
    assert s.problems == [], s.problems
    s.close()


def test_officer_maps_a_supplier_with_no_suggestion_by_typing_a_registry_vendor(
        browser, live_server, officer, crane_world, tmp_path):  # noqa: F811
    from apps.inventory.models import BomDocument
    from apps.vendors.models import Vendor

    path = tmp_path / "crane-sensor.cdx.json"
    path.write_bytes(cyclonedx([*crane_parts(), Part("Wind sensor", "device", supplier="Harbour Instruments")]))
    s = Session(browser, live_server.url)
    page = s.page
    s.login(officer.username)
    _upload(s, crane_world["crane"], path)
    field = page.get_by_label("Map \u201cHarbour Instruments\u201d to a registry vendor")
    assert field.get_attribute("list") == "vendor-names"
    vendors_before = Vendor.objects.count()
    field.fill("Harbor Instrumnets")  # a typo: refused, nothing created
    page.get_by_role("button", name="Apply the mapping").click()
    assert "No vendor is recorded as \u201cHarbor Instrumnets\u201d" in page.locator("#bom-mapping-error").inner_text()
    page.get_by_label("Map \u201cHarbour Instruments\u201d to a registry vendor").fill("siemens ag")
    page.get_by_role("button", name="Apply the mapping").click()
    assert page.get_by_text("Mapping applied").is_visible()
    row = page.locator("#bom-vendors tr", has_text="Harbour Instruments")
    assert "Siemens AG" in row.inner_text() and "(mapped by you)" in row.inner_text()
    page.get_by_label("I have checked the preview; import every row.").check()
    page.get_by_role("button", name="Import version 1").click()
    page.wait_for_url(re.compile(rf".*/equipment/{crane_world['crane'].pk}/$"))
    sensor = BomDocument.objects.get().components.get(name="Wind sensor")
    assert sensor.supplier.name == "Siemens AG" and Vendor.objects.count() == vendors_before
    problems = [p for p in s.problems if not p.startswith("400 ") or "/bom/import/" not in p]  # the refused typo
    assert problems == [] and len(s.problems) == 1, s.problems
    s.close()
