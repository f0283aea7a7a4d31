"""POST /api/v1/matches/{id}/review/ with `group`, and GET /api/v1/matches/{id}/copies/."""
import pytest

from apps.screening.selectors import matches_in_view
from tests.screening.conftest import no_auto_confirm  # noqa: F401 - fixture
from tests.screening.test_parties import copies, screened, vendor_match  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_copies_and_a_group_review(client_for, officer, org, screened):  # noqa: F811
    vendor, namesake = screened
    first = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2026-06-08")
    other = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2025-01-07")
    c = client_for(officer)
    listed = c.get(f"/api/v1/matches/{first.pk}/copies/")
    assert listed.status_code == 200 and [m["id"] for m in listed.json()] == [first.pk, other.pk]
    response = c.post(f"/api/v1/matches/{first.pk}/review/",
                      {"decision": "confirm", "reason": "Same company, same USCC.", "group": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["match"] == first.pk and sorted(body["group_matches"]) == sorted([first.pk, other.pk])
    assert len(body["group_decisions"]) == 2
    assert set(matches_in_view(org.pk).filter(pk__in=[first.pk, other.pk])
               .values_list("view_review_state", flat=True)) == {"confirmed"}
    single = c.post(f"/api/v1/matches/{vendor_match(vendor, 'ofac_sdn', '9001').pk}/review/",
                    {"decision": "confirm", "reason": "Same company."}, format="json")
    assert single.status_code == 201 and "group_matches" not in single.json()


def test_a_group_review_refuses_a_match_that_is_not_a_copy(client_for, officer, screened):  # noqa: F811
    vendor, namesake = screened
    first = vendor_match(vendor, "ofac_sdn", "9001")
    response = client_for(officer).post(
        f"/api/v1/matches/{first.pk}/review/",
        {"decision": "dismiss", "reason": "Another company.", "group": True,
         "matches": [vendor_match(namesake, "us_csl", "SDN:9001").pk]}, format="json")
    assert response.status_code == 400 and "matches" in response.json()["error"]["fields"]
