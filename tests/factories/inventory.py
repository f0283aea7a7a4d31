"""Factories of apps.inventory.

Equipment rows are saved one by one (Model.save), so the post_save/post_delete signals of apps.inventory.signals
keep the SiteEquipmentCount tally exact. No factory for SiteEquipmentCount: it is derived data (recounted from
the equipment table by apps.inventory.services.equipment_counts_refresh), and a hand-made row would break the
invariant that tests/inventory/test_counts.py checks; create Equipment and let the signals count it.
Like the other factories, these record no audit event and run no risk-status hook: use the services
(equipment_create, component_add...) to test those.
"""
import factory

from apps.inventory.choices import BomComponentType, BomFormat, ComponentKind, EquipmentCategory, SiteKind
from apps.inventory.models import BomComponent, BomDocument, Component, Equipment, ImportJob, ProductModel, Site

from .accounts import OrganizationFactory, UserFactory
from .vendors import VendorFactory


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"S{n}")
    kind = SiteKind.SEAPORT
    country = "US"


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel

    brand = factory.SubFactory(VendorFactory)
    model_number = factory.Sequence(lambda n: f"M-{n}")
    category = EquipmentCategory.CAMERA


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    site = factory.SubFactory(SiteFactory)
    product_model = factory.SubFactory(ProductModelFactory)
    category = factory.SelfAttribute("product_model.category")
    quantity = 1


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    equipment = factory.SubFactory(EquipmentFactory)
    vendor = factory.SubFactory(VendorFactory)
    kind = ComponentKind.SOC


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A job row only: no file on disk (path points nowhere), so it suits views and permission checks, not a
    run of apps.inventory.import_jobs."""

    class Meta:
        model = ImportJob

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    kind = "equipment"
    fmt = "csv"
    filename = factory.Sequence(lambda n: f"import-{n}.csv")
    path = "/nonexistent"
    status = ImportJob.Status.VALID


class BomDocumentFactory(factory.django.DjangoModelFactory):
    """A stored BOM row with a small file and no parts (tests of imports use apps.inventory.bom.bom_commit)."""

    class Meta:
        model = BomDocument

    organization = factory.SubFactory(OrganizationFactory)
    product_model = factory.SubFactory(ProductModelFactory)
    version = factory.Sequence(lambda n: n + 1)
    format = BomFormat.CYCLONEDX_JSON
    spec_version = "1.6"
    sha256 = "0" * 64
    size = 2
    file = factory.django.FileField(data=b"{}", filename="bom")


class BomComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BomComponent

    document = factory.SubFactory(BomDocumentFactory)
    key = factory.Sequence(lambda n: f"{n:064x}")
    type = BomComponentType.DEVICE
    name = factory.Sequence(lambda n: f"Part {n}")
