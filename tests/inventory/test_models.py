import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment
from apps.inventory.services import equipment_create, equipment_update, product_model_create, site_create
from tests.factories import ProductModelFactory, RemediationPlanFactory, VendorFactory

pytestmark = pytest.mark.django_db


def test_site_create_rejects_invalid_country(org):
    with pytest.raises(ValidationError) as exc:
        site_create(organization=org, name="Nowhere", code="NW", kind="seaport", country="ZZ")
    assert "country" in exc.value.message_dict


def test_site_coordinates_must_be_in_range_and_paired(org):
    with pytest.raises(ValidationError) as exc:
        site_create(organization=org, name="Pole", code="P", kind="other", country="US", latitude=Decimal("91"),
                    longitude=Decimal("0"))
    assert "latitude" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        site_create(organization=org, name="Half", code="H", kind="other", country="US", latitude=Decimal("10"))
    assert "longitude" in exc.value.message_dict


def test_site_code_is_unique_per_organisation(org, other_org):
    site_create(organization=org, name="A", code="T1", kind="seaport", country="US")
    site_create(organization=other_org, name="A", code="T1", kind="seaport", country="US")
    with pytest.raises(ValidationError):
        site_create(organization=org, name="B", code="T1", kind="seaport", country="US")


def test_product_manufacturer_cannot_be_the_brand():
    brand = VendorFactory()
    with pytest.raises(ValidationError) as exc:
        product_model_create(brand=brand, manufacturer=brand, model_number="X1", category="camera")
    assert "manufacturer" in exc.value.message_dict


def test_equipment_quantity_below_one_is_refused(site):
    with pytest.raises(ValidationError) as exc:
        equipment_create(site=site, product_model=ProductModelFactory(), quantity=0)
    assert "quantity" in exc.value.message_dict
    assert not Equipment.objects.exists()


def test_equipment_installed_in_the_future_is_refused(site):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        equipment_create(site=site, product_model=ProductModelFactory(), installed_date=tomorrow)
    assert "installed_date" in exc.value.message_dict


def test_equipment_category_defaults_to_product_and_history_records_user(site, officer):
    equipment = equipment_create(site=site, product_model=ProductModelFactory(category="sts_crane"), actor=officer)
    assert equipment.category == "sts_crane"
    equipment_update(equipment=equipment, quantity=3, actor=officer)
    history = list(equipment.history.order_by("history_date"))
    assert [h.quantity for h in history] == [1, 3]
    assert history[-1].history_user == officer


def test_equipment_failed_update_changes_nothing(site):
    equipment = equipment_create(site=site, product_model=ProductModelFactory(), quantity=2)
    with pytest.raises(ValidationError):
        equipment_update(equipment=equipment, quantity=0)
    equipment.refresh_from_db()
    assert equipment.quantity == 2
    assert equipment.history.count() == 1


def test_equipment_cannot_move_to_another_organisations_site(site, other_site):
    equipment = equipment_create(site=site, product_model=ProductModelFactory())
    with pytest.raises(ApplicationError):
        equipment_update(equipment=equipment, site=other_site)


def test_equipment_with_a_remediation_plan_cannot_be_deleted_only_retired(site):
    from apps.inventory.services import equipment_delete
    from apps.remediation.models import PolicyRule

    equipment = equipment_create(site=site, product_model=ProductModelFactory())
    rule = PolicyRule.objects.first()
    assert rule is not None  # seeded by the remediation data migration
    day = dt.date(2026, 1, 1)
    RemediationPlanFactory(equipment=equipment, rule=rule, deadline=day, discovered_on=day)
    with pytest.raises(ApplicationError) as exc:
        equipment_delete(equipment=equipment)
    assert exc.value.code == "protected"
    assert Equipment.objects.filter(pk=equipment.pk).exists()
