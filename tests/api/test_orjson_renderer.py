"""The API's JSON renderer (orjson) writes what DRF's JSONRenderer writes."""
import datetime as dt
import json
import uuid
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from apps.api.renderers import OrjsonRenderer


def test_orjson_renderer_matches_drf():
    data = ReturnDict({
        "when": dt.datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 3, 1),
        "at": dt.time(7, 5), "amount": Decimal("12.50"), "label": gettext_lazy("Prohibited"),
        "id": uuid.UUID(int=7), "counts": {1: 2, "a": None}, "rows": ReturnList([1, 2.5, True, "é"], serializer=None),
        "nested": [{"x": (1, 2)}],
    }, serializer=None)
    ours = OrjsonRenderer().render(data, "application/json")
    drf = JSONRenderer().render(data, "application/json")
    assert json.loads(ours) == json.loads(drf)
    assert b'"2026-03-01T12:30:05.123456Z"' in ours and b'"07:05:00"' in ours  # DRF's formats, via its encoder
    assert b'"2026-03-01T12:30:05.123456Z"' in drf
    assert OrjsonRenderer().render(None, "application/json") == b""


def test_an_indented_response_is_drfs():
    data = {"a": [1, 2]}
    assert OrjsonRenderer().render(data, "application/json; indent=2") == \
        JSONRenderer().render(data, "application/json; indent=2")
