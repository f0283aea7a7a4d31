"""API test helpers: token clients per role, and a small world with one of everything in two organisations."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.api.services import api_token_create
from apps.inventory.choices import ComponentKind
from apps.inventory.models import Component
from apps.vendors.models import Ownership
from tests.factories import (
    EquipmentFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
)

ROLES = ["viewer", "auditor", "officer", "admin"]


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def client_for():
    return token_client


@pytest.fixture
def world(db):
    """Two organisations with a site, equipment and a component each; one user per role in `org`;
    shared vendors with an ownership link."""
    org = OrganizationFactory(name="Harbor Authority", slug="harbor")
    other = OrganizationFactory(name="Other Agency", slug="other")
    users = {role: MembershipFactory(organization=org, role=role,
                                     user=UserFactory(username=f"{role}-harbor")).user for role in ROLES}
    users["other_officer"] = MembershipFactory(organization=other, role=Role.OFFICER,
                                               user=UserFactory(username="officer-other")).user
    parent, maker = VendorFactory(name="Parent Group"), VendorFactory(name="Crane Maker Co")
    Ownership.objects.create(owner=parent, owned=maker, share_percent=None, kind="control")
    product = ProductModelFactory(brand=maker, model_number="STS-1")
    site = SiteFactory(organization=org, code="T1", name="Terminal 1")
    other_site = SiteFactory(organization=other, code="X1", name="Other site")
    equipment = EquipmentFactory(site=site, product_model=product, serial_number="SN-OWN")
    other_equipment = EquipmentFactory(site=other_site, product_model=product, serial_number="SN-OTHER")
    component = Component.objects.create(equipment=equipment, vendor=parent, kind=ComponentKind.SOC)
    other_component = Component.objects.create(equipment=other_equipment, vendor=parent, kind=ComponentKind.SOC)
    return {
        "org": org, "other_org": other, "users": users, "vendor": maker, "parent": parent, "product": product,
        "site": site, "other_site": other_site, "equipment": equipment, "other_equipment": other_equipment,
        "component": component, "other_component": other_component,
        "ownership": Ownership.objects.get(owned=maker),
    }
