"""Naming a product as an officer types it: brand and model number -> the shared product model."""
import pytest

from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment, ProductModel
from apps.inventory.services import equipment_record, product_model_resolve
from tests.factories import ProductModelFactory, VendorAliasFactory, VendorFactory

pytestmark = pytest.mark.django_db


def test_new_model_is_created_with_vendors_found_by_name_or_alias_in_any_case():
    brand, maker = VendorFactory(name="Example Vision Co., Ltd."), VendorFactory(name="Example OEM Maker")
    VendorAliasFactory(vendor=maker, name="示例制造")
    pm = product_model_resolve(brand_name=" example vision co., ltd. ", model_number="  DS-1   X ", category="camera",
                               manufacturer_name="示例制造")
    assert (pm.brand, pm.manufacturer, pm.model_number, pm.category) == (brand, maker, "DS-1 X", "camera")
    # The same product named again is the same row; the brand named as its own maker means "no other maker".
    again = product_model_resolve(brand_name="Example Vision Co., Ltd.", model_number="DS-1 X", category="camera",
                                  manufacturer_name="Example OEM Maker")
    assert again.pk == pm.pk and ProductModel.objects.count() == 1
    own = product_model_resolve(brand_name="Example Vision Co., Ltd.", model_number="DS-2", category="camera",
                                manufacturer_name="Example Vision Co., Ltd.")
    assert own.manufacturer is None


def test_unknown_vendors_and_differing_records_are_refused_by_field():
    pm = ProductModelFactory(manufacturer=VendorFactory(name="Real Maker"))
    VendorFactory(name="Someone Else")
    with pytest.raises(ApplicationError) as exc:
        product_model_resolve(brand_name="Nobody Inc", model_number="X", category="camera",
                              software_supplier_name="Also Nobody")
    assert exc.value.code == "unknown_vendor" and set(exc.value.fields) == {"brand"}
    with pytest.raises(ApplicationError) as exc:
        product_model_resolve(brand_name=pm.brand.name, model_number=pm.model_number, category="camera",
                              manufacturer_name="Someone Else", software_supplier_name="Someone Else")
    assert exc.value.code == "product_model_differs"
    assert set(exc.value.fields) == {"manufacturer", "software_supplier"}
    pm.refresh_from_db()
    assert pm.manufacturer.name == "Real Maker" and pm.software_supplier is None


def test_equipment_record_is_all_or_nothing(site):
    VendorFactory(name="Known Brand")
    with pytest.raises(ApplicationError):  # the maker is unknown: the new product model is not kept either
        equipment_record(site=site, brand_name="Known Brand", model_number="NEW-1", category="camera",
                         manufacturer_name="Unknown Maker", quantity=1)
    assert not ProductModel.objects.exists() and not Equipment.objects.exists()
    unit = equipment_record(site=site, brand_name="Known Brand", model_number="NEW-1", category="network",
                            quantity=3, asset_tag="SW-1")
    assert (unit.category, unit.quantity, unit.product_model.category) == ("network", 3, "network")
    moved = equipment_record(site=site, equipment=unit, brand_name="known brand", model_number="NEW-2",
                             category="network", quantity=3, asset_tag="SW-1", status="removed")
    assert moved.pk == unit.pk and moved.product_model.model_number == "NEW-2" and moved.status == "removed"


def test_a_misspelt_vendor_name_suggests_the_recorded_ones():
    VendorFactory(name="Hangzhou Example Vision")
    alias_owner = VendorFactory(name="Shanghai Zhenhua Heavy Industries Co., Ltd.")
    VendorAliasFactory(vendor=alias_owner, name="ZPMC")
    VendorFactory(name="Harbour Cranes Ltd")
    with pytest.raises(ApplicationError) as exc:
        product_model_resolve(brand_name="Hangzhou Exmaple Vison", model_number="X", category="camera")
    assert "Did you mean \u201cHangzhou Example Vision\u201d?" in exc.value.fields["brand"][0]
    with pytest.raises(ApplicationError) as exc:
        product_model_resolve(brand_name="Quite Unknown", model_number="X", category="camera")
    assert "Check the spelling, or add the vendor first." in exc.value.fields["brand"][0]


def test_a_product_model_recorded_concurrently_is_reused(monkeypatch):
    """Two officers record the same new product at once: the row the other request wrote appears between this
    request's lookup and its insert; the insert is refused (unique check or constraint) and the other row is
    used (no 500, one product model)."""
    brand = VendorFactory(name="Race Brand")
    other = ProductModelFactory(brand=brand, model_number="R-1", category="camera")
    real_filter = ProductModel.objects.filter
    calls = {"n": 0}

    def missing_at_first_lookup(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(ProductModel.objects, "filter", missing_at_first_lookup)
    pm = product_model_resolve(brand_name="Race Brand", model_number="R-1", category="camera")
    assert pm.pk == other.pk and calls["n"] >= 2
    monkeypatch.undo()
    assert ProductModel.objects.filter(brand=brand).count() == 1
