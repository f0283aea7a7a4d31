"""Which of our cameras are Hikvision, under any brand? The vendor, the companies it owns and the brands it
makes white-label products for (in the categories made for them)."""
import datetime as dt

import pytest
from django.urls import reverse

from apps.inventory.models import Equipment
from apps.inventory.services import component_add
from apps.vendors.selectors import vendor_family
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    OemRelationFactory,
    OwnershipFactory,
    ProductModelFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(site):
    maker = VendorFactory(name="Hangzhou Example Vision")
    subsidiary = VendorFactory(name="Example Vision Home (subsidiary)")
    grandchild = VendorFactory(name="Example Vision Europe")
    white_label = VendorFactory(name="Acme Security Cameras")
    old_owner_child = VendorFactory(name="Sold Off Ltd")
    stranger = VendorFactory(name="Unrelated Networks")
    OwnershipFactory(owner=maker, owned=subsidiary, share_percent=100)
    OwnershipFactory(owner=subsidiary, owned=grandchild, share_percent=60)
    OwnershipFactory(owner=maker, owned=old_owner_child, share_percent=100, end_date=dt.date(2020, 1, 1))
    OemRelationFactory(brand=white_label, manufacturer=subsidiary, category="camera")
    units = {
        "maker": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=maker, category="camera")),
        "subsidiary": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=subsidiary)),
        "grandchild_software": EquipmentFactory(site=site, product_model=ProductModelFactory(
            brand=stranger, software_supplier=grandchild, category="network")),
        "white_label_camera": EquipmentFactory(site=site, product_model=ProductModelFactory(
            brand=white_label, category="camera"), category="camera"),
        "white_label_switch": EquipmentFactory(site=site, product_model=ProductModelFactory(
            brand=white_label, category="network"), category="network"),
        "sold_off": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=old_owner_child)),
        "stranger": EquipmentFactory(site=site, product_model=ProductModelFactory(brand=stranger,
                                                                                  category="network")),
    }
    modem_host = EquipmentFactory(site=site, product_model=ProductModelFactory(brand=stranger, category="iot_sensor"))
    ComponentFactory(equipment=modem_host, vendor=grandchild, kind="comms_module")
    units["component"] = modem_host
    return {"maker": maker, "subsidiary": subsidiary, "grandchild": grandchild, "white_label": white_label,
            "units": units}


def test_the_family_follows_ownership_in_force_and_oem_categories(family):
    found = vendor_family(family["maker"].pk)
    assert found.vendor_ids == {family["maker"].pk, family["subsidiary"].pk, family["grandchild"].pk}
    assert found.oem_brands == {family["white_label"].pk: {"camera"}}


def test_the_equipment_list_finds_the_vendor_under_any_brand(client_for, officer, family):
    c = client_for(officer)
    response = c.get(reverse("web:equipment-list"), {"vendor_family": family["maker"].pk})
    shown = {e.pk for e, *_ in response.context["rows"]}
    units = family["units"]
    assert shown == {units[k].pk for k in ("maker", "subsidiary", "grandchild_software", "white_label_camera",
                                            "component")}
    assert response.context["page_obj"].paginator.count == 5
    assert b'id="family-filter"' in response.content and b'name="vendor_family"' in response.content

    grandchild = c.get(reverse("web:vendor-detail", args=[family["grandchild"].pk]))
    units = family["units"]  # software supplier of one unit, comms module of another: each counted once
    assert grandchild.context["n_units"] == units["grandchild_software"].quantity + units["component"].quantity
    page = c.get(reverse("web:vendor-detail", args=[family["maker"].pk]))
    assert page.context["n_family_units"] == Equipment.objects.filter(pk__in=shown).count()
    assert f"?vendor_family={family['maker'].pk}".encode() in page.content


def test_the_api_filter_is_the_same(officer, family):
    from tests.api.conftest import token_client

    rows = token_client(officer).get("/api/v1/equipment/", {"vendor_family": family["maker"].pk}).json()["results"]
    assert len(rows) == 5
    assert token_client(officer).get("/api/v1/equipment/", {"vendor_family": "9" * 20}).status_code == 400


def test_a_component_vendor_filters_the_list_and_a_refused_filter_shows_no_rows(client_for, officer, family,
                                                                                django_capture_on_commit_callbacks):
    modem_maker = VendorFactory(name="Modules Only Co.")  # in the inventory as a component vendor only
    c = client_for(officer)
    c.get(reverse("web:equipment-list"))  # the organisation's vendor set is computed (and cached) before ...
    with django_capture_on_commit_callbacks(execute=True):  # ... this component is added
        component_add(equipment=family["units"]["stranger"], vendor=modem_maker, kind="comms_module")
    response = c.get(reverse("web:equipment-list"), {"vendor": modem_maker.pk})
    assert [e.pk for e, *_ in response.context["rows"]] == [family["units"]["stranger"].pk]
    outsider = VendorFactory(name="Not in this inventory")
    refused = c.get(reverse("web:equipment-list"), {"vendor": outsider.pk})
    assert refused.context["filter"].errors and list(refused.context["rows"]) == []
    assert refused.context["page_obj"].paginator.count == 0


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1e30", "12.5"])
def test_an_id_filter_beyond_the_database_range_is_refused_on_the_page_and_in_the_api(client_for, officer, value):
    page = client_for(officer).get(f"/equipment/?vendor_family={value}")
    assert page.status_code == 200 and b"errorlist" in page.content  # the field's message, no rows, never a 500
    api = client_for(officer).get(f"/api/v1/equipment/?vendor_family={value}")
    assert api.status_code == 400 and "vendor_family" in api.json()["error"]["fields"]
