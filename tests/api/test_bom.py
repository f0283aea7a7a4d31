"""The BOM endpoint: preview (dry run) by default, store with dry_run=false, refusals as a 400 with the reason and
nothing stored, the CycloneDX export with the registry's findings as properties, and who may do what."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.inventory.models import BomDocument
from tests.api.conftest import token_client
from tests.factories import FindingFactory, MembershipFactory, ProductModelFactory, UserFactory, VendorFactory
from tests.inventory.bom_docs import crane_parts, cyclonedx

pytestmark = pytest.mark.django_db
URL = "/api/v1/boms/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def setup(org):
    officer = MembershipFactory(organization=org, role="officer", user=UserFactory(username="bom-officer")).user
    viewer = MembershipFactory(organization=org, role="viewer", user=UserFactory(username="bom-viewer")).user
    model = ProductModelFactory(model_number="PT-STS-01", category="sts_crane")
    agent = VendorFactory(name="Remote Care GmbH")
    FindingFactory(vendor=agent, kind="ownership", status="restricted", key="x",
                   path_text="Remote Care GmbH <- controlled by Listed Heavy Industries Co. <- listed: DoD 1260H")
    VendorFactory(name="Siemens AG")
    return {"officer": token_client(officer), "viewer": token_client(viewer), "model": model, "org": org}


def _upload(data: bytes, name: str = "crane.cdx.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_api_bom_preview_then_commit_then_export(setup):
    client, model, org = setup["officer"], setup["model"], setup["org"]
    data = cyclonedx(crane_parts())
    preview = client.post(URL, {"file": _upload(data), "organization": org.pk, "product_model": model.pk},
                          format="multipart")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["components"] == 5 and body["version"] == 1 and not BomDocument.objects.exists()
    unmatched = {v["name"]: v for v in body["vendors"] if not v["matched"]}
    assert set(unmatched) == {"ZPMC Software", "Quectel Wireless Solutions Co., Ltd."}

    stored = client.post(URL, {"file": _upload(data), "organization": org.pk, "product_model": model.pk,
                               "dry_run": "false"}, format="multipart")
    assert stored.status_code == 201, stored.content
    document = BomDocument.objects.get()
    assert stored.json()["id"] == document.pk and stored.json()["sha256"] == document.sha256

    export = client.get(f"{URL}{document.pk}/cyclonedx/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.cyclonedx+json")
    bom = json.loads(export.content)
    assert bom["specVersion"] == "1.6"
    agent = next(c for top in bom["components"] for c in top.get("components", [])
                 if c["name"] == "Remote maintenance agent")
    props = {(p["name"], p["value"]) for p in agent["properties"]}
    assert ("vendorrisk:risk_status", "restricted") in props
    assert ("vendorrisk:finding", "restricted: Remote Care GmbH <- controlled by Listed Heavy Industries Co. <- "
                                  "listed: DoD 1260H") in props
    modem = next(c for c in bom["components"] if c["name"] == "LTE modem")
    assert {"name": "vendorrisk:unmatched_supplier", "value": "Quectel Wireless Solutions Co., Ltd."} in (
        modem["properties"])
    listing = client.get(URL)
    assert [row["id"] for row in listing.json()["results"]] == [document.pk]


def test_api_bom_refusal_is_a_400_with_the_reason_and_stores_nothing(setup):
    client, model, org = setup["officer"], setup["model"], setup["org"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom>&a;</bom>'
    response = client.post(URL, {"file": _upload(bomb, "x.xml"), "organization": org.pk, "product_model": model.pk,
                                 "dry_run": "false"}, format="multipart")
    assert response.status_code == 400
    assert "XML refused" in json.dumps(response.json())
    response = client.post(URL, {"file": _upload(cyclonedx(crane_parts(), subject="Other crane")),
                                 "organization": org.pk, "product_model": model.pk, "dry_run": "false"},
                           format="multipart")
    assert response.status_code == 400 and "describes" in json.dumps(response.json())
    response = client.post(URL, {"file": _upload(cyclonedx(crane_parts())), "organization": org.pk},
                           format="multipart")
    assert response.status_code == 400 and "product_model" in json.dumps(response.json())
    assert not BomDocument.objects.exists()


def test_api_bom_resolutions_map_unknown_names(setup):
    client, model, org = setup["officer"], setup["model"], setup["org"]
    siemens = VendorFactory(name="Siemens Mobility GmbH")
    response = client.post(URL, {"file": _upload(cyclonedx(crane_parts())), "organization": org.pk,
                                 "product_model": model.pk, "resolutions": json.dumps({"ZPMC Software": siemens.pk})},
                           format="multipart")
    by_name = {v["name"]: v for v in response.json()["vendors"]}
    assert by_name["ZPMC Software"]["vendor_id"] == siemens.pk


def test_api_bom_upload_is_for_writers(setup):
    response = setup["viewer"].post(URL, {"file": _upload(cyclonedx(crane_parts())), "organization": setup["org"].pk,
                                          "product_model": setup["model"].pk}, format="multipart")
    assert response.status_code == 403


def test_api_unit_parts_export_joins_the_boms_in_force_and_the_recorded_components(setup, django_assert_num_queries):
    """GET /api/v1/equipment/{id}/cyclonedx/: the unit's own BOM and its organisation's BOM of its product model
    (each tagged), its recorded components, findings as properties; a reader may export; constant queries."""
    from apps.inventory.bom import bom_commit
    from apps.screening.bom_export import equipment_export_cyclonedx
    from tests.factories import ComponentFactory, EquipmentFactory, SiteFactory
    from tests.inventory.bom_docs import Part

    org, model = setup["org"], setup["model"]
    unit = EquipmentFactory(site=SiteFactory(organization=org), product_model=model, asset_tag="PT-STS-01-A")
    agent = VendorFactory._meta.model.objects.get(name="Remote Care GmbH")
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=model)
    bom_commit(organization=org, data=cyclonedx([Part("Spreader", supplier="Siemens AG")]), equipment=unit)
    ComponentFactory(equipment=unit, vendor=agent, kind="comms_module", name="Gateway")
    export = setup["viewer"].get(f"/api/v1/equipment/{unit.pk}/cyclonedx/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.cyclonedx+json")
    bom = json.loads(export.content)
    assert bom["metadata"]["component"]["name"] == "PT-STS-01-A"

    def props(component):
        return {p["name"]: p["value"] for p in component.get("properties", [])}

    top = {c["name"]: props(c) for c in bom["components"]}
    assert top["Spreader"]["vendorrisk:bom"] == "unit v1"
    assert top["Crane control software"]["vendorrisk:bom"] == "product model PT-STS-01 v1"
    assert (top["Gateway"]["vendorrisk:recorded"], top["Gateway"]["vendorrisk:risk_status"]) == (
        "comms_module", "restricted")
    software = next(c for c in bom["components"] if c["name"] == "Crane control software")
    (nested,) = software["components"]
    assert (nested["name"], props(nested)["vendorrisk:risk_status"]) == ("Remote maintenance agent", "restricted")
    with django_assert_num_queries(5):  # unit, parts in force, documents, recorded components, findings
        equipment_export_cyclonedx(unit)
    bom_commit(organization=org, data=cyclonedx([*crane_parts(), Part("Cabinet", children=[
        Part("Rack", children=[Part("Modem", supplier="Siemens AG")])])], serial=None), product_model=model)
    ComponentFactory(equipment=unit, vendor=agent, kind="firmware", name="Agent firmware")
    with django_assert_num_queries(5):
        equipment_export_cyclonedx(unit)
