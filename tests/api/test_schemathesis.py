"""Property-based conformance of the live API to its own OpenAPI schema (schemathesis).

Every operation is called with generated valid inputs (a bounded number of examples each), as an
authenticated auditor and as an officer: no answer may be a server error, and every answer must match the
schema (status code documented, body and content type conform). The app is called in process through WSGI,
on the test database.
"""
from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.config import GenerationConfig, SchemathesisConfig
from schemathesis.generation import GenerationMode

from tests.api.conftest import token_client

MAX_EXAMPLES = 10
# A schema-valid id may still name nothing the user can see (or another organisation's object): the API
# answers 400/404 by design, which this check would count as "valid data rejected". Every other check runs:
# not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, ...
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]

_config = SchemathesisConfig.discover()
_config.projects.default.generation.update(modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES)
# Random valid inputs only (the fuzzing phase): the coverage phase would add hundreds of boundary cases per
# operation and the suite must stay fast; the explicit tests in tests/api cover the boundaries that matter.
_config.projects.default.phases.update(phases=["fuzzing"])
assert isinstance(_config.projects.default.generation, GenerationConfig)

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=_config)
schema.app = get_wsgi_application()
# Health answers 503 when the broker is not reachable from the test machine; it has its own tests.
schema = schema.exclude(path="/api/v1/health/")


@pytest.fixture
def live_keys(world, django_db_blocker):
    """Tokens for an auditor and an officer of `world`; requests share the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    keys = {role: token_client(world["users"][role])._credentials["HTTP_AUTHORIZATION"]
            for role in ("auditor", "officer")}
    yield keys
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    settings.API_THROTTLE_RATE = "100000/minute"


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_schema(case, live_keys):
    for role in ("auditor", "officer"):
        case.call_and_validate(headers={"Authorization": live_keys[role]}, excluded_checks=EXCLUDED_CHECKS)
