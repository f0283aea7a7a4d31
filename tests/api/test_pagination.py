"""Cursor pagination: compact URL-safe cursors within the schema's bound, and a bad cursor is a 404 with
the API's error shape, never a server error."""
from __future__ import annotations

import base64
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.viewsets import ViewSetMixin

from apps.api.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN, POSITION_MAX_CHARACTERS
from tests.api.conftest import token_client
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def _cursor(url: str) -> str:
    return re.search(r"[?&]cursor=([^&]*)", url).group(1)


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_the_longest_name_gives_a_cursor_within_the_bound_and_pages_follow(world):
    longest = "\U0001f600" * POSITION_MAX_CHARACTERS  # 4 bytes each in UTF-8
    for i in range(3):
        VendorFactory(name=longest[:-1] + str(i))
    client = token_client(world["users"]["auditor"])
    page = client.get("/api/v1/vendors/", {"ordering": "-name", "limit": 1}).json()
    seen = [page["results"][0]["name"]]
    while page["next"]:
        cursor = _cursor(page["next"])
        assert len(cursor) <= CURSOR_MAX_LENGTH and re.fullmatch(CURSOR_PATTERN, cursor)
        page = client.get(page["next"]).json()
        seen += [r["name"] for r in page["results"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5  # 3 + the world's 2


def test_lists_are_ordered_only_by_columns_the_cursor_bound_covers():
    """POSITION_MAX_CHARACTERS must cover every text column a list can be ordered by."""
    checked = 0

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern) and isinstance(getattr(p.callback, "cls", None), type):
                yield p.callback.cls

    for view in {cls for cls in walk(get_resolver().url_patterns) if issubclass(cls, ViewSetMixin)}:
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None and getattr(view, "base_filterset_class", None) is not None:
            model = view.base_filterset_class._meta.model
        for name in getattr(view, "ordering_fields", None) or []:
            length = getattr(model._meta.get_field(name), "max_length", None)
            assert length is None or length <= POSITION_MAX_CHARACTERS, f"{view.__name__}.{name}: {length}"
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("cursor", [
    "%%%",  # not base64
    "é",  # not ASCII
    "A" * (CURSOR_MAX_LENGTH + 1),  # longer than any cursor the API gives
    _encode("abc"),  # not offset|direction
    _encode("0|2|5"),  # no such direction
    _encode("0|0|ab\x00c"),  # NUL (PostgreSQL refuses it in a query)
    _encode("0|1|not-a-number"),  # a position the id column cannot hold
    base64.b64encode(b"o=1&p=5").decode(),  # DRF's own format
])
def test_a_bad_cursor_answers_404_invalid_cursor(world, cursor):
    response = token_client(world["users"]["auditor"]).get("/api/v1/equipment/", {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "Invalid cursor", "fields": {}}


def test_a_bad_cursor_on_a_date_ordering_answers_404(world):
    client = token_client(world["users"]["auditor"])
    response = client.get("/api/v1/equipment/", {"ordering": "updated_at", "cursor": _encode("0|0|yesterday")})
    assert response.status_code == 404
