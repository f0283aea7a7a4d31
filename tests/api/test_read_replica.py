"""The read replica (DATABASE_REPLICA_URL, vendorrisk/dbrouter.py): the reads of an API read go to the `replica`
alias, who may read (tokens, users, memberships) and every write to `default`, the web UI's reads to `default`.
Tested with a second alias on the same PostgreSQL database (a replica that never lags)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.vendors.models import Vendor
from tests.api.conftest import token_client
from tests.factories import VendorFactory
from vendorrisk.dbrouter import ReadReplicaRouter

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def _replica_alias():
    if "replica" not in connections.settings:  # vendorrisk/settings_test.py adds it on PostgreSQL
        pytest.skip("a replica alias on the same database needs PostgreSQL (SQLite in memory is per connection)")


@contextmanager
def replica_alias(settings):
    settings.DATABASE_REPLICA_URL = "postgres://the-same-database"  # what turns the routing on
    yield connections["replica"]
    settings.DATABASE_REPLICA_URL = ""


def _tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def test_api_reads_go_to_the_replica_and_access_and_writes_to_default(officer, settings):
    vendor = VendorFactory(name="Replica Read Optics")
    client = token_client(officer)
    with replica_alias(settings) as replica:
        with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
            response = client.get("/api/v1/vendors/", {"q": "Replica Read"})
        assert response.status_code == 200, response.content
        assert [row["id"] for row in response.json()["results"]] == [vendor.pk]
        assert '"vendors_vendor"' in _tables(on_replica.captured_queries)
        assert '"vendors_vendor"' not in _tables(on_default.captured_queries)
        # who may read is decided on the primary only
        assert '"api_apitoken"' in _tables(on_default.captured_queries)
        assert '"accounts_' in _tables(on_default.captured_queries)
        assert '"api_apitoken"' not in _tables(on_replica.captured_queries)
        assert '"accounts_' not in _tables(on_replica.captured_queries)

        # A write through the API reads and writes on the primary.
        with CaptureQueriesContext(replica) as on_replica:
            created = client.post("/api/v1/vendors/", {"name": "Replica Write Cranes",
                                                       "country_of_incorporation": "DE"}, format="json")
        assert created.status_code in (201, 403, 405), created.content
        assert on_replica.captured_queries == []
        if created.status_code == 201:
            assert Vendor.objects.using("default").filter(name="Replica Write Cranes").exists()

        # Reads outside the API (the web UI, workers, services) stay on the primary.
        with CaptureQueriesContext(replica) as on_replica:
            assert list(Vendor.objects.filter(pk=vendor.pk)) == [vendor]
            client.get("/vendors/")
        assert on_replica.captured_queries == []


def test_without_a_replica_nothing_is_routed(officer, settings):
    settings.DATABASE_REPLICA_URL = ""
    assert ReadReplicaRouter().db_for_read(Vendor) is None
    client = token_client(officer)
    with CaptureQueriesContext(connections["default"]) as on_default:
        assert client.get("/api/v1/vendors/").status_code == 200
    assert '"vendors_vendor"' in _tables(on_default.captured_queries)
