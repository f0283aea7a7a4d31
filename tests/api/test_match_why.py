"""Plain-language reasons in the API (issue #17 item 6): `why` and `reasons` beside the score and the technical
explanation, in the screening answer and on stored matches."""
import pytest

from apps.screening.models import Match
from apps.screening.services import screening_run_full
from tests.api.conftest import token_client
from tests.factories import VendorFactory
from tests.screening.conftest import listed_entry, make_source, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(db):
    make_version(make_source("gen_eu", regime="eu", name="EU list"),
                 [listed_entry("Quorvex Telecom Co., Ltd.", "EU-1")])


def test_the_screening_answer_says_why_in_plain_words(world, listed):
    client = token_client(world["users"]["officer"])
    body = client.post("/api/v1/screenings/", {"name": "Quorvex Telecomm"}, format="json").json()
    (match,) = body["matches"]
    assert match["why"] == ("Legal forms set aside ('Co., Ltd.'); 'Telecomm' is another spelling of the listed "
                            "'Telecom'.")
    assert {"code": "spelling", "query_word": "Telecomm", "entry_word": "Telecom"} in match["reasons"]
    assert match["explanation"].startswith("Vendor name 'Quorvex Telecomm' vs list name")  # the detail stays
    assert {"score", "strength", "features"} <= set(match)


def test_stored_matches_keep_their_why(world, listed):
    vendor = VendorFactory(name="Quorvex Telecom")
    screening_run_full()
    match = Match.objects.get(vendor=vendor)
    assert match.why == "Same name once legal forms are set aside ('Co., Ltd.')."
    assert match.reasons == [{"code": "legal_forms", "forms": ["Co., Ltd."], "otherwise_same": True}]
    client = token_client(world["users"]["officer"])
    row = client.get(f"/api/v1/matches/{match.pk}/").json()
    assert row["why"] == match.why and row["reasons"] == match.reasons and row["explanation"] == match.explanation
