"""Remediation's country facts follow the parts of the bills of materials in force like recorded components: a
part's vendor's countries, its owners' countries and the country the document gives the supplier, at any depth,
for the unit's own BOM and its organisation's BOM of its product model, in a constant number of queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.inventory.bom import bom_commit
from apps.remediation.context import equipment_contexts, equipment_rows
from tests.factories import ComponentFactory, EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.factories.vendors import OwnershipFactory
from tests.inventory.bom_docs import Part, cyclonedx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def crane_model(db):
    return ProductModelFactory(model_number="PT-STS-01", category="sts_crane", country_of_manufacture="")


@pytest.fixture
def modem_maker(db):
    """A modem maker incorporated in CN, owned by a holding headquartered in HK."""
    maker = VendorFactory(name="Cellular Modems Ltd", country_of_incorporation="CN", country_of_headquarters="")
    holding = VendorFactory(name="Modem Holding Ltd", country_of_incorporation="", country_of_headquarters="HK")
    OwnershipFactory(owner=holding, owned=maker)
    return maker


def _parts(depth: int = 2) -> list[Part]:
    """The modem `depth` levels down, and an unknown supplier whose address the document gives (RU)."""
    modem = Part("LTE modem", "device", supplier="Cellular Modems Ltd", version="EG25")
    for level in range(depth):
        modem = Part(f"Cabinet {level}", "device", children=[modem])
    return [modem, Part("Telemetry box", "device", supplier="Unknown Telemetry OOO", country="RU")]


def _component_facts(ctx):
    return sorted((f.test, f.country, f.subject) for f in ctx.country_facts)


def test_bom_parts_count_in_country_facts_like_recorded_components(org, officer, crane_model, modem_maker):
    by_bom = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    bom_commit(organization=org, data=cyclonedx(_parts()), product_model=crane_model, actor=officer)
    recorded = EquipmentFactory(site=SiteFactory(organization=org), product_model=by_bom.product_model)
    ComponentFactory(equipment=recorded, vendor=modem_maker)
    contexts = equipment_contexts(equipment_rows([by_bom.pk, recorded.pk]))
    facts = _component_facts(contexts[by_bom.pk])
    assert ("component", "CN", "Cellular Modems Ltd") in facts  # the part's vendor, three levels down
    assert ("ultimate_owner", "HK", "Modem Holding Ltd") in facts  # and its owner
    assert ("component", "RU", "Unknown Telemetry OOO") in facts  # the supplier's country the document states
    # the same vendor as a recorded component gives the same facts (the unit shares the model's BOM too)
    assert {f for f in _component_facts(contexts[recorded.pk]) if f[2] != "Unknown Telemetry OOO"} == {
        f for f in facts if f[2] != "Unknown Telemetry OOO"}
    modem_fact = next(f for f in contexts[by_bom.pk].country_facts if f.country == "CN")
    assert modem_fact.vendor_id == modem_maker.pk


def test_a_units_own_bom_counts_and_another_organisations_does_not(org, other_org, officer, crane_model,
                                                                   modem_maker):
    ours = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org), product_model=crane_model)
    bom_commit(organization=org, data=cyclonedx(_parts(depth=0)), equipment=ours, actor=officer)
    contexts = equipment_contexts(equipment_rows([ours.pk, theirs.pk]))
    assert ("component", "CN", "Cellular Modems Ltd") in _component_facts(contexts[ours.pk])
    assert not [f for f in contexts[theirs.pk].country_facts if f.test in ("component", "ultimate_owner")]


def test_a_new_bom_version_without_the_part_drops_its_facts(org, officer, crane_model, modem_maker):
    unit = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    bom_commit(organization=org, data=cyclonedx(_parts()), product_model=crane_model, actor=officer)
    bom_commit(organization=org, data=cyclonedx([Part("Cabinet", "device")]), product_model=crane_model,
               actor=officer)
    facts = _component_facts(equipment_contexts(equipment_rows([unit.pk]))[unit.pk])
    assert not [f for f in facts if f[0] in ("component", "ultimate_owner")]


def _queries(ids) -> int:
    rows = equipment_rows(ids)
    with CaptureQueriesContext(connection) as ctx:
        equipment_contexts(rows)
    return len(ctx.captured_queries)


def test_equipment_contexts_queries_do_not_grow_with_units_or_bom_parts(org, officer, crane_model, modem_maker):
    site = SiteFactory(organization=org)
    one = EquipmentFactory(site=site, product_model=crane_model)
    bom_commit(organization=org, data=cyclonedx(_parts(depth=0)), equipment=one, actor=officer)
    small = _queries([one.pk])
    many = [EquipmentFactory(site=site, product_model=crane_model) for _ in range(6)]
    bom_commit(organization=org, data=cyclonedx(_parts(depth=5) + _parts(depth=3)), product_model=crane_model,
               actor=officer)
    for unit in many[:3]:
        ComponentFactory(equipment=unit, vendor=modem_maker)
    assert _queries([one.pk] + [u.pk for u in many]) == small


def test_a_bom_committed_between_two_chunks_of_one_evaluation_is_read(org, officer, crane_model, modem_maker):
    """The evaluation keeps the targets of the BOMs in force across its chunks (BomTargets): a BOM committed
    after a chunk was evaluated is seen by the next chunk, and a chunk without any BOM reads no part."""
    from apps.inventory.selectors import BomTargets
    from apps.remediation.context import equipment_parts

    unit = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    targets = BomTargets()
    rows = equipment_rows([unit.pk])
    assert equipment_parts(rows, bom_targets=targets) == ({}, {})  # no BOM in force yet
    bom_commit(organization=org, data=cyclonedx(_parts()), product_model=crane_model, actor=officer)
    components, stated = equipment_parts(rows, bom_targets=targets)  # the same cache, the next chunk
    assert modem_maker.pk in components[unit.pk]
    assert ("RU", "Unknown Telemetry OOO", None) in stated[unit.pk]
    # an unrelated unit: the parts are not read (the fingerprint query only)
    other = EquipmentFactory(site=SiteFactory(organization=org), product_model=ProductModelFactory())
    with CaptureQueriesContext(connection) as ctx:
        equipment_parts(equipment_rows([other.pk]), bom_targets=targets)
    assert [q for q in ctx.captured_queries if "inventory_bomcomponent" in q["sql"]] == []
