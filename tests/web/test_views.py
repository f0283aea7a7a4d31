"""Pages of the officers' UI: they render, they are scoped to the user's organisations, read-only roles
cannot change anything, and list pages run a constant number of queries."""
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import EquipmentFactory, MembershipFactory, ProductModelFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_pages_require_login(client):
    response = client.get(reverse("web:equipment-list"))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


@pytest.mark.parametrize("name", ["web:dashboard", "web:site-list", "web:equipment-list", "web:vendor-list"])
def test_list_pages_render_for_officer(client_for, officer, inventory, name):
    response = client_for(officer).get(reverse(name))
    assert response.status_code == 200
    assert b"<main" in response.content


def test_site_detail_of_other_organisation_is_404(client_for, officer, other_site):
    response = client_for(officer).get(reverse("web:site-detail", args=[other_site.pk]))
    assert response.status_code == 404


def test_equipment_detail_of_other_organisation_is_404(client_for, officer, other_site):
    unit = EquipmentFactory(site=other_site)
    response = client_for(officer).get(reverse("web:equipment-detail", args=[unit.pk]))
    assert response.status_code == 404


def test_site_detail_shows_its_equipment(client_for, officer, inventory, site):
    response = client_for(officer).get(reverse("web:site-detail", args=[site.pk]))
    assert response.status_code == 200
    assert b"TAG-0" in response.content


def test_equipment_list_hides_other_organisation(client_for, officer, inventory, other_site):
    EquipmentFactory(site=other_site, asset_tag="FOREIGN-1")
    response = client_for(officer).get(reverse("web:equipment-list"))
    assert b"TAG-1" in response.content
    assert b"FOREIGN-1" not in response.content


def test_equipment_detail_explains_chain(client_for, officer, inventory):
    unit = inventory["units"][0]
    response = client_for(officer).get(reverse("web:equipment-detail", args=[unit.pk]))
    body = response.content.decode()
    assert "Hangzhou Example Vision" in body
    assert "Example OEM Maker" in body
    assert "History" in body


def test_equipment_list_query_count_is_constant(client_for, officer, site, inventory):
    c = client_for(officer)
    c.get(reverse("web:equipment-list"))  # warm the process's caches (content types)
    cache.clear()  # measure the page computed, not the per-organisation caches' hits (apps/web/caches.py)
    with CaptureQueriesContext(connection) as few:
        assert c.get(reverse("web:equipment-list")).status_code == 200
    for i in range(30):
        EquipmentFactory(site=site, product_model=ProductModelFactory(), asset_tag=f"MORE-{i}")
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert c.get(reverse("web:equipment-list")).status_code == 200
    assert len(many) == len(few)


def test_site_list_query_count_is_constant(client_for, officer, org):
    c = client_for(officer)
    SiteFactory(organization=org)
    c.get(reverse("web:site-list"))
    cache.clear()  # measure the page computed, not the per-organisation caches' hits (apps/web/caches.py)
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("web:site-list"))
    for i in range(10):
        EquipmentFactory(site=SiteFactory(organization=org, name=f"Added site {i}"))
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert b"Added site 9" in c.get(reverse("web:site-list")).content
    assert len(many) == len(few)


def test_equipment_list_filters_and_sorts(client_for, officer, inventory, site):
    c = client_for(officer)
    response = c.get(reverse("web:equipment-list"), {"q": "TAG-2", "sort": "-installed"})
    assert b"TAG-2" in response.content
    assert b"TAG-1" not in response.content


def test_org_switcher_changes_scope(client_for, officer, other_org, other_site):
    MembershipFactory(user=officer, organization=other_org, role="auditor")
    EquipmentFactory(site=other_site, asset_tag="OTHER-ORG-UNIT")
    c = client_for(officer)
    assert b"OTHER-ORG-UNIT" not in c.get(reverse("web:equipment-list")).content
    response = c.post(reverse("web:org-switch"), {"organization": other_org.pk, "next": "/equipment/"})
    assert response.status_code == 302
    assert b"OTHER-ORG-UNIT" in c.get(reverse("web:equipment-list")).content


def test_org_switch_refuses_foreign_organisation(client_for, officer, other_org):
    response = client_for(officer).post(reverse("web:org-switch"), {"organization": other_org.pk})
    assert response.status_code == 400


def test_vendor_detail_draws_ownership_graph(client_for, officer):
    from tests.factories import OwnershipFactory

    link = OwnershipFactory(share_percent=None)
    response = client_for(officer).get(reverse("web:vendor-detail", args=[link.owned_id]))
    body = response.content.decode()
    assert "<svg" in body
    assert "share unknown" in body


def test_equipment_export_csv_neutralises_formulas(client_for, officer, site):
    EquipmentFactory(site=site, serial_number="=HYPERLINK(\"http://x\")")
    response = client_for(officer).get(reverse("web:equipment-export"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_equipment_export_xlsx(client_for, officer, inventory):
    import io

    from openpyxl import load_workbook

    response = client_for(officer).get(reverse("web:equipment-export"), {"format": "xlsx"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert len(list(ws.iter_rows())) == 4


@pytest.mark.parametrize("name", ["web:site-export", "web:vendor-export", "web:plan-export"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_other_exports(client_for, officer, inventory, name, fmt):
    response = client_for(officer).get(reverse(name), {"format": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbfid," if fmt == "csv" else b"PK")


def test_site_export_lists_only_own_sites(client_for, officer, site, other_site):
    response = client_for(officer).get(reverse("web:site-export"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert site.code in body
    assert "Other site" not in body


def test_expired_session_htmx_request_redirects_whole_page(client):
    response = client.get(reverse("web:equipment-list"), HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/equipment/?q=x")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("web:login") + "?next=")


def test_dashboard_counts_follow_the_inventory_at_once_from_the_tally(django_assert_max_num_queries):
    from apps.web import selectors

    site = SiteFactory()
    EquipmentFactory(site=site, quantity=3)
    first = selectors.equipment_risk_breakdown(organization_ids=[site.organization_id])
    assert sum(first[0].values()) == 3
    EquipmentFactory(site=site, quantity=2)
    with django_assert_max_num_queries(1):  # one read of the per-site tally, whatever the inventory's size
        again = selectors.equipment_risk_breakdown(organization_ids=[site.organization_id])
    assert sum(again[0].values()) == 5


def test_vendor_filter_offers_a_new_vendor_as_soon_as_its_equipment_is_recorded(client_for, officer, site, inventory):
    from django.core.cache import cache

    from apps.web.selectors import organization_vendor_ids

    cache.clear()
    before = organization_vendor_ids(site.organization_id)
    pm = ProductModelFactory()
    assert pm.brand_id not in before
    EquipmentFactory(site=site, product_model=pm)
    assert pm.brand_id in organization_vendor_ids(site.organization_id)  # the cache key follows the count
    page = client_for(officer).get(reverse("web:equipment-list")).content.decode()
    assert f'<option value="{pm.brand_id}">' in page


def test_a_user_without_membership_sees_no_page_but_the_one_saying_so(client, db):
    """Vendors, lists, review, checks, equipment...: every page of the UI needs a membership (403 with what to
    do), except logging in and out and choosing an organisation."""
    import contextlib

    from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver

    from tests.factories import UserFactory

    names: list[str] = []

    def walk(patterns, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns))
            elif isinstance(p, URLPattern) and p.name and ns == "web":
                with contextlib.suppress(NoReverseMatch):
                    names.append(reverse(f"web:{p.name}"))

    walk(get_resolver().url_patterns, "")
    pages = sorted(set(names) - {reverse("web:logout")})
    assert {"/", "/vendors/", "/lists/", "/equipment/"} <= set(pages) and len(pages) > 10
    client.force_login(UserFactory())
    answers = {url: client.get(url) for url in pages}
    open_pages = {url: r.status_code for url, r in answers.items() if r.status_code != 403}
    # Verifying one's own second factor is about the account, not an organisation's data.
    assert set(open_pages) <= {reverse("web:org-switch"), reverse("web:login"), reverse("web:second-factor")}, (
        open_pages)
    assert all(b"not a member of any organisation" in r.content for r in answers.values() if r.status_code == 403)
    assert b"no authenticator" in answers[reverse("web:second-factor")].content


def test_equipment_sorts_are_declared_with_the_filters(client_for, officer, site):
    """Sorting is the filterset's `sort` filter: each column both ways, ties broken by id in the same direction,
    and an unknown key is a visible form error with no rows (never a silently different order)."""
    from apps.inventory.models import Equipment
    from apps.web.filtersets import EquipmentListFilterSet

    early = EquipmentFactory(site=site, asset_tag="SORT-EARLY", installed_date="2019-01-01")
    late = EquipmentFactory(site=site, asset_tag="SORT-LATE", installed_date="2023-01-01")
    sort = EquipmentListFilterSet.base_filters["sort"]
    qs = Equipment.objects.filter(pk__in=[early.pk, late.pk])
    assert list(sort.sort(qs, "installed")) == [early, late]
    assert list(sort.sort(qs, "-installed")) == [late, early]
    assert sort.sort(qs, "-installed").query.order_by == ("-installed_date", "-id")
    assert sort.sort(qs, "nonsense").query.order_by == ("-id",)
    c = client_for(officer)
    content = c.get(reverse("web:equipment-list"), {"sort": "installed"}).content.decode()
    assert content.index("SORT-EARLY") < content.index("SORT-LATE")
    content = c.get(reverse("web:equipment-list"), {"sort": "-installed"}).content.decode()
    assert content.index("SORT-LATE") < content.index("SORT-EARLY")
    refused = c.get(reverse("web:equipment-list"), {"sort": "password"}).content.decode()
    assert "SORT-EARLY" not in refused and "Sort:" in refused


@pytest.mark.django_db
def test_header_links_the_admin_site_for_staff_only(client_for, admin_user, officer):
    """First run: a staff admin finds the admin site from the UI; nobody else is shown the link."""
    admin_url = reverse("admin:index")
    admin_user.is_staff = True
    page = client_for(admin_user).get(reverse("web:dashboard"))
    assert f'href="{admin_url}"' in page.content.decode()
    page = client_for(officer).get(reverse("web:dashboard"))
    assert f'href="{admin_url}"' not in page.content.decode()
