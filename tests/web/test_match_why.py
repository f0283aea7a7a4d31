"""The plain-language why on the web pages (issue #17 item 6): the sentence first, scores, thresholds and the
technical explanation behind a details toggle."""
import pytest
from django.urls import reverse

from apps.screening.models import Match
from apps.screening.services import screening_run_full
from tests.factories import VendorFactory
from tests.screening.conftest import listed_entry, make_source, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(db):
    make_version(make_source("gen_eu", regime="eu", name="EU list"),
                 [listed_entry("Quorvex Telecom Co., Ltd.", "EU-1")])


def _why_then_details(page: str, why: str) -> None:
    assert why in page
    start = page.index(why)
    details = page.index('<details class="match-details">', start)
    toggle = page[details:page.index("</details>", details)]
    assert "<summary>Details</summary>" in toggle
    assert "Score " in toggle and "strong ≥ 0.92, potential ≥ 0.80" in toggle and "Vendor name " in toggle


def test_the_check_page_shows_the_plain_why_and_hides_the_detail(client_for, officer, listed):
    page = client_for(officer).get(reverse("web:check"), {"name": "Quorvex Telecomm"}).content.decode()
    _why_then_details(page, "Legal forms set aside (&#x27;Co., Ltd.&#x27;); &#x27;Telecomm&#x27; is another spelling "
                            "of the listed &#x27;Telecom&#x27;.")


def test_the_review_queue_shows_the_stored_why(client_for, officer, listed):
    VendorFactory(name="Quorvx Telecom")
    screening_run_full()
    match = Match.objects.get()
    assert match.strength == "potential" and match.review_state == "unreviewed"
    page = client_for(officer).get(reverse("web:review-queue")).content.decode()
    assert f'id="match-{match.pk}"' in page
    _why_then_details(page, "&#x27;Quorvx&#x27; differs from the listed &#x27;Quorvex&#x27; by one missing letter.")


def test_the_vendor_page_shows_the_why_of_its_finding(client_for, officer, listed):
    vendor = VendorFactory(name="Quorvex Telecom")
    screening_run_full()
    page = client_for(officer).get(reverse("web:vendor-detail", args=[vendor.pk])).content.decode()
    _why_then_details(page, "Same name once legal forms are set aside (&#x27;Co., Ltd.&#x27;).")
