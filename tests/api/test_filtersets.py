"""The shared FilterSets: scoped choices, vendor in any role, no widening of a scoped queryset."""
import pytest
from django.test import RequestFactory

from apps.inventory.choices import ComponentKind
from apps.inventory.filtersets import EquipmentFilterSet, SiteFilterSet
from apps.inventory.models import Equipment, Site
from apps.vendors.filtersets import VendorFilterSet
from apps.vendors.models import Vendor
from tests.factories import ComponentFactory, EquipmentFactory, ProductModelFactory, VendorAliasFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _request(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return request


def test_site_filter_rejects_another_organisations_site_like_a_missing_one(officer, site, other_site):
    qs = Equipment.objects.filter(site__organization_id=site.organization_id)
    own = EquipmentFilterSet({"site": [site.pk]}, queryset=qs, request=_request(officer))
    assert own.is_valid()
    other = EquipmentFilterSet({"site": [other_site.pk]}, queryset=qs, request=_request(officer))
    missing = EquipmentFilterSet({"site": [999999]}, queryset=qs, request=_request(officer))
    assert not other.is_valid() and not missing.is_valid()
    assert set(other.errors) == set(missing.errors) == {"site"}


def test_organization_filter_choices_are_the_users(officer, org, other_org):
    fs = SiteFilterSet({}, queryset=Site.objects.all(), request=_request(officer))
    assert list(fs.form.fields["organization"].queryset) == [org]


def test_equipment_vendor_filter_covers_brand_maker_software_and_components(site, officer):
    maker, software, part = VendorFactory(), VendorFactory(), VendorFactory()
    by_brand = EquipmentFactory(site=site)
    by_maker = EquipmentFactory(site=site, product_model=ProductModelFactory(manufacturer=maker))
    by_software = EquipmentFactory(site=site, product_model=ProductModelFactory(software_supplier=software))
    by_part = EquipmentFactory(site=site)
    ComponentFactory(equipment=by_part, vendor=part, kind=ComponentKind.COMMS_MODULE)
    qs = Equipment.objects.all()
    for vendor, expected in [(by_brand.product_model.brand, by_brand), (maker, by_maker),
                             (software, by_software), (part, by_part)]:
        fs = EquipmentFilterSet({"vendor": vendor.pk}, queryset=qs, request=_request(officer))
        assert list(fs.qs) == [expected]


def test_vendor_filter_by_alias_and_country():
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co., Ltd.", country_of_incorporation="CN")
    VendorAliasFactory(vendor=hik, name="HIKVISION")
    VendorFactory(name="Axis AB", country_of_incorporation="SE")
    assert list(VendorFilterSet({"q": "hikvision"}, queryset=Vendor.objects.all()).qs) == [hik]
    assert list(VendorFilterSet({"country": "cn"}, queryset=Vendor.objects.all()).qs) == [hik]
