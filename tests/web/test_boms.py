"""Bills of materials on the officer's unit page: upload, preview with unknown names and suggestions, commit,
the status with the component's path, the CycloneDX export; refusals store nothing; readers cannot upload."""
import io
import json

import pytest
from django.urls import reverse

from apps.inventory.models import BomDocument
from tests.factories import EquipmentFactory, FindingFactory, ProductModelFactory, VendorFactory
from tests.inventory.bom_docs import Part, crane_parts, cyclonedx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def crane(site):
    agent = VendorFactory(name="Remote Care GmbH")
    FindingFactory(vendor=agent, kind="ownership", status="restricted", key="x",
                   path_text="Remote Care GmbH <- controlled by Listed Heavy Industries Co. <- listed: DoD 1260H")
    VendorFactory(name="Siemens AG")
    return EquipmentFactory(site=site, asset_tag="PT-STS-01",
                            product_model=ProductModelFactory(model_number="PT-STS-01", category="sts_crane"))


def _file(data: bytes, name: str = "crane.cdx.json"):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_officer_uploads_previews_and_imports_a_bom(client_for, officer, crane):
    c = client_for(officer)
    page = c.get(reverse("web:equipment-detail", args=[crane.pk]))
    assert b'id="bom-form"' in page.content
    parts = crane_parts()
    parts.append(Part("Wind sensor", "device", supplier="Siemens AGG"))
    response = c.post(reverse("web:bom-upload", args=[crane.pk]),
                      {"file": _file(cyclonedx(parts)), "for_model": "unit"}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "version 1" in body and "Remote Care GmbH" in body
    assert "Did you mean \u201cSiemens AG\u201d?" in body and not BomDocument.objects.exists()
    token = response.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[-1]
    response = c.post(reverse("web:bom-preview", args=[token]), {"confirm": "on"}, follow=True)
    document = BomDocument.objects.get()
    assert document.equipment == crane and document.component_count == 6
    body = response.content.decode()
    assert "Component Remote maintenance agent (in Crane control software) by Remote Care GmbH: restricted " \
           "(Remote Care GmbH &lt;- controlled by Listed Heavy Industries Co. &lt;- listed: DoD 1260H)" in body
    assert 'id="boms"' in body and reverse("web:bom-export", args=[document.pk]) in body
    again = c.post(reverse("web:bom-preview", args=[token]), {"confirm": "on"})
    assert again.status_code == 400 and BomDocument.objects.count() == 1  # the upload was used

    export = c.get(reverse("web:bom-export", args=[document.pk]))
    bom = json.loads(export.content)
    assert bom["specVersion"] == "1.6" and len(bom["components"]) == 4


def test_a_refused_bom_says_why_and_stores_nothing(client_for, officer, crane):
    c = client_for(officer)
    response = c.post(reverse("web:bom-upload", args=[crane.pk]),
                      {"file": _file(cyclonedx(crane_parts(), subject="RTG-9")), "for_model": "model"}, follow=True)
    assert response.status_code == 400 and 'id="bom-refused"' in response.content.decode()
    assert "describes \u201cRTG-9\u201d" in response.content.decode()
    assert not BomDocument.objects.exists()


def test_readers_cannot_upload_and_other_organisations_cannot_export(client_for, viewer, other_officer, officer,
                                                                     crane):
    response = client_for(viewer).post(reverse("web:bom-upload", args=[crane.pk]),
                                       {"file": _file(cyclonedx(crane_parts())), "for_model": "unit"})
    assert response.status_code in (403, 404) and not BomDocument.objects.exists()
    from apps.inventory.bom import bom_commit
    document = bom_commit(organization=crane.site.organization, data=cyclonedx(crane_parts()), equipment=crane,
                          actor=officer)
    assert client_for(other_officer).get(reverse("web:bom-export", args=[document.pk])).status_code == 404


def _upload(c, crane, parts) -> str:
    response = c.post(reverse("web:bom-upload", args=[crane.pk]),
                      {"file": _file(cyclonedx(parts)), "for_model": "unit"})
    assert response.status_code == 302
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_officer_maps_an_unknown_name_to_a_suggested_vendor_then_imports(client_for, officer, crane,
                                                                        django_assert_max_num_queries):
    siemens = VendorFactory._meta.model.objects.get(name="Siemens AG")
    c = client_for(officer)
    token = _upload(c, crane, [Part("Wind sensor", "device", supplier="Siemens AGG"),
                               Part("Drive", "device", supplier="Nobody Similar Ltd")])
    url = reverse("web:bom-preview", args=[token])
    page = c.get(url).content.decode()
    assert 'id="bom-mapping"' in page and f'<option value="{siemens.pk}">Siemens AG</option>' in page
    assert page.count("<select") == 1  # no suggestion for the other name: nothing to pick
    with django_assert_max_num_queries(40):
        response = c.post(url, {"map": "1", "name_0": "Siemens AGG", "vendor_0": str(siemens.pk)})
    body = response.content.decode()
    assert response.status_code == 200 and "(mapped by you)" in body and not BomDocument.objects.exists()
    assert f'<option value="{siemens.pk}" selected>' in body
    assert "(mapped by you)" in c.get(url).content.decode()  # kept on the upload, no re-upload
    c.post(url, {"confirm": "on"})
    document = BomDocument.objects.get()
    assert dict(document.components.values_list("supplier_name", "supplier_id")) == {
        "Siemens AGG": siemens.pk, "Nobody Similar Ltd": None}


def test_officer_maps_a_name_that_is_not_the_first_row_of_the_preview(client_for, officer, crane):
    """The mapping fields are numbered by the name's row among all names (matched ones have none): a gap before
    the first mappable name must not drop the choice."""
    siemens = VendorFactory._meta.model.objects.get(name="Siemens AG")
    c = client_for(officer)
    token = _upload(c, crane, [Part("PLC", "device", supplier="Remote Care GmbH"),
                               Part("Drive", "device", supplier="Remote Care GmbH"),
                               Part("Wind sensor", "device", supplier="Siemens AGG")])
    url = reverse("web:bom-preview", args=[token])
    page = c.get(url).content.decode()
    assert 'name="name_0"' not in page and 'name="name_1" value="Siemens AGG"' in page
    response = c.post(url, {"map": "1", "name_1": "Siemens AGG", "vendor_1": str(siemens.pk)})
    assert response.status_code == 200 and "(mapped by you)" in response.content.decode()


def test_mapping_refuses_ids_not_suggested_and_names_not_in_the_document(client_for, officer, crane):
    other = VendorFactory(name="Unrelated Vendor Corp")
    c = client_for(officer)
    token = _upload(c, crane, [Part("Wind sensor", "device", supplier="Siemens AGG")])
    url = reverse("web:bom-preview", args=[token])
    for post in ({"map": "1", "name_0": "Siemens AGG", "vendor_0": str(other.pk)},  # a vendor not suggested
                 {"map": "1", "name_0": "Siemens AGG", "vendor_0": "999999999"},  # no such vendor
                 {"map": "1", "name_0": "Siemens AGG", "vendor_0": "x; drop"},
                 {"map": "1", "name_0": "Remote Care GmbH", "vendor_0": str(other.pk)}):  # not in the document
        response = c.post(url, post)
        assert response.status_code == 400 and 'id="bom-mapping-error"' in response.content.decode()
    assert "(mapped by you)" not in c.get(url).content.decode()
    c.post(url, {"map": "1", "name_0": "Siemens AGG", "vendor_0": ""})  # leave unmapped
    c.post(url, {"confirm": "on"})
    assert BomDocument.objects.get().components.get().supplier_id is None


def test_officer_maps_a_name_to_any_registry_vendor_by_typing_it_never_to_a_typo(client_for, officer, crane):
    """A name with no suggestion (or a suggestion that is not the right company) is mapped to any vendor of the
    registry by its legal name or an alias, as the unit forms' vendor field; a name the registry does not hold is
    refused with close names, and no vendor is created."""
    Vendor = VendorFactory._meta.model
    drives = VendorFactory(name="Konecranes Drives Oyj")
    drives.aliases.create(name="KC Drives")
    siemens = Vendor.objects.get(name="Siemens AG")
    c = client_for(officer)
    token = _upload(c, crane, [Part("Drive", "device", supplier="Nobody Similar Ltd"),
                               Part("Wind sensor", "device", supplier="Siemens AGG")])
    url = reverse("web:bom-preview", args=[token])
    page = c.get(url).content.decode()
    assert page.count("<select") == 1 and 'name="other_0"' in page and 'name="other_1"' in page
    assert 'list="vendor-names"' in page and '<datalist id="vendor-names">' in page
    vendors_before = Vendor.objects.count()
    refused = c.post(url, {"map": "1", "name_0": "Nobody Similar Ltd", "other_0": "Konecranes Drivs Oyj",
                           "name_1": "Siemens AGG", "vendor_1": str(siemens.pk)})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="bom-mapping-error"' in body
    assert "No vendor is recorded as “Konecranes Drivs Oyj”" in body and "(mapped by you)" not in body
    assert Vendor.objects.count() == vendors_before
    mapped = c.post(url, {"map": "1", "name_0": "Nobody Similar Ltd", "other_0": "  kc drives ",
                          "name_1": "Siemens AGG", "vendor_1": "", "other_1": "Konecranes Drives Oyj"})
    body = mapped.content.decode()
    assert mapped.status_code == 200 and body.count("(mapped by you)") == 2
    assert 'value="Konecranes Drives Oyj"' in body  # the typed mapping is shown again
    c.post(url, {"confirm": "on"})
    document = BomDocument.objects.get()
    assert dict(document.components.values_list("supplier_name", "supplier_id")) == {
        "Nobody Similar Ltd": drives.pk, "Siemens AGG": drives.pk}
    assert Vendor.objects.count() == vendors_before


def test_the_chain_block_names_the_bom_parts_it_applies_to(client_for, officer, crane):
    c = client_for(officer)
    token = _upload(c, crane, crane_parts())
    c.post(reverse("web:bom-preview", args=[token]), {"confirm": "on"})
    page = c.get(reverse("web:equipment-detail", args=[crane.pk])).content.decode()
    assert ("Remote Care GmbH \u00b7 applies to component \u201cRemote maintenance agent (in Crane control "
            "software)\u201d</div>") in page
    # a supplier of many parts: three named, the rest counted
    more = [Part(f"Sensor {i}", "device", supplier="Remote Care GmbH") for i in range(3)]
    token = _upload(c, crane, [*crane_parts(), *more])
    c.post(reverse("web:bom-preview", args=[token]), {"confirm": "on"})
    page = c.get(reverse("web:equipment-detail", args=[crane.pk])).content.decode()
    assert ("applies to components \u201cSensor 0\u201d, \u201cSensor 1\u201d, \u201cSensor 2\u201d and 1 more"
            "</div>") in page  # (parts are stored level by level: the top-level sensors first)


def test_another_organisation_cannot_map_an_upload(client_for, officer, other_officer, crane):
    token = _upload(client_for(officer), crane, [Part("Wind sensor", "device", supplier="Siemens AGG")])
    siemens = VendorFactory._meta.model.objects.get(name="Siemens AG")
    response = client_for(other_officer).post(reverse("web:bom-preview", args=[token]),
                                              {"map": "1", "name_0": "Siemens AGG", "vendor_0": str(siemens.pk)})
    assert response.status_code == 404


def test_bom_suppliers_are_offered_in_the_forms_and_found_by_the_vendor_filter(client_for, officer, crane, org,
                                                                               django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from apps.inventory.bom import bom_commit
    from apps.vendors.models import Vendor

    cache.clear()
    agent = Vendor.objects.get(name="Remote Care GmbH")
    other = EquipmentFactory(site=crane.site)  # no BOM
    c = client_for(officer)
    assert "Remote Care GmbH" not in c.get(reverse("web:equipment-detail", args=[other.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the commit bumps the cached vendor set's generation
        bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane.product_model,
                   actor=officer)
    # the suggestions of the component form (any unit of the organisation) and the equipment list's vendor filter
    assert '<option value="Remote Care GmbH">' in c.get(
        reverse("web:equipment-detail", args=[other.pk])).content.decode()
    page = c.get(reverse("web:equipment-list")).content.decode()
    assert f'<option value="{agent.pk}">' in page
    found = c.get(reverse("web:equipment-list"), {"vendor": agent.pk}).content.decode()
    assert reverse("web:equipment-detail", args=[crane.pk]) in found
    assert reverse("web:equipment-detail", args=[other.pk]) not in found


def test_the_organisations_vendor_set_reads_bom_parts_in_constant_queries(officer, crane, org,
                                                                         django_assert_num_queries):
    from apps.inventory.bom import bom_commit
    from apps.web.selectors import _organization_vendor_ids_compute

    with django_assert_num_queries(4):  # product models in use, their vendors, components, BOM suppliers
        before = _organization_vendor_ids_compute(org.pk)
    deep = Part("Cabinet", children=[Part("Rack", children=[Part("Modem", supplier="Siemens AG")])])
    bom_commit(organization=org, data=cyclonedx([*crane_parts(), deep]), product_model=crane.product_model,
               actor=officer)
    bom_commit(organization=org, data=cyclonedx(crane_parts()), equipment=crane, actor=officer)
    with django_assert_num_queries(4):
        after = _organization_vendor_ids_compute(org.pk)
    siemens = VendorFactory._meta.model.objects.get(name="Siemens AG")
    assert siemens.pk not in before and siemens.pk in after


def test_a_reader_exports_all_of_a_units_parts(client_for, viewer, officer, crane, org):
    from apps.inventory.bom import bom_commit

    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane.product_model, actor=officer)
    c = client_for(viewer)
    page = c.get(reverse("web:equipment-detail", args=[crane.pk])).content.decode()
    url = reverse("web:equipment-bom-export", args=[crane.pk])
    assert f'href="{url}"' in page
    response = c.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.cdx.json"')
    names = {comp["name"] for comp in json.loads(response.content)["components"]}
    assert {"S7-1500 PLC", "LTE modem", "Crane control software"} <= names
