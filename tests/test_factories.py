"""Every factory makes a row the application would accept: the model's full_clean() (fields, clean(),
constraints) passes, and the row is in the database. A factory whose defaults drift from the model fails here
rather than in a test far away."""
import pytest
from django.apps import apps as django_apps

from apps.audit.services import audit_chain_verify
from apps.inventory.services import equipment_counts_check
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [getattr(factories, name) for name in factories.__all__]
# Fields declared without blank=True that only services write (no form edits them), where an empty value is
# valid: a decision recorded by no user (automatic), a check made with no list loaded.
SERVICE_SET_FIELDS = {"ReviewDecision": ["decided_by"], "PrePurchaseCheck": ["list_versions"]}
# Models with no factory, on purpose (see tests/factories/__init__.py).
NO_FACTORY = {"AuditEvent", "SiteEquipmentCount"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_makes_a_valid_row(factory_class):
    obj = factory_class()
    model = type(obj)
    assert model.objects.filter(pk=obj.pk).exists()
    obj.full_clean(exclude=SERVICE_SET_FIELDS.get(model.__name__))


@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_called_twice_makes_two_rows(factory_class):
    first, second = factory_class(), factory_class()
    expected = 1 if factory_class is factories.PropagationRuleFactory else 2  # get-or-create on a unique key
    assert len({first.pk, second.pk}) == expected


def test_every_model_of_the_apps_has_a_factory_or_a_reason():
    covered = {f._meta.model.__name__ for f in FACTORIES}
    models = {m.__name__ for m in django_apps.get_models()
              if m.__module__.startswith("apps.") and not m.__name__.startswith("Historical")}
    assert models - covered == NO_FACTORY


def test_factories_keep_the_equipment_tally_and_the_audit_chain_intact():
    factories.ComponentFactory()
    factories.RemediationPlanFactory()
    assert equipment_counts_check() == []
    assert audit_chain_verify().ok
