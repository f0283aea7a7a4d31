"""Fixtures of the web UI tests: logged-in clients per role and a small inventory."""
import pytest

from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory


@pytest.fixture
def client_for(client):
    def login(user):
        # UserFactory sets the password without saving it (skip_postgeneration_save): save, so the session's
        # auth hash matches the stored password.
        user.save()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def inventory(site):
    brand = VendorFactory(name="Hangzhou Example Vision")
    maker = VendorFactory(name="Example OEM Maker")
    model = ProductModelFactory(brand=brand, manufacturer=maker, model_number="CAM-1")
    units = [EquipmentFactory(site=site, product_model=model, asset_tag=f"TAG-{i}") for i in range(3)]
    return {"brand": brand, "maker": maker, "model": model, "units": units}
