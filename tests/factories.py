"""factory_boy factories shared by the suite."""
import factory

from apps.accounts.choices import Role
from apps.accounts.models import Membership, Organization, User
from apps.inventory.choices import EquipmentCategory, SiteKind
from apps.inventory.models import Equipment, ProductModel, Site
from apps.vendors.models import Ownership, Vendor


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.OFFICER


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"S{n}")
    kind = SiteKind.SEAPORT
    country = "US"


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n} Ltd")
    country_of_incorporation = "US"


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


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    owner = factory.SubFactory(VendorFactory)
    owned = factory.SubFactory(VendorFactory)
