"""BOM import (apps.inventory.bom): dry-run preview, all-or-nothing commit, vendor mapping without creating names,
versions and their diff, the management command, and refusals that store nothing."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.inventory.bom import bom_commit, bom_preview
from apps.inventory.bom_parse import BomRejected
from apps.inventory.choices import EquipmentCategory
from apps.inventory.models import BomComponent, BomDocument
from apps.vendors.models import Vendor
from tests.factories import EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.factories.vendors import VendorAliasFactory
from tests.inventory.bom_docs import Part, crane_parts, cyclonedx, spdx, spdx3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def crane_model(db):
    return ProductModelFactory(model_number="PT-STS-01", category=EquipmentCategory.STS_CRANE)


@pytest.fixture
def vendors(db):
    siemens = VendorFactory(name="Siemens AG")
    zpmc = VendorFactory(name="Shanghai Zhenhua Heavy Industries Co., Ltd.")
    VendorAliasFactory(vendor=zpmc, name="ZPMC Software")
    quectel = VendorFactory(name="Quectel Wireless Solutions Co., Ltd.")
    return {"siemens": siemens, "zpmc": zpmc, "quectel": quectel}


def test_bom_preview_maps_names_and_aliases_and_proposes_the_rest(org, officer, crane_model, vendors):
    preview = bom_preview(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    by_name = {v.name: v for v in preview.vendors}
    assert by_name["Siemens AG"].vendor_id == vendors["siemens"].pk and by_name["Siemens AG"].components == 2
    assert by_name["ZPMC Software"].vendor_id == vendors["zpmc"].pk  # by alias
    assert by_name["Quectel Wireless Solutions Co., Ltd."].vendor_id == vendors["quectel"].pk  # a manufacturer
    assert [v.name for v in preview.unmatched] == ["Remote Care GmbH"]
    assert preview.version == 1 and preview.diff["added"] == 5
    assert not BomDocument.objects.exists() and not Vendor.objects.filter(name="Remote Care GmbH").exists()


def test_bom_preview_suggests_close_names_for_a_typo_and_never_creates_it(org, officer, crane_model, vendors):
    parts = [Part("PLC", supplier="Siemens AGG")]
    preview = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert preview.vendors[0].vendor_id is None and preview.vendors[0].suggestions == ["Siemens AG"]
    document = bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    comp = document.components.get()
    assert (comp.supplier_id, comp.supplier_name) == (None, "Siemens AGG")
    assert not Vendor.objects.filter(name="Siemens AGG").exists()
    assert document.summary["unmatched_vendors"] == ["Siemens AGG"]


def test_bom_names_match_by_the_screening_normalisation(org, officer, crane_model, vendors):
    """Legal forms, punctuation, case and diacritics are set aside like the screening does (one normaliser,
    apps.vendors.name_text); a name the normaliser keeps apart stays unmapped and is never created."""
    zpmc_na = VendorFactory(name="ZPMC North America Inc")
    muller = VendorFactory(name="Muller Hydraulik")
    VendorAliasFactory(vendor=muller, name="Mueller Hydraulics Intl")
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co Ltd")
    parts = [Part("Spreader", supplier="ZPMC North America, Inc."), Part("Pump", supplier="MÜLLER HYDRAULIK GmbH"),
             Part("Camera", supplier="Hikvision Digital Technology Co., Ltd")]
    preview = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    by_name = {v.name: v for v in preview.vendors}
    assert (by_name["ZPMC North America, Inc."].vendor_id, by_name["ZPMC North America, Inc."].matched_by) == (
        zpmc_na.pk, "normalised_name")
    assert by_name["MÜLLER HYDRAULIK GmbH"].vendor_id == muller.pk
    # "Hangzhou" is a word of the recorded name: another name for the normaliser, so no silent mapping
    hikvision = by_name["Hikvision Digital Technology Co., Ltd"]
    assert hikvision.vendor_id is None and hikvision.suggestions[0] == hik.name  # all its words: a suggestion
    document = bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert dict(document.components.values_list("name", "supplier_id")) == {
        "Spreader": zpmc_na.pk, "Pump": muller.pk, "Camera": None}
    assert Vendor.objects.filter(name__icontains="hikvision").count() == 1


def test_bom_normalised_name_of_two_vendors_maps_to_neither(org, officer, crane_model, vendors):
    VendorFactory(name="Acme Widgets Ltd")
    VendorFactory(name="ACME Widgets, Inc.")
    parts = [Part("Gear", supplier="Acme Widgets GmbH")]
    preview = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert preview.vendors[0].vendor_id is None
    assert set(preview.vendors[0].suggestions) >= {"Acme Widgets Ltd"}


def test_bom_resolution_wins_over_the_normalised_name(org, officer, crane_model, vendors):
    VendorFactory(name="ZPMC North America Inc")
    parts = [Part("Spreader", supplier="ZPMC North America, Inc.")]
    preview = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer,
                          resolutions={"ZPMC North America, Inc.": vendors["zpmc"].pk})
    assert (preview.vendors[0].vendor_id, preview.vendors[0].matched_by) == (vendors["zpmc"].pk, "resolution")


def test_bom_commit_stores_the_tree_the_evidence_and_an_audit_event(org, officer, crane_model, vendors):
    data = cyclonedx(crane_parts())
    document = bom_commit(organization=org, data=data, filename="crane.cdx.json", product_model=crane_model,
                          resolutions={"Remote Care GmbH": vendors["siemens"].pk}, actor=officer)
    assert (document.version, document.format, document.spec_version, document.size) == (
        1, "cyclonedx-json", "1.6", len(data))
    assert document.file.read() == data and document.imported_by == officer
    assert document.component_count == 5 == document.components.count()
    agent = document.components.get(name="Remote maintenance agent")
    assert agent.parent.name == "Crane control software" and agent.depth == 1
    assert agent.supplier_id == vendors["siemens"].pk and agent.supplier_name == "Remote Care GmbH"
    assert document.components.get(name="S7-1500 PLC").country == "DE"
    event = AuditEvent.objects.get(action="inventory.bom.import")
    assert event.changes["components"] == 5 and event.organization_id == org.pk


def test_bom_commit_for_a_unit_and_from_spdx(org, officer, vendors):
    unit = EquipmentFactory(site=SiteFactory(organization=org), product_model__model_number="PT-STS-01")
    document = bom_commit(organization=org, data=spdx(crane_parts(), fmt="tv"), equipment=unit, actor=officer)
    assert document.equipment == unit and document.product_model is None and document.format == "spdx-tv"
    root = document.components.get(parent__isnull=True)
    assert root.name == "PT-STS-01" and root.children.count() == 3 and document.component_count == 6


def test_bom_commit_from_spdx_3_maps_suppliers_and_nesting(org, officer, crane_model, vendors):
    data = spdx3(crane_parts())
    preview = bom_preview(organization=org, data=data, product_model=crane_model, actor=officer)
    assert [v.name for v in preview.unmatched] == ["Remote Care GmbH"]
    document = bom_commit(organization=org, data=data, product_model=crane_model, actor=officer,
                          resolutions={"Remote Care GmbH": vendors["siemens"].pk})
    assert (document.format, document.spec_version, document.component_count) == ("spdx3-jsonld", "3.0.1", 6)
    agent = document.components.get(name="Remote maintenance agent")
    assert agent.parent.name == "Crane control software" and agent.depth == 2
    assert (agent.supplier_id, agent.supplier_name) == (vendors["siemens"].pk, "Remote Care GmbH")
    assert document.components.get(name="Crane control software").supplier_id == vendors["zpmc"].pk  # by alias
    # a changed SPDX 3 version is compared with it like any other format
    changed = bom_preview(organization=org, data=spdx3(crane_parts(agent_version="5.0")), product_model=crane_model,
                          actor=officer)
    assert (changed.version, changed.diff["changed"], changed.diff["added"], changed.diff["removed"]) == (2, 1, 0, 0)


def test_bom_spdx_3_refusals_store_nothing(org, officer, crane_model, vendors):
    with pytest.raises(BomRejected, match="describes \u201cRTG-9\u201d"):
        bom_commit(organization=org, data=spdx3(crane_parts(), subject="RTG-9"), product_model=crane_model,
                   actor=officer)
    bad = json.loads(spdx3(crane_parts()))
    bad["@graph"][0]["unknownProperty"] = 1
    with pytest.raises(BomRejected, match="Not a valid SPDX 3.0 document"):
        bom_commit(organization=org, data=json.dumps(bad).encode(), product_model=crane_model, actor=officer)
    assert not BomDocument.objects.exists() and not BomComponent.objects.exists()


def test_bom_spdx_3_full_of_other_elements_is_refused_before_the_bindings_read_it(org, officer, crane_model, vendors,
                                                                                  settings, monkeypatch):
    import spdx_python_model

    doc = json.loads(spdx3(crane_parts()))
    info = next(e["@id"] for e in doc["@graph"] if e.get("type") == "CreationInfo")
    doc["@graph"] += [{"type": "software_File", "spdxId": f"urn:example-test:file-{i}", "creationInfo": info,
                       "name": f"f{i}"} for i in range(50)]
    settings.INVENTORY_BOM_MAX_ELEMENTS = 40
    monkeypatch.setattr(spdx_python_model, "load_data", lambda *a: pytest.fail("the bindings were called"))
    with pytest.raises(BomRejected, match=r"holds \d+ elements; the limit is 40 \(INVENTORY_BOM_MAX_ELEMENTS\)"):
        bom_commit(organization=org, data=json.dumps(doc).encode(), product_model=crane_model, actor=officer)
    assert not BomDocument.objects.exists() and not BomComponent.objects.exists()
    monkeypatch.undo()
    settings.INVENTORY_BOM_MAX_ELEMENTS = 1000
    document = bom_commit(organization=org, data=json.dumps(doc).encode(), product_model=crane_model, actor=officer)
    assert document.component_count == 6  # the subject package and its five parts; files are not parts


def test_a_new_version_shows_what_changed(org, officer, crane_model, vendors):
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    parts = crane_parts(agent_supplier="Other Remote Ltd", agent_version="5.0")
    parts[0].children = []  # the PLC firmware removed
    parts.append(Part("Anemometer", "device", supplier="Siemens AG"))
    preview = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    diff = preview.diff
    assert (preview.version, diff["previous_version"], diff["added"], diff["removed"], diff["changed"]) == (
        2, 1, 1, 1, 1)
    changes = {e["name"]: e for e in diff["examples"]}
    assert changes["Remote maintenance agent"]["detail"] == (
        "version 4.2 \u2192 5.0; supplier Remote Care GmbH \u2192 Other Remote Ltd")
    assert changes["PLC firmware"]["change"] == "removed" and changes["Anemometer"]["change"] == "added"
    assert "touched_countries" not in preview.as_dict()["diff"]
    assert len(diff["changed_keys"]) == 3 and "changed_keys" not in preview.as_dict()["diff"]
    document = bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert document.version == 2 and document.summary["diff"]["changed"] == 1


def test_a_changed_supplier_country_is_a_change(org, officer, crane_model, vendors):
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    parts = crane_parts()
    parts[0].country = "CN"
    diff = bom_preview(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer).diff
    assert (diff["changed"], diff["examples"][0]["detail"], diff["touched_countries"]) == (
        1, "supplier country DE \u2192 CN", ["CN", "DE"])


def test_versions_are_per_organisation_for_a_shared_product_model(org, other_org, officer, other_officer,
                                                                  crane_model, vendors):
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    other = bom_commit(organization=other_org, data=cyclonedx(crane_parts()), product_model=crane_model,
                       actor=other_officer)
    assert other.version == 1


def test_bom_refusals_store_nothing(org, officer, crane_model, vendors):
    with pytest.raises(BomRejected, match="describes \u201cRTG-9\u201d"):
        bom_commit(organization=org, data=cyclonedx(crane_parts(), subject="RTG-9"), product_model=crane_model,
                   actor=officer)
    with pytest.raises(BomRejected):
        bom_commit(organization=org, data=b"<bom/>", product_model=crane_model, actor=officer)
    assert not BomDocument.objects.exists() and not BomComponent.objects.exists()
    assert not AuditEvent.objects.filter(action="inventory.bom.import").exists()


def test_bom_commit_removes_the_file_when_the_transaction_fails(org, officer, crane_model, vendors, settings,
                                                               monkeypatch, tmp_path):
    from apps.inventory import bom

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bom, "_components_store", boom)
    with pytest.raises(RuntimeError):
        bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    assert not BomDocument.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_bom_import_is_for_officers_of_the_organisation(org, viewer, other_officer, crane_model, vendors):
    with pytest.raises(ApplicationError) as denied:
        bom_preview(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=viewer)
    assert denied.value.code == "forbidden"
    unit = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    with pytest.raises(ApplicationError) as hidden:
        bom_preview(organization=org, data=cyclonedx(crane_parts()), equipment=unit, actor=other_officer)
    assert hidden.value.code == "not_found"


def test_bom_resolution_to_a_missing_vendor_is_refused(org, officer, crane_model, vendors):
    with pytest.raises(ApplicationError, match="does not exist"):
        bom_preview(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model,
                    resolutions={"Remote Care GmbH": 10**9}, actor=officer)


def test_import_bom_command_dry_run_then_commit(org, crane_model, vendors, tmp_path):
    path = tmp_path / "crane.cdx.xml"
    path.write_bytes(cyclonedx(crane_parts(), fmt="xml"))
    out = StringIO()
    call_command("import_bom", str(path), "--organization", org.slug, "--product-model", str(crane_model.pk),
                 stdout=out)
    result = json.loads(out.getvalue())
    assert result["components"] == 5 and "stored" not in result and not BomDocument.objects.exists()
    out = StringIO()
    call_command("import_bom", str(path), "--organization", org.slug, "--product-model", str(crane_model.pk),
                 "--resolve", f"Remote Care GmbH={vendors['siemens'].pk}", "--commit", stdout=out)
    assert json.loads(out.getvalue())["stored"]["version"] == 1
    assert BomComponent.objects.filter(supplier__isnull=True).count() == 0
    path.write_bytes(b"<?xml version='1.0'?><!DOCTYPE bom [<!ENTITY x 'y'>]><bom/>")
    with pytest.raises(CommandError, match="Refused: XML refused"):
        call_command("import_bom", str(path), "--organization", org.slug, "--product-model", str(crane_model.pk),
                     "--commit")


SHARED_SPDX3 = Path(__file__).resolve().parents[3] / "shared" / "data" / "bom" / "spdx" / "example13.spdx3.json"


@pytest.mark.skipif(not SHARED_SPDX3.is_file(), reason=f"{SHARED_SPDX3} is absent (published BOM examples)")
def test_import_bom_command_reads_the_published_spdx_3_example(org, tmp_path):
    """The SPDX project's example13 (SPDX 3.0.1 JSON-LD) through the command, for the product it describes:
    its suppliers are names the registry does not know (kept, not screened, not created)."""
    model = ProductModelFactory(model_number="ACME-APP-1.3", name="Acme Application")
    out = StringIO()
    call_command("import_bom", str(SHARED_SPDX3), "--organization", org.slug, "--product-model", str(model.pk),
                 "--commit", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["format"], result["spec_version"], result["components"]) == ("spdx3-jsonld", "3.0.1", 4)
    document = BomDocument.objects.get()
    assert document.file.read() == SHARED_SPDX3.read_bytes()
    openssl = document.components.get(name="openssl")
    assert (openssl.parent.name, openssl.depth) == ("alpine:latest", 2)
    assert set(document.components.values_list("supplier_name", flat=True)) == {
        "Acme Company", "Fedor Indutny", "Alpine Linux", ""}
    assert not Vendor.objects.filter(name__in=["Acme Company", "Alpine Linux"]).exists()
