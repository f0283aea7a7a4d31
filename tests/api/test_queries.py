"""A constant number of SQL queries per request whatever the page size, on every list endpoint."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import token_client
from tests.api.test_permission_matrix import PUBLIC, REPORTS, _url, api_routes
from tests.factories import (
    ComponentFactory,
    DataCallQuestionFactory,
    DeclaredFindingFactory,
    EquipmentFactory,
    FindingFactory,
    RemediationPlanFactory,
    VendorAliasFactory,
    VendorFactory,
    VendorIdentifierFactory,
)

pytestmark = pytest.mark.django_db

MANY = 12


@pytest.fixture
def crowded(world):
    """MANY more of each kind of row, each with the relations its serializer shows."""
    now, today = timezone.now(), timezone.localdate()
    for i in range(MANY):
        vendor = VendorFactory()
        VendorAliasFactory(vendor=vendor, name=f"Alias {i}")
        VendorIdentifierFactory(vendor=vendor)
        eq = EquipmentFactory(site=world["site"], product_model=world["product"])
        ComponentFactory(equipment=eq, vendor=vendor)
        FindingFactory(vendor=vendor, key=f"k{i}", source=world["source"], path_text="listed", status="restricted",
                       discovered_at=now, match=world["match"])
        RemediationPlanFactory(equipment=eq, vendor=vendor, rule=world["rule"], deadline=today, opened_at=now)
        finding = DeclaredFindingFactory(answer__response__data_call__organization=world["org"])  # a data call
        finding.equipment.add(eq)
        finding.data_call.equipment.add(eq)
        DataCallQuestionFactory(data_call=finding.data_call)
    return world


LIST_ROUTES = [(route, name) for route, name, actions, _ in api_routes()
               if actions and actions.get("get") == "list"] + [
    (route, name) for route, name, _, _ in api_routes() if name in REPORTS]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("route", "name"), LIST_ROUTES, ids=[n for _, n in LIST_ROUTES])
def test_list_query_count_does_not_grow_with_page_size(crowded, route, name):
    assert name not in PUBLIC
    client = token_client(crowded["users"]["auditor"])
    url = _url(route, None)
    client.get(url)  # warm-up: the token's last_used_at write, content types
    small = _count(client, f"{url}?limit=2")
    large = _count(client, f"{url}?limit={MANY + 5}")
    assert small == large, f"{url}: {small} queries for 2 rows, {large} for {MANY + 5}"
    assert large <= 12, f"{url}: {large} queries"


def test_equipment_as_of_query_count_does_not_grow(crowded):
    client = token_client(crowded["users"]["auditor"])
    day = timezone.localdate().isoformat()
    client.get("/api/v1/equipment/")
    small = _count(client, f"/api/v1/equipment/?as_of={day}&limit=2")
    large = _count(client, f"/api/v1/equipment/?as_of={day}&limit=30")
    assert small == large
