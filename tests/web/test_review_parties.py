"""The review queue with one row per (vendor, listed party): the copies listed under it, one decision for all."""
import pytest
from django.urls import reverse

from apps.screening.models import Match
from apps.screening.selectors import matches_in_view
from tests.screening.conftest import no_auto_confirm  # noqa: F401 - fixture
from tests.screening.test_parties import copies, screened, vendor_match  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_the_queue_shows_one_row_per_party_with_its_copies(client_for, officer, screened):  # noqa: F811
    vendor, namesake = screened
    page = client_for(officer).get(reverse("web:review-queue")).content.decode()
    queued = Match.objects.filter(review_state="unreviewed", closed_at__isnull=True).count()
    rows = page.count('<article class="card" id="match-')
    assert rows == 6 and queued == 10  # two vendors x (1260H company, SDN entry + CSL copy, subsidiary)
    assert page.count("2 copies</span>") == 4
    first = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2025-01-07")
    second = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2026-06-08")
    assert f'value="{first.pk},{second.pk}"' in page  # the copies the form covers
    assert "listed 2026-06-08" in page


def test_one_web_decision_covers_the_copies_listed(client_for, officer, org, screened):  # noqa: F811
    vendor, namesake = screened
    first = vendor_match(vendor, "ofac_sdn", "9001")
    csl = vendor_match(vendor, "us_csl", "SDN:9001")
    response = client_for(officer).post(reverse("web:review-decide", args=[first.pk]), {
        f"m{first.pk}-decision": "dismiss", f"m{first.pk}-reason": "Another company: address differs.",
        f"m{first.pk}-group": "on", f"m{first.pk}-copies": f"{first.pk},{csl.pk}"}, follow=True)
    assert "and 1 other copy of the party" in response.content.decode()
    states = dict(matches_in_view(org.pk).filter(vendor__in=[vendor, namesake], closed_at__isnull=True)
                  .values_list("pk", "view_review_state"))
    assert states[first.pk] == states[csl.pk] == "dismissed"
    assert [s for pk, s in states.items() if pk not in (first.pk, csl.pk)] == ["unreviewed"] * 8


def test_a_web_decision_without_the_group_box_decides_one_match(client_for, officer, org, screened):  # noqa: F811
    vendor, _ = screened
    first = vendor_match(vendor, "ofac_sdn", "9001")
    csl = vendor_match(vendor, "us_csl", "SDN:9001")
    client_for(officer).post(reverse("web:review-decide", args=[first.pk]), {
        f"m{first.pk}-decision": "dismiss", f"m{first.pk}-reason": "Another company: address differs.",
        f"m{first.pk}-copies": f"{first.pk},{csl.pk}"})
    states = dict(matches_in_view(org.pk).filter(pk__in=[first.pk, csl.pk]).values_list("pk", "view_review_state"))
    assert states == {first.pk: "dismissed", csl.pk: "unreviewed"}


def test_the_party_queue_query_count_is_constant(client_for, officer, screened):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(officer)
    c.get(reverse("web:review-queue"))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("web:review-queue"))
    vendor, _ = screened
    base = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2026-06-08")
    for year in (2022, 2023, 2024):  # more tranches of the same party: more copies, the same row
        base.pk, base.external_id, base.entry = None, f"zorblax-dynamics-co-ltd@{year}-01-01", None
        base.save()
    with CaptureQueriesContext(connection) as many:
        page = c.get(reverse("web:review-queue")).content.decode()
    assert "5 copies</span>" in page
    assert len(many) == len(few)
