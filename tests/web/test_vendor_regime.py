"""The vendor page: the regime test beside the path arithmetic, and the list entry's own scope on findings."""
import datetime as dt

import pytest
from django.urls import reverse

from apps.screening.services import screening_run_full
from tests.factories import VendorFactory
from tests.screening.conftest import listed_entry, make_source, make_version, ofac_faq401_example

pytestmark = pytest.mark.django_db


def test_vendor_page_shows_the_ofac_test_and_labels_the_path_share(client_for, viewer):
    sdn = make_source("test_sdn", regime="us_ofac", propagation="ofac_50", name="OFAC SDN")
    target = ofac_faq401_example(sdn, today=dt.date.today())

    html = client_for(viewer).get(reverse("web:vendor-detail", args=[target.pk])).content.decode()
    assert "50% path share (arithmetic, not a regime test)" in html
    assert "% effective" not in html
    assert 'id="regime-tests"' in html and "not blocked" in html
    assert "Not blocked: 30% held by blocked persons, directly or through blocked entities (&lt; 50%)" in html
    assert "Middleton Alloys (50%): not counted — not blocked: its blocked owners hold 40%" in html


def test_vendor_page_shows_the_fcc_entry_scope_and_date_added(client_for, viewer):
    fcc = make_source("test_fcc", regime="us_fcc", propagation="subsidiary_affiliate", name="FCC Covered List")
    vendor = VendorFactory(name="Kaspersky Lab")
    make_version(fcc, [listed_entry(
        "Kaspersky Lab", "ao-kaspersky-lab", listed_on=dt.date(2022, 3, 25),
        scope="Information security products, solutions, and services supplied, directly or indirectly, by AO "
              "Kaspersky Lab", scope_categories=["camera", "network"])])
    screening_run_full(today=dt.date.today())

    html = client_for(viewer).get(reverse("web:vendor-detail", args=[vendor.pk])).content.decode()
    assert "Entry scope (added 2022-03-25): Information security products, solutions, and services" in html
    assert "equipment categories: Surveillance camera, Network equipment" in html
