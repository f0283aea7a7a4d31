"""The web check page (issue #17): verdict reason, coverage, registry and paging of the matches."""
import re

import pytest
from django.urls import reverse

from tests.screening.conftest import bis, listed_entry, make_source, make_version, own_view_owner  # noqa: F401

pytestmark = pytest.mark.django_db

MARK = "proposed: your organisation's view"


@pytest.fixture
def lists(db):
    make_version(make_source("gen_eu", regime="eu", name="EU list"), [listed_entry("Quorvex Telecom", "EU-1")])
    make_version(make_source("gen_bis", regime="us_bis", name="BIS list"),
                 [listed_entry(f"Quorvex Telecom Co., Ltd. {p}", f"B-{i}")
                  for i, p in enumerate(["Beijing", "Shenzhen", "Wuhan", "Hangzhou", "Xiamen"] * 6)])
    make_source("gen_uk", regime="uk", name="UK list")  # enabled, never loaded


def test_the_page_says_not_cleared_and_which_lists_are_missing(client_for, officer, lists):
    page = client_for(officer).get(reverse("web:check"), {"name": "Konecranes Plc"}).content.decode()
    assert 'class="verdict not_cleared"' in page
    assert "not cleared: 2 of 3 lists loaded; required but not loaded: gen_uk" in page
    assert 'id="coverage" open' in page and "not loaded: no active version" in page


def test_the_page_shows_the_exact_entry_first_and_pages_the_rest(client_for, officer, lists):
    c = client_for(officer)
    page = c.get(reverse("web:check"), {"name": "Quorvex Telecom Company"}).content.decode()
    assert 'class="verdict prohibited"' in page and "25 shown of 31" in page
    assert page.index("EU list") < page.index("BIS list")
    assert 'id="next-matches"' in page
    second = c.get(reverse("web:check"), {"name": "Quorvex Telecom Company", "offset": 25}).content.decode()
    assert "6 shown of 31" in second and 'class="verdict prohibited"' in second


def test_the_saved_record_keeps_the_coverage(client_for, officer, lists):
    c = client_for(officer)
    response = c.post(reverse("web:check"), {"name": "Konecranes Plc", "country": ""})
    assert response.status_code == 302
    record = c.get(response["Location"]).content.decode()
    assert "not cleared: 2 of 3 lists loaded" in record and "gen_uk" in record


def test_the_page_shows_one_row_per_party_and_folds_the_related_entries(client_for, officer, lists):
    page = client_for(officer).get(reverse("web:check"), {"name": "Quorvex Telecom"}).content.decode()
    assert 'id="parties"' in page and "listed on: EU list" in page
    # the broad name hits 30 entries of other companies: folded under the exact party
    assert "and 30 related entries" in page
    assert page.index('id="parties"') < page.index('id="related-parties"') < page.index('id="matches"')


def test_the_page_answers_in_the_members_view_with_the_path_its_organisation_applies(
        client_for, own_view_owner):  # noqa: F811
    """A pending ownership proposal applied to the organisation's own view: its members see the subsidiary
    restricted with the path through the proposed owner; members of another organisation the public answer."""
    page = client_for(own_view_owner["officer"]).get(reverse("web:check"),
                                                     {"name": "Plainfield Cranes Inc"}).content.decode()
    assert 'class="verdict restricted"' in page
    registry = page[page.index('id="registry"'):]
    assert "Plainfield Cranes Inc &lt;- Zorblax Heavy Industries (shareholding, 60%)" in registry
    assert MARK in registry  # the path rests on the organisation's pending proposal, and the page says so
    assert "no owner or maker recorded" not in registry

    other = client_for(own_view_owner["other_officer"]).get(reverse("web:check"),
                                                            {"name": "Plainfield Cranes Inc"}).content.decode()
    assert 'class="verdict clear"' in other
    assert "Zorblax" not in other[other.index('id="registry"'):]


def test_the_page_marks_a_maker_its_organisation_proposed_and_not_a_shared_one(client_for, org, own_view_owner):  # noqa: F811
    """An OEM relation the organisation proposed (applied to its own view) is marked on the check; a recorded
    one is not; another organisation's members do not see the proposed maker at all."""
    from django.utils import timezone

    from apps.common import events
    from apps.screening.services import screening_run_view
    from apps.vendors import proposals
    from apps.vendors.choices import ProposalKind
    from apps.vendors.models import OemRelation
    from tests.conftest import events_recorded
    from tests.factories import VendorFactory

    brand = VendorFactory(name="Brightline Optics")
    shared_maker = VendorFactory(name="Harbourview Assembly")
    OemRelation.objects.create(brand=brand, manufacturer=shared_maker)
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposals.proposal_submit(kind=ProposalKind.OEM_ADD, vendor=brand, actor=own_view_owner["officer"],
                                  organization_id=org.pk, payload={"manufacturer": own_view_owner["parent"].pk})
    for event in seen:
        screening_run_view(organization_id=event.organization_id, vendor_ids=event.vendor_ids,
                           today=timezone.localdate())

    page = client_for(own_view_owner["officer"]).get(reverse("web:check"), {"name": "Brightline Optics"})
    registry = page.content.decode()[page.content.decode().index('id="registry"'):]
    makers = {name: MARK in rest for name, rest in re.findall(r"<div>made by (.*?) \((.*?)</div>", registry)}
    assert makers == {"Zorblax Heavy Industries": True, "Harbourview Assembly": False}

    other = client_for(own_view_owner["other_officer"]).get(reverse("web:check"), {"name": "Brightline Optics"})
    other_registry = other.content.decode()[other.content.decode().index('id="registry"'):]
    assert "Harbourview Assembly" in other_registry and "Zorblax" not in other_registry and MARK not in other_registry
