"""What the evaluation keeps across its chunks changes no answer: the contexts reused by shape
(ContextCache) equal those built fresh for each unit, a chunk whose shapes are all known reads no vendor, owner
or organisation, and an evaluation in chunks of one unit leaves the same plans as one chunk of all."""
import dataclasses
import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.remediation.context import ContextCache, equipment_contexts, equipment_parts, equipment_rows
from apps.remediation.models import RemediationPlan
from apps.remediation.services import remediation_evaluate
from tests.factories import ComponentFactory, EquipmentFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.factories.vendors import OwnershipFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def units(org, other_org):
    """Units of two organisations: shapes repeated across sites and models, vendors with owners, components."""
    holding = VendorFactory(name="State Holding", country_of_incorporation="CN", country_of_headquarters="HK")
    brand = VendorFactory(name="Camera Maker", country_of_incorporation="DE")
    OwnershipFactory(owner=holding, owned=brand)
    other_brand = VendorFactory(name="Scanner Maker", country_of_incorporation="RU")
    modem = VendorFactory(name="Modem Maker", country_of_incorporation="CN")
    camera = ProductModelFactory(brand=brand, category="camera", country_of_manufacture="CN")
    scanner = ProductModelFactory(brand=other_brand, manufacturer=brand, category="scanner",
                                  country_of_manufacture="")
    sites = [SiteFactory(organization=org, kind="seaport"), SiteFactory(organization=org, kind="airport"),
             SiteFactory(organization=other_org)]
    out = []
    for i in range(24):
        unit = EquipmentFactory(site=sites[i % 3], product_model=(camera, scanner)[i % 2],
                                installed_date=dt.date(2018 + i % 2, 1, 1), internet_connected=bool(i % 2))
        if i % 6 == 0:
            ComponentFactory(equipment=unit, vendor=modem)
        out.append(unit)
    return out


def _without_id(ctx):
    return dataclasses.replace(ctx, equipment_id=0)


def test_contexts_reused_across_chunks_equal_contexts_built_fresh(units):
    cache, shapes = ContextCache(), {}
    chunks = [units[:4], units[4:13], units[13:]]
    for chunk in chunks:
        contexts = equipment_contexts(equipment_rows([u.pk for u in chunk]), as_of=TODAY, shapes=shapes, cache=cache)
        for unit in chunk:
            fresh = equipment_contexts(equipment_rows([unit.pk]), as_of=TODAY)[unit.pk]
            assert _without_id(contexts[unit.pk]) == _without_id(fresh)
    assert len(cache.by_shape) < len(units)  # some shapes were reused


def test_a_chunk_of_known_shapes_reads_no_vendor_owner_or_organisation(units):
    cache, shapes = ContextCache(), {}
    ids = [u.pk for u in units]
    equipment_contexts(equipment_rows(ids), as_of=TODAY, shapes=shapes, cache=cache)
    rows = equipment_rows(ids)
    parts = equipment_parts(rows)
    with CaptureQueriesContext(connection) as queries:
        again = equipment_contexts(rows, as_of=TODAY, shapes={}, cache=cache, parts=parts)
    assert queries.captured_queries == []
    fresh = equipment_contexts(rows, as_of=TODAY)
    assert {pk: _without_id(c) for pk, c in again.items()} == {pk: _without_id(c) for pk, c in fresh.items()}


def test_a_context_cache_needs_shapes(units):
    with pytest.raises(ValueError, match="shapes"):
        equipment_contexts(equipment_rows([units[0].pk]), cache=ContextCache())


def _plans() -> list[tuple]:
    return list(RemediationPlan.objects.order_by("equipment_id").values_list(
        "equipment_id", "rule_id", "deadline", "basis", "also_applied", "why", "vendor_id", "evaluation_hash",
        "status"))


def test_evaluation_in_chunks_of_one_unit_equals_one_chunk(units, findings, make_rule):
    make_rule(code="country", basis="country", countries=["CN", "HK", "RU"],
              country_tests=["manufacturer", "ultimate_owner", "component", "place_of_manufacture"],
              deadline_days=200)
    make_rule(code="listed", regimes=["us_ndaa"], deadline_days=30)
    for unit in units[::3]:
        findings.add(unit)
    runs = []
    for chunk_size in (1, 1000):
        with transaction.atomic():
            first = remediation_evaluate(today=TODAY, findings_provider=findings, chunk_size=chunk_size)
            again = remediation_evaluate(today=TODAY, findings_provider=findings, chunk_size=chunk_size)
            runs.append((first.as_dict(), again.as_dict(), _plans()))
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert runs[0][0]["created"] == len(units) and runs[0][1]["unchanged"] == len(units)
