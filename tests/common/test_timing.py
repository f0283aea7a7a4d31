"""The Server-Timing header (apps/common/timing.py): the figures bench/bench_load.py reports per endpoint."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from apps.common.timing import parse_server_timing

pytestmark = pytest.mark.django_db


def test_off_by_default(officer):
    client = Client()
    client.force_login(officer)
    response = client.get("/equipment/")
    assert response.status_code == 200
    assert "Server-Timing" not in response.headers


def test_reports_wall_cpu_database_time_and_queries(officer, site):
    with override_settings(SERVER_TIMING=True):
        client = Client()  # a new handler: the middleware reads the setting when the chain is built
        client.force_login(officer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/equipment/")
    assert response.status_code == 200
    figures = parse_server_timing(response.headers["Server-Timing"])
    assert set(figures) == {"app", "cpu", "db", "queries"}
    assert figures["queries"] == len(queries.captured_queries)
    assert 0 < figures["db"] <= figures["app"]
    assert figures["cpu"] > 0


def test_parse_ignores_what_it_does_not_know():
    assert parse_server_timing('cdn;dur=3, app;dur=12.5, queries;desc="7", cpu;dur=bad') == {"app": 12.5,
                                                                                            "queries": 7.0}
    assert parse_server_timing("") == {}
