"""Country codes of every write are checked against ISO 3166-1 before they reach a model: text that
django-countries cannot read (a superscript digit passes `isdigit()` but not `int()`) answered 500 from the
service's full_clean() (found by `make schemathesis-full`)."""
from __future__ import annotations

import pytest

from apps.inventory.models import Site
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def _writes(world, value: str) -> list[tuple[str, str, dict, str]]:
    vendor = world["vendor"].pk
    return [
        ("patch", f"/api/v1/vendors/{vendor}/", {"country_of_incorporation": value}, "country_of_incorporation"),
        ("post", "/api/v1/vendors/", {"name": "New Co", "country_of_headquarters": value}, "country_of_headquarters"),
        ("post", "/api/v1/vendors/", {"name": "Id Co", "identifiers": [{"scheme": "lei", "value": "X1",
                                                                        "country": value}]}, "identifiers"),
        ("post", "/api/v1/sites/", {"organization": world["org"].pk, "name": "New", "code": "N1",
                                    "kind": "seaport", "country": value}, "country"),
        ("patch", f"/api/v1/sites/{world['site'].pk}/", {"country": value}, "country"),
        ("post", "/api/v1/products/", {"brand": vendor, "model_number": "M-1", "category": "camera",
                                       "country_of_manufacture": value}, "country_of_manufacture"),
    ]


@pytest.mark.parametrize("value", ["²", "0²", "ZZ", "156"])
def test_a_country_code_that_is_not_iso_alpha2_is_refused_with_a_400(world, value):
    client = token_client(world["users"]["officer"])
    for method, url, body, field in _writes(world, value):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (url, response.content)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], (url, error)


def test_a_country_code_is_read_in_any_case(world):
    client = token_client(world["users"]["officer"])
    vendor = world["vendor"]
    proposed = client.patch(f"/api/v1/vendors/{vendor.pk}/", {"country_of_incorporation": " cn "}, format="json")
    assert proposed.status_code == 202  # a shared fact: the officer's change is a proposal, read as "CN"
    assert proposed.json()["payload"] == {"country_of_incorporation": "CN"}
    site = world["site"]
    assert client.patch(f"/api/v1/sites/{site.pk}/", {"country": "de"}, format="json").status_code == 200
    assert Site.objects.get(pk=site.pk).country.code == "DE"
