"""Query parameters are bounded: the longest request the schema allows fits the server's request line
(gunicorn, `--limit-request-line 8190` wherever it is started), and longer values get the API's own JSON
400 instead of the server's plain-text one."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from drf_spectacular.generators import SchemaGenerator

from apps.api.bounds import MAX_VALUES, REQUEST_LINE_LIMIT, TEXT_MAX_LENGTH
from apps.api.pagination import CURSOR_PATTERN
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Patterns whose characters need no percent-encoding in a URL: one byte each on the request line.
URL_SAFE_PATTERNS = {CURSOR_PATTERN, r"^\d+$"}
# A 4-byte UTF-8 character, percent-encoded: %F0%9F%98%80.
BYTES_PER_CHARACTER = 12


def _longest_value(schema: dict, where: str) -> int:
    """Bytes of the longest value `schema` allows, as it appears in a URL; fails on an unbounded one."""
    if "enum" in schema:
        return max(len(quote_plus(str(v))) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return len("false")
    if kind == "integer":
        assert "minimum" in schema and "maximum" in schema, f"{where}: unbounded integer"
        return max(len(str(schema["minimum"])), len(str(schema["maximum"])))
    if kind == "number":
        assert "minimum" in schema and "maximum" in schema, f"{where}: unbounded number"
        return len("-1.2345678901234567e%2B308")  # the longest repr of a float, `+` escaped
    assert kind == "string", f"{where}: unexpected schema {schema}"
    if schema.get("format") == "date":
        return len("2026-01-01")
    assert "maxLength" in schema, f"{where}: string without maxLength"
    if schema.get("pattern") in URL_SAFE_PATTERNS:
        return schema["maxLength"]
    if schema.get("format") == "date-time":
        return schema["maxLength"] * 3  # ASCII, some of it escaped (`:`, `+`)
    return schema["maxLength"] * BYTES_PER_CHARACTER


def _longest_request_lines(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            url, query = path, []
            for parameter in parameters:
                where = f"{method.upper()} {path} {parameter['name']}"
                value = parameter["schema"]
                if parameter["in"] == "path":
                    url = url.replace(f"{{{parameter['name']}}}", "9" * _longest_value(value, where))
                elif parameter["in"] == "query" and value.get("type") == "array":
                    assert "maxItems" in value, f"{where}: array without maxItems"
                    pair = len(parameter["name"]) + 2 + _longest_value(value["items"], where)
                    query.append(value["maxItems"] * pair)
                elif parameter["in"] == "query":
                    query.append(len(parameter["name"]) + 2 + _longest_value(value, where))
                else:
                    pytest.fail(f"{where}: a {parameter['in']} parameter; bound it and count it here")
            yield len(f"{method.upper()} {url}? HTTP/1.1") + sum(query), f"{method.upper()} {path}"


def test_the_longest_request_the_schema_allows_fits_the_request_line():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lines = sorted(_longest_request_lines(schema), reverse=True)
    assert len(lines) > 50
    too_long = [(n, op) for n, op in lines if n > REQUEST_LINE_LIMIT]
    assert not too_long, f"longer than the request line ({REQUEST_LINE_LIMIT} bytes): {too_long}"


@pytest.mark.parametrize("path", ["Dockerfile", "docker-compose.yml", "bench/bench_load.py"])
def test_gunicorn_reads_request_lines_as_long_as_the_bounds_assume(path):
    text = (ROOT / path).read_text()
    assert "gunicorn" in text
    assert re.search(r'"--limit-request-line",\s*"(\d+)"', text).group(1) == str(REQUEST_LINE_LIMIT)


def test_parameters_say_their_bounds_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/equipment/"]["get"]["parameters"]}
    assert params["q"]["maxLength"] == TEXT_MAX_LENGTH  # a search
    assert params["country"]["maxLength"] == 2  # an exact match on a 2-character column
    assert params["status"]["maxItems"] == len(params["status"]["items"]["enum"])  # once per choice
    assert params["site"]["maxItems"] == MAX_VALUES and params["site"]["items"]["maximum"] == 2**63 - 1
    assert "-installed_date" in params["ordering"]["enum"]
    entries = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/list-entries/"]["get"]["parameters"]}
    assert entries["external_id"]["maxLength"] == 128  # the column: every stored value can be looked up
    ownerships = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/ownerships/"]["get"]["parameters"]}
    assert ownerships["active_on"] == {"type": "string", "format": "date"}


def test_the_servers_own_answer_to_a_longer_request_line_is_documented():
    """Beyond the bounds (a negative test, a hand-made URL) gunicorn answers 400 as text/html by itself."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        if path == "/api/v1/health/":
            continue
        for method, operation in item.items():
            bad_request = operation["responses"]["400"]
            assert "text/html" in bad_request["content"], f"{method} {path}"
            assert "application/json" in bad_request["content"], f"{method} {path}"


def _error_fields(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    return body["fields"]


def test_an_over_long_text_filter_answers_the_apis_400(world):
    client = token_client(world["users"]["auditor"])
    assert client.get("/api/v1/equipment/", {"q": "x" * TEXT_MAX_LENGTH}).status_code == 200
    fields = _error_fields(client.get("/api/v1/equipment/", {"q": "\U0001f600" * (TEXT_MAX_LENGTH + 1)}))
    assert "at most 100 characters" in fields["q"][0]
    assert client.get("/api/v1/list-entries/", {"external_id": "x" * 128}).status_code == 200
    assert "external_id" in _error_fields(client.get("/api/v1/list-entries/", {"external_id": "x" * 129}))
    # the same bound when the answer comes from history
    assert "q" in _error_fields(client.get("/api/v1/vendors/", {"q": "x" * 101, "as_of": "2020-01-01"}))


def test_a_filter_repeated_more_often_than_it_may_be_answers_the_apis_400(world):
    client = token_client(world["users"]["auditor"])
    statuses = ["in_service", "removed", "replaced", "disposed", "disconnected"]
    assert client.get("/api/v1/equipment/", {"status": statuses}).status_code == 200
    fields = _error_fields(client.get("/api/v1/equipment/", {"status": statuses + ["removed"]}))
    assert fields == {"status": ["At most 5 values."]}
    site = world["site"].pk
    assert client.get("/api/v1/equipment/", {"site": [site] * MAX_VALUES}).status_code == 200
    assert "site" in _error_fields(client.get("/api/v1/equipment/", {"site": [site] * (MAX_VALUES + 1)}))
    # The summary's own id lists too, as its schema says.
    assert client.get("/api/v1/summary/", {"site": [site] * MAX_VALUES}).status_code == 200
    assert _error_fields(client.get("/api/v1/summary/", {"site": [site] * (MAX_VALUES + 1)})) == {
        "site": [f"At most {MAX_VALUES} values."]}


def test_numbers_beyond_64_bits_are_still_refused(world):
    client = token_client(world["users"]["auditor"])
    assert _error_fields(client.get("/api/v1/equipment/", {"vendor": "9" * 20})) == {
        "vendor": ["The number is out of range."]}
