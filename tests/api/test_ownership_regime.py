"""/api/v1/vendors/{id}/ownership/: the regime test beside the path arithmetic (the issue's example)."""
import datetime as dt
from decimal import Decimal

import pytest

from tests.api.conftest import token_client
from tests.screening.conftest import make_source, ofac_faq401_example

pytestmark = pytest.mark.django_db


def test_ownership_endpoint_gives_the_ofac_test_beside_the_path_shares(viewer):
    sdn = make_source("test_sdn", regime="us_ofac", propagation="ofac_50", name="OFAC SDN")
    target = ofac_faq401_example(sdn, today=dt.date.today())

    body = token_client(viewer).get(f"/api/v1/vendors/{target.pk}/ownership/").json()
    (parent,) = body["ultimate_parents"]
    assert parent["name"] == "Zorblax Holdings" and Decimal(parent["path_share_percent"]) == Decimal("50")
    assert "effective_percent" not in parent
    texts = sorted(p["text"] for p in body["paths"])
    assert texts == [
        "Plainfield Widgets <- owned (30%) by Zorblax Holdings (path share (arithmetic, not a regime test): 30%)",
        "Plainfield Widgets <- owned (50%) by Middleton Alloys <- owned (40%) by Zorblax Holdings "
        "(path share (arithmetic, not a regime test): 20%)",
    ]
    (test,) = body["regime_tests"]
    assert test["propagation"] == "ofac_50" and test["verdict"] == "not_caught"
    assert Decimal(test["counted_percent"]) == Decimal("30") and Decimal(test["threshold_percent"]) == Decimal("50")
    assert {s["owner_name"]: s["counted"] for s in test["stakes"]} == {"Zorblax Holdings": "blocked",
                                                                      "Middleton Alloys": ""}
    assert "Regime tests: OFAC SDN: Not blocked: 30% held by blocked persons" in body["explanation"]
    target.refresh_from_db()
    assert target.risk_status == "clear"
